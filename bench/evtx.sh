#!/usr/bin/env bash
# bench/evtx.sh — EVTX decoding speed, side by side, in one run.
#
# Usage: [RUNS=N] bench/evtx.sh [CORPUS_DIR] [LARGE_MB]
#   CORPUS_DIR  EVTX corpus (default: ../shared/corpora/evtx next to the repo)
#   LARGE_MB    size of the synthetic large file (default 128)
#   RUNS        runs of every timed decoder row (default 5)
#
# Rows: our decoder on 1 thread and on all cores (parse-only: every record
# becomes a parsers.Event, nothing is written), golang-evtx v1.2.9 (same
# measuring program, bench/goevtx), libevtx's evtxexport -f xml (output to a
# file; it has no parse-only mode and takes one file per process), and cat
# (the I/O floor). Each row is one process (evtxexport: one per file, summed
# by the shell that runs them), timed through wait4's resource usage (bench/goevtx
# -run): CPU = user + sys, microsecond precision. Every decoder row runs
# RUNS times and reports the least CPU and the least wall time of those runs
# (each minimum on its own: the least-CPU run is not always the fastest);
# the runs of our decoder on 1 thread and on all cores take turns.
# Inputs: security.evtx of the evtx crate's samples, the whole corpus, and a
# large file made of the corpus' chunks repeated (bench/goevtx -synth).
# Peak RSS of our decoder is also taken file by file over the corpus.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${1:-$ROOT/../shared/corpora/evtx}
LARGE_MB=${2:-128}
RUNS=${RUNS:-5}
[ -d "$CORPUS" ] || { echo "bench/evtx.sh: corpus $CORPUS not found" >&2; exit 1; }
HAVE_EVTXEXPORT=1
command -v evtxexport >/dev/null || { HAVE_EVTXEXPORT=0; echo "bench/evtx.sh: evtxexport not installed (apt-get install libevtx-utils); its rows are skipped" >&2; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
BIN=$WORK/goevtx
(cd "$ROOT" && go build -o "$BIN" ./bench/goevtx)

mapfile -d '' FILES < <(find "$CORPUS" -iname '*.evtx' -type f -print0 | sort -z)
SEC=$CORPUS/evtx-rs-samples/samples/security.evtx
LARGE=$WORK/large.evtx
"$BIN" -synth "$LARGE" -mb "$LARGE_MB" "${FILES[@]}"

bytes_of() { local s=0 f; for f in "$@"; do s=$((s + $(stat -c %s "$f"))); done; echo "$s"; }

# timeit TIMEFILE OUTFILE CMD... : runs CMD with its stdout in OUTFILE;
# TIMEFILE gets "wall user sys maxrss_kb" (bench/goevtx -run: the same
# resource usage GNU time reports, with microsecond precision).
timeit() {
	local tf=$1 of=$2; shift 2
	"$BIN" -run -o "$of" "$@" > "$tf"
}

NCPU=$(nproc)
ROWS=$WORK/rows.tsv
: > "$ROWS"

# row INPUT TOOL THREADS FILES BYTES RECORDS TIMEFILE
row() {
	local input=$1 tool=$2 threads=$3 nfiles=$4 bytes=$5 records=$6 tf=$7
	read -r wall user sys rss < "$tf"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$input" "$tool" "$threads" "$nfiles" "$bytes" "$records" "$wall" \
		"$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.3f", u+s}')" "$rss" >> "$ROWS"
}

# keepbest KEY : folds the run just timed ($WORK/t, output $WORK/o) into
# $WORK/KEY.t, which holds the least wall time and the user, sys and peak
# RSS of the least-CPU run, and $WORK/KEY.o, the output of that run.
keepbest() {
	local key=$1 line best wall
	line=$(cat "$WORK/t")
	if [ ! -s "$WORK/$key.t" ]; then
		echo "$line" > "$WORK/$key.t"
		cp "$WORK/o" "$WORK/$key.o"
		return
	fi
	best=$(cat "$WORK/$key.t")
	wall=$(awk -v a="$line" -v b="$best" 'BEGIN{split(a,x," "); split(b,y," "); print (x[1]<y[1]) ? x[1] : y[1]}')
	if awk -v a="$line" -v b="$best" 'BEGIN{split(a,x," ");split(b,y," ");exit !((x[2]+x[3])<(y[2]+y[3]))}'; then
		best=$line
		cp "$WORK/o" "$WORK/$key.o"
	fi
	echo "$best" | awk -v w="$wall" '{print w, $2, $3, $4}' > "$WORK/$key.t"
}

# bestof CMD... : runs a timed command RUNS times; $WORK/t and $WORK/o get
# the best of them (keepbest).
bestof() {
	rm -f "$WORK/best.t" "$WORK/best.o"
	for _ in $(seq "$RUNS"); do
		timeit "$WORK/t" "$WORK/o" "$@"
		keepbest best
	done
	cp "$WORK/best.t" "$WORK/t"
	cp "$WORK/best.o" "$WORK/o"
}

# native_rows INPUT FILES... : our decoder on 1 thread and on all cores
# (and on 2 when there are more), the runs of the thread counts taking
# turns, so that each sees the machine in the same state: the load of a
# VM's host changes from minute to minute, and the speed-up is a ratio of
# two of these rows.
native_rows() {
	local input=$1; shift
	local counts="1 $NCPU" n recs
	[ "$NCPU" -le 2 ] || counts="1 2 $NCPU"
	rm -f "$WORK"/n.*.t "$WORK"/n.*.o
	for _ in $(seq "$RUNS"); do
		for n in $counts; do
			timeit "$WORK/t" "$WORK/o" "$BIN" -parser native -threads "$n" "$@"
			keepbest "n.$n"
		done
	done
	for n in $counts; do
		recs=$(sed -n 's/.* records=\([0-9]*\).*/\1/p' "$WORK/n.$n.o")
		row "$input" "ours" "$n" "$#" "$(bytes_of "$@")" "$recs" "$WORK/n.$n.t"
		sed -n "s/.* alloc_kb=\([0-9]*\) gcs=\([0-9]*\).*/$input\t$n\t\1\t\2/p" "$WORK/n.$n.o" >> "$WORK/gc.tsv"
	done
}

goevtx_row() { # INPUT FILES...
	local input=$1; shift
	bestof "$BIN" -parser goevtx "$@"
	local recs; recs=$(sed -n 's/.* records=\([0-9]*\).*/\1/p' "$WORK/o")
	row "$input" "golang-evtx" 1 "$#" "$(bytes_of "$@")" "$recs" "$WORK/t"
}

evtxexport_row() { # INPUT FILES...
	local input=$1; shift
	[ "$HAVE_EVTXEXPORT" = 1 ] || return 0
	bestof sh -c 'i=0; for f in "$@"; do i=$((i+1)); evtxexport -f xml "$f" > "$0/x.$i.xml" 2>/dev/null || true; done' "$WORK" "$@"
	local recs; recs=$(cat "$WORK"/x.*.xml | grep -c '^<Event ' || true)
	rm -f "$WORK"/x.*.xml
	row "$input" "evtxexport" 1 "$#" "$(bytes_of "$@")" "$recs" "$WORK/t"
}

cat_row() { # INPUT FILES...
	local input=$1; shift
	timeit "$WORK/t" /dev/null cat "$@"
	row "$input" "cat" 1 "$#" "$(bytes_of "$@")" "-" "$WORK/t"
}

for spec in "security.evtx:$SEC" "corpus:" "large ${LARGE_MB} MB:$LARGE"; do
	name=${spec%%:*}; f=${spec#*:}
	if [ "$name" = corpus ]; then set -- "${FILES[@]}"; else set -- "$f"; fi
	native_rows "$name" "$@"
	goevtx_row "$name" "$@"
	evtxexport_row "$name" "$@"
	cat_row "$name" "$@"
done

# Control: the speed-up of pure CPU work on all cores, measured now (other
# load on the machine shows here).
spin1=$("$BIN" -spin -threads 1 | sed -n 's/.* wall=\([0-9.]*\).*/\1/p')
spinN=$("$BIN" -spin -threads 0 | sed -n 's/.* wall=\([0-9.]*\).*/\1/p')

# Control: our decoder on 1 thread pinned to each CPU in turn (least wall
# of RUNS runs). On a VM the CPUs need not be equally fast for this work
# even when the spin control scales; the ideal speed-up on all CPUs is then
# the fastest CPU's time times the sum of every CPU's speed.
# Control: NCPU independent 1-thread decodes of the large file at once, as
# separate processes (least wall of RUNS rounds, a round lasting until its
# slowest process ends). Nothing is shared between them but the machine:
# NCPU x (1-thread wall) / (round wall) is the throughput the machine gives
# this work on all CPUs, the ceiling of any multi-thread speed-up of it.
ROUND=""
for _ in $(seq "$RUNS"); do
	for c in $(seq 1 "$NCPU"); do
		timeit "$WORK/p.$c" /dev/null "$BIN" -parser native -threads 1 "$LARGE" &
	done
	wait
	w=$(cat "$WORK"/p.* | awk '$1>m{m=$1} END{print m}')
	ROUND=$(awk -v a="$w" -v r="$ROUND" 'BEGIN{print (r=="" || a<r) ? a : r}')
	rm -f "$WORK"/p.*
done

PERCPU=""
if command -v taskset >/dev/null; then
	for c in $(seq 0 $((NCPU - 1))); do
		bestof taskset -c "$c" "$BIN" -parser native -threads 1 "$LARGE"
		read -r w _ < "$WORK/t"
		PERCPU="$PERCPU $w"
	done
fi

# Peak RSS of our decoder, file by file (all cores).
maxrss=0; maxfile=
for f in "${FILES[@]}" "$LARGE"; do
	timeit "$WORK/t" /dev/null "$BIN" -parser native -threads 0 "$f"
	read -r _ _ _ rss < "$WORK/t"
	if [ "$rss" -gt "$maxrss" ]; then maxrss=$rss; maxfile=$f; fi
done

echo "# EVTX decoding benchmark"
echo
echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -sr); $(go version | cut -d' ' -f3); date $(date -u +%Y-%m-%dT%H:%MZ)."
echo
echo "| input | tool | threads | files | MB | records | wall s | CPU s | MB/s per CPU s | records/s per CPU s | max RSS MiB |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
awk -F'\t' '{
	mb=$5/1e6; cpu=($8>0)?$8:0.001
	rec=($6=="-")?"-":sprintf("%d",$6); rps=($6=="-")?"-":sprintf("%.0f",$6/cpu)
	printf "| %s | %s | %s | %s | %.1f | %s | %.3f | %.3f | %.1f | %s | %.1f |\n", $1,$2,$3,$4,mb,rec,$7,$8,mb/cpu,rps,$9/1024
}' "$ROWS"
echo
awk -F'\t' '
	$2=="ours" && $3==1 {ours[$1]=$8}
	$2=="ours" && $3==2 {two[$1]=$7}
	$2=="ours" && $3==1 {one[$1]=$7}
	$2=="golang-evtx" {g[$1]=$8}
	$2=="evtxexport" {x[$1]=$8}
	END {
		for (k in ours) {
			line=sprintf("- %s: ours (1 thread) uses %.1fx less CPU than golang-evtx", k, g[k]/(ours[k]>0?ours[k]:0.001))
			if (k in x) line=line sprintf(" and %.1fx less than evtxexport", x[k]/(ours[k]>0?ours[k]:0.001))
			if (k in two && two[k]>0) line=line sprintf("; 2 threads are %.2fx faster (wall) than 1", one[k]/two[k])
			print line "."
		}
	}' "$ROWS" | sort
echo "- Peak RSS of our decoder over every corpus file and the large file: $((maxrss / 1024)) MiB ($(basename "$maxfile"))."
awk -F'\t' '{ list=list sprintf("%s%s on %d thread%s: %d KiB, %d GC", (NR>1?"; ":""), $1, $2, ($2>1?"s":""), $3, $4) }
	END { if (NR) print "- Go heap allocated by our decoder, and garbage collections, in the least-CPU run of each row: " list "." }' "$WORK/gc.tsv"
if [ -n "$PERCPU" ]; then
	awk -v t="$PERCPU" -v n="$NCPU" 'BEGIN{
		k=split(t, w, " "); min=w[1]; sum=0; list=""
		for (i=1; i<=k; i++) { if (w[i]<min) min=w[i]; sum+=1/w[i]; list=list sprintf("%sCPU %d %.3f s", (i>1?", ":""), i-1, w[i]) }
		printf "- Control: our decoder on 1 thread pinned to each CPU, large file (least wall of the runs): %s; the ideal %d-thread speed-up for this work on these CPUs at the time of this run is %.2fx.\n", list, n, min*sum
	}'
fi
awk -F'\t' -v r="$ROUND" -v n="$NCPU" -v mb="$LARGE_MB" '$1=="large " mb " MB" && $2=="ours" && $3==1 {
	printf "- Control: %d independent 1-thread decodes of the large file at once, as separate processes, took %.3f s (one alone: %.3f s): while this control ran, the machine gave this work %.2fx the throughput of one CPU, which bounds a %d-thread speed-up measured at the same moment (the load of the host varies from minute to minute).\n", n, r, $7, n*$7/r, n
}' "$ROWS"
echo "- Control: pure CPU work on $NCPU threads ran $(awk -v a="$spin1" -v b="$spinN" 'BEGIN{printf "%.2f", a/b}')x faster (wall) than on 1 thread at the time of this run (${spin1} s vs ${spinN} s) (a spin loop: no memory traffic, so it can scale where decoding cannot)."
