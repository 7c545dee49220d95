#!/usr/bin/env bash
# Runs every mutant list in .ci/mutants/ (one .tsv per area) with
# ../shared/tools/mutants: each line is a deliberate breakage of a rule,
# and the tests of the package it names must fail. Exits 1 when a mutant
# survives or no longer applies (its FROM text changed), 0 when all are
# caught. Prints each list's report as its last row finishes, then the
# slowest rows and a total.
#
#   .ci/mutants.sh                        every list, three rows at a time
#   .ci/mutants.sh .ci/mutants/power.tsv  only the lists named
#   JOBS=1 .ci/mutants.sh                 one row at a time
#
# The tool tests copies of the files git tracks: git add a new test file
# before counting on it. CI runs this after the README's test command, so
# the unmutated tests are known to pass.
#
# What keeps it short enough for CI on 2 cores:
#   - the rows of all lists go into one queue, each row one run of the tool
#     on a copy of its list in which the other rows are commented out (so
#     the tool reports the list's own line numbers); JOBS rows run at a
#     time, so the run ends within a row of the slowest, whatever the
#     lists' sizes, and a row whose test waits out a deadline leaves the
#     CPU to the other rows' builds;
#   - each job slot keeps its copy of the repo from row to row: before a
#     row, the files git does not track are removed from it and the
#     tracked files whose size, mode or time differ from the repo's (the
#     one the last row mutated, any a test wrote) are copied again, so a
#     row starts from the tracked files as the tool's fresh copy does,
#     without copying 700 files; and go's build cache, which keys a
#     package on its folder, serves a slot's rows without compiling the
#     module again;
#   - go vet is off: a mutant must be caught by the tests (CI vets the
#     unmutated tree);
#   - rows whose package's whole suite is slow name the tests that catch
#     them with -run= (see the lists; .ci/mutants-tests.py finds them).
set -euo pipefail
cd "$(dirname "$0")/.."
export CI=true
export GOFLAGS="${GOFLAGS:-$(go env GOFLAGS)} -vet=off"

tool=../shared/tools/mutants
jobs=${JOBS:-3}
timeout=${MUTANT_TIMEOUT:-180} # seconds per mutant; a hung test counts as caught

if [ $# -gt 0 ]; then
	lists=("$@")
else
	lists=(.ci/mutants/*.tsv)
fi
[ ${#lists[@]} -gt 0 ] && [ -e "${lists[0]}" ] || { echo "mutants: no lists in .ci/mutants/"; exit 1; }

untracked=$(git ls-files --others --exclude-standard -- '*.go')
if [ -n "$untracked" ]; then
	echo "mutants: warning: untracked Go files are left out of the mutants' copies (git add them):"
	echo "$untracked" | sed 's/^/  /'
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$SECONDS

# $out/rows/L-N.tsv: list L with every row but line N commented out, a
# row being what the tool reads as one (a line neither blank nor a
# comment). The queue takes a row of each list in turn, so that the
# rows running at once are mostly of different lists and packages.
mkdir "$out/rows"
mapfile -t queue < <(python3 - "$out/rows" "${lists[@]}" <<'EOF'
import sys
dst, lists = sys.argv[1], sys.argv[2:]
per = []
for l, path in enumerate(lists):
    lines = open(path, encoding="utf-8").read().splitlines(keepends=True)
    isrow = [bool(s.strip()) and not s.lstrip().startswith("#") for s in lines]
    mine = []
    for n, s in enumerate(lines, 1):
        if not isrow[n - 1]:
            continue
        with open(f"{dst}/{l}-{n}.tsv", "w", encoding="utf-8") as f:
            f.writelines(t if i == n or not isrow[i - 1] else "#" + t for i, t in enumerate(lines, 1))
        mine.append(f"{l}-{n}")
    per.append(mine)
    print(f"list {l} {len(mine)}")
for k in range(max(map(len, per), default=0)):
    for mine in per:
        if k < len(mine):
            print(mine[k])
EOF
)
declare -A left=() # list number → its rows not finished
rows=()
for q in "${queue[@]}"; do
	case $q in
	list\ *) read -r _ l n <<<"$q" && left[$l]=$n ;;
	*) rows+=("$q") ;;
	esac
done

# The tool removes its temporary folder and copies every tracked file
# for each row; this runs it in the slot's folder ($1), kept from row to
# row, and copies only what differs (see the header).
keep_slot='
import os, runpy, shutil, stat, subprocess, sys, tempfile
slot = sys.argv.pop(1)
tool, repo = sys.argv[1], sys.argv[sys.argv.index("--repo") + 1]
work = os.path.join(slot, "repo")
rmtree, copy2 = shutil.rmtree, shutil.copy2
def mkdtemp(*args, **kwargs):
    os.makedirs(slot, exist_ok=True)
    if os.path.lexists(os.path.join(slot, "shared")):
        os.unlink(os.path.join(slot, "shared"))
    return slot
def clean(path, *args, **kwargs):
    if path == slot:
        return  # kept for the next row
    if path != work or not os.path.isdir(work):
        return rmtree(path, *args, **kwargs)
    files = subprocess.run(["git", "-C", repo, "ls-files", "-z"], capture_output=True, check=True).stdout
    tracked = {os.path.normpath(f.decode()) for f in files.split(b"\0") if f}
    dirs = {os.path.dirname(f) for f in tracked}
    for d in list(dirs):
        while d:
            d = os.path.dirname(d)
            dirs.add(d)
    for top, subdirs, names in os.walk(work, topdown=False):
        rel = os.path.relpath(top, work)
        rel = "" if rel == "." else rel
        for name in names:
            if os.path.join(rel, name) not in tracked:
                os.unlink(os.path.join(top, name))
        for name in subdirs:
            p = os.path.join(top, name)
            if os.path.islink(p):
                os.unlink(p)
            elif os.path.join(rel, name) not in dirs:
                rmtree(p)
def copy_changed(src, dst, *args, **kwargs):
    try:
        s, d = os.stat(src), os.lstat(dst)
        if stat.S_ISREG(d.st_mode) and (s.st_size, s.st_mtime_ns, s.st_mode) == (d.st_size, d.st_mtime_ns, d.st_mode):
            return dst
    except OSError:
        pass
    if os.path.lexists(dst):
        os.unlink(dst)
    return copy2(src, dst, *args, **kwargs)
tempfile.mkdtemp, shutil.rmtree, shutil.copy2 = mkdtemp, clean, copy_changed
sys.argv = sys.argv[1:]
runpy.run_path(tool, run_name="__main__")
'

# As root, each slot's folder is mounted at one same path in a mount
# namespace of its own, so that the slots share go's build cache too: a
# package the rows do not mutate is compiled once, not once a slot (nor,
# on the same machine, once a run). Other runs mount their own slots
# there in their own namespaces. Elsewhere each slot has its own folder.
common=
if [ "$(id -u)" = 0 ] && mkdir -p /tmp/dcplane-mutants && unshare -m sh -c 'mount --bind "$1" /tmp/dcplane-mutants' sh "$out" 2>/dev/null; then
	common=/tmp/dcplane-mutants
	# Compile every package and test package once, before the slots start
	# together on the same ones.
	mkdir -p "$out/slot0/repo"
	git ls-files -z | xargs -0 cp -p --parents -t "$out/slot0/repo" 2>/dev/null || true
	ln -s "$PWD/../shared" "$out/slot0/shared"
	unshare -m sh -c 'mount --bind "$1" "$2" && cd "$2/repo" && go list -e -test -export -f "" ./... >/dev/null 2>&1' sh "$out/slot0" "$common" || true
fi

# run_row runs row $1 (L-N) in slot $2: its report in $out/L-N.log and
# "STATUS SECONDS" in $out/L-N.status.
run_row() {
	local row=$1 dir=$out/slot$2 t0=$SECONDS status=ok
	local run=(python3 -c "$keep_slot" "${common:-$dir}" "$tool" "$out/rows/$row.tsv" --repo . --timeout "$timeout")
	mkdir -p "$dir"
	if [ -n "$common" ]; then
		run=(unshare -m sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh "$dir" "$common" "${run[@]}")
	fi
	"${run[@]}" >"$out/$row.log" 2>&1 || status=FAIL
	echo "$status $((SECONDS - t0))" >"$out/$row.status"
}

# report prints list $1's report in one piece, its rows in line order:
# what the tool printed for each, then the list's sums in the tool's
# summary line ("mutants: C caught, B survived or not applied, of T").
# Its seconds are those of its rows added up.
report() {
	local l=$1 status=ok secs=0 c=0 b=0 t=0 f s x line
	local logs=()
	for f in $(ls "$out"/rows/"$l"-*.tsv | sed -E 's/.*-([0-9]+)\.tsv$/\1/' | sort -n); do
		read -r s x <"$out/$l-$f.status"
		[ "$s" = ok ] || status=FAIL
		secs=$((secs + x))
		logs+=("$out/$l-$f.log")
		if line=$(grep -E '^mutants: [0-9]+ caught' "$out/$l-$f.log" | tail -1); then
			read -r x y z < <(sed -E 's/^mutants: ([0-9]+) caught, ([0-9]+) survived or not applied, of ([0-9]+).*/\1 \2 \3/' <<<"$line")
			c=$((c + x)) b=$((b + y)) t=$((t + z))
		else
			b=$((b + 1)) t=$((t + 1))
		fi
	done
	echo "=== ${lists[$l]} ($status, ${secs}s)"
	cat "${logs[@]}" | grep -Ev '^mutants: [0-9]+ caught' || true
	echo "mutants: $c caught, $b survived or not applied, of $t"
	echo "$status $secs $c $b $t" >"$out/list$l.status"
}

declare -A running=() # pid → row
declare -A slot_of=() # pid → its slot
free=()               # slots no row runs in
for ((s = 0; s < jobs; s++)); do free+=("$s"); done
next=0
for l in "${!lists[@]}"; do
	[ "${left[$l]:-0}" -gt 0 ] || report "$l"
done
while [ $next -lt ${#rows[@]} ] || [ ${#running[@]} -gt 0 ]; do
	if [ $next -lt ${#rows[@]} ] && [ ${#free[@]} -gt 0 ]; then
		run_row "${rows[$next]}" "${free[0]}" &
		running[$!]=${rows[$next]} slot_of[$!]=${free[0]}
		free=("${free[@]:1}")
		next=$((next + 1))
		continue
	fi
	wait -n -p done_pid || true
	l=${running[$done_pid]%%-*}
	left[$l]=$((left[$l] - 1))
	[ "${left[$l]}" -gt 0 ] || report "$l"
	free+=("${slot_of[$done_pid]}")
	unset "running[$done_pid]" "slot_of[$done_pid]"
done

echo "=== slowest rows (seconds, list:line):"
for r in "${rows[@]}"; do
	read -r _ s <"$out/$r.status"
	echo "$s ${lists[${r%%-*}]}:${r#*-}"
done | sort -rn | sed -n '1,15s/^/  /p' # sed reads to the end: head would leave sort a broken pipe, which pipefail makes the run's exit (141)

caught=0 bad=0 total=0 failed=()
for l in "${!lists[@]}"; do
	read -r status _ c b t <"$out/list$l.status"
	[ "$status" = ok ] || failed+=("${lists[$l]}")
	caught=$((caught + c)) bad=$((bad + b)) total=$((total + t))
done
echo "=== mutants: $caught caught, $bad survived or not applied, of $total in ${#lists[@]} lists, $((SECONDS - start))s with JOBS=$jobs"
if [ ${#failed[@]} -gt 0 ]; then
	echo "mutants: FAILED: ${failed[*]}"
	exit 1
fi
