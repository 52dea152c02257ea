"""cases_ordinary.py - an ordinary school fortnight: mail that must pass.

Staff to staff, staff to parents and suppliers, pupils to staff,
newsletters, calendar invites, out-of-office replies, timetables, price
lists, orders, trip letters, forwarded mail and quoted chains, from the
four clients.  Mail to one pupil alone is journalled (private-one-to-one);
everything else here is delivered as it is.
"""
from clients import Mail
from mime import attachment, pdf, xlsx, docx, excel_serial, leaf, text_leaf, Multi, message
from people import *  # noqa: F401,F403

C = "ordinary"


def ordinary_staff():
    out = []
    q = Mail("q-cover", HUGHES, [SMITH], "Cover for Period 3 tomorrow", 16,
             "08:12", ["Hi John,",
                       "Could you pick up my Year 9 class (9R/Gg2) period 3 "
                       "tomorrow in G12? I'm on the Year 9 careers visit to "
                       "Leeds Beckett. Work is on Teams under 'Rivers - "
                       "lesson 6', worksheet printed on my desk.",
                       "Thanks so much,", "Rachel"], sig=sig(HUGHES))
    m = Mail("cover-reply", SMITH, [HUGHES], "RE: Cover for Period 3 tomorrow",
             16, "08:47", ["No problem at all, I'm free P3 anyway. I'll grab "
                           "the worksheets at break.", "John"],
             sig=sig(SMITH), quote=q)
    out.append(case("outlook-cover-reply.eml", C, m, SMITH, [HUGHES], "accept"))

    m = Mail("dept-meeting", JONES, [SMITH, AHMED, OCONNELL, HUGHES],
             "English & Maths moderation - agenda for Thursday", 17, "16:05",
             ["Dear all,",
              "Agenda for Thursday's moderation session (3.30pm, Library):",
              ("lines", ["1. Year 11 mock papers - sampling 10%",
                         "2. KS3 assessment grid 2026/27",
                         "3. Intervention groups after Christmas",
                         "4. AOB"]),
              "Please bring three scripts from each of your groups, one "
              "high, one middle, one low. Tea and biscuits provided!",
              "Best wishes,", "Anna"], sig=sig(JONES))
    out.append(case("outlook-dept-agenda.eml", C, m, JONES,
                    [SMITH, AHMED, OCONNELL, HUGHES], "accept"))

    m = Mail("it-password", NOWAK, [SMITH, JONES, AHMED, BRENNAN, OCONNELL],
             "Staff Wi-Fi password change on Monday", 20, "12:30",
             ["Hi all,",
              "The staff Wi-Fi (OAK-STAFF) password changes on Monday 23 "
              "November at 7am. The new one will be on the staffroom "
              "noticeboard and in the IT section of the staff handbook on "
              "SharePoint. Laptops will ask you to sign in again once.",
              "If you have problems, log a ticket at helpdesk (ext 245) - "
              "please don't email me directly as I'm in and out of "
              "classrooms all day.",
              "Thanks,", "Piotr"], sig=sig(NOWAK))
    out.append(case("outlook-it-wifi.eml", C, m, NOWAK,
                    [SMITH, JONES, AHMED, BRENNAN, OCONNELL], "accept"))

    m = Mail("duty-rota", TAYLOR, [SMITH, JONES, HUGHES, BRENNAN, AHMED],
             "Duty rota w/c 23 November", 19, "15:20",
             ["Good afternoon everyone,",
              "Please find the duty rota for next week below. Swaps to Emma "
              "in the office please.",
              ("table", ["Day", "Before school", "Break", "Lunch"],
               [["Mon", "JS (gate)", "AJ (canteen)", "DB (field)"],
                ["Tue", "RH (gate)", "SA (canteen)", "JS (field)"],
                ["Wed", "DB (gate)", "MO (canteen)", "AJ (field)"],
                ["Thu", "SA (gate)", "JS (canteen)", "RH (field)"],
                ["Fri", "AJ (gate)", "RH (canteen)", "MO (field)"]]),
              "Kind regards,", "Karen"], sig=sig(TAYLOR))
    out.append(case("outlook-duty-rota.eml", C, m, TAYLOR,
                    [SMITH, JONES, HUGHES, BRENNAN, AHMED], "accept"))

    m = Mail("tb-minutes", AHMED, [SMITH, JONES], "Science fair judging",
             18, "13:02",
             ["Hi both,",
              "Thanks for agreeing to judge the Year 8 science fair next "
              "Wednesday. Judging runs 1.15-2.30 in the sports hall; there "
              "are 34 projects, so roughly 12 each. Score sheets are in the "
              "shared drive (Science > Fair 2026 > judging.xlsx).",
              "Lunch is provided in the meeting room beforehand.",
              "Samira"], sig=["Samira Ahmed", "Teacher of Science",
                              SCHOOL_LINE], client="thunderbird")
    out.append(case("thunderbird-science-fair.eml", C, m, AHMED,
                    [SMITH, JONES], "accept"))

    m = Mail("apple-staff", BRENNAN, [TAYLOR], "Fixtures Saturday",
             20, "07:41",
             ["Morning Karen,",
              "U13 boys are away at Roundhay on Saturday, minibus leaves "
              "8.15 from the sports hall car park, back around 1pm. I've "
              "got two staff going (me and Mark). Consent forms all in.",
              "Dave"], sig=["Sent from my iPhone"], client="apple")
    out.append(case("apple-fixtures.eml", C, m, BRENNAN, [TAYLOR], "accept"))

    q1 = Mail("q-chain1", CLARKE, [HUGHES], "Attendance - 9R concerns", 17,
              "09:15", ["Hi Rachel,",
                        "Three of 9R are below 90% this half term. Could we "
                        "meet to go through them before I send the letters? "
                        "I'm free Thursday P4 or Friday after school.",
                        "Emma"], sig=sig(CLARKE, disclaimer=False))
    q2 = Mail("q-chain2", HUGHES, [CLARKE], "RE: Attendance - 9R concerns", 17,
              "10:02", ["Thursday P4 works - my office?", "R"],
              sig=sig(HUGHES, disclaimer=False), quote=q1)
    m = Mail("chain3", CLARKE, [HUGHES], "RE: Attendance - 9R concerns", 17,
             "10:30", ["Perfect, see you then.", "Emma"],
             sig=sig(CLARKE), quote=q2)
    out.append(case("outlook-attendance-chain.eml", C, m, CLARKE, [HUGHES],
                    "accept", note="a three-deep Outlook reply chain between "
                    "staff"))

    m = Mail("gmail-staff", OCONNELL, [WALKER], "Concert ticket money",
             24, "11:22",
             ["Hi Laura,",
              "I've got \u00a3342.50 in ticket money from the winter concert "
              "in the safe in the music office (68 adult tickets at \u00a35, "
              "tickets for children free, plus \u00a32.50 from a raffle "
              "float). Can someone from finance collect it this week?",
              "Thanks", "Mark"], sig=["Mark O'Connell", "Director of Music",
                                      "Oakfield Academy"], client="gmail")
    out.append(case("gmail-concert-money.eml", C, m, OCONNELL, [WALKER],
                    "accept"))
    return out


def ordinary_outside():
    out = []
    m = Mail("supplier-order", WALKER, [("Sales", "sales@edusupplies.example")],
             "Purchase order PO-26-0412", 16, "10:15",
             ["Good morning,",
              "Please find attached purchase order PO-26-0412 for the items "
              "below, to be delivered to the main reception (Moor Lane, "
              "Leeds LS1 4AP), Monday to Friday 8am-4pm.",
              ("table", ["Code", "Item", "Qty", "Unit", "Total"],
               [["EX-4412", "A4 exercise books 8mm feint, pack of 50", "20",
                 "\u00a318.40", "\u00a3368.00"],
                ["PN-0021", "Whiteboard pens, black, box of 12", "15",
                 "\u00a34.95", "\u00a374.25"],
                ["GL-1190", "Glue sticks 40g, tub of 30", "4", "\u00a311.20",
                 "\u00a344.80"]]),
              "Invoices to finance@school.example quoting the PO number, "
              "please.",
              "Kind regards,"], sig=sig(WALKER),
             attach=[attachment("application/pdf", "PO-26-0412.pdf",
                                pdf(["Oakfield Academy - Purchase Order",
                                     "PO-26-0412  16/11/2026",
                                     "EX-4412 A4 exercise books x20 368.00",
                                     "PN-0021 Whiteboard pens x15 74.25",
                                     "GL-1190 Glue sticks x4 44.80",
                                     "Total 487.05 + VAT"], "PO-26-0412"))])
    out.append(case("outlook-supplier-order.eml", C, m, WALKER,
                    ["sales@edusupplies.example"], "accept"))

    q = Mail("q-quote", ("Jenny Marsden", "jenny@coachtravel.example"),
             [WALKER], "Quote Q-88213 - York trip", 17, "14:44",
             ["Dear Laura,",
              "Thank you for your enquiry. Our quote Q-88213 for one 53-seat "
              "coach, Leeds to York (National Railway Museum), Thursday 10 "
              "December, depart 08:45, return 15:30, is \u00a3465 including "
              "VAT and driver's waiting time.",
              "Kind regards,",
              "Jenny Marsden", "Bookings Team, Coach Travel Ltd",
              "Tel 0113 496 0502"], client="gmail")
    m = Mail("coach-book", WALKER, [("Jenny Marsden",
                                     "jenny@coachtravel.example")],
             "RE: Quote Q-88213 - York trip", 18, "09:20",
             ["Dear Jenny,",
              "Thank you - we'd like to go ahead with quote Q-88213. 48 "
              "pupils and 5 staff. Lead member of staff on the day will be "
              "Mrs Hughes; the school office number is best for any "
              "changes.",
              "Kind regards,", "Laura"], sig=sig(WALKER), quote=q)
    out.append(case("outlook-coach-booking.eml", C, m, WALKER,
                    ["jenny@coachtravel.example"], "accept",
                    note="the coach firm's own landline quoted back"))

    m = Mail("parent-reply", JONES, [MRS_PATEL], "Amy's reading",
             18, "15:40",
             ["Dear Mrs Patel,",
              "Thank you for your email. Amy has made a really good start "
              "with her reading journal and I can see she is enjoying 'Holes'. "
              "At parents' evening on 3 December we can look at her targets "
              "together; appointments are booked through SchoolCloud.",
              "Kind regards,", "Anna Jones"], sig=sig(JONES),
             quote=Mail("q-parent", MRS_PATEL, [JONES], "Amy's reading", 18,
                        "07:55", ["Dear Mrs Jones,",
                                  "Amy says she has to read 20 minutes a "
                                  "night - is that every night including "
                                  "weekends? She has swimming on Tuesdays "
                                  "and gets home late.",
                                  "Many thanks", "Priya Patel"],
                        sig=["Sent from my iPhone"], client="apple"))
    out.append(case("outlook-parent-reading.eml", C, m, JONES, [MRS_PATEL],
                    "accept"))

    m = Mail("gmail-parent", HUGHES, [MR_REID], "Callum - maths set change",
             19, "12:10",
             ["Dear Mr Reid,",
              "Just to let you know that from Monday Callum will move up to "
              "set 2 for maths. His teacher, Mr Smith, has been really "
              "pleased with his progress this term.",
              "If you have any questions please call the school office on "
              "01632 960000 and ask for me.",
              "Best wishes,", "Mrs Hughes"],
             sig=["Rachel Hughes", "Head of Year 9", "Oakfield Academy"],
             client="gmail")
    out.append(case("gmail-parent-set-change.eml", C, m, HUGHES, [MR_REID],
                    "accept", note="the school's own number"))

    m = Mail("price-list", ("Oakfield Uniform Shop", "orders@schoolwear.example"),
             [WALKER], "Updated price list 2026/27", 16, "09:03",
             ["Dear Laura,",
              "Please see our updated uniform prices from 1 January:",
              ("table", ["Item", "Sizes", "Price"],
               [["Blazer (with crest)", "28-44", "\u00a332.50"],
                ["Jumper", "26-42", "\u00a314.00"],
                ["PE top", "XS-XL", "\u00a312.75"],
                ["Tie (house colours)", "one size", "\u00a35.50"]]),
              "Orders over \u00a3150 delivered free to school. Our shop on "
              "Kirkstall Road is open Saturdays 9-1 in January.",
              "Best regards,", "Sarah Whitley", "Schoolwear Direct",
              "0113 496 0711"], client="gmail")
    out.append(case("gmail-uniform-prices.eml", C, m,
                    "orders@schoolwear.example", [WALKER], "accept",
                    auth=None))

    m = Mail("univ", ("Leeds University Outreach",
                      "outreach@uni-leeds.example"), [HUGHES],
             "Year 9 campus visit - confirmation", 19, "11:46",
             ["Dear Mrs Hughes,",
              "We are delighted to confirm your Year 9 campus visit on "
              "Wednesday 25 November, 10:00-14:00, meeting at the Parkinson "
              "Building steps. Lunch will be in the refectory.",
              "Our emergency contact on the day is the outreach office on "
              "0113 496 0233.",
              "With best wishes,", "Outreach Team"], client="outlook",
             logo=False)
    out.append(case("outlook-university-visit.eml", C, m,
                    "outreach@uni-leeds.example", [HUGHES], "accept",
                    auth=None))
    return out


def ordinary_pupils():
    out = []
    m = Mail("pupil-hw", AMY, [SMITH], "homework question", 17, "17:32",
             ["Hi Sir,",
              "For question 4 on the simultaneous equations sheet do we have "
              "to show the graph method or can we just do elimination?",
              "Thanks", "Amy"], client="gmail")
    out.append(case("gmail-pupil-homework.eml", C, m, AMY, [SMITH], "accept"))

    m = Mail("pupil-late", CALLUM, [HUGHES], "Late this morning", 18, "08:51",
             ["Miss, I'm going to be late because the 51 bus didn't come. "
              "I'll sign in at reception.", "Callum"],
             sig=["Sent from my iPhone"], client="apple")
    out.append(case("apple-pupil-late.eml", C, m, CALLUM, [HUGHES], "accept"))

    q = Mail("q-essay", DAISY, [JONES], "Macbeth essay", 18, "19:10",
             ["Hi Mrs Jones, I've attached my Macbeth essay. Sorry it's a "
              "day late, I was ill yesterday.", "Daisy"], client="gmail")
    m = Mail("essay-fb", JONES, [DAISY], "RE: Macbeth essay", 19, "10:15",
             ["Hi Daisy,",
              "Thanks for sending this - I hope you're feeling better. Some "
              "lovely analysis of the dagger soliloquy. Next step: link "
              "each quotation back to the question about ambition.",
              "Mrs Jones"], cc=[HUGHES], sig=sig(JONES), quote=q)
    out.append(case("outlook-essay-feedback.eml", C, m, JONES,
                    [DAISY, HUGHES], "accept",
                    note="reply to a pupil with her tutor copied"))

    m = Mail("one-pupil", SMITH, [BEN], "Your test paper", 19, "14:02",
             ["Hi Ben,",
              "You left your test paper in my room after period 5 - it's in "
              "the tray by the door in M4 whenever you want to collect it.",
              "Mr Smith"], sig=sig(SMITH))
    out.append(case("outlook-one-pupil.eml", C, m, SMITH, [BEN], "journal",
                    ["private-one-to-one"],
                    note="one-to-one, nothing personal: journalled"))

    ETHAN = P["ethan"]
    m = Mail("tb-pupil", AHMED, [ETHAN], cc=[KHAN], subject="Practical write-up", day=20, hhmm="09:30", body=
             ["Hi Ethan,",
              "Your practical write-up on rates of reaction is missing the "
              "results table. Please hand it in by Wednesday; you can use "
              "lunchtime club in S3 to finish it.",
              "Ms Ahmed"], client="thunderbird")
    out.append(case("thunderbird-pupil-practical.eml", C, m, AHMED,
                    [ETHAN, KHAN], "accept",
                    note="the DSL copied in by the envelope"))
    return out


def newsletters_calendars():
    out = []
    body = ["Dear Parents and Carers,",
            "What a busy half term! Year 7 enjoyed their trip to Eureka, our "
            "Year 11s have started their mock exams, and the choir sang at "
            "Leeds Minster on Sunday.",
            ("table", ["Date", "Event"],
             [["Thu 3 Dec", "Year 9 parents' evening, 4-7pm"],
              ["Fri 11 Dec", "Christmas jumper day (\u00a31 for Save the "
                             "Children)"],
              ["Thu 17 Dec", "Winter concert, 6.30pm, main hall"],
              ["Fri 18 Dec", "Term ends 1.15pm"]]),
            "Lunch prices rise to \u00a32.65 from January. Please top up "
            "ParentPay before the holiday.",
            "Mrs K Taylor, Headteacher"]
    m = Mail("newsletter-parents", OFFICE, [("Oakfield Parents",
                                             "parents@school.example")],
             "Oakfield News - November 2026", 20, "15:30", body,
             sig=sig(OFFICE, disclaimer=False))
    out.append(case("outlook-newsletter-parents.eml", C, m, OFFICE,
                    [MRS_PATEL, MRS_OKAFOR, MR_REID, MRS_KAUR], "accept",
                    note="the newsletter to parents (list expanded)"))

    ics = ("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nPRODID:Microsoft Exchange "
           "Server 2010\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nORGANIZER;CN=Anna "
           "Jones:mailto:a.jones@school.example\r\nATTENDEE;ROLE=REQ-PARTICIPA"
           "NT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=John Smith:mailto:j.smith@s"
           "chool.example\r\nDESCRIPTION;LANGUAGE=en-GB:Moderation - bring 3 "
           "scripts\\n\r\nUID:040000008200E00074C5B7101A82E0080000000030F6B2"
           "A5D5C0DA01000000000000000010000000C3B6F1D7A1E0A94B8C\r\nSUMMARY;LA"
           "NGUAGE=en-GB:English & Maths moderation\r\nDTSTART;TZID=GMT Standa"
           "rd Time:20261119T153000\r\nDTEND;TZID=GMT Standard Time:20261119T"
           "163000\r\nLOCATION;LANGUAGE=en-GB:Library\r\nSEQUENCE:0\r\nEND:VE"
           "VENT\r\nEND:VCALENDAR\r\n")
    inv = message([("From", "Anna Jones <a.jones@school.example>"),
                   ("To", "John Smith <j.smith@school.example>"),
                   ("Subject", "English & Maths moderation"),
                   ("Date", "Tue, 17 Nov 2026 16:10:02 +0000"),
                   ("Message-ID", "<LO2P265MB51420AC3E1@LO2P265MB5142.GBRP265"
                    ".PROD.OUTLOOK.COM>"),
                   ("Content-Language", "en-GB")],
                  Multi("alternative", [
                      text_leaf("plain", "Moderation - bring 3 scripts\n"),
                      text_leaf("html", "<html><body><p class=\"MsoNormal\">"
                                "Moderation - bring 3 scripts</p></body>"
                                "</html>\n"),
                      leaf('text/calendar; charset="utf-8"; method=REQUEST',
                           ics.replace("\r\n", "\n"), "8bit")]), "inv1")
    out.append(case("outlook-invite-staff.eml", C, inv, JONES, [SMITH],
                    "accept", note="an Outlook meeting request"))

    ooo = Mail("ooo", BRENNAN, [("Jenny Marsden", "jenny@coachtravel.example")],
               "Automatic reply: Quote Q-88311 - U13 fixture", 23, "08:02",
               ["Thank you for your email. I am out of school on a fixture "
                "until Wednesday 25 November with limited access to email.",
                "For anything urgent please contact the school office on "
                "01632 960000 or office@school.example."],
               headers=[("Auto-Submitted", "auto-replied"),
                        ("X-Auto-Response-Suppress", "All")],
               logo=False)
    out.append(case("outlook-ooo-outside.eml", C, ooo, BRENNAN,
                    ["jenny@coachtravel.example"], "accept",
                    note="an out-of-office reply, outside"))

    ooo2 = Mail("ooo2", HUGHES, [AMY],
                "Automatic reply: Geography homework", 24, "16:40",
                ["Thank you for your email. I am away on the Year 9 trip "
                 "until Thursday. Please see Mr Smith or the Year 9 office "
                 "if it is urgent."],
                headers=[("Auto-Submitted", "auto-replied")], logo=False)
    out.append(case("outlook-ooo-pupil.eml", C, ooo2, HUGHES, [AMY],
                    "journal", ["private-one-to-one"],
                    note="an out-of-office reply to one pupil: journalled"))

    m = Mail("timetable", HUGHES, [SMITH, JONES, AHMED, OCONNELL, BRENNAN],
             "Year 9 options evening - timetable", 23, "13:15",
             ["Dear all,",
              "Timetable for the options evening on 1 December:",
              ("table", ["Time", "Where", "What"],
               [["5:00pm", "Main hall", "Welcome - Mrs Taylor"],
                ["5:20pm", "Library", "Options booklet Q&A"],
                ["5:45pm", "Classrooms", "Subject stalls (rooms G1-G14)"],
                ["7:00pm", "Main hall", "Close"]]),
              "Rachel"], sig=sig(HUGHES))
    out.append(case("outlook-options-timetable.eml", C, m, HUGHES,
                    [SMITH, JONES, AHMED, OCONNELL, BRENNAN], "accept"))

    fwd_q = Mail("q-fwd", ("Leeds City Council Education",
                           "schools.bulletin@leeds-council.example"),
                 [OFFICE], "Schools bulletin: winter weather closures",
                 16, "07:30",
                 ["Dear Headteacher,",
                  "In the event of severe weather please update the school "
                  "closures page by 7am and tell parents through your usual "
                  "channels. The council's duty officer can be reached on "
                  "0113 496 0900 from 6am.",
                  "Children's Services"])
    m = Mail("fwd", OFFICE, [TAYLOR, WALKER], "FW: Schools bulletin: winter "
             "weather closures", 16, "09:01",
             ["FYI - for the snow plan.", "Emma"], sig=sig(OFFICE), quote=fwd_q)
    out.append(case("outlook-forward-bulletin.eml", C, m, OFFICE,
                    [TAYLOR, WALKER], "accept", note="forwarded"))

    trip = ["Dear Parent/Carer,",
            "Year 9 Geography field trip to Malham Cove - Friday 4 December",
            "Pupils should arrive at 8.15am and will return at about 4pm. "
            "They need a packed lunch, waterproof coat and sturdy shoes. The "
            "cost is \u00a312, payable on ParentPay by 27 November.",
            "On the day, the trip mobile (carried by the trip leader) is "
            "the best way to reach us; its number is on the consent form. "
            "Otherwise please ring the school office.",
            "Yours faithfully,", "Mrs R Hughes, Head of Year 9"]
    m = Mail("trip-letter", HUGHES, [("Year 9 Parents",
                                      "year9parents@school.example")],
             "Year 9 Malham trip letter", 18, "14:00", ["Dear all,",
                                                       "Trip letter attached."],
             sig=sig(HUGHES),
             attach=[attachment("application/vnd.openxmlformats-officedocument"
                                ".wordprocessingml.document",
                                "Malham trip letter.docx", docx(trip))])
    out.append(case("outlook-trip-letter.eml", C, m, HUGHES,
                    [MRS_PATEL, MR_REID, MRS_KAUR], "accept",
                    note="a trip letter in Word, no personal details"))

    m = Mail("xl-prices", WALKER, [("Canteen", "catering@fresh-meals.example")],
             "Menu costings spring term", 25, "11:00",
             ["Hi Tom,", "Costings attached as discussed.", "Laura"],
             sig=sig(WALKER),
             attach=[attachment("application/vnd.openxmlformats-officedocument"
                                ".spreadsheetml.sheet", "costings.xlsx",
                                xlsx([["Item", "Portion", "Cost"],
                                      ["Pasta bake", "1", 0.92],
                                      ["Jacket potato", "1", 0.71],
                                      ["Fruit pot", "1", 0.38],
                                      ["Start", ("date", excel_serial(2027, 1, 5)),
                                       ""]]))])
    out.append(case("outlook-costings-xlsx.eml", C, m, WALKER,
                    ["catering@fresh-meals.example"], "accept",
                    note="a spreadsheet with a date and prices, outside"))
    return out


def more_ordinary():
    """Short everyday mail in each client, to give the false-hold rate a
    fair denominator."""
    out = []
    items = [
        ("gmail", SMITH, [JONES], "Year 7 data drop", 16, "12:40",
         ["Hi Anna, are you OK to enter the Y7 English grades by Friday? "
          "The data drop closes at 4pm and SIMS gets slow after 3.",
          "Cheers, John"]),
        ("apple", TAYLOR, [KHAN], "Governors", 17, "06:58",
         ["Aisha - can you do the safeguarding update at governors on the "
          "30th? 10 minutes, numbers of referrals and training only.",
          "K"]),
        ("thunderbird", NOWAK, [WALKER], "Printer lease renewal", 18, "10:11",
         ["Hi Laura,",
          "The printer lease (contract 4471-OAK) renews on 1 February. "
          "Current cost is \u00a3312 per quarter for 9 devices; the new quote "
          "is \u00a3298 for 10 including the library. I'd recommend we take it.",
          "Piotr"]),
        ("outlook", KHAN, [SMITH, JONES, HUGHES, BRENNAN, AHMED, OCONNELL],
         "Safeguarding training - Wednesday", 19, "08:05",
         ["Dear colleagues,",
          "A reminder that annual safeguarding refresher training is on "
          "Wednesday after school (3.30-4.30pm, main hall). Please complete "
          "the KCSIE Part 1 quiz on the staff portal beforehand.",
          "Thank you,", "Aisha"]),
        ("gmail", WALKER, [("Accounts", "accounts@coachtravel.example")],
         "Invoice 77120", 23, "10:30",
         ["Hello,",
          "Remittance: invoice 77120 (\u00a3465.00, York trip) was paid by BACS "
          "today, our reference OAK-BACS-2211.",
          "Kind regards,", "Laura Walker", "Business Manager"]),
        ("apple", JONES, [SMITH], "Lunch?", 24, "11:50",
         ["Staffroom at 12.30? Bringing the cake from the bake sale.",
          "A x"]),
        ("thunderbird", OCONNELL, [TAYLOR, WALKER], "Piano tuning", 24,
         "09:40",
         ["Hi both,",
          "The piano tuner (Keys of Yorkshire) is booked for 8 December, "
          "\u00a385 for the hall grand and \u00a370 for the practice room "
          "upright. Invoice will come to finance.",
          "Mark"]),
        ("outlook", CLARKE, [HUGHES], "Callum R - attendance 93.4%", 25,
         "13:20",
         ["Hi Rachel,",
          "Good news: Callum's attendance is back up to 93.4% this half "
          "term. I'll send the positive letter home.",
          "Emma"]),
        ("gmail", AHMED, [("Lab Supplies", "orders@labsupply.example")],
         "Order query 55-1902", 25, "15:05",
         ["Hi,",
          "Our order 55-1902 arrived without the 250ml beakers (x24). Could "
          "you confirm when they will be sent?",
          "Thanks,", "Samira Ahmed", "Science Department, Oakfield Academy"]),
        ("apple", BRENNAN, [("Roundhay PE", "pe@roundhay-school.example")],
         "Saturday fixture", 26, "16:30",
         ["Hi Phil,",
          "Thanks for hosting on Saturday, good game. Return fixture here "
          "on 16 January, 10am kick off?",
          "Dave", "Head of PE, Oakfield Academy"]),
        ("outlook", TAYLOR, [("Trust CEO", "ceo@nllt-trust.example")],
         "Half-termly report", 26, "17:05",
         ["Dear Michael,",
          "Please find below the headlines for the half-term report.",
          ("table", ["Measure", "This half", "Last half"],
           [["Attendance", "94.8%", "94.1%"],
            ["Persistent absence", "13.2%", "14.9%"],
            ["Suspensions", "6", "9"]]),
          "Best wishes,", "Karen"]),
        ("thunderbird", SMITH, [HUGHES], "Re: Maths club numbers", 26,
         "12:55",
         ["Hi Rachel,",
          "18 at maths club today, mostly Year 8. We need a second room "
          "after Christmas if this keeps up - could we have M5 on "
          "Thursdays?",
          "John"]),
    ]
    for i, (cl, frm, to, subj, day, hhmm, body) in enumerate(items):
        m = Mail("more-%d" % i, frm, to, subj, day, hhmm, body,
                 sig=(sig(frm, disclaimer=False) if cl == "outlook" else
                      ["Sent from my iPhone"] if cl == "apple" else []),
                 client=cl)
        slug = subj.lower().replace(" ", "-").replace(":", "")
        slug = "".join(c for c in slug if c.isalnum() or c == "-")[:30]
        out.append(case("%s-%s.eml" % (cl, slug), C, m, frm, to, "accept"))
    return out


def numbers_that_are_not_contacts():
    """Everyday mail full of numbers and identifiers that are not anyone's
    contact details: bank details, candidate and centre numbers, ISBNs,
    conference dial-ins, a parent's own number to the school."""
    out = []
    m = Mail("remit", FINANCE, [("Accounts", "accounts@edusupplies.example")],
             "Remittance advice - INV-2026-0412", 24, "14:10",
             ["Dear Sir/Madam,",
              "We have paid invoice INV-2026-0412 (\u00a3584.46) by BACS "
              "today from sort code 20-45-77, account 41235678, reference "
              "OAKFIELD 0412. Please allow three working days.",
              "Kind regards,", "Finance Office"], sig=sig(OFFICE))
    out.append(case("outlook-remittance.eml", C, m, FINANCE,
                    ["accounts@edusupplies.example"], "accept",
                    note="bank details and invoice numbers outside"))
    m = Mail("parent-num", MRS_KAUR, [HUGHES], "Jasmine - orthodontist", 17,
             "07:20", ["Hi Mrs Hughes,",
                       "Jasmine has an orthodontist appointment on Thursday "
                       "at 10.40 so I'll collect her from reception at 10.15. "
                       "If anything changes you can reach me on 07700 900611 "
                       "after 9.", "Thanks", "Manpreet Kaur"], client="gmail")
    out.append(case("gmail-parent-own-number.eml", C, m, MRS_KAUR[1],
                    [HUGHES], "accept", auth=None,
                    note="a parent gives the school her own number"))
    m = Mail("parent-absence", MRS_PATEL, [("Attendance", "office@school.example")],
             "Absence - Amy Patel 9R", 19, "07:45",
             ["Good morning,",
              "Amy Patel (9R, DOB 14/05/2011) is off today with a "
              "temperature. I'll let you know if she's not back tomorrow.",
              "Priya Patel"], client="apple", sig=["Sent from my iPhone"])
    out.append(case("apple-parent-absence.eml", C, m, MRS_PATEL[1], [OFFICE],
                    "accept", auth=None,
                    note="a parent reports an absence with the child's DOB"))
    m = Mail("exams", WALKER, [AMY], "Your mock exam details", 20, "10:00",
             ["Dear Amy,",
              "Your candidate number for the mock exams is 4721; our centre "
              "number is 36123. Please write both on every paper. Your first "
              "exam is English Language Paper 1 on Monday 30 November at "
              "9am in the sports hall (seat C14).",
              "Exams Office"], cc=[HUGHES], sig=sig(WALKER, disclaimer=False))
    out.append(case("outlook-candidate-number.eml", C, m, WALKER,
                    [AMY, HUGHES], "accept",
                    note="a candidate number, a centre number, a seat"))
    m = Mail("isbn", JONES, [DAISY], "Reading for the holiday", 20, "12:40",
             ["Hi Daisy,",
              "The edition we use is Penguin Modern Classics, ISBN "
              "978-0-14-118776-1 (\u00a38.99). The library has 3 copies, "
              "shelf mark 823.912 ORW.",
              "Mrs Jones"], cc=[HUGHES], client="thunderbird",
             sig=["Anna Jones", "Head of English"])
    out.append(case("thunderbird-isbn.eml", C, m, JONES, [DAISY, HUGHES],
                    "accept", note="an ISBN, a price, a shelf mark"))
    teams = ["Online parents' evening - Amy Patel",
             ("lines", ["________________________________________________"
                        "________________",
                        "Microsoft Teams meeting",
                        "Join on your computer, mobile app or room device",
                        "Click here to join the meeting",
                        "Meeting ID: 374 912 556 018",
                        "Passcode: Xk7Pq2",
                        "Or call in (audio only)",
                        "+44 20 7946 0958,,572913084#   United Kingdom, "
                        "London",
                        "Phone Conference ID: 572 913 084#",
                        "Find a local number | Reset PIN",
                        "Learn More | Meeting options",
                        "________________________________________________"
                        "________________"])]
    m = Mail("teams-pupil", JONES, [AMY], "Online parents' evening", 24,
             "15:05", teams, cc=[MRS_PATEL], logo=False)
    out.append(case("outlook-teams-dial-in.eml", C, m, JONES,
                    [AMY, MRS_PATEL], "journal", ["private-one-to-one"],
                    note="a Teams meeting with its dial-in conference number, "
                    "to a pupil and her parent (no staff copied: "
                    "journalled)"))
    m = Mail("vacation", OCONNELL, [JASMINE], "Re: solo music", 25, "18:00",
             ["I'm away with the orchestra until Monday 30 November and will "
              "reply when I'm back. For anything urgent, please contact the "
              "school office."], client="gmail",
             headers=[("Auto-Submitted", "auto-replied"),
                      ("Precedence", "bulk")])
    out.append(case("gmail-vacation-pupil.eml", C, m, OCONNELL, [JASMINE],
                    "journal", ["private-one-to-one"],
                    note="a Gmail vacation responder to one pupil"))
    m = Mail("ed-psych", KHAN, [("Educational Psychology", "eps@leeds-council.example")],
             "Referral - Callum Reid", 25, "11:15",
             ["Dear Dr Osei,",
              "Further to our call, the referral for Callum Reid (Year 9, DOB "
              "03/10/2011) has been uploaded to the secure portal, reference "
              "EPS-2026-3391. Parents have consented.",
              "Kind regards,", "Aisha Khan"], sig=sig(KHAN))
    out.append(case("outlook-one-dob-agency.eml", C, m, KHAN,
                    ["eps@leeds-council.example"], "accept",
                    note="one pupil's date of birth to an agency, below the "
                    "list threshold"))
    return out


def encoded_and_bulk():
    """Base64 text parts with accented names, and a bulk HTML newsletter
    with tracked links and the school's social icons."""
    out = []
    m = Mail("b64-parent", OCONNELL, [("Siobh\u00e1n Doyle", "s.doyle@example.net")],
             "Finn's grade 5 piano", 24, "12:15",
             ["Dear Mrs Doyle,",
              "Great news \u2013 Finn passed his Grade 5 piano with merit "
              "(128/150). Zo\u00eb in 11B got a distinction, so we'll "
              "celebrate both in Friday's assembly. The certificate will come "
              "home in his bag.",
              "Kind regards,", "Mark O'Connell"], sig=sig(OCONNELL),
             cte="base64")
    out.append(case("outlook-base64-parent.eml", C, m, OCONNELL,
                    ["s.doyle@example.net"], "accept",
                    note="base64 text parts, accented names, a score"))
    track = "https://oakfield-academy.example/r/?u=%s&e=p1"
    html = ('<table width="600" cellpadding="0" cellspacing="0" style="font-'
            'family:Arial"><tr><td><img src="https://oakfield-academy.example/'
            'img/banner.png" width="600" alt="Oakfield PTA"></td></tr><tr><td>'
            '<h2>PTA Christmas Fair</h2><p>Saturday 5 December, 11am-2pm, '
            'main hall. Tombola, cake stall, Santa\u2019s grotto (\u00a33).</p>'
            '<p><a href="%s">Volunteer for a stall</a> | <a href="%s">Donate '
            'a prize</a></p><p>Follow us: <a href="https://www.instagram.com/'
            'OakfieldAcademyLeeds">Instagram</a> \u00b7 <a href="https://x.com/'
            'OakfieldAcad">X</a> \u00b7 <a href="https://www.facebook.com/'
            'OakfieldAcademyLeeds">Facebook</a></p><p style="font-size:10px">'
            'You are receiving this because you are a parent or carer at '
            'Oakfield Academy. <a href="%s">Unsubscribe</a></p></td></tr>'
            '</table>' % (track % "vol26", track % "prize26", track % "unsub"))
    text = ("PTA Christmas Fair\n\nSaturday 5 December, 11am-2pm, main hall. "
            "Tombola, cake stall, Santa\u2019s grotto (\u00a33).\n\nVolunteer "
            "for a stall: %s\nDonate a prize: %s\n\nFollow us: Instagram, X, "
            "Facebook\n\nUnsubscribe: %s\n" % (track % "vol26",
                                                 track % "prize26",
                                                 track % "unsub"))
    news = message([("From", "Oakfield Academy PTA <office@school.example>"),
                    ("To", "Oakfield Parents <parents@school.example>"),
                    ("Subject", "PTA Christmas Fair - can you help?"),
                    ("Date", "Tue, 24 Nov 2026 19:00:00 +0000"),
                    ("Message-ID", "<pta-2611-fair@school.example>"),
                    ("List-Unsubscribe", "<%s>" % (track % "unsub")),
                    ("Precedence", "bulk")],
                   Multi("alternative", [text_leaf("plain", text),
                                         text_leaf("html", html)]),
                   "pta", "gmail")
    out.append(case("bulk-pta-newsletter.eml", C, news, OFFICE,
                    [MRS_PATEL, MRS_OKAFOR, MR_REID, MRS_KAUR], "accept",
                    note="a bulk HTML newsletter to parents, sent as the "
                    "office"))
    return out


def cases():
    return (encoded_and_bulk() + ordinary_staff() + ordinary_outside() + ordinary_pupils() +
            newsletters_calendars() + more_ordinary() +
            numbers_that_are_not_contacts())
