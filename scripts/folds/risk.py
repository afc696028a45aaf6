#!/usr/bin/env python3
"""Reported-risk check: decisions.jsonl vs labels.csv notes starting RISK:.
risk.py DECISIONS LABELS  (decisions.jsonl of `triage run`; labels whose note starts RISK: relay a current risk)"""
import json, csv, sys
lab = {r['source']: r for r in csv.DictReader(open(sys.argv[2]))}
found = miss = 0; other = []
for line in open(sys.argv[1]):
    d = json.loads(line); s = d['source_id']
    rules = {h['rule_id'] for h in d['detection']['hits']}
    us = sorted(r for r in rules if r.startswith('us.'))
    risk = lab[s]['note'].startswith('RISK')
    urgent = d['detection'].get('urgent_service', False) or d['routing'].get('priority') == 'urgent'
    if risk:
        if us or urgent: found += 1
        else: miss += 1
        print(('FOUND ' if (us or urgent) else 'miss  ') + s, us, urgent, d['routing']['queue'])
    elif any(r in ('us.reported_risk', 'us.third_person_risk') for r in us):
        other.append((s, us, lab[s]['kind'], lab[s]['categories']))
print(f"RISK messages found {found} of {found+miss}")
for o in other: print('other fire', o)
