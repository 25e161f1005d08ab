#!/bin/bash
# Where one core function's instructions go, source line by source line:
# callgrind on bench_core --profile CASE, the function's own cost (the
# helpers GCC inlined into it on their own lines; what it calls out of
# line is left out), per message. core-profile.sh ranks functions; this
# shows which lines of one of them to work on. The binary must carry line
# tables (make bench-core-lines builds the kernel-flags core with -g).
#
# usage: scripts/core-lines.sh BENCH_BINARY CASE FUNCTION_REGEX [RUNS] [LINES]
#   CASE: invite | register | ok200 | stream
#   FUNCTION_REGEX: matched against callgrind's function names, e.g.
#   '^sipalg_parse$', 'parse_via', 'sipalg_make_plan'
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$1 case=$2 fn=$3 runs=${4:-2000} lines=${5:-30}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bin" --profile "$case" "$runs" \
	2>/dev/null | head -n 1
python3 - "$out/cg" "$fn" "$runs" "$lines" <<'EOF'
import collections, re, sys

path, fn_re, runs, top = sys.argv[1], re.compile(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
# callgrind's format: "fl=", "fi=", "fe=" name the source file of the cost
# lines that follow (fi/fe: an inlined function's), "fn=" the function;
# names are compressed to "(id) name" once and "(id)" after. Positions
# are line numbers, absolute or "+n"/"-n"/"*" relative to the last one;
# the line after "calls=" is the call's inclusive cost, not the caller's.
files, fns = {}, {}
def name(table, text):
    m = re.match(r'\((\d+)\)(?: (.*))?$', text)
    if not m:
        return text
    if m.group(2) is not None:
        table[m.group(1)] = m.group(2)
    return table.get(m.group(1), m.group(1))

cost = collections.Counter()
fn = src = fl = None
last = 0
after_calls = False
for raw in open(path):
    line = raw.rstrip('\n')
    m = re.match(r'^(fl|fi|fe|fn|cfn|cfi|cfl|ob|cob|calls)=(.*)', line)
    if m:
        key, val = m.groups()
        if key == 'calls':
            after_calls = True
        elif key in ('fl', 'fi', 'fe', 'cfi', 'cfl'):
            val = name(files, val)
            if key == 'fl':
                fl = src = val
            elif key in ('fi', 'fe'):
                src = val
        elif key in ('fn', 'cfn'):
            val = name(fns, val)
            if key == 'fn':
                fn, src = val, fl
        continue
    if not line or not (line[0].isdigit() or line[0] in '+-*'):
        continue
    fields = line.split()
    pos = fields[0]
    last = last if pos == '*' else last + int(pos) if pos[0] in '+-' else int(pos)
    if after_calls:
        after_calls = False
        continue
    if fn and fn_re.search(fn) and len(fields) > 1:
        cost[(src, last)] += int(fields[1])

total = sum(cost.values())
print(f"{total / runs:8.0f}  instructions a message in functions matching {sys.argv[2]}")
texts = {}
for (src, ln), c in cost.most_common(top):
    if src not in texts:
        try:
            texts[src] = open(src).read().split('\n')
        except OSError:
            texts[src] = []
    text = texts[src][ln - 1].strip() if 0 < ln <= len(texts[src]) else ''
    short = src.split('/')[-1]
    print(f"{c / runs:8.1f}  {short}:{ln}  {text[:90]}")
EOF
