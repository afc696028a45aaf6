#!/usr/bin/env python3
"""Which model family carries across writers? (issue 3, task detect56)

Reads the sentence dumps of examples/sentence_dump.rs (the sender's own
sentences as `triage rules train` reads them: own segments, normalised, names
unread, sentence::split, 30-word windows, model::stems) and, per family and
threat category:
  * leave-one-round-out over scripts/folds/rounds.txt (train on 18 rounds of
    corpus/train, score the 19th, pool);
  * trained on all of corpus/train: round 26, the held-out sets pooled, ham.
Message score = max over its sentences (whole-message family: one instance).
Multiple-instance training as the Rust trainer: round 0 every sentence of a
positive message (down-weighted), then MI_ROUNDS (default 1; the trainer
runs 2) rounds keeping the best 1-2.

  python3 scripts/experiments/families.py DUMP_DIR [family ...]

See scripts/experiments/README.md for the dumps and the figures.
"""
import csv
import json
import os
import sys
import time
from collections import defaultdict

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CATS = ["threat_violence", "threat_self_harm", "threat_property"]
# The shipped model's own tier bars (model.toml's xx.model_sure): the
# precision the shipped fold model alone reaches there is the bar at which
# every family's recall is read.
SURE = {"threat_violence": 0.9, "threat_self_harm": 0.95, "threat_property": 0.93}
FOLDS = os.environ.get("FOLDS", "/work/main/target/folds")


def load_dump(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def load_labels(path):
    out = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            out[row["source"]] = set(c for c in row["categories"].split(";") if c)
    return out


def rounds():
    out = []
    for line in open(os.path.join(ROOT, "scripts/folds/rounds.txt")):
        line = line.strip()
        if line and not line.startswith("#"):
            out.append((line, line.split("+")))
    return out


def round_of(name, rs):
    for r, prefixes in rs:
        if any(name.startswith(p) for p in prefixes):
            return r
    return None


# ---- features -------------------------------------------------------------

def skeleton(word):
    letters, kept, last, out = 0, 0, None, "~"
    for c in word:
        if not c.isalpha():
            continue
        letters += 1
        if c == last:
            continue
        last = c
        if letters > 1 and c in "aeiouy":
            continue
        out += c
        kept += 1
    return out if letters >= 5 and kept >= 3 else None


def shipped_feats(stems, skeletons=False):
    """The shipped features: words, pairs, one-gap pairs (and skeletons)."""
    f = list(stems)
    if skeletons:
        f += [s for s in map(skeleton, stems) if s]
    f += [a + " " + b for a, b in zip(stems, stems[1:])]
    f += [a + " … " + b for a, b in zip(stems, stems[2:])]
    return f


FIRST = {"i", "we", "i'll", "i'm", "i'd", "we'll", "we're", "im", "ill"}
MODAL = {"will", "'ll", "going", "gonna", "shall", "would", "could", "might", "can",
         "i'll", "we'll", "he'll", "they'll", "won't", "wont"}
SECOND = {"you", "your", "ya", "u", "ur", "yours", "yourself", "staff", "officer",
          "him", "her", "them", "councillor", "he", "she", "they", "his"}
NEG = {"not", "never", "no", "don't", "dont", "won't", "wont", "wouldn't", "can't",
       "cannot", "didn't", "isn't", "nobody", "nothing", "without", "doesn't"}


def frame_feats(stems):
    """Cheap structure: a first-person + modal frame, a second/third-person
    target after it, and negation scope (the 3 words after a negator marked
    NEG_)."""
    f = []
    first = [i for i, w in enumerate(stems) if w in FIRST]
    modal = [i for i, w in enumerate(stems) if w in MODAL]
    target = [i for i, w in enumerate(stems) if w in SECOND]
    if first:
        f.append("#first")
    if first and modal and min(modal) >= min(first):
        f.append("#first_modal")
        m = min(i for i in modal if i >= min(first))
        if any(t > m for t in target):
            f.append("#first_modal_target")
            # the verb after the modal, in the frame
            for w in stems[m + 1:m + 4]:
                f.append("#fmt_" + w)
    neg_until = -1
    for i, w in enumerate(stems):
        if w in NEG:
            neg_until = i + 3
            f.append("#neg")
        elif i <= neg_until:
            f.append("NEG_" + w)
    return f


def load_classes():
    """Word classes of rules/model/classes.toml, as the model stems them."""
    import tomllib
    path = os.path.join(ROOT, "rules/model/classes.toml")
    spec = tomllib.load(open(path, "rb"))
    of = {}
    for c in spec.get("class", []):
        words = list(c.get("words", []))
        for lst in c.get("lists", []):
            for line in open(os.path.join(os.path.dirname(path), lst)):
                line = line.split("#")[0].strip().lower()
                if line and " " not in line and not line.endswith("*"):
                    words.append(line)
        for w in words:
            of.setdefault(w.lower(), "[" + c["name"] + "]")
    return of


CLASSES = None


def class_feats(stems):
    global CLASSES
    if CLASSES is None:
        CLASSES = load_classes()
    cl = [CLASSES.get(w) for w in stems]
    f = [c for c in cl if c]
    for gap, sep in [(1, " "), (2, " … ")]:
        for i in range(gap, len(stems)):
            a, b = stems[i - gap], stems[i]
            ca, cb = cl[i - gap], cl[i]
            for x in (a, ca):
                for y in (b, cb):
                    if x and y and (x is ca or y is cb) and (x != a or y != b):
                        f.append(x + sep + y)
    return f


def ident(x):
    return x


def family_matrix(fam, msgs):
    """(X, rows) for every unit of every message: rows[i] = message index.
    Whole-message families have one unit per message."""
    units, rows = [], []
    for i, m in enumerate(msgs):
        if fam.startswith("message"):
            allstems = [w for s in m["stems"] for w in s]
            units.append((m, None, allstems))
            rows.append(i)
        else:
            for j, s in enumerate(m["stems"]):
                if s:
                    units.append((m, j, s))
                    rows.append(i)
    return units, np.array(rows)


def featurize(fam, cat, units):
    """Token lists per unit (word families) and texts (char families)."""
    toks, texts = [], []
    for m, j, stems in units:
        t = []
        if fam in ("shipped", "shipped+char", "shipped+frame", "shipped+classes", "message"):
            t = shipped_feats(stems, skeletons=(cat == "threat_property"))
        if fam == "message" and j is None:
            pass
        if fam in ("shipped+frame",):
            t += frame_feats(stems)
        if fam in ("shipped+classes",):
            t += class_feats(stems)
        toks.append(t)
        if fam in ("char", "shipped+char"):
            text = m["sentences"][j] if j is not None else " ".join(m["sentences"])
            texts.append(text.lower())
    return toks, texts


class Space:
    """One family's feature space, fitted on training units only."""

    def __init__(self, fam):
        self.fam = fam
        self.word = None
        self.char = None

    def fit(self, toks, texts):
        if self.fam != "char":
            self.word = CountVectorizer(analyzer=ident, min_df=2, binary=False, dtype=np.float32)
            self.word.fit(toks)
        if texts:
            self.char = CountVectorizer(analyzer="char", ngram_range=(3, 5), min_df=2,
                                        binary=True, dtype=np.float32)
            self.char.fit([" " + t + " " for t in texts])
        return self

    def transform(self, toks, texts):
        parts = []
        if self.word is not None:
            parts.append(self.word.transform(toks))
        if self.char is not None:
            c = self.char.transform([" " + t + " " for t in texts])
            if self.word is not None:
                c = c * 0.5  # two views: keep their sum on a like scale
            parts.append(c)
        return sp.hstack(parts).tocsr() if len(parts) > 1 else parts[0].tocsr()


def fit_mi(X, rows, ymsg, weight_msg, C, positive_share=0.2, mi_rounds=int(os.environ.get("MI_ROUNDS", "1")), keep=2):
    """Multiple-instance logistic regression as src/evaluate/train.rs."""
    pos_msgs = set(np.nonzero(ymsg)[0])
    unit_pos = np.array([r in pos_msgs for r in rows])
    by_msg = defaultdict(list)
    for u, r in enumerate(rows):
        by_msg[r].append(u)
    chosen = {r: by_msg[r] for r in pos_msgs if by_msg[r]}
    clf = None
    for rnd in range(mi_rounds + 1):
        if rnd > 0:
            z = clf.decision_function(X)
            for r in chosen:
                us = sorted(by_msg[r], key=lambda u: -z[u])
                chosen[r] = [u for k, u in enumerate(us[:keep]) if k == 0 or z[u] > 0]
        idx, w, y = [], [], []
        for r, us in chosen.items():
            for u in us:
                idx.append(u); w.append(weight_msg[r] / len(us)); y.append(1)
        neg = np.nonzero(~unit_pos)[0]
        idx.extend(neg); w.extend(weight_msg[rows[neg]]); y.extend([0] * len(neg))
        idx, w, y = np.array(idx), np.array(w, dtype=np.float64), np.array(y)
        n = len(idx)
        pw, nw = w[y == 1].sum(), w[y == 0].sum()
        w = np.where(y == 1, w * n * positive_share / pw, w * n * (1 - positive_share) / nw)
        clf = LogisticRegression(C=C, solver="liblinear", max_iter=100, tol=1e-2)
        clf.fit(X[idx], y, sample_weight=w)
    return clf


def message_scores(clf, X, rows, n):
    z = clf.decision_function(X)
    s = np.full(n, -1e9)
    np.maximum.at(s, rows, z)
    return 1 / (1 + np.exp(-np.clip(s, -50, 50)))


# ---- the shipped fold models, read in Python -------------------------------

def read_tsv(path):
    bias, w = 0.0, {}
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        k, _, v = line.rstrip("\n").rpartition("\t")
        if k == "(bias)":
            bias = float(v)
        elif k and not k.startswith("class"):
            try:
                w[k] = float(v)
            except ValueError:
                pass
    return bias, w


def shipped_score(model, msg, cat):
    bias, w = model
    best = -1e9
    for s in msg["stems"]:
        if not s:
            continue
        z = bias + sum(w.get(f, 0.0) for f in shipped_feats(s, cat == "threat_property"))
        best = max(best, z)
    return 1 / (1 + np.exp(-min(max(best, -50.0), 50.0)))


# ---- figures ---------------------------------------------------------------

def pr_at(scores, y, thr):
    flag = scores >= thr
    tp = int((flag & y).sum()); fp = int((flag & ~y).sum()); fn = int((~flag & y).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    return tp, fp, fn, p, tp / (tp + fn) if tp + fn else 0.0


def threshold_for_precision(scores, y, precision):
    """The lowest threshold whose precision is still >= `precision` (max recall)."""
    order = np.argsort(-scores)
    s, yy = scores[order], y[order]
    tp = np.cumsum(yy); k = np.arange(1, len(s) + 1)
    prec = tp / k
    ok = np.nonzero(prec >= precision)[0]
    if len(ok) == 0:
        return 1.01
    i = ok[-1]
    # not between tied scores
    return s[i]


def main():
    dump = sys.argv[1]
    fams = sys.argv[2:] or ["shipped", "char", "message", "shipped+char", "shipped+frame"]
    C = float(os.environ.get("C", "1.0"))
    rs = rounds()
    train = load_dump(os.path.join(dump, "train.jsonl"))
    labels = load_labels(os.path.join(ROOT, "corpus/train/labels.csv"))
    train = [m for m in train if m["id"] in labels]
    rnd = np.array([round_of(m["id"], rs) or "" for m in train])
    r26 = load_dump(os.path.join(dump, "r26.jsonl"))
    # Round 26 joined at stop 44: its labels are in corpus/train and corpus/test-round26.
    l26 = {k: v for f in ("corpus/train/labels.csv", "corpus/test-round26/labels.csv")
           for k, v in load_labels(os.path.join(ROOT, f)).items() if k[:4] in ("aab-", "amx-", "ash-", "atv-")}
    r26 = [m for m in r26 if m["id"] in l26]
    ho, lho = [], {}
    for f in sorted(os.listdir(dump)):
        if f.startswith("ho-"):
            name = f[3:-6]
            lab = load_labels(os.path.join(ROOT, "corpus", name, "labels.csv"))
            for m in load_dump(os.path.join(dump, f)):
                if m["id"] in lab:
                    m = dict(m, id=name + "/" + m["id"]); ho.append(m)
                    lho[m["id"]] = lab[m["id"][len(name) + 1:]]
    ham = []
    for f in sorted(os.listdir(dump)):
        if f.startswith("ham-"):
            ham += load_dump(os.path.join(dump, f))
    print(f"train {len(train)} ({sum(rnd != '')} in rounds), r26 {len(r26)}, held-out {len(ho)}, ham {len(ham)}; C={C}", flush=True)

    results = {}
    # Baseline: the shipped fold models (trained with the dev sets too), LORO.
    for cat in CATS:
        y = np.array([cat in labels[m["id"]] for m in train])
        s = np.zeros(len(train))
        for r, _ in rs:
            model = read_tsv(os.path.join(FOLDS, "models", r, "rules/model", cat + ".tsv"))
            for i in np.nonzero(rnd == r)[0]:
                s[i] = shipped_score(model, train[i], cat)
        m = rnd != ""
        tp, fp, fn, p, rec = pr_at(s[m], y[m], SURE[cat])
        results[("shipped-fold-models", cat)] = dict(
            loro=(tp, fp, fn, p, rec, average_precision_score(y[m], s[m])), bar=p)
        print(f"shipped fold models {cat}: at {SURE[cat]} TP {tp} FP {fp} FN {fn} P {p:.3f} R {rec:.3f} "
              f"AP {average_precision_score(y[m], s[m]):.3f}", flush=True)
    # shipped model (all train) on r26/held-out/ham at the sure bar
    for cat in CATS:
        model = read_tsv(os.path.join(ROOT, "rules/model", cat + ".tsv"))
        out = []
        for name, msgs, lab in [("r26", r26, l26), ("heldout", ho, lho)]:
            y = np.array([cat in lab[m["id"]] for m in msgs])
            s = np.array([shipped_score(model, m, cat) for m in msgs])
            tp, fp, fn, p, rec = pr_at(s, y, SURE[cat])
            out.append(f"{name} {tp}/{fp}/{fn} P {p:.3f} R {rec:.3f} AP {average_precision_score(y, s):.3f}")
        hs = np.array([shipped_score(model, m, cat) for m in ham])
        out.append(f"ham {(hs >= SURE[cat]).sum()}/{len(ham)}")
        print(f"shipped model (main) {cat} at {SURE[cat]}: " + "; ".join(out), flush=True)

    for fam in fams:
        t0 = time.time()
        units, rows = family_matrix(fam, train)
        u26, r26rows = family_matrix(fam, r26)
        uho, horows = family_matrix(fam, ho)
        uham, hamrows = family_matrix(fam, ham)
        for cat in CATS:
            toks, texts = featurize(fam, cat, units)
            y = np.array([cat in labels[m["id"]] for m in train])
            wmsg = np.ones(len(train))
            s = np.zeros(len(train))
            unit_round = rnd[rows]
            # One vocabulary per family (min_df over all of corpus/train's
            # units, labels unused), sliced per fold: refitting it per fold
            # cost most of the time on a loaded machine.
            space = Space(fam).fit(toks, texts)
            X = space.transform(toks, texts)
            for r, _ in rs:
                tr_u = np.nonzero((unit_round != r))[0]
                te_u = np.nonzero(unit_round == r)[0]
                Xtr, Xte = X[tr_u], X[te_u]
                tr_msgs = np.unique(rows[tr_u]); remap = {g: k for k, g in enumerate(tr_msgs)}
                rtr = np.array([remap[g] for g in rows[tr_u]])
                clf = fit_mi(Xtr, rtr, y[tr_msgs], wmsg[tr_msgs], C)
                te_msgs = np.nonzero(rnd == r)[0]; remap = {g: k for k, g in enumerate(te_msgs)}
                rte = np.array([remap[g] for g in rows[te_u]])
                s[te_msgs] = message_scores(clf, Xte, rte, len(te_msgs)) if len(te_u) else 0
            m = rnd != ""
            bar = results[("shipped-fold-models", cat)]["bar"]
            thr = threshold_for_precision(s[m], y[m], bar)
            tp, fp, fn, p, rec = pr_at(s[m], y[m], thr)
            ap = average_precision_score(y[m], s[m])
            line = (f"{fam:16s} {cat:17s} LORO AP {ap:.3f}; at P>={bar:.3f} (thr {thr:.3f}) "
                    f"TP {tp} FP {fp} FN {fn} P {p:.3f} R {rec:.3f}")
            # all of train -> r26, held-out, ham at the LORO threshold
            clf = fit_mi(X, rows, y, wmsg, C)
            for name, msgs, us, rr, lab in [("r26", r26, u26, r26rows, l26), ("ho", ho, uho, horows, lho)]:
                tk, tx = featurize(fam, cat, us)
                sc = message_scores(clf, space.transform(tk, tx), rr, len(msgs))
                yy = np.array([cat in lab[mm["id"]] for mm in msgs])
                a, b_, c_, pp, rc = pr_at(sc, yy, thr)
                line += f" | {name} {a}/{b_}/{c_} P {pp:.3f} R {rc:.3f} AP {average_precision_score(yy, sc):.3f}"
            tk, tx = featurize(fam, cat, uham)
            sc = message_scores(clf, space.transform(tk, tx), hamrows, len(ham))
            line += f" | ham {(sc >= thr).sum()}/{len(ham)}"
            print(line + f"  [{time.time() - t0:.0f}s]", flush=True)


if __name__ == "__main__":
    main()
