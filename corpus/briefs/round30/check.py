#!/usr/bin/env python3
"""check.py BATCH_DIR... : round 30's checks without reading the mail: one label row per file and
vice versa, categories known and in order, queue escalate exactly when a threat category is
present, kind consistent, required headers, no slug giving the label away, and no two messages
sharing more than a quarter of their word trigrams."""
import csv, email, os, re, sys, itertools
from email import policy
ORDER = ['threat_violence','threat_self_harm','threat_property','abuse','discrimination','unreasonable_demand']
THREATS = set(ORDER[:3])
BAD_SLUG = re.compile(r'threat|abuse|negative|slur|suicid|violen|discrimin|demand|self-harm|selfharm|racis|hate')
bodies = {}
problems = 0
def bad(msg):
    global problems; problems += 1; print('  ' + msg)
for d in sys.argv[1:]:
    b = os.path.basename(d.rstrip('/'))
    print(f'== {b}')
    raw = list(csv.reader(open(os.path.join(d, "labels.csv"), newline="")))
    for x in raw:
        if len(x) != 5: bad(f"{x[0]}: {len(x)} fields")
    rows = list(csv.DictReader(open(os.path.join(d, 'labels.csv'), newline='')))
    mail = set(os.listdir(os.path.join(d, 'mail')))
    names = [r['source'] for r in rows]
    if len(names) != len(set(names)): bad('duplicate label rows')
    for x in sorted(set(names) ^ mail): bad(f'file/label mismatch: {x}')
    kinds = {}
    for r in rows:
        s = r['source']; cats = [c for c in r['categories'].split(';') if c]
        kinds[r['kind']] = kinds.get(r['kind'], 0) + 1
        if not s.startswith(b + '-'): bad(f'{s}: prefix')
        if BAD_SLUG.search(s): bad(f'{s}: slug gives label away')
        if any(c not in ORDER for c in cats): bad(f'{s}: unknown category {cats}')
        if cats != sorted(cats, key=ORDER.index): bad(f'{s}: categories out of order')
        want = 'escalate' if THREATS & set(cats) else 'respond'
        if r['queue'] != want: bad(f'{s}: queue {r["queue"]} want {want}')
        if (r['kind'] == 'positive') != bool(cats): bad(f'{s}: kind {r["kind"]} vs {cats}')
        if r['kind'] not in ('positive','hard_negative','ordinary'): bad(f'{s}: kind {r["kind"]}')
        p = os.path.join(d, 'mail', s)
        if not os.path.exists(p): continue
        m = email.message_from_bytes(open(p,'rb').read(), policy=policy.default)
        for h in ('From','To','Subject','Date','Message-ID','MIME-Version','Content-Type'):
            if m[h] is None: bad(f'{s}: no {h}')
        try:
            part = m.get_body(('plain','html'))
            text = part.get_content() if part else ''
        except Exception as e:
            bad(f'{s}: body {e}'); text = ''
        w = re.findall(r"[a-z']+", text.lower())
        bodies[s] = set(zip(w, w[1:], w[2:]))
    print('  kinds', kinds, 'rows', len(rows))
for a, b2 in itertools.combinations(bodies, 2):
    x, y = bodies[a], bodies[b2]
    if x and y and len(x & y) / min(len(x), len(y)) > 0.25:
        bad(f'{a} ~ {b2}: {len(x & y)}/{min(len(x),len(y))} trigrams shared')
print('problems', problems)
