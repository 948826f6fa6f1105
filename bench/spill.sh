#!/usr/bin/env bash
# bench/spill.sh — peak memory of a hunt that writes every hit, side by side
# with another build (default: where this branch left main): loghunt hunt with every
# SigmaHQ rule in ../shared/sigma/rules and -o hits.jsonl over a synthetic
# EVTX file made of the corpus' chunks (bench/goevtx -synth), on 1 and 2
# threads.
#
# Usage: bench/spill.sh [MB...]          (default: 1024)
#   BASE=ref     the other build (default: where this branch left main)
#   THREADS      thread counts to run (default "1 2")
#   CORPUS, RULES, WORK (default: a temporary directory, removed at the end)
# Each row is one process timed by GNU time (CPU = user + sys; RSS = max
# resident set). Hits and spilled runs come from the run's JSON summary.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${CORPUS:-$ROOT/../shared/corpora/evtx}
RULES=${RULES:-$ROOT/../shared/sigma/rules}
BASE=${BASE:-$(git -C "$ROOT" merge-base main HEAD)}
SIZES=("${@:-1024}")
read -r -a THREADS <<< "${THREADS:-1 2}"
[ -d "$CORPUS" ] && [ -d "$RULES" ] || { echo "bench/spill.sh: needs $CORPUS and $RULES" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "bench/spill.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$WORK/base"
git -C "$ROOT" archive "$BASE" | tar -x -C "$WORK/base"
(cd "$WORK/base" && CGO_ENABLED=0 go build -o "$WORK/loghunt-base" ./cmd/loghunt)
(cd "$ROOT" && CGO_ENABLED=0 go build -o "$WORK/loghunt-new" ./cmd/loghunt)
(cd "$ROOT" && go build -o "$WORK/goevtx" ./bench/goevtx)
mapfile -d '' FILES < <(find "$CORPUS" -iname '*.evtx' -type f -print0 | sort -z)

printf '| input | build | threads | hits | wall s | CPU s | MB/s per CPU-s | peak RSS MiB | spilled runs | hits.jsonl sha256 |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
run() { # build threads input mb [args...]
	local build=$1 threads=$2 input=$3 mb=$4
	shift 4
	rm -f "$WORK/hits.jsonl" "$WORK/sum.json"
	/usr/bin/time -f '%e %U %S %M' -o "$WORK/t" "$WORK/loghunt-$build" hunt -q --threads "$threads" -o "$WORK/hits.jsonl" \
		--summary-json "$WORK/sum.json" -r "$RULES" "$@" "$input" || true
	local sha label=$build
	sha=$(sha256sum "$WORK/hits.jsonl" | cut -c1-12)
	[ $# -gt 0 ] && label="$build $*"
	read -r wall user sys rss < "$WORK/t"
	local hits runs
	hits=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hits"])' "$WORK/sum.json")
	runs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("memory",{}).get("spill_runs","-"))' "$WORK/sum.json")
	awk -v mb="$mb" -v b="$label" -v th="$threads" -v h="$hits" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v runs="$runs" -v sha="$sha" 'BEGIN {
		cpu = u + s; printf "| %d MB | %s | %d | %d | %.1f | %.1f | %.0f | %.0f | %s | %s |\n", mb, b, th, h, w, cpu, mb / (cpu > 0 ? cpu : 0.01), r / 1024, runs, sha }'
}
for mb in "${SIZES[@]}"; do
	"$WORK/goevtx" -synth "$WORK/synth.evtx" -mb "$mb" "${FILES[@]}" >/dev/null
	for threads in "${THREADS[@]}"; do
		run base "$threads" "$WORK/synth.evtx" "$mb"
		run new "$threads" "$WORK/synth.evtx" "$mb"
		# The hits alone: KQL's tables (bundled rules) are the rest.
		run new "$threads" "$WORK/synth.evtx" "$mb" --no-kql
	done
	rm -f "$WORK/synth.evtx" "$WORK/hits.jsonl"
done
echo
echo "base: $BASE ($(git -C "$ROOT" rev-parse --short "$BASE")), new: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo '+dirty')"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); $(date -u +%Y-%m-%d); load average $(cut -d' ' -f1-3 /proc/loadavg)"
