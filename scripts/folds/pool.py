#!/usr/bin/env python3
"""Pool `triage eval --json` outputs: TP/FP/FN, precision/recall/F1 per category,
negatives flagged, queue accuracy.  pool.py FILE.json..."""
import json, sys
tot = {}; neg = [0, 0]; q = [0, 0]
for path in sys.argv[1:]:
    r = json.load(open(path))
    for c in r["categories"]:
        t = tot.setdefault(c["category"], [0, 0, 0])
        t[0] += c["true_positives"]; t[1] += c["false_positives"]; t[2] += c["false_negatives"]
    neg[0] += r["clean_flagged"]; neg[1] += r["labelled_clean"]
    q[0] += r["queues"]["correct"]; q[1] += r["queues"]["judged"]
def f(a, b): return a / b if b else 0.0
for c, (tp, fp, fn) in tot.items():
    p, rc = f(tp, tp + fp), f(tp, tp + fn)
    print(f"{c:20s} TP {tp:4d} FP {fp:4d} FN {fn:4d}  P {p:.3f} R {rc:.3f} F1 {f(2*p*rc, p+rc):.3f}")
print(f"negatives flagged {neg[0]}/{neg[1]}   queue {q[0]}/{q[1]} = {f(*q):.3f}")
