#!/usr/bin/env bash
# bench/search.sh — loghunt search against loghunt hunt (bundled rules) on
# the same input, side by side: the issue's bar is a search within 1.5x of
# the hunt's time.
#
# Usage: RUNS=7 bench/search.sh [CORPUS_DIR]
#
# Each round runs every command once, in turn (hunt, then each search), so
# that all of them see the machine in the same minutes; RUNS rounds. The
# table gives, per command and thread count, the least wall time and the
# least CPU time (user + sys, GNU time) of its runs, and their ratio to the
# hunt's. Every run writes JSON Lines to a file, with -q, as bench/hunt.sh
# does.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${1:-$ROOT/../shared/corpora/evtx}
RUNS=${RUNS:-5}
[ -d "$CORPUS" ] || { echo "bench/search.sh: corpus $CORPUS not found" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "bench/search.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
BIN=$WORK/loghunt
(cd "$ROOT" && CGO_ENABLED=0 go build -o "$BIN" ./cmd/loghunt)
NCPU=$(nproc)

# The commands, by number: case_args N sets ARGS; LABELS[N] names it.
LABELS=(
	"hunt, bundled rules (3 Sigma + 4 KQL)"
	"search -k mimikatz"
	"search --any -k mimikatz -k psexec -k lsass"
	"search -k powershell -k bypass"
	"search -e 'sekurlsa|lsass\.dmp'"
	"search -e '\d+\.\d+\.\d+\.\d+' (no literal but '.')"
	"same, -e zzqqxx too: the regexp's cost without the output"
	"search --field 'Image=*\powershell.exe'"
	"search --event-id 4688,1 -k whoami"
)
case_args() {
	case $1 in
	0) ARGS=(hunt) ;;
	1) ARGS=(search -k mimikatz) ;;
	2) ARGS=(search --any -k mimikatz -k psexec -k lsass) ;;
	3) ARGS=(search -k powershell -k bypass) ;;
	4) ARGS=(search -e 'sekurlsa|lsass\.dmp') ;;
	5) ARGS=(search -e '\d+\.\d+\.\d+\.\d+') ;;
	6) ARGS=(search -e '\d+\.\d+\.\d+\.\d+' -e zzqqxx) ;;
	7) ARGS=(search --field 'Image=*\powershell.exe') ;;
	8) ARGS=(search --event-id 4688,1 -k whoami) ;;
	esac
}

declare -A WALL CPU EVENTS HITS
for ((r = 1; r <= RUNS; r++)); do
	for threads in 1 "$NCPU"; do
		for i in "${!LABELS[@]}"; do
			case_args "$i"
			/usr/bin/time -f '%e %U %S' -o "$WORK/t" "$BIN" "${ARGS[@]}" -q --threads "$threads" --format jsonl \
				-o "$WORK/out.jsonl" --summary-json "$WORK/sum.json" "$CORPUS"
			read -r wall user sys < "$WORK/t"
			cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
			k="$i/$threads"
			if [ -z "${WALL[$k]:-}" ] || awk -v a="$wall" -v b="${WALL[$k]}" 'BEGIN { exit !(a < b) }'; then WALL[$k]=$wall; fi
			if [ -z "${CPU[$k]:-}" ] || awk -v a="$cpu" -v b="${CPU[$k]}" 'BEGIN { exit !(a < b) }'; then CPU[$k]=$cpu; fi
			read -r ev hits < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["events"], d["hits"])' "$WORK/sum.json")
			EVENTS[$k]=$ev HITS[$k]=$hits
		done
	done
done

printf '| command | threads | events | hits | wall s (least) | CPU s (least) | wall / hunt | CPU / hunt |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|\n'
for threads in 1 "$NCPU"; do
	for i in "${!LABELS[@]}"; do
		k="$i/$threads"
		awk -v l="${LABELS[$i]}" -v th="$threads" -v ev="${EVENTS[$k]}" -v h="${HITS[$k]}" -v w="${WALL[$k]}" -v c="${CPU[$k]}" \
			-v hw="${WALL[0/$threads]}" -v hc="${CPU[0/$threads]}" 'BEGIN {
			printf "| `%s` | %d | %d | %d | %.2f | %.2f | %.2fx | %.2fx |\n", l, th, ev, h, w, c, w / (hw > 0 ? hw : 0.01), c / (hc > 0 ? hc : 0.01) }'
	done
done
echo
echo "runs: $RUNS rounds, commands alternating; machine: $NCPU cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); $(date -u +%Y-%m-%dT%H:%MZ); load average $(cut -d' ' -f1-3 /proc/loadavg)"
