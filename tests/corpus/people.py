"""people.py - the people of school.dir as mail shows them, their
signatures, and a helper to make a corpus case."""

SMITH = ("John Smith", "j.smith@school.example")
JONES = ("Anna Jones", "a.jones@school.example")
KHAN = ("Aisha Khan", "a.khan@school.example")
OFFICE = ("Oakfield Academy Office", "office@school.example")
HUGHES = ("Rachel Hughes", "r.hughes@school.example")
BRENNAN = ("David Brennan", "d.brennan@school.example")
AHMED = ("Samira Ahmed", "s.ahmed@school.example")
OCONNELL = ("Mark O'Connell", "m.oconnell@school.example")
WALKER = ("Laura Walker", "l.walker@school.example")
NOWAK = ("Piotr Nowak", "p.nowak@school.example")
TAYLOR = ("Karen Taylor", "k.taylor@school.example")
CLARKE = ("Emma Clarke", "e.clarke@school.example")
ADMISSIONS = ("Oakfield Admissions", "admissions@school.example")
FINANCE = ("Oakfield Finance", "finance@school.example")

PUPILS = [
    ("Amy Patel", "amy.patel@school.example", (2011, 5, 14)),
    ("Ben Okafor", "ben.okafor@school.example", (2012, 1, 20)),
    ("Callum Reid", "callum.reid@school.example", (2011, 10, 3)),
    ("Daisy Hartley", "daisy.hartley@school.example", (2011, 12, 22)),
    ("Ethan Moss", "ethan.moss@school.example", (2012, 3, 9)),
    ("Freya Lund", "freya.lund@school.example", (2011, 9, 30)),
    ("George Adeyemi", "george.adeyemi@school.example", (2012, 6, 11)),
    ("Hannah Byrne", "hannah.byrne@school.example", (2011, 11, 17)),
    ("Isaac Cohen", "isaac.cohen@school.example", (2012, 2, 28)),
    ("Jasmine Kaur", "jasmine.kaur@school.example", (2012, 7, 4)),
    ("Kai Thompson", "kai.thompson@school.example", (2011, 9, 5)),
    ("Lily O'Brien", "lily.obrien@school.example", (2012, 4, 19)),
    ("Mason Wood", "mason.wood@school.example", (2012, 8, 25)),
    ("Nadia Hussain", "nadia.hussain@school.example", (2011, 10, 29)),
    ("Oliver Grant", "oliver.grant@school.example", (2012, 5, 2)),
    ("Poppy Evans", "poppy.evans@school.example", (2012, 1, 7)),
    ("Reuben Ali", "reuben.ali@school.example", (2011, 12, 12)),
    ("Sophie Marsh", "sophie.marsh@school.example", (2012, 3, 23)),
    ("Tyler King", "tyler.king@school.example", (2012, 6, 30)),
    ("Zara Mensah", "zara.mensah@school.example", (2011, 11, 8)),
    ("Alfie Dunn", "alfie.dunn@school.example", (2013, 2, 14)),
    ("Bella Russo", "bella.russo@school.example", (2013, 5, 21)),
    ("Charlie Webb", "charlie.webb@school.example", (2013, 9, 16)),
    ("Dev Sharma", "dev.sharma@school.example", (2010, 4, 2)),
    ("Ella Fisher", "ella.fisher@school.example", (2010, 7, 27)),
    ("Finn Doyle", "finn.doyle@school.example", (2010, 11, 30)),
]
P = {p[1].split(".")[0]: (p[0], p[1]) for p in PUPILS}
AMY, BEN, CALLUM, DAISY = P["amy"], P["ben"], P["callum"], P["daisy"]
HANNAH, JASMINE, ELLA, KAI = P["hannah"], P["jasmine"], P["ella"], P["kai"]
CLASS_9R = [(p[0], p[1]) for p in PUPILS[:20]]

MRS_PATEL = ("Priya Patel", "mrs.patel@example.com")
MRS_OKAFOR = ("Grace Okafor", "okafor.family@example.org")
MR_REID = ("Stuart Reid", "reid.home@example.net")
MRS_KAUR = ("Manpreet Kaur", "kaur.j@example.com")

ROLE = {
    SMITH: "Teacher of Mathematics",
    JONES: "Head of English",
    KHAN: "Deputy Headteacher and Designated Safeguarding Lead",
    HUGHES: "Head of Year 9 | Teacher of Geography",
    BRENNAN: "Head of PE",
    AHMED: "Teacher of Science",
    OCONNELL: "Director of Music",
    WALKER: "Business Manager and Educational Visits Coordinator",
    NOWAK: "IT Network Manager",
    TAYLOR: "Headteacher",
    CLARKE: "Attendance Officer",
    OFFICE: "Reception",
}

SCHOOL_LINE = "Oakfield Academy | Moor Lane, Leeds LS1 4AP | 01632 960000"
DISCLAIMER = ("This email and any files transmitted with it are confidential "
              "and intended solely for the use of the individual or entity "
              "to whom they are addressed. If you have received this email "
              "in error please notify the sender and delete it. Oakfield "
              "Academy is part of the Northern Lights Learning Trust, a "
              "company limited by guarantee registered in England and Wales "
              "(no. 08123456).")


def sig(person, social=False, disclaimer=True):
    lines = [person[0], ROLE.get(person, "Oakfield Academy"), SCHOOL_LINE,
             "www.oakfield-academy.example"]
    if social:
        lines.append("Follow us: Instagram @OakfieldAcademyLeeds | "
                     "X @OakfieldAcad | facebook.com/OakfieldAcademyLeeds")
    if disclaimer:
        lines += ["", DISCLAIMER]
    return lines


def case(file, cls, data, frm, to, action, rules=None, auth=True, note=None,
         at="date"):
    """One corpus message.  FRM is the envelope sender (a person tuple or
    an address), TO the envelope recipients; AUTH True means the sender
    authenticated as the envelope sender."""
    f = frm[1] if isinstance(frm, tuple) else frm
    rc = [t[1] if isinstance(t, tuple) else t for t in to]
    return {"file": file, "cls": cls, "data": data, "from": f, "to": rc,
            "auth": (f if auth is True else auth) if auth else None,
            "action": action, "rules": rules, "note": note, "at": at}
