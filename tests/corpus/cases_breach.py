"""cases_breach.py - breaches of every class of issue 11 and their near
misses (ordinary mail that looks like the breach and must pass), plus the
breaches the filter already catches written as real clients write them.

Classes (the CLASS column of MANIFEST):
  direct          each content and channel rule, in plain words
  attachment      text inside PDF, Word, Excel, OpenDocument, ZIP
  unicode         fullwidth and other digits, zero-width, soft hyphen, bidi
  separators      no-break spaces, line breaks in numbers, handles in prose
  written-out     "at"/"dot" addresses, numbers in words
  places          display names, Reply-To, link targets
  tables          CSV, TSV, HTML tables, spreadsheets, name rosters
  logos           signature logos and icons vs photographs
  identifiers     calendar UIDs, Message-IDs, Content-IDs vs addresses
  school-social   the school's own accounts vs a personal one
  role-address    organisations' role addresses vs consumer mail
  quoted          quoted text: what the recipient wrote vs the sender
  structure       MIME and HTML tricks that hide text
  egress-own      pupil data to the sender's own personal address
  one-to-one      a whole class vs one pupil
"""
import os

from clients import Mail, LOGO, SOCIAL_ICON
from mime import (Multi, attachment, b64, docx, excel_serial, jpeg_with_exif,
                  leaf, message, odt, pdf, pptx, qp, text_leaf, xlsx, zip_of)
from people import *  # noqa: F401,F403

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "assets", "playground.jpg"), "rb") as _f:
    PHOTO = _f.read()
PHOTO_EXIF = jpeg_with_exif(PHOTO, "Apple", "iPhone 13", "2026:11:13 10:42:07")

PCD = ["personal-contact-details"]
TEAM = [SMITH, JONES, HUGHES, BRENNAN, AHMED, OCONNELL]


def teacher_note(name, cls, client, teacher, pupil, subject, paras, action,
                 rules=None, note=None, cc=(HUGHES,), day=18, hhmm="11:20",
                 attach=(), headers=(), sig_lines=None, html_only=False,
                 quote=None):
    """A member of staff writing to a pupil (tutor copied unless cc=())."""
    if sig_lines is None:
        sig_lines = (sig(teacher, disclaimer=False) if client == "outlook"
                     else [teacher[0], ROLE.get(teacher, "")]
                     if client != "apple" else ["Sent from my iPhone"])
    cc = [c for c in cc if c != teacher]
    m = Mail(name, teacher, [pupil], subject, day, hhmm, paras, sig=sig_lines,
             cc=cc, client=client, attach=list(attach), headers=list(headers),
             html_only=html_only, quote=quote)
    rules = rules if rules is not None else (PCD if action == "hold" else None)
    return case("%s.eml" % name, cls, m, teacher, [pupil] + cc, action,
                rules, note=note)


# ------------------------------------------------------------ direct

def direct():
    c = "direct"
    out = [
        teacher_note("direct-mobile-outlook", c, "outlook", SMITH, AMY,
                     "Revision session", ["Hi Amy,",
                                          "If you get stuck with the revision "
                                          "over the weekend just text me on "
                                          "07700 900461 and I'll help.",
                                          "Mr Smith"], "hold"),
        teacher_note("direct-mobile-intl-gmail", c, "gmail", BRENNAN, KAI,
                     "Match on Saturday", ["Kai,",
                                           "Bring your boots. Any problems on "
                                           "the day ring me: +44 7700 900318.",
                                           "Mr B"], "hold"),
        teacher_note("direct-email-apple", c, "apple", OCONNELL, JASMINE,
                     "Solo", ["Jasmine - send the backing track to my own "
                              "email, markoc.music@gmail.com, the school one "
                              "blocks big files.", "Mr O"], "hold"),
        teacher_note("direct-snapchat-tb", c, "thunderbird", BRENNAN, CALLUM,
                     "Team photos", ["Callum,",
                                     "I'll post the team photos later, add me "
                                     "on snapchat: @coachdbrennan",
                                     "Mr Brennan"], "hold"),
        teacher_note("direct-whatsapp-outlook", c, "outlook", HUGHES, DAISY,
                     "Trip group chat", ["Hi Daisy,",
                                         "Join the trip group here: "
                                         "https://chat.whatsapp.com/"
                                         "Gk4Lm2PqRs8TvWx9Yz1Ab so you get "
                                         "the updates.", "Mrs Hughes"],
                     "hold"),
        teacher_note("direct-address-gmail", c, "gmail", JONES, HANNAH,
                     "Books", ["Hi Hannah,",
                               "You can drop the books round to mine if "
                               "easier: 14 Beech Grove, Headingley, Leeds "
                               "LS6 3QX.", "Mrs Jones"], "hold"),
        teacher_note("direct-school-details", c, "outlook", SMITH, AMY,
                     "Revision session", ["Hi Amy,",
                                          "If you get stuck over the weekend, "
                                          "ring the school office on 01632 "
                                          "960000 on Monday or come to M4 at "
                                          "8.15, room 12, Moor Lane site "
                                          "(LS1 4AP).", "Mr Smith"],
                     "accept", note="near miss: the school's number, "
                     "postcode, a room and a time"),
        teacher_note("direct-prices-times", c, "gmail", WALKER, BEN,
                     "Trip payment", ["Hi Ben,",
                                      "The trip costs \u00a312.50, payable by "
                                      "27/11/2026; the coach leaves at 08:45 "
                                      "and is back by 15:30. Ref 2026-1187.",
                                      "Mrs Walker"], "accept",
                     note="near miss: prices, dates, times, a reference"),
    ]
    # channels
    m = Mail("direct-personal-acct", ("John Smith", "john.smith.home@example.net"),
             [BEN], "maths", 18, "18:40", ["Ben, the answers to sheet 3 are "
                                           "on Teams now.", "Mr Smith"],
             client="gmail")
    out.append(case("direct-personal-account.eml", c, m,
                    "john.smith.home@example.net", [BEN], "reject",
                    ["staff-personal-to-pupil"], auth=None,
                    note="a teacher's registered personal account to a pupil"))
    m = Mail("direct-pupil-personal", SMITH,
             [("Amy", "amyp2011@example.org")], "Your coursework", 18,
             "12:00", ["Hi Amy,", "Coursework feedback below.", "Mr Smith"],
             sig=sig(SMITH, disclaimer=False))
    out.append(case("direct-to-pupil-personal.eml", c, m, SMITH,
                    ["amyp2011@example.org"], "reject",
                    ["school-to-pupil-personal-address"]))
    m = Mail("direct-upn", OFFICE, [("Admissions", "admissions@northside-high.example")],
             "Transfer - Isaac Cohen", 19, "10:05",
             ["Dear colleague,",
              "Isaac Cohen transfers to you on 30 November. His UPN is "
              "%s; CTF to follow through S2S." % upn("38620260014"),
              "Kind regards,", "Oakfield Admissions"], sig=sig(OFFICE))
    out.append(case("direct-upn-outside.eml", c, m, OFFICE,
                    ["admissions@northside-high.example"], "hold",
                    ["pupil-data-outside"]))
    m = Mail("direct-upn-bad", OFFICE, [("Admissions", "admissions@northside-high.example")],
             "Transfer - Isaac Cohen", 19, "10:05",
             ["Dear colleague,",
              "Isaac Cohen transfers to you on 30 November; his record will "
              "come through S2S. Our DfE number is 383/4012 and our "
              "reference is OAK-ADM-20261119.",
              "Kind regards,", "Oakfield Admissions"], sig=sig(OFFICE))
    out.append(case("direct-upn-near.eml", c, m, OFFICE,
                    ["admissions@northside-high.example"], "accept",
                    note="near miss: a transfer by the secure route, no UPN"))
    m = Mail("direct-photo", JONES, [("Prints", "orders@photoprint.example")],
             "Prints for the display board", 20, "12:30",
             ["Hi,", "Could you print the attached at A3 for our corridor "
              "display? Invoice to the school please.", "Anna Jones"],
             sig=sig(JONES, disclaimer=False),
             attach=[attachment("image/jpeg", "IMG_4471.JPG", PHOTO_EXIF)])
    out.append(case("direct-photo-outside.eml", c, m, JONES,
                    ["orders@photoprint.example"], "hold",
                    ["images-of-children-outside"],
                    note="a phone photograph (EXIF: iPhone 13) outside"))
    return out


# ------------------------------------------------------------ helpers

UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def upn(body11, last="1"):
    """A valid UPN: check letter + 11 digits + LAST."""
    s = body11 + last
    vals = [int(ch) if ch.isdigit() else UPN_LETTERS.index(ch) for ch in s]
    total = sum(v * (i + 2) for i, v in enumerate(vals))
    return UPN_LETTERS[total % 23] + s


def dob_str(d, style="slash"):
    y, m, dd = d
    if style == "iso":
        return "%04d-%02d-%02d" % (y, m, dd)
    return "%02d/%02d/%04d" % (dd, m, y)


# ------------------------------------------------------------ attachments

def attachments():
    c = "attachment"
    out = []
    DOCX = ("application/vnd.openxmlformats-officedocument."
            "wordprocessingml.document")
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ODT = "application/vnd.oasis.opendocument.text"
    for name, action, call, note in [
            ("att-pdf-mobile", "hold", ["call Mr Brennan",
                                        "on 07700 900527 (mobile, any time)."],
             "a mobile inside a PDF"),
            ("att-pdf-school", "accept", ["call the school",
                                          "office on 01632 960000."],
             "near miss: the school's number in a PDF")]:
        kit = pdf(["Duke of Edinburgh - Bronze expedition kit list",
                   "Walking boots, waterproofs, 2 litres of water.",
                   "If you are lost or late on the day, " + call[0], call[1],
                   "Meet 7.30am at the sports hall."], "DofE kit list")
        out.append(teacher_note(
            name, c, "outlook", BRENNAN, KAI, "DofE kit list",
            ["Hi Kai,", "Kit list attached for the expedition.",
             "Mr Brennan"], action,
            attach=[attachment("application/pdf", "DofE kit list.pdf", kit)],
            note=note))
    for name, action, last, note in [
            ("att-docx-mobile", "hold", "Can't make one? WhatsApp me on "
             "07700 900642 so I can plan.", "a mobile inside a Word document"),
            ("att-docx-plain", "accept", "Can't make one? Tell me in "
             "registration so I can plan.", "near miss: the same schedule "
             "without the number")]:
        out.append(teacher_note(
            name, c, "gmail", OCONNELL, JASMINE, "Rehearsal schedule",
            ["Hi Jasmine,", "Schedule attached.", "Mr O'Connell"], action,
            attach=[attachment(DOCX, "Rehearsals.docx", docx([
                "Winter concert rehearsals",
                "Mon 30 Nov 3.30-4.30 hall; Wed 2 Dec 3.30-5 hall", last]))],
            note=note))
    out.append(teacher_note(
        "att-odt-insta", c, "thunderbird", AHMED, ELLA, "Science club poster",
        ["Hi Ella,", "Here is the poster draft.", "Ms Ahmed"], "hold",
        attach=[attachment(ODT, "poster.odt", odt([
            "Science Club - Thursdays 3.30, S3",
            "Follow my science page on instagram: @ms.ahmed.science"]))],
        note="a personal Instagram account inside an OpenDocument file"))
    inner = docx(["Year 10 revision timetable",
                  "Any questions text me 07700 900733"])
    out.append(teacher_note(
        "att-zip-docx", c, "outlook", SMITH, DAISY, "Revision pack",
        ["Hi Daisy,", "The zipped revision pack is attached.", "Mr Smith"],
        "hold", attach=[attachment("application/zip", "revision-pack.zip",
                                   zip_of([("Revision/timetable.docx", inner),
                                           ("Revision/readme.txt",
                                            "Start with paper 1.\n")]))],
        note="a Word file inside a ZIP"))
    out.append(teacher_note(
        "att-zip-txt", c, "gmail", BRENNAN, CALLUM, "Training plan",
        ["Callum - plan attached.", "Mr B"], "hold",
        attach=[attachment("application/zip", "plan.zip", zip_of([
            ("plan.txt", "Week 1: 3 x 20 min runs.\nMy mobile if you need "
             "me: 07700 900815\n")]))],
        note="a text file inside a ZIP"))
    rows = [["Surname", "Forename", "Date of birth", "Medical"]]
    for n, a, d in PUPILS[:12]:
        f, s = n.split(" ", 1)
        rows.append([s, f, ("date", excel_serial(*d)), "none"])
    out.append(case("att-xlsx-dob-serial.eml", c, Mail(
        "att-xlsx", WALKER, [("Bookings", "bookings@outdoor-centre.example")],
        "Group list for 4 December", 23, "10:40",
        ["Dear Tom,", "Our group list is attached for your records.",
         "Kind regards,", "Laura"], sig=sig(WALKER),
        attach=[attachment(XLSX, "Malham group list.xlsx", xlsx(rows))]),
        WALKER, ["bookings@outdoor-centre.example"], "hold",
        ["pupil-dob-list-outside"],
        note="names and dates of birth in a spreadsheet (dates stored as "
        "serial numbers)"))
    rows2 = [["Surname", "Forename", "Year"]] + \
        [[n.split(" ", 1)[1], n.split(" ", 1)[0], 9] for n, a, d in PUPILS[:3]]
    out.append(case("att-xlsx-three-names.eml", c, Mail(
        "att-xlsx2", WALKER, [("Bookings", "bookings@outdoor-centre.example")],
        "Dietary list", 23, "10:45",
        ["Dear Tom,", "The three pupils on the vegetarian option are in the "
         "attached.", "Laura"], sig=sig(WALKER),
        attach=[attachment(XLSX, "dietary.xlsx", xlsx(rows2))]),
        WALKER, ["bookings@outdoor-centre.example"], "accept",
        note="near miss: three names and a year group, no dates, outside"))
    return out


# ------------------------------------------------------------ unicode

def unicode_cases():
    c = "unicode"
    out = []
    forms = [
        ("uni-fullwidth", "\uff10\uff17\uff17\uff10\uff10 \uff19\uff10\uff10"
         "\uff14\uff16\uff12", "fullwidth digits"),
        ("uni-zwsp", "0770\u200b0 90\u200b0462", "zero-width spaces"),
        ("uni-softhyphen", "07700\u00ad900\u00ad463", "soft hyphens"),
        ("uni-zwj", "077\u200d00 9\u200d00464", "zero-width joiners"),
        ("uni-arabic-indic", "\u0660\u0667\u0667\u0660\u0660 \u0669\u0660"
         "\u0660\u0664\u0666\u0665", "Arabic-Indic digits"),
        ("uni-math-digits", "\U0001d7ce\U0001d7d5\U0001d7d5\U0001d7ce"
         "\U0001d7ce \U0001d7d7\U0001d7ce\U0001d7ce\U0001d7d2\U0001d7d4"
         "\U0001d7d6", "mathematical bold digits"),
        ("uni-bidi", "\u202d07700 900467\u202c", "bidi override controls"),
    ]
    clients = ["outlook", "gmail", "apple", "thunderbird"]
    for i, (name, num, what) in enumerate(forms):
        out.append(teacher_note(
            name, c, clients[i % 4], SMITH, [AMY, BEN, CALLUM, DAISY][i % 4],
            "Catch-up", ["Hi,", "For the catch-up session message me on "
                         "%s if you can't find the room." % num, "Mr Smith"],
            "hold", note="a mobile in %s" % what))
    out.append(teacher_note(
        "uni-insta-zw", c, "gmail", BRENNAN, KAI, "Photos",
        ["Photos are up, follow me on insta: @dave\u200b_brennan\u200b_pe",
         "Mr B"], "hold", note="a handle with zero-width spaces"))
    out.append(teacher_note(
        "uni-near-fullwidth-date", c, "outlook", JONES, AMY, "Japanese exchange",
        ["Hi Amy,", "The exchange school's letter is dated "
         "\uff12\uff10\uff12\uff16\u5e74\uff11\uff11\u6708\uff11\uff16\u65e5 "
         "and their office number is the school's: 01632 960000. "
         "\u3088\u308d\u3057\u304f\u304a\u9858\u3044\u3057\u307e\u3059\u3002",
         "Mrs Jones"], "accept",
        note="near miss: fullwidth digits in a Japanese date"))
    out.append(teacher_note(
        "uni-near-emoji", c, "apple", OCONNELL, JASMINE, "Concert",
        ["You were amazing tonight \U0001f3b6\U0001f44f 10/10! "
         "Rehearsal again on 2\u20133 December, 15:30.", "Mr O"],
        "accept", note="near miss: emoji, an en dash between dates"))
    return out


# ------------------------------------------------------------ separators

def separators():
    c = "separators"
    out = []
    out.append(teacher_note(
        "sep-nbsp-after-44", c, "outlook", SMITH, BEN, "Tonight",
        ["Ben, if the bus is late tonight call me on +44\u00a07700\u00a0"
         "900471.", "Mr Smith"], "hold", note="no-break spaces after +44"))
    out.append(teacher_note(
        "sep-br-html", c, "outlook", BRENNAN, CALLUM, "Fixture",
        [("html", "Any problems call me on 07700<br>900472", "Any problems "
          "call me on 07700 900472"), "Mr B"], "hold", html_only=True,
        note="an HTML <br> inside the number (HTML only)"))
    out.append(teacher_note(
        "sep-wrapped", c, "thunderbird", AHMED, ELLA, "Lab",
        ["Ella, I will be late to the lab tomorrow, if the door is locked "
         "ring my mobile 07700\n900473 and I'll come down.", "Ms Ahmed"],
        "hold", note="a line break inside the number"))
    # a format=flowed soft break in the middle of a number, as Thunderbird
    # wraps a long line at a space
    raw = ("From: Samira Ahmed <s.ahmed@school.example>\n"
           "To: Ella Fisher <ella.fisher@school.example>\n"
           "Cc: Rachel Hughes <r.hughes@school.example>\n"
           "Subject: Lab tomorrow\nDate: Wed, 18 Nov 2026 11:20:17 +0000\n"
           "Message-ID: <a81c2f0e-5d1b-4c7a-9f3e-2b6d8e1a4c70@school.example>\n"
           "User-Agent: Mozilla Thunderbird\nContent-Language: en-GB\n"
           "MIME-Version: 1.0\n"
           "Content-Type: text/plain; charset=UTF-8; format=flowed\n"
           "Content-Transfer-Encoding: 7bit\n\n"
           "Hi Ella,\n\nI will be late to the lab tomorrow, if the door is "
           "locked text me on 07700 \n900474 and I'll come straight down.\n\n"
           "Ms Ahmed\n")
    out.append(case("sep-flowed-soft-break.eml", c, raw, AHMED,
                    [ELLA, HUGHES], "hold", PCD,
                    note="a format=flowed soft break inside the number"))
    for name, text, cl in [
            ("sep-insta-prose", "I'm on Instagram as @davebrennan_coach if "
             "you want the training videos.", "gmail"),
            ("sep-snap-prose", "you can find me on snap, I'm @dbrennan.pe",
             "apple"),
            ("sep-tiktok-prose", "I put the drills on my TikTok "
             "(@coach.dave.b), have a look before Saturday", "outlook"),
            ("sep-dashes", "Text me on 07700-900-475 when you get there.",
             "thunderbird"),
            ("sep-dots", "My number is 07700.900.476 if you need it.",
             "gmail")]:
        out.append(teacher_note(name, c, cl, BRENNAN, KAI, "Training",
                                ["Kai,", text, "Mr B"], "hold",
                                note="a handle or number in ordinary prose"))
    out.append(teacher_note(
        "sep-near-times", c, "outlook", BRENNAN, KAI, "Training",
        ["Kai,", "Training is 15:30 - 16:45 on 24.11.2026, pitch 2, "
         "then 3 x 800m. Kit \u00a318.50 in the shop.", "Mr B"], "accept",
        note="near miss: times, dates, distances, prices"))
    out.append(teacher_note(
        "sep-near-mention", c, "gmail", OCONNELL, JASMINE, "Concert",
        ["Jasmine, you can watch the concert again on the school's page "
         "later. Well done @ everyone in the choir!", "Mr O"], "accept",
        note="near miss: an @ that is not a handle"))
    return out


# ------------------------------------------------------------ written-out

def written_out():
    c = "written-out"
    out = []
    for name, text, cl in [
            ("wo-at-dot", "email me at tom dot smith77 at gmail dot com over "
             "the holidays", "gmail"),
            ("wo-brackets", "send it to jsmith.maths [at] outlook [dot] com",
             "outlook"),
            ("wo-parens", "my own email is john(dot)smith(at)hotmail"
             "(dot)co(dot)uk", "thunderbird"),
            ("wo-words", "text me on oh seven seven double oh, nine double "
             "oh four eight one", "apple"),
            ("wo-words2", "my number is zero seven seven zero zero nine zero "
             "zero four eight two", "outlook"),
            ("wo-mixed", "ring 077 double 0 nine hundred 483", "gmail")]:
        out.append(teacher_note(name, c, cl, SMITH, BEN, "Holiday work",
                                ["Hi Ben,", "If you need help, %s." % text,
                                 "Mr Smith"], "hold",
                                note="contact details written out"))
    out.append(teacher_note(
        "wo-near-prose", c, "outlook", SMITH, BEN, "Holiday work",
        ["Hi Ben,", "Meet at the gate at two, one or two of you may be "
         "late. Dot the i's and cross the t's in question seven, and remember "
         "double or nothing is not a strategy!", "Mr Smith"], "accept",
        note="near miss: number words and 'at'/'dot' in prose"))
    out.append(teacher_note(
        "wo-near-school-email", c, "gmail", SMITH, BEN, "Holiday work",
        ["Hi Ben,", "Email office at school dot example if you lose the "
         "sheet, they'll print another.", "Mr Smith"], "accept",
        note="near miss: the school's own address written out"))
    return out


# ------------------------------------------------------------ places

def places():
    c = "places"
    out = []
    m = Mail("pl-display-name", ("John Smith 07700 900491", SMITH[1]), [BEN],
             "Homework", 18, "11:00", ["Ben, homework is on Teams.",
                                       "Mr Smith"], cc=[HUGHES],
             sig=sig(SMITH, disclaimer=False))
    out.append(case("pl-display-name-phone.eml", c, m, SMITH, [BEN, HUGHES],
                    "hold", PCD, note="a mobile in the From: display name"))
    m = Mail("pl-reply-to", SMITH, [BEN], "Homework", 18, "11:05",
             ["Ben, reply to this with your answers.", "Mr Smith"],
             cc=[HUGHES], sig=sig(SMITH, disclaimer=False),
             headers=[("Reply-To", "John Smith <jsmith.maths77@gmail.com>")])
    out.append(case("pl-reply-to-gmail.eml", c, m, SMITH, [BEN, HUGHES],
                    "hold", None, note="a school account whose Reply-To is "
                    "a personal address"))
    m = Mail("pl-reply-to-reg", SMITH, [BEN], "Homework", 18, "11:06",
             ["Ben, reply to this with your answers.", "Mr Smith"],
             cc=[HUGHES], sig=sig(SMITH, disclaimer=False),
             headers=[("Reply-To", "John Smith <john.smith.home@example.net>")])
    out.append(case("pl-reply-to-registered.eml", c, m, SMITH, [BEN, HUGHES],
                    "hold", None, note="Reply-To the teacher's registered "
                    "personal address"))
    m = Mail("pl-reply-to-ok", SMITH, [BEN], "Homework", 18, "11:07",
             ["Ben, reply to this with your answers.",
              "Mr Smith"], cc=[HUGHES], sig=sig(SMITH, disclaimer=False),
             headers=[("Reply-To", "John Smith <mr.smith@school.example>")])
    out.append(case("pl-reply-to-school.eml", c, m, SMITH, [BEN, HUGHES],
                    "accept", note="near miss: Reply-To the teacher's own "
                    "school alias"))
    for name, html, text, what in [
            ("pl-href-tel", '<a href="tel:+447700900492">ring me</a> if the '
             'coach is late', "ring me if the coach is late", "tel: link"),
            ("pl-href-mailto", 'send it to <a href="mailto:dbrennan.pe7@'
             'gmail.com">my other email</a>', "send it to my other email",
             "mailto: link"),
            ("pl-href-insta", 'the drills are on <a href="https://www.'
             'instagram.com/dave.brennan.pe/">my page</a>',
             "the drills are on my page", "profile link"),
            ("pl-href-wa", '<a href="https://wa.me/447700900493">message me'
             '</a> when you arrive', "message me when you arrive",
             "WhatsApp link")]:
        out.append(teacher_note(name, c, "outlook", BRENNAN, KAI, "Saturday",
                                ["Kai,", ("html", html, text), "Mr B"],
                                "hold", note="a %s behind innocent text" %
                                what))
    for name, html, text, what in [
            ("pl-href-school-web", 'the fixtures are on <a href="https://'
             'www.oakfield-academy.example/sport">the website</a>',
             "the fixtures are on the website", "the school website"),
            ("pl-href-school-tel", '<a href="tel:+441632960000">ring the '
             'office</a> if the coach is late', "ring the office if the "
             "coach is late", "the school's number"),
            ("pl-href-school-mailto", 'send it to <a href="mailto:office@'
             'school.example">the office</a>', "send it to the office",
             "the school office's address")]:
        out.append(teacher_note(name, c, "outlook", BRENNAN, KAI, "Saturday",
                                ["Kai,", ("html", html, text), "Mr B"],
                                "accept", note="near miss: a link to %s" %
                                what))
    return out


# ------------------------------------------------------------ tables

def tables():
    c = "tables"
    out = []
    EXT = ("Bookings", "bookings@outdoor-centre.example")
    csv = "Surname,Forename,DOB\n" + "".join(
        "%s,%s,%s\n" % (n.split(" ", 1)[1], n.split(" ", 1)[0], dob_str(d))
        for n, a, d in PUPILS[:15])
    m = Mail("tb-csv", WALKER, [EXT], "Group list", 23, "09:30",
             ["Dear Tom,", "The group list is attached as requested.",
              "Kind regards,", "Laura"], sig=sig(WALKER),
             attach=[attachment("text/csv", "group.csv", csv)])
    out.append(case("tab-csv-dob.eml", c, m, WALKER, [EXT], "hold",
                    ["pupil-dob-list-outside"],
                    note="Surname,Forename,DOB columns in a CSV attachment"))
    tsv = "Forename\tSurname\tDate of Birth\tGroup\n" + "".join(
        "%s\t%s\t%s\t9R\n" % (n.split(" ", 1)[0], n.split(" ", 1)[1],
                              dob_str(d, "iso")) for n, a, d in PUPILS[5:14])
    m = Mail("tb-tsv", WALKER, [EXT], "Group list", 23, "09:35",
             ["Dear Tom,", "Pasted from SIMS:", ("lines", tsv.split("\n")),
              "Laura"], client="thunderbird")
    out.append(case("tab-tsv-body.eml", c, m, WALKER, [EXT], "hold",
                    ["pupil-dob-list-outside"],
                    note="tab-separated columns pasted into the body"))
    rows = [[n.split(" ", 1)[1], n.split(" ", 1)[0], dob_str(d)]
            for n, a, d in PUPILS[:10]]
    m = Mail("tb-html", WALKER, [EXT], "Names for the insurance", 23, "09:40",
             ["Dear Tom,", "Details below for the insurance.",
              ("table", ["Surname", "First name", "DOB"], rows),
              "Kind regards,", "Laura"], sig=sig(WALKER))
    out.append(case("tab-html-table-dob.eml", c, m, WALKER, [EXT], "hold",
                    ["pupil-dob-list-outside"],
                    note="an HTML table with surname, first name, DOB"))
    roster = [n for n, a, d in PUPILS[:24]]
    m = Mail("tb-roster", HUGHES, [("Photographer", "bookings@schoolphotos.example")],
             "9R class list for photos", 24, "10:00",
             ["Hi Gemma,", "Class list for Tuesday's photos:",
              ("lines", roster), "Thanks,", "Rachel"], sig=sig(HUGHES))
    out.append(case("tab-roster-names.eml", c, m, HUGHES,
                    ["bookings@schoolphotos.example"], "hold", None,
                    note="a names-only class list (24 pupils) outside"))
    m = Mail("tb-roster-in", HUGHES, [SMITH, JONES], "9R class list",
             24, "10:05", ["Hi both,", "9R list for your markbooks:",
                           ("lines", roster), "Rachel"], sig=sig(HUGHES))
    out.append(case("tab-roster-internal.eml", c, m, HUGHES, [SMITH, JONES],
                    "accept", note="near miss: the same list to colleagues"))
    m = Mail("tb-two-names", HUGHES, [("Photographer",
                                       "bookings@schoolphotos.example")],
             "Photos", 24, "10:10",
             ["Hi Gemma,", "Amy Patel and Ben Okafor will be the two pupils "
              "showing you round on Tuesday.", "Rachel"], sig=sig(HUGHES))
    out.append(case("tab-two-names.eml", c, m, HUGHES,
                    ["bookings@schoolphotos.example"], "accept",
                    note="near miss: two pupils named outside"))
    m = Mail("tb-fixtures", BRENNAN, [("League", "fixtures@leeds-schools-fa.example")],
             "U13 results", 24, "16:00",
             ["Results for the league table:",
              ("table", ["Date", "Home", "Away", "Score"],
               [["14/11/2026", "Oakfield", "Roundhay", "3-1"],
                ["21/11/2026", "Allerton", "Oakfield", "2-2"],
                ["28/11/2026", "Oakfield", "Temple Moor", "-"]]), "Dave"],
             sig=sig(BRENNAN, disclaimer=False))
    out.append(case("tab-fixtures.eml", c, m, BRENNAN,
                    ["fixtures@leeds-schools-fa.example"], "accept",
                    note="near miss: a table of dates and school names"))
    m = Mail("tb-staff-dob", WALKER, [("HR", "hr@nllt-trust.example")],
             "Staff DBS renewals", 24, "11:30",
             ["Hi,", "Renewals due:",
              ("table", ["Name", "DOB", "DBS due"],
               [["John Smith", "12/03/1984", "01/2027"],
                ["Anna Jones", "30/07/1979", "02/2027"],
                ["David Brennan", "05/11/1990", "02/2027"]]), "Laura"],
             sig=sig(WALKER, disclaimer=False))
    out.append(case("tab-staff-dob.eml", c, m, WALKER,
                    ["hr@nllt-trust.example"], "accept",
                    note="near miss: adults' dates of birth to the trust's HR"))
    return out


# ------------------------------------------------------------ false holds

def logos():
    c = "logos"
    out = []
    for i, (who, to, subj) in enumerate([
            (WALKER, ("Sales", "sales@edusupplies.example"), "Delivery slot"),
            (JONES, MRS_PATEL, "Reading books"),
            (HUGHES, ("Outreach", "outreach@uni-leeds.example"), "Visit"),
            (TAYLOR, ("Trust CEO", "ceo@nllt-trust.example"), "Budget")]):
        m = Mail("logo-%d" % i, who, [to], subj, 17 + i, "10:%02d" % (10 + i),
                 ["Hello,", "Thanks for your message - that's fine with us. "
                  "I'll confirm the details by Friday.", "Kind regards,"],
                 sig=sig(who))
        out.append(case("logo-outlook-%d.eml" % i, c, m, who, [to], "accept",
                        note="Outlook signature logo (image001.png, cid:) "
                        "outside"))
    sig_html = ('<div><b>Laura Walker</b><br>Business Manager<br>Oakfield '
                'Academy</div><div><img src="__LOGO__" width="180" '
                'height="54" alt="Oakfield Academy"><br>'
                '<a href="https://www.facebook.com/OakfieldAcademyLeeds">'
                'Oakfield on Facebook</a></div>')
    m = Mail("logo-gmail", WALKER, [("Canteen", "catering@fresh-meals.example")],
             "Menu", 24, "09:10", ["Hi Tom,", "Menu approved, thanks.",
                                   "Laura"], sig=["Laura Walker"],
             sig_html=sig_html, client="gmail", logo=True)
    out.append(case("logo-gmail-signature.eml", c, m, WALKER,
                    ["catering@fresh-meals.example"], "accept",
                    note="Gmail signature logo, inline cid:, outside"))
    m = Mail("icons", OFFICE, [MRS_OKAFOR], "Ben - lost property", 25, "14:00",
             ["Dear Mrs Okafor,", "Ben's coat is in lost property at "
              "reception.", "Kind regards,", "School Office"], sig=sig(OFFICE),
             attach=[attachment("image/png", "facebook-icon.png", SOCIAL_ICON,
                                inline=True, cid="fb@oak"),
                     attachment("image/png", "x-icon.png", SOCIAL_ICON,
                                inline=True, cid="x@oak")])
    out.append(case("logo-social-icons.eml", c, m, OFFICE, [MRS_OKAFOR],
                    "accept", note="small social-media icons as inline "
                    "images, outside"))
    m = Mail("logo-photo-inline", JONES, [("Local paper", "news@leeds-echo.example")],
             "Book week", 25, "15:30",
             ["Hi,", "Photo from our book week parade below, as discussed.",
              "Anna"], sig=sig(JONES),
             attach=[attachment("image/jpeg", "IMG_4502.JPG", PHOTO_EXIF,
                                inline=True, cid="IMG_4502@oak")])
    out.append(case("logo-photo-inline.eml", c, m, JONES,
                    ["news@leeds-echo.example"], "hold",
                    ["images-of-children-outside"],
                    note="a camera photograph inline (not a logo), outside"))
    m = Mail("logo-photo-noexif", BRENNAN, [("League", "fixtures@leeds-schools-fa.example")],
             "Team photo", 25, "16:00", ["Team photo for the website.",
                                         "Dave"],
             sig=sig(BRENNAN, disclaimer=False),
             attach=[attachment("image/jpeg", "team.jpg", PHOTO)])
    out.append(case("logo-photo-large.eml", c, m, BRENNAN,
                    ["fixtures@leeds-schools-fa.example"], "hold",
                    ["images-of-children-outside"],
                    note="a large attached image without EXIF, outside"))
    return out


def identifiers():
    c = "identifiers"
    out = []

    def gcal(name, to, uid, day):
        ics = ("BEGIN:VCALENDAR\nPRODID:-//Google Inc//Google Calendar "
               "70.9054//EN\nVERSION:2.0\nCALSCALE:GREGORIAN\nMETHOD:REQUEST\n"
               "BEGIN:VEVENT\nDTSTART:20261126T153000Z\nDTEND:20261126T16300"
               "0Z\nDTSTAMP:20261119T101500Z\nORGANIZER;CN=John Smith:mailto:"
               "j.smith@school.example\nUID:%s\nATTENDEE;CUTYPE=INDIVIDUAL;ROL"
               "E=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=%s;X-NUM"
               "-GUESTS=0:mailto:%s\nCREATED:20261119T101500Z\nDESCRIPTION:Ma"
               "ths intervention - bring your calculator\nLOCATION:M4\nSEQUE"
               "NCE:0\nSTATUS:CONFIRMED\nSUMMARY:Maths intervention\nTRANSP:"
               "OPAQUE\nEND:VEVENT\nEND:VCALENDAR\n" % (uid, to[0], to[1]))
        body = Multi("mixed", [
            Multi("alternative", [
                text_leaf("plain", "Maths intervention\nThursday 26 Nov 2026 "
                          "3:30pm - 4:30pm (GMT)\nLocation: M4\n\nInvitation "
                          "from Google Calendar\n"),
                text_leaf("html", "<div><b>Maths intervention</b></div><div>"
                          "Thursday 26 Nov 2026 3:30pm - 4:30pm (GMT)</div>"
                          "<div>M4</div>\n"),
                leaf('text/calendar; charset="UTF-8"; method=REQUEST', qp(ics),
                     "quoted-printable")]),
            leaf('application/ics; name="invite.ics"', b64(ics), "base64",
                 ['Content-Disposition: attachment; filename="invite.ics"'])])
        return message([("From", "John Smith <j.smith@school.example>"),
                        ("To", "%s <%s>" % to),
                        ("Subject", "Invitation: Maths intervention @ Thu 26 "
                         "Nov 2026 15:30 - 16:30 (GMT) (%s)" % to[0]),
                        ("Date", "%s, %d Nov 2026 10:15:00 +0000" %
                         ({19: "Thu", 20: "Fri"}[day], day)),
                        ("Message-ID", "<calendar-%s@google.com>" %
                         name)], body, name)
    out.append(case("id-google-invite-pupil.eml", c,
                    gcal("g1", AMY, "3k9v1q2c7t0b8m4n6p5r2s1d0f@google.com",
                         19), SMITH, [AMY], "journal",
                    ["private-one-to-one"],
                    note="a Google Calendar invite to one pupil: UID@google.com"))
    out.append(case("id-google-invite-staff.eml", c,
                    gcal("g3", JONES, "1a2b3c4d5e6f7g8h9i0j1k2l3m@google.com",
                         20), SMITH, [JONES], "accept",
                    note="a Google Calendar invite to a colleague"))
    out.append(case("id-google-invite-pupil2.eml", c,
                    gcal("g2", BEN, "7h2j4k6l8m0n1p3q5r7s9t1v3w@google.com",
                         20), SMITH, [BEN, HUGHES], "accept",
                    note="the same, tutor copied by the envelope"))
    ics = ("BEGIN:VCALENDAR\nMETHOD:REQUEST\nPRODID:Microsoft Exchange "
           "Server 2010\nVERSION:2.0\nBEGIN:VEVENT\nORGANIZER;CN=Rachel "
           "Hughes:mailto:r.hughes@school.example\nATTENDEE;ROLE=REQ-PARTICI"
           "PANT;RSVP=TRUE;CN=Daisy Hartley:mailto:daisy.hartley@school.exam"
           "ple\nATTENDEE;ROLE=OPT-PARTICIPANT;CN=Aisha Khan:mailto:a.khan@s"
           "chool.example\nUID:040000008200E00074C5B7101A82E00800000000D0B1"
           "C5A6D5C0DA010000000000000000100000004F2E5A7B9C1D3E48A1B2C3D4E5F6"
           "A7B8\nSUMMARY;LANGUAGE=en-GB:Year 9 mentoring\nDTSTART;TZID=GMT "
           "Standard Time:20261125T101000\nDTEND;TZID=GMT Standard Time:2026"
           "1125T103000\nLOCATION;LANGUAGE=en-GB:Microsoft Teams Meeting\n"
           "X-MICROSOFT-SKYPETEAMSMEETINGURL:https://teams.microsoft.com/l/"
           "meetup-join/19%3ameeting_NjA2YTk2ZDUtZTQ1@thread.v2/0?context=%7b"
           "%22Tid%22%3a%221b2c%22%7d\nEND:VEVENT\nEND:VCALENDAR\n")
    body = Multi("alternative", [
        text_leaf("plain", "Mentoring catch-up\n\n____\nMicrosoft Teams "
                  "meeting\nJoin on your computer, mobile app or room device"
                  "\nClick here to join the meeting<https://teams.microsoft."
                  "com/l/meetup-join/19%3ameeting_NjA2YTk2ZDUtZTQ1@thread.v2/0>"
                  "\nMeeting ID: 374 912 556 018\nPasscode: Xk7Pq2\n"),
        text_leaf("html", '<p class="MsoNormal">Mentoring catch-up</p><div>'
                  '<a href="https://teams.microsoft.com/l/meetup-join/19%3ame'
                  'eting_NjA2YTk2ZDUtZTQ1@thread.v2/0">Click here to join the '
                  'meeting</a><br>Meeting ID: 374 912 556 018<br>Passcode: '
                  'Xk7Pq2</div>\n'),
        leaf('text/calendar; charset="utf-8"; method=REQUEST', qp(ics),
             "quoted-printable")])
    inv = message([("From", "Rachel Hughes <r.hughes@school.example>"),
                   ("To", "Daisy Hartley <daisy.hartley@school.example>"),
                   ("Cc", "Aisha Khan <a.khan@school.example>"),
                   ("Subject", "Year 9 mentoring"),
                   ("Date", "Thu, 19 Nov 2026 14:20:00 +0000"),
                   ("Message-ID", "<LO2P265MB51427F1A@LO2P265MB5142.GBRP265."
                    "PROD.OUTLOOK.COM>")], body, "teams")
    out.append(case("id-teams-invite-pupil.eml", c, inv, HUGHES,
                    [DAISY, KHAN], "accept",
                    note="an Outlook Teams invite to a pupil: @thread.v2, "
                    "meeting ID"))
    q = Mail("q-mid", AMY, [SMITH], "question", 18, "17:05",
             ["Sir is the test on Friday?", "Amy"], client="gmail",
             headers=[("X-Original-Message-ID",
                       "<CAF3k9=xQw2@mail.gmail.com>")])
    m = Mail("id-quote-mid", SMITH, [AMY], "RE: question", 19, "08:30",
             ["Yes, Friday period 2.", "Mr Smith"], cc=[HUGHES],
             sig=sig(SMITH), quote=q)
    out.append(case("id-outlook-logo-to-pupil.eml", c, m, SMITH, [AMY, HUGHES],
                    "accept", note="Outlook reply to a pupil: Content-ID "
                    "image001.png@01DB... and Message-IDs"))
    m = Mail("id-near-gmail", SMITH, [AMY], "Contact", 19, "08:45",
             ["Amy, my personal address is jsmith1984@gmail.com if Teams "
              "is down.", "Mr Smith"], cc=[HUGHES], sig=sig(SMITH))
    out.append(case("id-near-personal-address.eml", c, m, SMITH, [AMY, HUGHES],
                    "hold", PCD, note="the breach beside them: a real "
                    "personal address"))
    return out


def school_social():
    c = "school-social"
    out = []
    for i, (cl, who, pupil) in enumerate([
            ("outlook", HUGHES, DAISY), ("gmail", OFFICE, BEN),
            ("outlook", TAYLOR, AMY), ("apple", BRENNAN, KAI)]):
        m = Mail("ss-%d" % i, who, [pupil], "Well done!", 23 + i % 3, "12:%02d" % i,
                 ["Hi,", "Congratulations on your award at Friday's "
                  "celebration assembly - there's a photo of the whole group "
                  "on the school's Instagram.", "Best wishes"],
                 cc=[KHAN], sig=sig(who, social=True, disclaimer=False),
                 client=cl)
        out.append(case("school-social-sig-%d.eml" % i, c, m, who,
                        [pupil, KHAN], "accept",
                        note="the school's own Instagram, X and Facebook in "
                        "the standard signature"))
    m = Mail("ss-news", OFFICE, [("Year 9", "year9@school.example")],
             "Year 9 bulletin", 20, "15:00",
             ["Dear Year 9,",
              "Follow @OakfieldAcademyLeeds on Instagram and "
              "https://x.com/OakfieldAcad for snow-day news.",
              "School Office"], sig=sig(OFFICE, social=True))
    out.append(case("school-social-bulletin.eml", c, m, OFFICE,
                    CLASS_9R, "accept",
                    note="a bulletin to 20 pupils with the school's accounts"))
    m = Mail("ss-near", BRENNAN, [KAI], "Well done!", 20, "12:30",
             ["Kai, great game. Follow my coaching account on Instagram, "
              "@dbrennan_coaching, for the drills.", "Mr B"], cc=[KHAN],
             sig=sig(BRENNAN, social=True, disclaimer=False))
    out.append(case("school-social-near-personal.eml", c, m, BRENNAN,
                    [KAI, KHAN], "hold", PCD,
                    note="the breach beside them: a teacher's own account"))
    return out


def role_address():
    c = "role-address"
    out = []
    for i, (text, who, pupil) in enumerate([
            ("For the summer school, email admissions@uni-leeds.example "
             "with your name and school.", HUGHES, P["dev"]),
            ("The careers service is careers@leedscitycollege.example - "
             "they reply within a week.", HUGHES, ELLA),
            ("Send the entry form to entries@ukmt-challenge.example before "
             "the deadline.", SMITH, P["finn"]),
            ("If you want to talk to someone, help@childline.example is "
             "free and confidential.", HUGHES, HANNAH)]):
        out.append(teacher_note("role-%d" % i, c, ["outlook", "gmail",
                                                   "outlook", "apple"][i],
                                who, pupil, "Next steps",
                                ["Hi,", text, "Best wishes"], "accept",
                                cc=(KHAN,), note="an organisation's role "
                                "address given to a pupil"))
    out.append(teacher_note("role-near-hotmail", c, "gmail", HUGHES, ELLA,
                            "Next steps", ["Hi Ella,", "email me at "
                                           "rachel_h84@hotmail.co.uk over "
                                           "the summer", "Mrs H"], "hold",
                            cc=(KHAN,), note="the breach beside them: "
                            "consumer mail"))
    return out


def quoted():
    c = "quoted"
    out = []
    q = Mail("q-pupilnum", BEN, [SMITH], "cant come", 18, "07:40",
             ["sir my mum says I have to go to the dentist, she said ring her "
              "on 07700 900551 if thats a problem", "ben"], client="apple",
             sig=["Sent from my iPhone"])
    m = Mail("quoted-pupil-num", SMITH, [BEN], "RE: cant come", 18, "08:10",
             ["Thanks Ben, no problem - I'll let Mrs Hughes know. Catch up "
              "on the sheet when you're back.", "Mr Smith"], cc=[HUGHES],
             sig=sig(SMITH), quote=q)
    out.append(case("quoted-outlook-pupil-number.eml", c, m, SMITH,
                    [BEN, HUGHES], "accept",
                    note="the pupil's parent's number quoted back in an "
                    "Outlook reply"))
    q = Mail("q-pupilmail", HANNAH, [JONES], "Essay", 18, "19:00",
             ["Miss I can't get on Teams, can you send it to my other email "
              "hannah.b.2011@gmail.com", "Hannah"], client="gmail")
    m = Mail("quoted-pupil-email", JONES, [HANNAH], "Re: Essay", 19, "08:20",
             ["Hi Hannah,", "I can only send to your school address - try "
              "logging in on the library computers at break.", "Mrs Jones"],
             cc=[HUGHES], sig=["Anna Jones", "Head of English"],
             quote=q, client="gmail")
    out.append(case("quoted-gmail-pupil-email.eml", c, m, JONES,
                    [HANNAH, HUGHES], "accept",
                    note="the pupil's own address quoted back in a Gmail "
                    "reply"))
    q = Mail("q-tbsnap", CALLUM, [BRENNAN], "team", 18, "16:00",
             ["sir add me on snapchat @callum.r.11 for the team chat"],
             client="gmail")
    m = Mail("quoted-tb", BRENNAN, [CALLUM], "Re: team", 18, "16:30",
             ["Callum, staff don't use Snapchat with pupils. Team news goes "
              "on Teams.", "Mr B"], cc=[HUGHES], quote=q,
             client="thunderbird")
    out.append(case("quoted-thunderbird-pupil-snap.eml", c, m, BRENNAN,
                    [CALLUM, HUGHES], "accept",
                    note="the pupil's handle quoted back, '> ' lines"))
    q = Mail("q-apple", JASMINE, [OCONNELL], "solo", 18, "20:00",
             ["Sir my number is 07700 900552 if you need to change the "
              "rehearsal"], client="apple", sig=["Sent from my iPhone"])
    m = Mail("quoted-apple", OCONNELL, [JASMINE], "Re: solo", 19, "08:00",
             ["Thanks Jasmine - rehearsal changes go on the music Teams "
              "channel, so no need for numbers.", "Mr O"], cc=[HUGHES],
             quote=q, client="apple", sig=["Sent from my iPhone"])
    out.append(case("quoted-apple-pupil-number.eml", c, m, OCONNELL,
                    [JASMINE, HUGHES], "accept",
                    note="the pupil's number quoted back, blockquote "
                    "type=cite"))
    # breaches: the sender's own earlier words in the quote
    q0 = Mail("q-own0", SMITH, [BEN], "Revision", 17, "15:00",
              ["Ben, if you get stuck text me on 07700 900553.", "Mr Smith"],
              sig=sig(SMITH, disclaimer=False))
    q1 = Mail("q-own1", BEN, [SMITH], "RE: Revision", 17, "18:00",
              ["ok thanks sir"], client="apple", sig=["Sent from my iPhone"],
              quote=q0)
    m = Mail("quoted-own", SMITH, [BEN], "RE: Revision", 18, "08:00",
             ["No problem, see you Friday.", "Mr Smith"], cc=[HUGHES],
             sig=sig(SMITH, disclaimer=False), quote=q1)
    out.append(case("quoted-own-number.eml", c, m, SMITH, [BEN, HUGHES],
                    "hold", PCD, note="the teacher's own number in the "
                    "quote of his earlier mail"))
    q = Mail("q-fwd2", ("Stuart Reid", "reid.home@example.net"), [HUGHES],
             "Callum", 18, "07:00", ["Mrs Hughes, Callum has a dentist "
                                     "appointment at 11."], client="gmail")
    m = Mail("quoted-fwd-own", HUGHES, [CALLUM], "FW: Callum", 18, "09:00",
             ["Callum, see below - come to the Year 9 office at 10.45. If "
              "you can't find me, my mobile is 07700 900554.", "Mrs H"],
             cc=[CLARKE], sig=sig(HUGHES, disclaimer=False), quote=q)
    out.append(case("quoted-new-text-above.eml", c, m, HUGHES,
                    [CALLUM, CLARKE], "hold", PCD,
                    note="new text above a quote still counts"))
    return out


# ------------------------------------------------------------ structure

HDR = ("From: John Smith <j.smith@school.example>\n"
       "To: Ben Okafor <ben.okafor@school.example>\n"
       "Cc: Rachel Hughes <r.hughes@school.example>\n"
       "Subject: %s\nDate: Thu, 19 Nov 2026 10:%02d:00 +0000\n"
       "Message-ID: <struct-%s@school.example>\nMIME-Version: 1.0\n")


def structure():
    c = "structure"
    out = []
    n = [0]

    def add(name, subject, rest, action="hold", note=None, rules=None):
        n[0] += 1
        raw = HDR % (subject, n[0], name) + rest
        out.append(case(name + ".eml", c, raw, SMITH, [BEN, HUGHES], action,
                        rules if rules is not None else
                        (PCD if action == "hold" else None), note=note))

    add("st-txt-octet", "Notes",
        'Content-Type: multipart/mixed; boundary="b1"\n\n--b1\n'
        'Content-Type: text/plain; charset=utf-8\n\nNotes attached.\n--b1\n'
        'Content-Type: application/octet-stream; name="notes.txt"\n'
        'Content-Disposition: attachment; filename="notes.txt"\n'
        'Content-Transfer-Encoding: base64\n\n' +
        b64("Revision notes\nQuestions? my mobile 07700 900561\n") + "--b1--\n",
        note="a .txt attachment labelled application/octet-stream")
    vcf = ("BEGIN:VCARD\nVERSION:3.0\nFN:John Smith\nN:Smith;John;;;\n"
           "TEL;TYPE=CELL:07700 900562\nEMAIL;TYPE=HOME:jsmith.home84@"
           "gmail.com\nEND:VCARD\n")
    add("st-vcf-octet", "My details",
        'Content-Type: multipart/mixed; boundary="b1"\n\n--b1\n'
        'Content-Type: text/plain; charset=utf-8\n\nSee attached.\n--b1\n'
        'Content-Type: application/octet-stream; name="John Smith.vcf"\n'
        'Content-Disposition: attachment; filename="John Smith.vcf"\n'
        'Content-Transfer-Encoding: base64\n\n' + b64(vcf) + "--b1--\n",
        note="a vCard labelled application/octet-stream")
    add("st-vcf-typed", "My details",
        'Content-Type: multipart/mixed; boundary="b1"\n\n--b1\n'
        'Content-Type: text/plain; charset=utf-8\n\nSee attached.\n--b1\n'
        'Content-Type: text/vcard; name="John Smith.vcf"\n'
        'Content-Disposition: attachment; filename="John Smith.vcf"\n\n' +
        vcf + "--b1--\n", note="a vCard attachment")
    add("st-two-content-types", "Notes",
        'Content-Type: text/plain; charset=utf-8\n'
        'Content-Type: application/octet-stream\n'
        'Content-Transfer-Encoding: base64\n\n' +
        b64("Any questions, my mobile is 07700 900563.\n"),
        note="a second Content-Type header")
    add("st-uuencode", "Notes",
        "Content-Type: text/plain; charset=us-ascii\n\nNotes below.\n\n"
        "begin 644 notes.txt\n" + uuencode(
            b"Call me on 07700 900564 if stuck\n") + "`\nend\n",
        note="inline uuencode")
    for name, html, what in [
            ("st-hidden-span", 'Text me: 07700 <span style="display:none">'
             'xx</span>900565', "a hidden span inside the number"),
            ("st-html-comment", "Text me: 0770<!-- -->0 900<!-- x -->566",
             "HTML comments inside the number"),
            ("st-css-content", '<style>.n::after{content:"07700 900567"}'
             '</style>Text me: <span class="n"></span>', "CSS content"),
            ("st-alt-attr", 'Text me: <img alt="07700 900568" src="cid:x">',
             "the number only in an alt attribute"),
            ("st-title-attr", '<span title="my mobile 07700 900569">hover '
             'for my number</span>', "the number only in a title attribute"),
            ("st-value-attr", '<input value="07700 900570" readonly> is my '
             'number', "the number only in a value attribute")]:
        add(name, "Notes", "Content-Type: text/html; charset=utf-8\n\n"
            "<html><body><p>Hi Ben,</p><p>%s</p><p>Mr Smith</p></body>"
            "</html>\n" % html, note=what)
    for name, num, what in [
            ("st-thin-space", "07700\u2009900\u2009571", "thin spaces"),
            ("st-en-dash", "07700\u2013900\u2013572", "en dashes"),
            ("st-double-space", "07700  900  573", "double spaces"),
            ("st-nul", "07700\x00900574", "a NUL")]:
        add(name, "Notes", "Content-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: quoted-printable\n\n" +
            qp("Hi Ben,\n\nMy mobile is %s if you need help.\n\nMr Smith\n"
               % num), note="separators: %s" % what)
    add("st-near-octet", "Notes",
        'Content-Type: multipart/mixed; boundary="b1"\n\n--b1\n'
        'Content-Type: text/plain; charset=utf-8\n\nNotes attached.\n--b1\n'
        'Content-Type: application/octet-stream; name="notes.txt"\n'
        'Content-Disposition: attachment; filename="notes.txt"\n'
        'Content-Transfer-Encoding: base64\n\n' +
        b64("Revision notes\nQuestions? ask me in M4 at break.\n") +
        "--b1--\n", action="accept",
        note="near miss: the same octet-stream text without a number")
    add("st-near-preheader", "Notes",
        "Content-Type: text/html; charset=utf-8\n\n<html><body><span "
        'style="display:none">Maths club this week</span><p>Hi Ben,</p>'
        "<p>Maths club is in M5 on Thursday, 15:30-16:30.</p></body>"
        "</html>\n", action="accept",
        note="near miss: hidden preheader text, times")
    return out


def uuencode(data):
    import binascii
    out = []
    for i in range(0, len(data), 45):
        out.append(binascii.b2a_uu(data[i:i + 45]).decode("ascii").rstrip("\n"))
    return "\n".join(out) + "\n"


# ------------------------------------------------------------ egress

def egress_own():
    c = "egress-own"
    out = []
    upns = [upn("38620260%03d" % (100 + i)) for i in range(8)]
    rows = [[n.split(" ", 1)[1], n.split(" ", 1)[0], u]
            for (n, a, d), u in zip(PUPILS, upns)]
    m = Mail("eg-upn", HUGHES, [("Rachel", "rachel.hughes84@example.net")],
             "9R UPNs for reports", 24, "17:40",
             ["to finish the reports at home",
              ("table", ["Surname", "Forename", "UPN"], rows)],
             sig=sig(HUGHES, disclaimer=False))
    out.append(case("egress-upn-own-personal.eml", c, m, HUGHES,
                    ["rachel.hughes84@example.net"], "hold",
                    ["pupil-data-outside"],
                    note="UPNs to the teacher's own registered personal "
                    "address"))
    csv = "Name,DOB\n" + "".join("%s,%s\n" % (n, dob_str(d))
                                 for n, a, d in PUPILS[:10])
    m = Mail("eg-dob", JONES, [("Anna", "annajones77@example.com")],
             "class list", 24, "17:45", ["for marking at home"],
             sig=[], client="gmail",
             attach=[attachment("text/csv", "7E2.csv", csv)])
    out.append(case("egress-dob-own-personal.eml", c, m, JONES,
                    ["annajones77@example.com"], "hold",
                    ["pupil-dob-list-outside"],
                    note="names and DOBs to the teacher's own personal "
                    "address"))
    m = Mail("eg-photo", BRENNAN, [("Dave", "dbrennan.pe@example.com")],
             "sports day pics", 24, "17:50", ["pics"], sig=[], client="apple",
             attach=[attachment("image/jpeg", "IMG_4503.JPG", PHOTO_EXIF)])
    out.append(case("egress-photo-own-personal.eml", c, m, BRENNAN,
                    ["dbrennan.pe@example.com"], "hold",
                    ["images-of-children-outside"],
                    note="a photograph to the teacher's own personal address"))
    m = Mail("eg-near", OCONNELL, [("Mark", "markoc@example.org")],
             "concert programme draft", 24, "17:55",
             ["programme draft to finish at home",
              ("lines", ["1. Carol of the Bells - Choir",
                         "2. Winter Wonderland - Jazz band",
                         "3. Silent Night - Year 7 strings"])], sig=[],
             client="gmail")
    out.append(case("egress-near-own-lesson.eml", c, m, OCONNELL,
                    ["markoc@example.org"], "accept",
                    note="near miss: a programme with no pupil data to the "
                    "teacher's own address"))
    return out


def one_to_one():
    c = "one-to-one"
    out = []
    m = Mail("oto-class", HUGHES, CLASS_9R, "Geography homework", 23, "13:00",
             ["Dear 9R,", "Homework for Friday: finish the river landforms "
              "diagram (page 42) and learn the key terms for Monday's quiz.",
              "Mrs Hughes"], sig=sig(HUGHES, disclaimer=False))
    out.append(case("oto-class-to.eml", c, m, HUGHES, CLASS_9R, "accept",
                    note="to the whole class (20 pupils): not one-to-one"))
    m = Mail("oto-bcc", SMITH, [], "Maths mock results", 23, "13:30",
             ["Dear Year 9,", "Your mock results are on Teams. Revision "
              "sessions are on Tuesdays in M4.", "Mr Smith"],
             sig=sig(SMITH, disclaimer=False))
    out.append(case("oto-class-bcc.eml", c, m, SMITH,
                    [(p[0], p[1]) for p in PUPILS[:25]], "accept",
                    note="Bcc'd to 25 pupils: not one-to-one"))
    m = Mail("oto-two", AHMED, [AMY, BEN], "Science ambassadors", 23, "14:00",
             ["Amy and Ben,", "Thank you for showing the Year 6 visitors "
              "round today.", "Ms Ahmed"], sig=sig(AHMED, disclaimer=False))
    out.append(case("oto-two-pupils.eml", c, m, AHMED, [AMY, BEN], "accept",
                    note="two pupils: not one-to-one"))
    m = Mail("oto-one", AHMED, [AMY], "Science ambassadors", 23, "14:05",
             ["Amy,", "Thank you for showing the Year 6 visitors round "
              "today.", "Ms Ahmed"], sig=sig(AHMED, disclaimer=False))
    out.append(case("oto-one-pupil.eml", c, m, AHMED, [AMY], "journal",
                    ["private-one-to-one"],
                    note="one pupil alone: journalled"))
    return out


def more_breaches():
    """A second breach for the classes whose first was a near miss's
    partner, so that none is scored on one message."""
    out = []
    # logos: a phone photo pasted into a Gmail message to a parent group
    m = Mail("lg-gmail-photo", BRENNAN, [("Parents", "u13parents@example.org")],
             "Saturday's match", 23, "09:05",
             ["Hi all,", "What a game! One from the touchline:",
              ("html", '<img src="__LOGO__" width="480" height="360" '
               'alt="IMG_4519.JPG">', "[image: IMG_4519.JPG]"),
              "Dave"], sig=["David Brennan", "Head of PE"], client="gmail",
             logo=False)
    out.append(case("logo-gmail-pasted-photo.eml", "logos", m, BRENNAN,
                    ["u13parents@example.org"], "hold",
                    ["images-of-children-outside"],
                    note="a phone photograph pasted inline into Gmail, outside"
                    ))
    out[-1]["data"] = render_with_inline(m, PHOTO_EXIF, "IMG_4519.JPG")
    # identifiers: a personal address inside an invite's description
    m = Mail("id-invite-personal", SMITH, [AMY], "Maths intervention", 19,
             "10:20", ["Maths intervention, Thursday 3.30, M4.",
                       "If the room changes I'll email from "
                       "jsmith.maths84@icloud.com.", "Mr Smith"],
             cc=[HUGHES], logo=False)
    out.append(case("id-invite-personal-address.eml", "identifiers", m, SMITH,
                    [AMY, HUGHES], "hold", PCD,
                    note="a personal address beside the meeting details"))
    # school-social: a teacher's own TikTok in their signature
    out.append(teacher_note(
        "ss-own-tiktok", "school-social", "gmail", OCONNELL, JASMINE,
        "Choir", ["Jasmine,", "Choir is moved to Thursday this week.",
                  "Mr O"], "hold",
        sig_lines=["Mark O'Connell", "Director of Music",
                   "TikTok: @markoc_music | Instagram @oakfieldacademyleeds"],
        note="the teacher's own TikTok beside the school's Instagram"))
    # role-address: consumer mail, written as a role
    out.append(teacher_note(
        "role-near-yahoo", "role-address", "outlook", SMITH, P["finn"],
        "UKMT", ["Finn,", "Send your solutions to my home account, "
                 "maths.help.jsmith@yahoo.co.uk, I'll mark them this "
                 "weekend.", "Mr Smith"], "hold",
        note="consumer mail with a role-like local part"))
    # quoted: the teacher's own number in the Gmail quote of his earlier mail
    q0 = Mail("q-g-own0", BRENNAN, [KAI], "Saturday", 19, "16:00",
              ["Kai, if the minibus is late ring me on 07700 900655.",
               "Mr B"], client="gmail")
    q1 = Mail("q-g-own1", KAI, [BRENNAN], "Re: Saturday", 19, "18:30",
              ["ok sir will do"], client="gmail", quote=q0)
    m = Mail("quoted-gmail-own", BRENNAN, [KAI], "Re: Saturday", 20,
             "08:10", ["Great, see you at 8.", "Mr B"], cc=[HUGHES],
             client="gmail", quote=q1)
    out.append(case("quoted-gmail-own-number.eml", "quoted", m, BRENNAN,
                    [KAI, HUGHES], "hold", PCD,
                    note="the teacher's own number two levels down a Gmail "
                    "quote"))
    # attachment: a PowerPoint revision deck
    PPTX = ("application/vnd.openxmlformats-officedocument.presentationml."
            "presentation")
    out.append(teacher_note(
        "att-pptx-mobile", "attachment", "outlook", AHMED, ELLA,
        "Revision slides", ["Hi Ella,", "The slides from today's revision "
                            "session are attached.", "Ms Ahmed"], "hold",
        attach=[attachment(PPTX, "Chemistry revision.pptx", pptx([
            ["Paper 1 revision", "Atomic structure and bonding"],
            ["Exam technique", "Read the command word first"],
            ["Stuck the night before?",
             "Message me on 07700 900667 - any time"]]))],
        note="a mobile on the last slide of a PowerPoint deck"))
    # direct: base64 text parts, as Outlook sends some UTF-8 mail
    m = Mail("b64-mobile", JONES, [ZARA := P["zara"]], "Poetry competition",
             20, "13:40", ["Hi Zara,", "Your poem \u2018Winter Harbour\u2019 is "
                           "through to the final! If the judges need you on "
                           "Saturday I'll text you - my mobile is 07700 "
                           "900668.", "Mrs Jones"], cc=[HUGHES],
             sig=sig(JONES, disclaimer=False), cte="base64")
    out.append(case("direct-base64-mobile.eml", "direct", m, JONES,
                    [ZARA, HUGHES], "hold", PCD,
                    note="a mobile in base64-encoded text parts"))
    # egress-own: UPNs in a spreadsheet to the teacher's own address
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = [["Surname", "Forename", "UPN"]] + [
        [n.split(" ", 1)[1], n.split(" ", 1)[0], upn("38620260%03d" % (200 + i))]
        for i, (n, a, d) in enumerate(PUPILS[:12])]
    m = Mail("eg-xlsx", SMITH, [("John", "john.smith.home@example.net")],
             "markbook", 24, "18:00", ["markbook to finish at home"],
             sig=[], client="outlook", logo=False,
             attach=[attachment(XLSX, "9M2 markbook.xlsx", xlsx(rows))])
    out.append(case("egress-xlsx-upn-own-personal.eml", "egress-own", m,
                    SMITH, ["john.smith.home@example.net"], "hold",
                    ["pupil-data-outside"],
                    note="UPNs in a spreadsheet to the teacher's own "
                    "registered personal address"))
    return out


def render_with_inline(m, image, filename):
    """M rendered as Gmail does with an image pasted into the body: the
    HTML refers to the picture by cid:, in multipart/related."""
    from clients import render
    cid = "ii_%s" % filename.lower().replace(".", "_")
    text = render(m).replace("__LOGO__", "cid:" + cid)
    head, sep, body = text.partition("Content-Type: multipart/alternative;")
    b = body.split('boundary="', 1)[1].split('"', 1)[0]
    rel = b[:-4] + "rel0"
    return (head + 'Content-Type: multipart/related; boundary="%s"\n\n'
            '--%s\nContent-Type: multipart/alternative;' % (rel, rel) + body +
            "\n--%s\n" % rel +
            attachment("image/jpeg", filename, image, inline=True, cid=cid,
                       extra=("X-Attachment-Id: " + cid,)) +
            "\n--%s--\n" % rel)


def cases():
    return (direct() + attachments() + unicode_cases() + separators() +
            written_out() + places() + tables() + logos() + identifiers() +
            school_social() + role_address() + quoted() + structure() +
            egress_own() + one_to_one() + more_breaches())
