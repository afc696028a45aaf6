#!/usr/bin/env python3
"""Check every labelled-mail gate of .ci/run at once, listing each floor a set
misses and its margin, instead of stopping at the first failing gate.

    scripts/folds/floors.py [TRIAGE_BINARY]     (default target/release/triage)

Runs `triage eval --json` once per gated set (the same --source, --labels,
--register and --now as the gate) and compares its figures with the gate's
--min-recall / --min-precision / --min-f1 / --min-queue-accuracy / --max-flagged
flags. Exit 1 if any floor is missed."""
import json, os, re, shlex, subprocess, sys

def gates(ci):
    text = re.sub(r'\\\n', ' ', open(ci).read())
    for line in text.splitlines():
        line = line.split('|')[0].strip()
        if line.startswith('triage eval '):
            yield shlex.split(line)[2:]

def main():
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
    binary = sys.argv[1] if len(sys.argv) > 1 else 'target/release/triage'
    missed = 0
    for args in gates('.ci/run'):
        run, floors, i = [], [], 0
        while i < len(args):
            a = args[i]
            if a.startswith('--min-') or a.startswith('--max-'):
                floors.append((a, args[i + 1])); i += 2
            elif a in ('--expect-clean',):
                floors.append((a, None)); i += 1
            else:
                run.append(a); i += 1
        if '--labels' not in run:
            continue  # ham gates: --expect-clean sets, checked by the gate itself
        src = run[run.index('--source') + 1]
        r = json.loads(subprocess.run([binary, 'eval', *run, '--json'], check=True,
                                      capture_output=True, text=True).stdout)
        cats = {c['category']: c for c in r['categories']}
        def fig(kind, cat):  # as triage's own gate: a missing figure counts as 0
            return cats[cat].get(kind) or 0.0
        for flag, val in floors:
            if flag == '--min-queue-accuracy':
                have = r['queues'].get('accuracy') or 0.0
                want, name = float(val), 'queue'
            elif flag in ('--min-recall', '--min-precision', '--min-f1'):
                cat, want = val.split('='); want = float(want)
                have, name = fig(flag[6:], cat), f'{cat} {flag[6:]}'
            else:
                continue
            ok = have + 1e-9 >= want
            if not ok:
                missed += 1
            print(f"{'ok  ' if ok else 'MISS'} {src:32s} {name:32s} floor {want:.2f} have {have:.3f}")
    print(f'{missed} floors missed')
    sys.exit(1 if missed else 0)

main()
