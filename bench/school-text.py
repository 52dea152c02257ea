#!/usr/bin/env python3
# school-text.py DIR: writes five texts of the kinds a school sends, to
# measure the detectors that read pupils' numbers, dates and tables on
# (bench/README.md, "One scan for all detectors"): a mark sheet as CSV
# with UPNs and dates of birth, a tracker as an HTML table reduced to
# tab-separated lines, a register laid out in columns, letters with
# dates, times, prices, invoice and reference numbers, NHS numbers and
# ULNs, and a newsletter of prose with dates.  Random with a fixed seed:
# the same texts every time.
import os
import random
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(OUT, exist_ok=True)
random.seed(13)
L="ABCDEFGHJKLMNPQRTUVWXYZ"
def upn():
    d=[random.randint(0,9) for _ in range(11)]
    last=random.choice("0123456789")
    s=sum(v*(i+2) for i,v in enumerate(d+[int(last)]))
    return L[s%23]+''.join(map(str,d))+last
def nhs(spaced=False):
    while True:
        d=[random.randint(0,9) for _ in range(9)]
        c=11-sum(v*(10-i) for i,v in enumerate(d))%11
        if c==11:c=0
        if c==10: continue
        s=''.join(map(str,d))+str(c)
        return s[:3]+' '+s[3:6]+' '+s[6:] if spaced else s
def uln():
    while True:
        d=[random.randint(1,9)]+[random.randint(0,9) for _ in range(8)]
        r=sum(v*(10-i) for i,v in enumerate(d))%11
        if r==0: continue
        return ''.join(map(str,d))+str(10-r)
F="Amy Ben Chloe Daniel Ella Freddie Grace Harry Isla Jack Keira Leo Maya Noah Olivia Priya Ravi Sofia Tom Zara".split()
S="Patel Smith Jones Khan Williams Brown Taylor Wilson Davies Evans Thomas Roberts Walker Wright Hughes Green Hall Wood Lewis Clarke".split()
def name(): return random.choice(F)+" "+random.choice(S)
def dob(): return "%02d/%02d/%d"%(random.randint(1,28),random.randint(1,12),random.randint(2011,2020))
def date(): return "%d %s 2026"%(random.randint(1,28),random.choice("January February March April May June July September October November December".split()))
def w(p,s): open(os.path.join(OUT, p),"w").write(s)
# 1. mark sheet CSV
rows=["UPN,Surname,Forename,Date of birth,Year,Maths,English,Science,Attendance %"]
for i in range(1500):
    f,s=random.choice(F),random.choice(S)
    rows.append("%s,%s,%s,%s,%d,%d,%d,%d,%.1f"%(upn() if random.random()<.3 else "A%012d"%random.randint(0,10**12-1),s,f,dob(),random.randint(7,11),random.randint(20,100),random.randint(20,100),random.randint(20,100),random.uniform(80,100)))
w("marks.csv","\n".join(rows)+"\n")
# 2. HTML table turned to text (cells tab-separated, some one per line)
rows=["Pupil\tYear group\tTarget\tWorking at\tEffort\tHomework"]
for i in range(1500):
    rows.append("%s\t%d\t%d%s\t%d%s\t%d\t%d/%d"%(name(),random.randint(7,11),random.randint(3,9),random.choice("+-="),random.randint(3,9),random.choice("+-="),random.randint(1,4),random.randint(0,12),12))
w("tracker.txt","\n".join(rows)+"\n")
# 3. register
rows=["Register for 10B, week beginning %s"%date(),"","Name                 Mon AM  Mon PM  Tue AM  Tue PM  Wed AM  Wed PM"]
for i in range(1200):
    rows.append("%-20s %s"%(name(),"  ".join(random.choice(["/ ","\\ ","N ","L ","M ","I "]) for _ in range(6))))
    if i%30==29: rows+=["","Totals: present %d, absent %d, late %d (%d.%d%%)"%(random.randint(20,30),random.randint(0,5),random.randint(0,3),random.randint(85,99),random.randint(0,9)),"Register for 10B, week beginning %s"%date(),""]
w("register.txt","\n".join(rows)+"\n")
# 4. letters with dates and reference numbers
paras=[]
for i in range(300):
    p=random.choice([
     "Dear Parent/Carer,\n\nOur ref: SCH/2026/%04d. Further to our letter of %s, the trip to the Science Museum on %s will leave at 08:15 and return by 16:30. The cost is \u00a312.50, payable via ParentPay by %s." % (random.randint(1,9999),date(),date(),date()),
     "Invoice no. %d dated %s: total \u00a3%d.%02d (VAT reg. 123 4567 89). Account 12345678, sort code 20-00-00. Please quote reference %d when paying." % (random.randint(10**9,10**10-1),date(),random.randint(10,900),random.randint(0,99),random.randint(10**9,10**10-1)),
     "Following the appointment on %s at 10:40, %s's NHS number is %s and the clinic reference is %s. Please bring the red book." % (date(),name(),nhs(random.random()<.5),random.randint(10**9,10**10-1)),
     "The exam board has confirmed %s's Unique Learner Number %s, candidate number %04d, centre number 12345. Results day is %s." % (name(),uln(),random.randint(1,9999),date()),
     "For %s (UPN %s, born %s) the annual review meeting is on %s at 15:30 in room B12." % (name(),upn(),dob(),date()),
     "Phone the office on 01632 960%03d or email office@school.example before %s. Minibus 14 seats, mileage 45,210, MOT due %s." % (random.randint(0,999),date(),date()),
     "Year %d parents' evening: %s, 16:00-19:00. Book a slot at schoolcloud (code %d). %d pupils attended last year, %d%% of families." % (random.randint(7,11),date(),random.randint(100000,999999),random.randint(100,300),random.randint(60,99)),
    ])
    paras.append(p)
w("letters.txt","\n\n".join(paras)+"\n")
# 5. newsletter prose
paras=[]
words="the school trip was a great success and our pupils enjoyed every minute of it we would like to thank all the parents who helped with the fair which raised money for new books in the library".split()
for i in range(400):
    s=" ".join(random.choice(words) for _ in range(random.randint(30,70)))
    s=s[0].upper()+s[1:]+". "
    s+=random.choice(["Congratulations to %s in Year %d who won the %s cup on %s."%(name(),random.randint(7,11),random.choice(["chess","football","netball"]),date()),
      "Term dates: %s to %s; INSET days %s and %s."%(date(),date(),date(),date()),
      "The PTA raised \u00a3%d,%03d.%02d, with %d raffle tickets sold at \u00a31 each."%(random.randint(1,9),random.randint(0,999),random.randint(0,99),random.randint(100,2000)),
      "Clubs run from 15:15 to 16:15; the late bus leaves at 16:25 from stop 2."])
    paras.append(s)
w("newsletter.txt","\n\n".join(paras)+"\n")
