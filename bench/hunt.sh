#!/usr/bin/env bash
# bench/hunt.sh — end-to-end hunt throughput: loghunt hunt over an EVTX
# corpus with the bundled rules, and with every SigmaHQ rule in
# ../shared/sigma/rules, on 1 thread and on all cores.
#
# Usage: bench/hunt.sh [CORPUS_DIR] [RULES_DIR]
# Each row is one process timed by GNU time (CPU = user + sys). Events/s
# counts the records the run parsed (from its JSON summary).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${1:-$ROOT/../shared/corpora/evtx}
RULES=${2:-$ROOT/../shared/sigma/rules}
[ -d "$CORPUS" ] || { echo "bench/hunt.sh: corpus $CORPUS not found" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "bench/hunt.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
BIN=$WORK/loghunt
(cd "$ROOT" && CGO_ENABLED=0 go build -o "$BIN" ./cmd/loghunt)
NCPU=$(nproc)

printf '| rules | threads | events | wall s | CPU s | events/s (wall) | events/s per CPU-s | peak RSS MiB |\n'
printf '|---|---|---|---|---|---|---|---|\n'
run() { # label threads args...
	local label=$1 threads=$2; shift 2
	/usr/bin/time -f '%e %U %S %M' -o "$WORK/t" "$BIN" hunt -q --threads "$threads" --format jsonl -o "$WORK/hits.jsonl" \
		--summary-json "$WORK/sum.json" "$@" "$CORPUS"
	read -r wall user sys rss < "$WORK/t"
	local events
	events=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["events"])' "$WORK/sum.json")
	awk -v l="$label" -v th="$threads" -v ev="$events" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
		cpu = u + s; printf "| %s | %d | %d | %.2f | %.2f | %.0f | %.0f | %.0f |\n", l, th, ev, w, cpu, ev / (w > 0 ? w : 0.01), ev / (cpu > 0 ? cpu : 0.01), r / 1024 }'
}
run "bundled (3 Sigma + 4 KQL)" 1
run "bundled (3 Sigma + 4 KQL)" "$NCPU"
if [ -d "$RULES" ]; then
	run "bundled + SigmaHQ rules/" 1 -r "$RULES"
	run "bundled + SigmaHQ rules/" "$NCPU" -r "$RULES"
fi
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); $(date -u +%Y-%m-%d); load average $(cut -d' ' -f1-3 /proc/loadavg)"
