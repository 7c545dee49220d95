#!/usr/bin/env bash
# Runs every mutant list in .ci/mutants/ (one .tsv per area) with
# ../shared/tools/mutants: each line is a deliberate breakage of a rule,
# and the tests of the package it names must fail. Exits 1 when a mutant
# survives or no longer applies (its FROM text changed), 0 when all are
# caught. Prints each list's report as it finishes, then a total.
#
#   .ci/mutants.sh                      every list, two at a time
#   .ci/mutants.sh .ci/mutants/power.tsv  only the lists named
#   JOBS=1 .ci/mutants.sh               one list at a time
#
# The tool tests copies of the files git tracks: git add a new test file
# before counting on it. CI runs this after the README's test command, so
# the unmutated tests are known to pass.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI=true

tool=../shared/tools/mutants
jobs=${JOBS:-2}
timeout=${MUTANT_TIMEOUT:-180} # seconds per mutant; a hung test counts as caught

if [ $# -gt 0 ]; then
	lists=("$@")
else
	# Biggest lists first, so that two at a time finish close together.
	mapfile -t lists < <(for f in .ci/mutants/*.tsv; do
		printf '%s %s\n' "$(grep -cv -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$f" || true)" "$f"
	done | sort -rn | cut -d' ' -f2)
fi
[ ${#lists[@]} -gt 0 ] || { echo "mutants: no lists in .ci/mutants/"; exit 1; }

untracked=$(git ls-files --others --exclude-standard -- '*.go')
if [ -n "$untracked" ]; then
	echo "mutants: warning: untracked Go files are left out of the mutants' copies (git add them):"
	echo "$untracked" | sed 's/^/  /'
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$SECONDS

# run_list runs one list, its report in $out/N.log and "STATUS SECONDS" in
# $out/N.status.
run_list() {
	local n=$1 list=$2 t0=$SECONDS status=ok
	python3 "$tool" "$list" --repo . --timeout "$timeout" >"$out/$n.log" 2>&1 || status=FAIL
	echo "$status $((SECONDS - t0))" >"$out/$n.status"
}

# report prints a finished list's report in one piece.
report() {
	local n=$1 status secs
	read -r status secs <"$out/$n.status"
	echo "=== ${lists[$n]} ($status, ${secs}s)"
	cat "$out/$n.log"
}

declare -A running=() # pid → list number
next=0
while [ $next -lt ${#lists[@]} ] || [ ${#running[@]} -gt 0 ]; do
	if [ $next -lt ${#lists[@]} ] && [ ${#running[@]} -lt "$jobs" ]; then
		run_list $next "${lists[$next]}" &
		running[$!]=$next
		next=$((next + 1))
		continue
	fi
	wait -n -p done_pid || true
	report "${running[$done_pid]}"
	unset "running[$done_pid]"
done

caught=0 bad=0 total=0 failed=()
for n in "${!lists[@]}"; do
	read -r status _ <"$out/$n.status"
	[ "$status" = ok ] || failed+=("${lists[$n]}")
	# The tool's last line: "mutants: C caught, B survived or not applied, of T".
	if line=$(grep -E '^mutants: [0-9]+ caught' "$out/$n.log" | tail -1); then
		read -r c b t < <(sed -E 's/^mutants: ([0-9]+) caught, ([0-9]+) survived or not applied, of ([0-9]+).*/\1 \2 \3/' <<<"$line")
		caught=$((caught + c)) bad=$((bad + b)) total=$((total + t))
	fi
done
echo "=== mutants: $caught caught, $bad survived or not applied, of $total in ${#lists[@]} lists, $((SECONDS - start))s"
if [ ${#failed[@]} -gt 0 ]; then
	echo "mutants: FAILED: ${failed[*]}"
	exit 1
fi
