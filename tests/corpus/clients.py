"""clients.py - school mail as four real clients write it.

A message is described once (people, paragraphs, a signature, the message
it replies to, attachments) and rendered the way Outlook (Word HTML with
MsoNormal, the signature logo image001.png as an inline cid: part,
"From: Sent: To: Subject:" reply blocks), Gmail (gmail_signature,
gmail_quote), Apple Mail (blockquote type=cite, "Sent from my iPhone") or
Thunderbird (text/plain format=flowed, "> " quotes) would send it.

Blocks of a body: a str (a paragraph), ("table", header, rows),
("html", html, text) when the HTML differs from its plain-text
alternative (a link, hidden markup), ("lines", [str]) for lines kept as
they are (an address, a list).
"""
import datetime
import hashlib
import html as H

from mime import Multi, attachment, flowed, message, png, text_leaf, wrap

LOGO = png(180, 54)
SOCIAL_ICON = png(24, 24, seed=1)


def date_hdr(day, hhmm, sec=17):
    d = datetime.datetime(2026, 11, day, int(hhmm[:2]), int(hhmm[3:]), sec)
    return d.strftime("%a, %d %b %Y %H:%M:%S +0000")


def long_date(day, hhmm):
    d = datetime.datetime(2026, 11, day, int(hhmm[:2]), int(hhmm[3:]))
    return d.strftime("%A, %-d %B %Y %H:%M")


def addr(p):
    name, a = p
    if not name:
        return a
    if any(c in name for c in ",.'()"):
        return '"%s" <%s>' % (name, a)
    return "%s <%s>" % (name, a)


def msgid(seed, domain):
    return "<%s@%s>" % (hashlib.sha1(seed.encode()).hexdigest()[:24].upper(),
                        domain)


def esc(s):
    return H.escape(s, quote=False)


class Mail:
    def __init__(self, name, frm, to, subject, day, hhmm, body, sig=(),
                 cc=(), quote=None, attach=(), headers=(), client="outlook",
                 logo=None, greeting=None, signoff=None, sig_html=None,
                 html_only=False, cte="quoted-printable"):
        self.name = name
        self.frm, self.to, self.cc = frm, list(to), list(cc)
        self.subject, self.day, self.hhmm = subject, day, hhmm
        self.body, self.sig, self.quote = body, list(sig), quote
        self.attach, self.headers, self.client = list(attach), list(headers), client
        self.logo = (client == "outlook") if logo is None else logo
        self.greeting, self.signoff = greeting, signoff
        self.sig_html = sig_html
        self.html_only = html_only
        self.cte = cte  # of the text parts: Outlook and Gmail also use base64


# ------------------------------------------------------------ plain text

def block_text(b):
    if isinstance(b, str):
        return b
    kind = b[0]
    if kind == "table":
        return "\n".join("\t".join(str(c) for c in r) for r in [b[1]] + b[2])
    if kind == "html":
        return b[2]
    if kind == "lines":
        return "\n".join(b[1])
    raise ValueError(kind)


def body_text(m):
    parts = []
    if m.greeting:
        parts.append(m.greeting)
    parts += [block_text(b) for b in m.body]
    if m.signoff:
        parts.append(m.signoff)
    return "\n\n".join(parts)


def header_block_text(q):
    lines = ["From: %s" % addr(q.frm),
             "Sent: %s" % long_date(q.day, q.hhmm),
             "To: %s" % "; ".join(addr(t) for t in q.to)]
    if q.cc:
        lines.append("Cc: %s" % "; ".join(addr(t) for t in q.cc))
    lines.append("Subject: %s" % q.subject)
    return "\n".join(lines)


def attribution(m, q):
    d = datetime.datetime(2026, 11, q.day, int(q.hhmm[:2]), int(q.hhmm[3:]))
    if m.client == "gmail":
        return "On %s at %s, %s wrote:" % (d.strftime("%a, %-d %b %Y"),
                                           q.hhmm, addr(q.frm))
    if m.client == "apple":
        return "On %s, at %s, %s wrote:" % (d.strftime("%-d %b %Y"), q.hhmm,
                                            addr(q.frm))
    return "On %s %s, %s wrote:" % (d.strftime("%d/%m/%Y"), q.hhmm,
                                    q.frm[0] or q.frm[1])


def full_text(m, width=None):
    """The plain-text alternative: body, signature, then the quote."""
    t = body_text(m)
    if m.sig:
        t += "\n\n" + ("-- \n" if m.client in ("gmail", "thunderbird") else "") \
            + "\n".join(m.sig)
    if m.quote is not None:
        q = m.quote
        inner = full_text(q)
        if m.client == "outlook":
            t += "\n\n" + header_block_text(q) + "\n\n" + inner
        else:
            quoted = "\n".join(("> " + ln) if ln and not ln.startswith(">")
                               else (">" + ln if ln else ">")
                               for ln in wrap(inner, 76).split("\n"))
            t += "\n\n" + attribution(m, q) + "\n\n" + quoted
    return t


# ------------------------------------------------------------ HTML

def block_html(b, p_open, p_close):
    if isinstance(b, str):
        return p_open + "<br>".join(esc(x) for x in b.split("\n")) + p_close
    kind = b[0]
    if kind == "html":
        return p_open + b[1] + p_close
    if kind == "lines":
        return p_open + "<br>\n".join(esc(x) for x in b[1]) + p_close
    if kind == "table":
        rows = ["<tr>" + "".join(
            '<td style="border:solid #BFBFBF 1.0pt;padding:0cm 5.4pt">%s</td>'
            % esc(str(c)) for c in r) + "</tr>" for r in [b[1]] + b[2]]
        return ('<table class="MsoTableGrid" border="1" cellspacing="0" '
                'cellpadding="0" style="border-collapse:collapse">\n%s\n'
                '</table>' % "\n".join(rows))
    raise ValueError(kind)


OUTLOOK_HEAD = """<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="Generator" content="Microsoft Word 15 (filtered medium)">
<!--[if !mso]><style>v\\:* {behavior:url(#default#VML);}
o\\:* {behavior:url(#default#VML);}
w\\:* {behavior:url(#default#VML);}
.shape {behavior:url(#default#VML);}
</style><![endif]--><style><!--
/* Font Definitions */
@font-face
	{font-family:"Cambria Math";
	panose-1:2 4 5 3 5 4 6 3 2 4;}
@font-face
	{font-family:Calibri;
	panose-1:2 15 5 2 2 2 4 3 2 4;}
/* Style Definitions */
p.MsoNormal, li.MsoNormal, div.MsoNormal
	{margin:0cm;
	font-size:11.0pt;
	font-family:"Calibri",sans-serif;
	mso-ligatures:standardcontextual;
	mso-fareast-language:EN-US;}
a:link, span.MsoHyperlink
	{mso-style-priority:99;
	color:#0563C1;
	text-decoration:underline;}
span.EmailStyle17
	{mso-style-type:personal-compose;
	font-family:"Calibri",sans-serif;
	color:windowtext;}
.MsoChpDefault
	{mso-style-type:export-only;
	font-size:10.0pt;
	mso-fareast-language:EN-US;}
@page WordSection1
	{size:612.0pt 792.0pt;
	margin:72.0pt 72.0pt 72.0pt 72.0pt;}
div.WordSection1
	{page:WordSection1;}
--></style><!--[if gte mso 9]><xml>
<o:shapedefaults v:ext="edit" spidmax="1026" />
</xml><![endif]--><!--[if gte mso 9]><xml>
<o:shapelayout v:ext="edit">
<o:idmap v:ext="edit" data="1" />
</o:shapelayout></xml><![endif]-->
</head>
<body lang="EN-GB" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">
<div class="WordSection1">
"""

MSO_P = '<p class="MsoNormal">'
MSO_END = '<o:p></o:p></p>\n'
MSO_GAP = '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>\n'


def outlook_inner(m, cid):
    out = []
    items = ([m.greeting] if m.greeting else []) + list(m.body) + \
        ([m.signoff] if m.signoff else [])
    for b in items:
        out.append(block_html(b, MSO_P, MSO_END))
        out.append(MSO_GAP)
    if m.sig_html is not None:
        out.append(m.sig_html)
    elif m.sig:
        out.append(MSO_P + '<b><span style="color:#1F3864">%s</span></b>'
                   % esc(m.sig[0]) + MSO_END)
        for ln in m.sig[1:]:
            out.append(MSO_P + '<span style="font-size:9.0pt;color:#1F3864">'
                       '%s</span>' % esc(ln) + MSO_END)
        if cid:
            out.append(MSO_P + '<span style="color:#1F3864"><img width="180" '
                       'height="54" style="width:1.875in;height:.5625in" '
                       'id="Picture_x0020_1" src="cid:%s" alt="Oakfield '
                       'Academy"></span>' % cid + MSO_END)
    if m.quote is not None:
        q = m.quote
        out.append(MSO_GAP)
        out.append('<div style="border:none;border-top:solid #E1E1E1 1.0pt;'
                   'padding:3.0pt 0cm 0cm 0cm">\n' + MSO_P +
                   '<b><span lang="EN-US">From:</span></b><span lang="EN-US">'
                   ' %s <br>\n<b>Sent:</b> %s<br>\n<b>To:</b> %s<br>\n' % (
                       esc(addr(q.frm)), long_date(q.day, q.hhmm),
                       esc("; ".join(addr(t) for t in q.to))) +
                   ('<b>Cc:</b> %s<br>\n' % esc("; ".join(addr(t) for t in q.cc))
                    if q.cc else "") +
                   '<b>Subject:</b> %s<o:p></o:p></span></p>\n</div>\n'
                   % esc(q.subject))
        out.append(MSO_GAP)
        out.append(outlook_inner(q, None if q.client != "outlook" else None)
                   if q.client == "outlook" else
                   "".join(block_html(b, MSO_P, MSO_END)
                           for b in full_text(q).split("\n\n")))
    return "".join(out)


def gmail_inner(m):
    out = ['<div dir="ltr">']
    items = ([m.greeting] if m.greeting else []) + list(m.body) + \
        ([m.signoff] if m.signoff else [])
    for b in items:
        if isinstance(b, tuple) and b[0] == "table":
            out.append(block_html(b, "", ""))
        else:
            out.append(block_html(b, "<div>", "</div>"))
        out.append("<div><br></div>")
    if m.sig_html is not None or m.sig:
        out.append('<div><br clear="all"></div><div><br></div>'
                   '<span class="gmail_signature_prefix">-- </span><br>'
                   '<div dir="ltr" class="gmail_signature" '
                   'data-smartmail="gmail_signature"><div dir="ltr">')
        if m.sig_html is not None:
            out.append(m.sig_html)
        else:
            out.append("<br>".join(esc(x) for x in m.sig))
        out.append("</div></div>")
    out.append("</div>")
    if m.quote is not None:
        q = m.quote
        out.append('<br><div class="gmail_quote gmail_quote_container"><div '
                   'dir="ltr" class="gmail_attr">%s<br></div><blockquote '
                   'class="gmail_quote" style="margin:0px 0px 0px 0.8ex;'
                   'border-left:1px solid rgb(204,204,204);padding-left:1ex">'
                   % esc(attribution(m, q)))
        out.append(html_inner(q))
        out.append("</blockquote></div>")
    return "\n".join(out)


def apple_inner(m):
    out = []
    items = ([m.greeting] if m.greeting else []) + list(m.body) + \
        ([m.signoff] if m.signoff else [])
    for b in items:
        out.append(block_html(b, "<div>", "</div>"))
        out.append("<div><br></div>")
    if m.sig_html is not None:
        out.append(m.sig_html)
    elif m.sig:
        out.append("<div>" + "<br>".join(esc(x) for x in m.sig) + "</div>")
    if m.quote is not None:
        q = m.quote
        out.append('<div><br><blockquote type="cite"><div>%s</div><br '
                   'class="Apple-interchange-newline">' % esc(attribution(m, q)))
        out.append(html_inner(q))
        out.append("</blockquote></div>")
    return "\n".join(out)


def html_inner(m):
    if m.client == "outlook":
        return outlook_inner(m, None)
    if m.client == "apple":
        return apple_inner(m)
    return gmail_inner(m)


# ------------------------------------------------------------ rendering

def render(m):
    """The message as bytes-ready str."""
    seed = m.name
    dom = m.frm[1].split("@")[1]
    hdr = [("From", addr(m.frm)),
           ("To", ", ".join(addr(t) for t in m.to) if m.to else
            "undisclosed-recipients:;")]
    if m.cc:
        hdr.append(("Cc", ", ".join(addr(t) for t in m.cc)))
    hdr.append(("Subject", m.subject))
    hdr.append(("Date", date_hdr(m.day, m.hhmm)))
    if m.client == "outlook":
        hdr.append(("Message-ID", "<%s%s>" % (
            ("LO2P265MB" + hashlib.sha1(seed.encode()).hexdigest()[:12]).upper(),
            "@LO2P265MB5142.GBRP265.PROD.OUTLOOK.COM")))
    else:
        hdr.append(("Message-ID", msgid(seed, "mail.gmail.com"
                                        if m.client == "gmail" else dom)))
    if m.quote is not None:
        qid = msgid(m.quote.name + "/q", dom)
        hdr.append(("In-Reply-To", qid))
        hdr.append(("References", qid))
    hdr += m.headers
    text = full_text(m)

    if m.client == "thunderbird":
        hdr.append(("User-Agent", "Mozilla Thunderbird"))
        hdr.append(("Content-Language", "en-GB"))
        body = text_leaf("plain", flowed(text), cte="8bit",
                         charset="UTF-8", extra="; format=flowed")
        if m.attach:
            body = Multi("mixed", [body] + m.attach)
        return message(hdr, body, seed, m.client)

    if m.client == "outlook":
        hdr += [("Thread-Topic", m.subject.split(": ", 1)[-1]),
                ("Thread-Index", "AdtAbCd" + hashlib.sha1(
                    seed.encode()).hexdigest()[:20] + "=="),
                ("Accept-Language", "en-GB, en-US"),
                ("Content-Language", "en-GB"),
                ("X-MS-Has-Attach", "yes" if (m.attach or m.logo) else ""),
                ("X-MS-TNEF-Correlator", "")]
        cid = ("image001.png@01DB3F2A.%s" % hashlib.sha1(seed.encode())
               .hexdigest()[:8].upper()) if m.logo else None
        html = OUTLOOK_HEAD + outlook_inner(m, cid) + "</div>\n</body>\n</html>\n"
        alt = Multi("alternative", [text_leaf("plain", text, m.cte),
                                    text_leaf("html", html, m.cte)])
        if cid:
            body = Multi("related", [alt, attachment("image/png", "image001.png",
                                                     LOGO, inline=True, cid=cid)],
                         params=' type="multipart/alternative";')
        else:
            body = alt
    elif m.client == "gmail":
        hdr.append(("X-Google-Smtp-Source",
                    "AGHT+IF" + hashlib.sha1(seed.encode()).hexdigest()[:32]))
        html = gmail_inner(m) + "\n"
        body = Multi("alternative", [text_leaf("plain", wrap(text, 76), m.cte),
                                     text_leaf("html", html, m.cte)])
        if m.logo:
            # Gmail signature images are inline cid: parts too
            cid = "ii_m%s" % hashlib.sha1(seed.encode()).hexdigest()[:14]
            html = html.replace("__LOGO__", "cid:" + cid)
            body = Multi("alternative", [
                text_leaf("plain", wrap(text, 76), m.cte),
                text_leaf("html", html, m.cte)])
            body = Multi("related", [body, attachment(
                "image/png", "oakfield-logo.png", LOGO, inline=True,
                cid=cid, extra=("X-Attachment-Id: " + cid,))])
    else:  # apple
        hdr.append(("X-Mailer", "iPhone Mail (21H16)"
                    if "Sent from my iPhone" in m.sig else
                    "Apple Mail (2.3774.200.91.1.1)"))
        html = ('<html aria-label="message body"><head><meta http-equiv='
                '"content-type" content="text/html; charset=utf-8"></head>'
                '<body style="overflow-wrap: break-word; -webkit-nbsp-mode: '
                'space; line-break: after-white-space;">' + apple_inner(m) +
                "</body></html>\n")
        body = Multi("alternative", [
            text_leaf("plain", text, charset="utf-8"),
            text_leaf("html", html, charset="utf-8")])
    if m.html_only:
        body = text_leaf("html", html, m.cte)
    if m.attach:
        body = Multi("mixed", [body] + m.attach)
    return message(hdr, body, seed, m.client)
