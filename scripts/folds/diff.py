#!/usr/bin/env python3
"""Message-level differences between two evaluations of the same messages (issue 3).

Reads the per-round (or per-set) JSON of two runs of scripts/folds/eval or scripts/folds/heldout
and prints, per message, each category found or lost and each false flag added or removed, with
the message's note from corpus/train/labels.csv when it has one; then the counts.
    scripts/folds/diff.py BEFORE_DIR AFTER_DIR [CATEGORY,CATEGORY...]
"""
import collections
import csv
import glob
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(folder):
    out = {}
    for path in glob.glob(os.path.join(folder, "*.json")):
        for m in json.load(open(path))["disagreements"]:
            out[m["source"]] = (set(m["missed"]), set(m["false_flags"]))
    return out


def main():
    before, after = load(sys.argv[1]), load(sys.argv[2])
    only = set(sys.argv[3].split(",")) if len(sys.argv) > 3 else None
    notes = {}
    labels = os.path.join(ROOT, "corpus", "train", "labels.csv")
    if os.path.exists(labels):
        notes = {r["source"]: r.get("note", "") for r in csv.DictReader(open(labels))}
    counts = collections.Counter()
    for source in sorted(set(before) | set(after)):
        missed_a, flags_a = before.get(source, (set(), set()))
        missed_b, flags_b = after.get(source, (set(), set()))
        for tag, cats in (("FOUND", missed_a - missed_b), ("LOST", missed_b - missed_a),
                          ("FP+", flags_b - flags_a), ("FP-", flags_a - flags_b)):
            for c in sorted(cats):
                if only and c not in only:
                    continue
                counts[(c, tag)] += 1
                print(f"{tag:5} {c:20} {source}  {notes.get(source, '')[:90]}")
    for (c, tag), n in sorted(counts.items()):
        print(f"{c:20} {tag:5} {n}")


if __name__ == "__main__":
    main()
