#!/usr/bin/env bash
# bench/jsonl.sh — one large JSON Lines file on 1 thread and on 2: does it
# use the second core? The file (SIZE, default 1G) is made by
# bench/jsonlsynth from samples/*.jsonl and the EVTX corpus dumped as JSON
# Lines (evtx_dump shape), round-robin; it is removed at the end.
#
# Usage: bench/jsonl.sh [SIZE] [CORPUS_DIR] [RULES_DIR]
# Each rule set runs REPS (default 3) times on 1 and 2 threads, alternating;
# the table gives each run, then the median wall-time speed-up and its range
# over the pairs. CPU = user + sys, from GNU time. NICE (default 0) runs the
# hunts at that niceness. On a machine shared with other sessions, Linux's
# autogroup scheduling gives each session an equal share whatever the
# niceness; run the script in a session of its own with a heavier weight,
# e.g. setsid bash -c 'echo -15 > /proc/$$/autogroup; exec bench/jsonl.sh',
# or the wall times show the other sessions' load.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE=${1:-1G}
CORPUS=${2:-$ROOT/../shared/corpora/evtx}
RULES=${3:-$ROOT/../shared/sigma/rules}
REPS=${REPS:-3}
NICE=${NICE:-0}
command -v /usr/bin/time >/dev/null || { echo "bench/jsonl.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
BIN=$WORK/loghunt
(cd "$ROOT" && CGO_ENABLED=0 go build -o "$BIN" ./cmd/loghunt && go build -o "$WORK/jsonlsynth" ./bench/jsonlsynth)
SRC=("$ROOT"/samples/*.jsonl)
if [ -d "$CORPUS" ]; then
	find "$CORPUS" -name '*.evtx' -print0 | xargs -0 "$BIN" dump --format jsonl > "$WORK/corpus.jsonl" 2>/dev/null || true
	SRC+=("$WORK/corpus.jsonl")
fi
"$WORK/jsonlsynth" -o "$WORK/big.jsonl" -size "$SIZE" "${SRC[@]}"
rm -f "$WORK/corpus.jsonl"
MB=$(( $(stat -c %s "$WORK/big.jsonl") / 1000000 ))

printf '| rules | threads | run | events | hits | wall s | CPU s | MB/s (wall) | peak RSS MiB |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
run() { # label threads rep args...
	local label=$1 threads=$2 rep=$3; shift 3
	nice -n "$NICE" /usr/bin/time -f '%e %U %S %M' -o "$WORK/t" "$BIN" hunt -q --threads "$threads" --format jsonl -o "$WORK/hits.jsonl" \
		--summary-json "$WORK/sum.json" "$@" "$WORK/big.jsonl" || true
	read -r wall user sys rss < "$WORK/t"
	local events hits
	read -r events hits < <(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["events"], s.get("hits_total", s.get("hits", 0)))' "$WORK/sum.json")
	echo "$label $threads $wall" >> "$WORK/walls"
	awk -v l="$label" -v th="$threads" -v rep="$rep" -v ev="$events" -v h="$hits" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v mb="$MB" 'BEGIN {
		printf "| %s | %d | %d | %d | %d | %.2f | %.2f | %.0f | %.0f |\n", l, th, rep, ev, h, w, u + s, mb / (w > 0 ? w : 0.01), r / 1024 }'
}
bench() { # label args...
	local label=$1; shift
	for rep in $(seq "$REPS"); do
		run "$label" 1 "$rep" "$@"
		run "$label" 2 "$rep" "$@"
	done
}
bench "bundled"
bench "bundled, --no-kql" --no-kql
if [ -d "$RULES" ]; then
	bench "bundled + SigmaHQ rules/" -r "$RULES"
fi
echo
python3 - "$WORK/walls" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    *label, th, wall = line.split()
    rows.setdefault(" ".join(label), {}).setdefault(th, []).append(float(wall))
for label, r in rows.items():
    pairs = [a / b for a, b in zip(r["1"], r["2"])]
    print(f"{label}: 2 threads vs 1: median {statistics.median(r['1']) / statistics.median(r['2']):.2f}x "
          f"(pairs {min(pairs):.2f}-{max(pairs):.2f}x)")
PY
echo "input: $MB MB of JSON Lines; machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); $(date -u +%Y-%m-%d); load average $(cut -d' ' -f1-3 /proc/loadavg)"
