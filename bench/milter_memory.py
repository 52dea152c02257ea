#!/usr/bin/env python3
# milter_memory.py - what a milter's connections and messages cost in memory
# (see README.md, "Memory per connection"): speaks the milter protocol to
# one milter as Postfix does, holds N connections open in each phase, and
# reads the milter's memory from /proc between phases.
#
#   milter_memory.py --pid PID --socket unix:/path|inet:PORT@HOST
#                    --conns N --size BYTES --name LABEL
#                    [--from ADDR] [--to ADDR[,ADDR...]] [--warm N]
#                    [--busy N] [--rest SECONDS]
#
# Phases, each measured when it is done (the milter's Rss, Pss and
# anonymous memory from /proc/PID/smaps_rollup, VmHWM from status):
#   start    after WARM whole messages, one connection after another
#   idle     N more connections negotiated and past connect (and HELO if
#            the milter wants it), sitting idle
#   body     each of them has sent MAIL, RCPT, DATA, the headers and the
#            whole body, and waits before end of message
#   eom      end of message sent on all N at once, every answer read; the
#            peak (VmHWM, reset just before) is the phase's figure
#   after    the N connections idle again, their message done
#   second   a second message on each of the N connections, to its end
#            (reuse: what the buffers kept from the first)
#   busy     BUSY more messages on each connection, all connections at
#            once, as Postfix's sessions send them under load: the peak
#            (VmHWM, reset before), and the most threads seen meanwhile
#   quiet    all of them done, the connections open and idle
#   closed   the N connections closed
#   rested   REST seconds later, nothing having happened
# Prints one line per phase: LABEL PHASE rss pss anon hwm threads (KiB).
#
#   milter_memory.py --table FILE --conns N
# prints the table of README.md from the lines run-memory.sh gathered in
# FILE (ROUND SIZE and the line above): per connection, the median of the
# rounds.
# The message: a letter in paragraphs of ordinary prose, headers as a mail
# program writes them, grown to SIZE bytes.
import argparse
import os
import socket
import struct
import sys
import threading
import time

# the protocol (libmilter's mfdef.h)
SMFIP_NOCONNECT, SMFIP_NOHELO, SMFIP_NOMAIL, SMFIP_NORCPT = 0x1, 0x2, 0x4, 0x8
SMFIP_NOBODY, SMFIP_NOHDRS, SMFIP_NOEOH, SMFIP_NR_HDR = 0x10, 0x20, 0x40, 0x80
SMFIP_NODATA = 0x200
SMFIP_NR_CONN, SMFIP_NR_HELO, SMFIP_NR_MAIL = 0x1000, 0x2000, 0x4000
SMFIP_NR_RCPT, SMFIP_NR_DATA, SMFIP_NR_EOH = 0x8000, 0x10000, 0x40000
SMFIP_NR_BODY, SMFIP_HDR_LEADSPC = 0x80000, 0x100000
ALL_ACTIONS = 0x1FF
ALL_STEPS = 0x1FFFFF
FINAL = set(b"acdrtys")  # replies that end a command's answer
CHUNK = 65535            # MILTER_CHUNK_SIZE: the largest body packet

PARAGRAPHS = [
    "Thank you for handing in your project on the water cycle. I have read "
    "it through and written a few comments in the margin; the diagrams of "
    "evaporation and condensation are clear and well labelled.",
    "For next week, please finish the section on rainfall in the British "
    "Isles, using the tables on page 42 of the textbook. If anything in the "
    "tables is unclear, bring your questions to Tuesday's lesson.",
    "The class trip to the reservoir is on Thursday the 14th. We leave from "
    "the main entrance at nine o'clock and will be back before the end of "
    "the school day. Please bring a packed lunch and a waterproof coat.",
    "Your reading log is nearly complete. Two more entries and the book "
    "review, and it can go in with the rest of your coursework at the end "
    "of term.",
]


def letter(frm, to, size, seq):
    head = ("Received: from mx.school.example by mx.school.example with ESMTP\r\n"
            "From: Mr J Smith <%s>\r\n"
            "To: %s\r\n"
            "Subject: Your geography project\r\n"
            "Date: Mon, 09 Mar 2026 10:15:00 +0000\r\n"
            "Message-ID: <memory.%d.%f@school.example>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n"
            % (frm, ", ".join("<%s>" % t for t in to), seq, time.time()))
    body, i = ["Dear Amy,", ""], 0
    used = len(head) + 2 + 13
    while used < size:
        p = PARAGRAPHS[i % len(PARAGRAPHS)]
        # lines of at most 76 characters, as mail programs wrap them
        line = ""
        for w in p.split():
            if len(line) + len(w) + 1 > 76:
                body.append(line)
                used += len(line) + 2
                line = w
            else:
                line = (line + " " + w).strip()
        body += [line, ""]
        used += len(line) + 4
        i += 1
    body += ["Best wishes,", "Mr Smith"]
    headers = [tuple(h.split(": ", 1)) for h in head.rstrip("\r\n").split("\r\n")]
    return headers, ("\r\n".join(body) + "\r\n").encode()


def connect(spec):
    if spec.startswith("unix:") or spec.startswith("local:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(spec.split(":", 1)[1])
    else:  # inet:PORT@HOST
        port, host = spec.split(":", 1)[1].split("@")
        s = socket.create_connection((host, int(port)))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class Conn:
    """One milter connection, driven as Postfix drives it."""

    def __init__(self, spec):
        self.s = connect(spec)
        self.buf = b""

    def send(self, cmd, data=b""):
        self.s.sendall(struct.pack(">I", len(data) + 1) + cmd + data)

    def packet(self):
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack(">I", self.buf[:4])[0]
                if len(self.buf) >= 4 + n:
                    p, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                    return p[:1], p[1:]
            d = self.s.recv(65536)
            if not d:
                raise SystemExit("milter closed the connection")
            self.buf += d

    def answer(self):
        """Read until a final reply; the modifications before it are
        counted, not applied."""
        mods = 0
        while True:
            c, _ = self.packet()
            if c[0] in FINAL:
                return c, mods
            mods += 1

    def cmd(self, cmd, data=b"", noreply=0):
        self.send(cmd, data)
        if not (self.steps & noreply):
            c, _ = self.answer()
            if c not in (b"c", b"a"):
                raise SystemExit("milter answered %r to %r" % (c, cmd))

    def open(self):
        self.send(b"O", struct.pack(">III", 6, ALL_ACTIONS, ALL_STEPS))
        c, data = self.packet()
        if c != b"O":
            raise SystemExit("no option negotiation reply: %r" % c)
        _, _, self.steps = struct.unpack(">III", data[:12])
        self.send(b"D", b"C" + b"j\0mx.school.example\0{daemon_name}\0smtpd\0")
        if not self.steps & SMFIP_NOCONNECT:
            self.cmd(b"C", b"localhost\0" + b"4" + struct.pack(">H", 25) +
                     b"127.0.0.1\0", SMFIP_NR_CONN)
        if not self.steps & SMFIP_NOHELO:
            self.send(b"D", b"H")
            self.cmd(b"H", b"mx.school.example\0", SMFIP_NR_HELO)

    def message(self, frm, to, headers, body, qid):
        """Everything up to end of message."""
        self.send(b"D", b"M" + b"i\0" + qid.encode() +
                  b"\0{client_connections}\0" + b"1\0")
        self.cmd(b"M", b"<%s>\0" % frm.encode(), SMFIP_NR_MAIL)
        for t in to:
            self.send(b"D", b"R" + b"{rcpt_addr}\0%s\0{rcpt_mailer}\0smtp\0"
                      % t.encode())
            self.cmd(b"R", b"<%s>\0" % t.encode(), SMFIP_NR_RCPT)
        if not self.steps & SMFIP_NODATA:
            self.send(b"D", b"T" + b"i\0" + qid.encode() + b"\0")
            self.cmd(b"T", b"", SMFIP_NR_DATA)
        if not self.steps & SMFIP_NOHDRS:
            lead = " " if self.steps & SMFIP_HDR_LEADSPC else ""
            for name, value in headers:
                self.send(b"D", b"L" + b"i\0" + qid.encode() + b"\0")
                self.cmd(b"L", name.encode() + b"\0" + (lead + value).encode() +
                         b"\0", SMFIP_NR_HDR)
        if not self.steps & SMFIP_NOEOH:
            self.cmd(b"N", b"", SMFIP_NR_EOH)
        if not self.steps & SMFIP_NOBODY:
            for i in range(0, len(body), CHUNK):
                self.cmd(b"B", body[i:i + CHUNK], SMFIP_NR_BODY)

    def eom_send(self, qid):
        self.send(b"D", b"E" + b"i\0" + qid.encode() + b"\0")
        self.send(b"E")

    def eom_answer(self):
        c, mods = self.answer()
        if c not in (b"c", b"a"):
            raise SystemExit("milter answered %r at end of message" % c)
        return mods

    def unsent(self):
        """Bytes written but not yet read by the milter (unix sockets:
        SIOCOUTQ counts what the peer has not read)."""
        import fcntl
        return struct.unpack("i", fcntl.ioctl(self.s, 0x5411, b"\0" * 4))[0]

    def close(self):
        try:
            self.send(b"Q")
        finally:
            self.s.close()


def memory(pid):
    m = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Rss", "Pss", "Anonymous"):
                m[k] = int(v.split()[0])
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmHWM", "Threads"):
                m[k] = int(v.split()[0])
    return m


def settle(pid, conns):
    """Wait until the milter has read what was sent and its memory stops
    moving (50 ms apart, unchanged three times), at most 10 s."""
    deadline = time.time() + 10
    while time.time() < deadline and any(c.unsent() > 0 for c in conns
                                         if c.s.family == socket.AF_UNIX):
        time.sleep(0.02)
    last, same = None, 0
    while time.time() < deadline and same < 3:
        time.sleep(0.05)
        now = memory(pid)["Rss"]
        same = same + 1 if now == last else 0
        last = now


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def table(path, conns):
    """Per connection (a phase less the one before it, / conns), KiB."""
    rows = {}
    for line in open(path):
        r, size, name, phase, rss, pss, anon, hwm, threads = line.split("\t")
        rows.setdefault((int(size), name), {}).setdefault(r, {})[phase] = (
            int(rss), int(pss), int(hwm), int(threads))
    cols = [("RSS start", lambda p: p["start"][0], "%d"),
            ("idle", lambda p: (p["idle"][0] - p["start"][0]) / conns, "%.1f"),
            ("idle PSS", lambda p: (p["idle"][1] - p["start"][1]) / conns, "%.1f"),
            ("held", lambda p: (p["body"][0] - p["idle"][0]) / conns, "%.1f"),
            ("held PSS", lambda p: (p["body"][1] - p["idle"][1]) / conns, "%.1f"),
            ("eom peak", lambda p: (p["eom"][2] - p["body"][0]) / conns, "%.1f"),
            ("kept", lambda p: (p["after"][0] - p["idle"][0]) / conns, "%.1f"),
            ("second", lambda p: (p["second"][0] - p["after"][0]) / conns, "%.1f"),
            ("busy peak", lambda p: (p["busy"][2] - p["second"][0]) / conns, "%.1f"),
            ("threads", lambda p: p["busy"][3], "%d"),
            ("left", lambda p: (p["closed"][0] - p["start"][0]) / conns, "%.1f"),
            ("rested", lambda p: (p["rested"][0] - p["start"][0]) / conns, "%.1f")]
    order = {"null": 0, "sg": 1}
    print("| size   | milter  | " + " | ".join("%11s" % c[0] for c in cols) + " |")
    print("|--------|---------|" + "|".join("-" * 12 + ":" for _ in cols) + "|")
    for size, name in sorted(rows, key=lambda k: (k[0], order.get(k[1], 2), k[1])):
        rounds = rows[(size, name)].values()
        cells = [c[2] % median([c[1](p) for p in rounds]) for c in cols]
        print("| %-6s | %-7s | " % ("%d KB" % (size // 1024) if size >= 1024
                                    else "%d B" % size, name) +
              " | ".join("%11s" % c for c in cells) + " |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--table")
    ap.add_argument("--pid", type=int)
    ap.add_argument("--socket")
    ap.add_argument("--conns", type=int, default=64)
    ap.add_argument("--size", type=int, default=100 * 1024)
    ap.add_argument("--name")
    ap.add_argument("--from", dest="frm", default="j.smith@school.example")
    ap.add_argument("--to", default="amy.patel@school.example")
    ap.add_argument("--warm", type=int, default=20)
    ap.add_argument("--busy", type=int, default=10)
    ap.add_argument("--rest", type=float, default=12)
    a = ap.parse_args()
    if a.table:
        return table(a.table, a.conns)
    if a.pid is None or a.socket is None or a.name is None:
        ap.error("--pid, --socket and --name are needed")
    to = a.to.split(",")
    headers, body = letter(a.frm, to, a.size, 0)
    seq = [0]
    lock = threading.Lock()

    def qid():
        with lock:
            seq[0] += 1
            return "MEM%05X" % seq[0]

    def report(phase, m):
        print("%s\t%s\t%d\t%d\t%d\t%d\t%d" % (a.name, phase, m["Rss"], m["Pss"],
              m["Anonymous"], m["VmHWM"], m["Threads"]), flush=True)

    def whole(c):
        q = qid()
        c.message(a.frm, to, headers, body, q)
        c.eom_send(q)
        c.eom_answer()

    # warm-up: every path taken once, then again, one connection at a time
    for _ in range(a.warm):
        c = Conn(a.socket)
        c.open()
        whole(c)
        c.close()
    time.sleep(0.5)
    report("start", memory(a.pid))

    conns = [Conn(a.socket) for _ in range(a.conns)]
    for c in conns:
        c.open()
    settle(a.pid, conns)
    report("idle", memory(a.pid))

    qids = []
    for c in conns:
        qids.append(qid())
        c.message(a.frm, to, headers, body, qids[-1])
    settle(a.pid, conns)
    report("body", memory(a.pid))

    with open("/proc/%d/clear_refs" % a.pid, "w") as f:
        f.write("5")  # VmHWM := VmRSS now
    for c, q in zip(conns, qids):
        c.eom_send(q)
    for c in conns:
        c.eom_answer()
    report("eom", memory(a.pid))
    settle(a.pid, conns)
    report("after", memory(a.pid))

    for c in conns:
        whole(c)
    settle(a.pid, conns)
    report("second", memory(a.pid))

    # busy: every connection sends BUSY more messages, all at once, as
    # Postfix's sessions do under load; the peak is the phase's figure, and
    # the most threads the milter had while it ran
    with open("/proc/%d/clear_refs" % a.pid, "w") as f:
        f.write("5")
    failed = []

    def run(c):
        try:
            for _ in range(a.busy):
                whole(c)
        except BaseException as e:  # SystemExit from a bad answer too
            failed.append(e)
    workers = [threading.Thread(target=run, args=(c,)) for c in conns]
    for w in workers:
        w.start()
    most = 0
    while any(w.is_alive() for w in workers):
        most = max(most, memory(a.pid)["Threads"])
        time.sleep(0.005)
    if failed:
        raise SystemExit("busy phase: %s" % failed[0])
    m = memory(a.pid)
    m["Threads"] = most
    report("busy", m)
    settle(a.pid, conns)
    report("quiet", memory(a.pid))

    for c in conns:
        c.close()
    time.sleep(0.5)
    report("closed", memory(a.pid))
    time.sleep(a.rest)
    report("rested", memory(a.pid))
    print("%s\tmessage\t%d\t%d" % (a.name, len(body), len(headers)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
