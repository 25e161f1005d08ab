#!/bin/bash
# make unit-coverage, after the tests ran: which branches of the core's
# scanners the unit tests took. gcov reads the counters of every object in
# DIR (one per translation unit); a branch counts as taken if any unit took
# it. Every function in include/sipalg/core/*.hpp (the word-at-a-time
# scanners and the small helpers beside them), and the word compares that
# live in core/*.cpp (WORD_COMPARES below), must have taken every branch:
# one line per function that has branches, then "unit-coverage: ..." and
# the exit status.
# The instances of a template over a literal (literal_at<"via:">, ...) are
# one function: the same branches, with another constant.
#
# usage: scripts/unit-coverage.sh DIR
set -euo pipefail
cd "$(dirname "$0")/.."

dir=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
objs=$(find "$dir" -name '*.gcda' | sed 's/\.gcda$/.o/')
[ -n "$objs" ] || { echo "unit-coverage: no counters in $dir (did the tests run?)" >&2; exit 1; }
top=$PWD
# gcov writes one .gcov.json.gz per object, in the current directory,
# named after the object's path (--preserve-paths: no two collide).
(cd "$out" && for o in $objs; do gcov --json-format --branch-probabilities --preserve-paths \
	--object-directory "$top/$(dirname "$o")" "$top/$o" >/dev/null 2>&1 || exit 1; done) ||
	{ echo "unit-coverage: gcov failed" >&2; exit 1; }

# The functions of core/*.cpp that compare or scan words: header names,
# methods, the framer's Content-Length, the SDP's "IN IP4 ".
WORD_COMPARES='known_name|header_id|method_id|content_length_line|fast_in_ip'

python3 - "$out" "$WORD_COMPARES" <<'EOF'
import collections, glob, gzip, json, re, sys

word_compares = re.compile(r'(^|::)(' + sys.argv[2] + r')\(')

taken = collections.defaultdict(int)   # (function, line, branch) -> count
names = {}                              # mangled -> (shown name, first line)
in_cpp = collections.defaultdict(int)   # (file, line, branch) -> count
for path in glob.glob(sys.argv[1] + '/*.gcov.json.gz'):
    for f in json.load(gzip.open(path))['files']:
        cpp = re.match(r'(.*/)?core/[^/]*\.cpp$', f['file']) and 'tests/' not in f['file']
        if cpp:
            for line in f['lines']:
                for k, b in enumerate(line['branches']):
                    if not b.get('throw'):
                        in_cpp[(f['file'], line['line_number'], k)] += b['count']
        elif not re.search(r'include/sipalg/core/[^/]*\.hpp$', f['file']):
            continue
        src = f['file'].split('/')[-1]
        for fn in f['functions']:
            shown = fn['demangled_name']
            if cpp and not word_compares.search(shown):
                continue
            # An instance over a literal is the template's code.
            if 'Literal<' in shown:
                shown = re.sub(r'<sipalg::core::Literal<.*$', '<L>', shown)
            names[fn['name']] = (f"{src}: {shown}", fn['start_line'])
        for line in f['lines']:
            if line.get('function_name') not in names:
                continue
            for k, b in enumerate(line['branches']):
                if not b.get('throw'):
                    taken[(line['function_name'], line['line_number'], k)] += b['count']

by_fn = collections.defaultdict(lambda: collections.defaultdict(int))
for (fn, line, k), n in taken.items():
    by_fn[names[fn]][(line, k)] += n
bad = total = hit = 0
for (shown, _), branches in sorted(by_fn.items(), key=lambda x: (x[0][0].split(':')[0], x[0][1])):
    missing = sorted({line for (line, _), n in branches.items() if n == 0})
    n_hit = sum(1 for n in branches.values() if n)
    total += len(branches)
    hit += n_hit
    note = '  NOT TAKEN on lines ' + ','.join(map(str, missing)) if missing else ''
    print(f'{n_hit:4}/{len(branches):<4} {shown[:100]}{note}')
    bad += bool(missing)
# The rest of the core, for the record (not a condition): its error paths
# are the parser's and the planner's tests' business, not every branch.
files = collections.defaultdict(lambda: [0, 0])
for (name, _, _), n in in_cpp.items():
    files[name][0] += 1
    files[name][1] += bool(n)
for name, (n, t) in sorted(files.items()):
    print(f'{t:4}/{n:<4} {name} (all its functions; for the record)')
print(f'unit-coverage: {hit} of {total} branches taken in {len(by_fn)} functions '
      f'(include/sipalg/core/*.hpp and the word compares of core/*.cpp)' +
      (f'; {bad} functions with branches not taken' if bad else ''))
sys.exit(1 if bad or not total else 0)
EOF
