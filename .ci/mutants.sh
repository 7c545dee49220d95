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
#
# What keeps it short enough for CI on 2 cores:
#   - each list runs in a fixed folder of its job slot, not a fresh
#     temporary one: go's build cache keys a package on its folder, so in a
#     fresh folder every list first compiled the whole module again (tens of
#     seconds a list); now only a slot's first list does;
#   - go vet is off: a mutant must be caught by the tests (CI vets the
#     unmutated tree), and vetting each mutated package cost about a second;
#   - rows whose package's whole suite is slow name the tests that catch
#     them with -run= (see the lists).
set -euo pipefail
cd "$(dirname "$0")/.."
export CI=true
export GOFLAGS="${GOFLAGS:-$(go env GOFLAGS)} -vet=off"

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

# The tool copies the repo into tempfile.mkdtemp() and removes it at the
# end; this runs it with that folder fixed to the slot's ($1), so that the
# lists a slot runs one after another share their compiled packages.
fixed_tmp='
import os, runpy, shutil, sys, tempfile
slot = sys.argv.pop(1)
def mkdtemp(*args, **kwargs):
    shutil.rmtree(slot, ignore_errors=True)
    os.makedirs(slot)
    return slot
tempfile.mkdtemp = mkdtemp
sys.argv[0] = sys.argv[1]
del sys.argv[1]
runpy.run_path(sys.argv[0], run_name="__main__")
'

# run_list runs one list in a slot's folder, its report in $out/N.log and
# "STATUS SECONDS" in $out/N.status.
run_list() {
	local n=$1 list=$2 slot=$3 t0=$SECONDS status=ok
	python3 -c "$fixed_tmp" "$out/slot$slot" "$tool" "$list" --repo . --timeout "$timeout" >"$out/$n.log" 2>&1 || status=FAIL
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
declare -A slot_of=() # pid → its slot
free=()               # slots no list runs in
for ((s = 0; s < jobs; s++)); do free+=("$s"); done
next=0
while [ $next -lt ${#lists[@]} ] || [ ${#running[@]} -gt 0 ]; do
	if [ $next -lt ${#lists[@]} ] && [ ${#free[@]} -gt 0 ]; then
		run_list $next "${lists[$next]}" "${free[0]}" &
		running[$!]=$next slot_of[$!]=${free[0]}
		free=("${free[@]:1}")
		next=$((next + 1))
		continue
	fi
	wait -n -p done_pid || true
	report "${running[$done_pid]}"
	free+=("${slot_of[$done_pid]}")
	unset "running[$done_pid]" "slot_of[$done_pid]"
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
