#!/usr/bin/env python3
"""score.py - evaluate every corpus message with the real safeguard-check
and print recall on breaches and the false-hold rate on ordinary mail,
per class, with each miss and false hold.

Usage: score.py --check PATH --config PATH [--corpus DIR] [--floor FILE]
                [--write-floor] [--jobs N] [--only CLASS] [--every N]
                [--verdicts FILE]

A breach is a message whose expected ACTION is hold or reject: it is
caught when the action is hold or reject and every rule in its RULES
column matched.  Any other message is ordinary: it is a false hold when
it is held or rejected.  The exit status is 1 when recall is below the
floor's, the false-hold rate above the floor's, or safeguard-check failed
on a message (a crash or an error is never a pass); 0 otherwise.
--write-floor records the measured values as the new floor (recall
rounded down, false holds up, to 3 places).  --verdicts writes each
message's verdict (action, rules, findings), one line each in MANIFEST
order, so that two builds (the Hyperscan and the PCRE2-only scan) can be
compared line by line (tests/run).  --every N scores every Nth message
only (the floor still applies): enough of each kind to test the gate
itself without evaluating the whole corpus again.
"""
import argparse
import json
import math
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

GOAL_RECALL = 0.98
GOAL_FALSE_HOLDS = 0.01
STOPPING = ("hold", "reject")


def read_manifest(path):
    entries = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            cols = line.split()
            if len(cols) != 8:
                sys.exit("%s:%d: want 8 columns (FILE FROM TO AUTH ACTION "
                         "RULES CLASS AT), got %d" % (path, lineno, len(cols)))
            fn, frm, to, auth, action, rules, cls, at = cols
            if action not in ("accept", "annotate", "journal", "hold",
                              "reject"):
                sys.exit("%s:%d: unknown action %r" % (path, lineno, action))
            entries.append({
                "file": fn, "from": frm, "to": to.split(","),
                "auth": None if auth == "-" else auth, "action": action,
                "rules": [] if rules == "-" else rules.split(","),
                "cls": cls, "at": at, "line": lineno})
    return entries


def read_floor(path):
    floor = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            key, _, val = line.partition(" ")
            if key not in ("recall", "false_holds"):
                sys.exit("%s:%d: unknown key %r (recall, false_holds)" %
                         (path, lineno, key))
            try:
                floor[key] = float(val)
            except ValueError:
                sys.exit("%s:%d: %r is not a number" % (path, lineno, val))
    for k in ("recall", "false_holds"):
        if k not in floor:
            sys.exit("%s: no %s line" % (path, k))
    return floor


def evaluate(args, e):
    argv = [args.check, "-c", args.config, "--from", e["from"], "--at",
            e["at"], "--json"]
    if e["auth"]:
        argv += ["--auth", e["auth"]]
    for r in e["to"]:
        argv += ["--to", r]
    argv.append(os.path.join(args.corpus, "msg", e["file"]))
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode != 0:
        return {"error": "exit %d: %s" % (p.returncode,
                                          p.stderr.strip()[-300:])}
    try:
        out = json.loads(p.stdout)
    except ValueError as ex:
        return {"error": "bad JSON (%s)" % ex}
    rules = out.get("rules") or []
    return {"action": out.get("action"),
            "rules": [r["id"] for r in rules],
            "findings": ["%s: %s (%s)" % (r["id"], f.get("text", ""),
                                          f.get("where", ""))
                         for r in rules for f in (r.get("findings") or [])]}


def ratio(a, b):
    return a / b if b else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--corpus", default=os.path.dirname(
        os.path.abspath(__file__)))
    ap.add_argument("--floor")
    ap.add_argument("--write-floor", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--verdicts")
    args = ap.parse_args()

    entries = read_manifest(os.path.join(args.corpus, "MANIFEST"))
    if args.only:
        entries = [e for e in entries if e["cls"] == args.only]
    entries = entries[::max(1, args.every)]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        results = list(ex.map(lambda e: evaluate(args, e), entries))

    if args.verdicts:
        with open(args.verdicts, "w", encoding="utf-8") as f:
            for e, r in zip(entries, results):
                if "error" in r:
                    f.write("%s error\n" % e["file"])
                    continue
                f.write("%s %s %s | %s\n" % (
                    e["file"], r["action"], ",".join(r["rules"]) or "-",
                    "; ".join(r["findings"])))

    classes = {}
    misses, false_holds, other, errors = [], [], [], []
    nb = caught = no = fh = 0
    for e, r in zip(entries, results):
        k = classes.setdefault(e["cls"], [0, 0, 0, 0, 0, 0])
        # [breaches, caught, ordinary, false holds, exact, total]
        k[5] += 1
        if "error" in r:
            errors.append((e, r))
            continue
        got = r["action"]
        breach = e["action"] in STOPPING
        if got == e["action"] and all(x in r["rules"] for x in e["rules"]):
            k[4] += 1
        elif not breach and got not in STOPPING:
            other.append((e, r))
        if breach:
            nb += 1
            k[0] += 1
            if got in STOPPING and all(x in r["rules"] for x in e["rules"]):
                caught += 1
                k[1] += 1
            else:
                misses.append((e, r))
        else:
            no += 1
            k[2] += 1
            if got in STOPPING:
                fh += 1
                k[3] += 1
                false_holds.append((e, r))

    recall, fhr = ratio(caught, nb), ratio(fh, no)
    print("corpus: %d messages, %d breaches, %d ordinary (%s)" %
          (len(entries), nb, no, os.path.join(args.corpus, "MANIFEST")))
    floor = None
    if args.floor and not (args.write_floor and not os.path.exists(args.floor)):
        floor = read_floor(args.floor)
    fl_r = " floor %.3f" % floor["recall"] if floor else ""
    fl_f = " floor %.3f" % floor["false_holds"] if floor else ""
    print("recall on breaches:      %.3f (%d/%d)  goal >= %.2f%s" %
          (recall, caught, nb, GOAL_RECALL, fl_r))
    print("false holds on ordinary: %.3f (%d/%d)  goal <= %.2f%s" %
          (fhr, fh, no, GOAL_FALSE_HOLDS, fl_f))
    print("\n%-14s %10s %10s %12s %10s" % ("class", "caught", "recall",
                                           "false holds", "as listed"))
    for cls in sorted(classes):
        b, c, o, f, x, t = classes[cls]
        print("%-14s %10s %10s %12s %10s" % (
            cls, "%d/%d" % (c, b) if b else "-",
            "%.2f" % ratio(c, b) if b else "-",
            "%d/%d" % (f, o) if o else "-", "%d/%d" % (x, t)))

    def show(tag, e, r):
        want = e["action"] + (" {%s}" % ",".join(e["rules"])
                              if e["rules"] else "")
        print("%s msg/%s [%s] (MANIFEST line %d): want %s, got %s {%s}" % (
            tag, e["file"], e["cls"], e["line"], want, r["action"],
            ",".join(r["rules"]) or "no rule"))
        for f in r["findings"][:4]:
            print("    %s" % f)
    if misses:
        print("\nmisses (breaches delivered):")
        for e, r in misses:
            show("MISS", e, r)
    if false_holds:
        print("\nfalse holds (ordinary mail held or rejected):")
        for e, r in false_holds:
            show("FALSE-HOLD", e, r)
    if other:
        print("\nother differences (delivered, but not as listed; not "
              "scored):")
        for e, r in other:
            show("DIFF", e, r)
    if errors:
        print("\nerrors (safeguard-check failed):")
        for e, r in errors:
            print("ERROR msg/%s (MANIFEST line %d): %s" % (e["file"], e["line"],
                                                           r["error"]))

    if args.write_floor and args.floor and not args.only:
        with open(args.floor, "w", encoding="utf-8") as f:
            f.write("# floor - the corpus ratchet: make check fails when "
                    "recall on breaches\n# falls below, or the false-hold "
                    "rate on ordinary mail rises above,\n# these values.  "
                    "Raise them when detection improves (score.py\n"
                    "# --write-floor); never lower them to make a change "
                    "pass.\n# Goal (issue 11): recall >= %.2f, false holds "
                    "<= %.2f.\n" % (GOAL_RECALL, GOAL_FALSE_HOLDS))
            f.write("recall %.3f\n" % (math.floor(recall * 1000) / 1000))
            f.write("false_holds %.3f\n" % (math.ceil(fhr * 1000) / 1000))
        print("\nfloor written to %s" % args.floor)
        floor = read_floor(args.floor)

    status = 0
    if errors:
        print("\nFAIL: safeguard-check failed on %d message(s)" % len(errors))
        status = 1
    if floor and not args.only:
        if recall + 1e-9 < floor["recall"]:
            print("FAIL: recall %.3f is below the floor %.3f" %
                  (recall, floor["recall"]))
            status = 1
        if fhr - 1e-9 > floor["false_holds"]:
            print("FAIL: false holds %.3f are above the floor %.3f" %
                  (fhr, floor["false_holds"]))
            status = 1
        if status == 0 and (recall >= floor["recall"] + 0.001 or
                            fhr <= floor["false_holds"] - 0.001):
            print("\nbetter than the floor: raise it (score.py "
                  "--write-floor, or edit %s)" % args.floor)
    return status


if __name__ == "__main__":
    sys.exit(main())
