#!/usr/bin/env python3
"""Which tests catch each mutant: what a row's -run= can name.

usage: .ci/mutants-tests.py LIST.tsv[:LINE] ...   (JOBS=2 rows at a time)

For each row (all of a list's, or the line named), applies the mutant to a
copy of the tracked files as ../shared/tools/mutants does, runs the whole
suites of the row's packages (its -run= and -failfast dropped, -short and
-skip= kept) with go test -json, and prints one JSON line: the top-level
tests that failed with their seconds, whether the build failed (a row must
be caught by a test, not by a compile error), and "packages": the row's
PACKAGES with -run= naming the fastest of them (and a second one when it
takes under a second too), only the packages that hold them. Rerun the row
with .ci/mutants.sh on the list before committing what it suggests.
"""
import concurrent.futures as cf, json, os, re, shutil, subprocess, sys, threading, time

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(here)
tool = os.path.join(os.path.dirname(repo), "shared", "tools", "mutants")
ns = {}
exec(compile(open(tool).read().replace("\nmain()\n", "\n"), tool, "exec"), ns)
module = subprocess.run(["go", "list", "-m"], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
env = dict(os.environ, CI="true")
env["GOFLAGS"] = (env.get("GOFLAGS", "") + " -vet=off").strip()
base = os.environ.get("BASE") or os.path.join("/tmp", "mutants-tests-%d" % os.getpid())
jobs = int(os.environ.get("JOBS", "2"))

rows = []
for arg in sys.argv[1:]:
    path, _, line = arg.partition(":")
    rows += [(path,) + r for r in ns["load"](path) if not line or int(line) == r[0]]

free, lock = [os.path.join(base, "slot%d" % i) for i in range(jobs)], threading.Lock()


def suggest(pkgs, fails):
    """The row's PACKAGES with -run= naming its fastest catching tests."""
    if not fails:
        return None
    ranked = sorted(fails.items(), key=lambda kv: kv[1] or 0)
    pick = [ranked[0]] + [kv for kv in ranked[1:2] if (kv[1] or 0) < 1]
    names = sorted({k.split()[1] for k, _ in pick})
    dirs = sorted({"./" + k.split()[0] + "/" for k, _ in pick})
    flags = [p for p in pkgs if p.startswith("-") and not p.startswith("-run")]
    run = "-run=^%s$" % (names[0] if len(names) == 1 else "(" + "|".join(names) + ")")
    return " ".join(flags + [run] + dirs)


def one(row):
    path, n, f, frm, to, pkgs = row
    with lock:
        slot = free.pop()
    try:
        work = os.path.join(slot, "repo")
        os.makedirs(slot, exist_ok=True)
        if not os.path.lexists(os.path.join(slot, "shared")):
            os.symlink(os.path.join(os.path.dirname(repo), "shared"), os.path.join(slot, "shared"))
        shutil.rmtree(work, ignore_errors=True)
        ns["tracked_copy"](repo, work)
        text = open(os.path.join(work, f), encoding="utf-8").read()
        if text.count(frm) != 1:
            return dict(list=path, line=n, error="FROM occurs %d times" % text.count(frm))
        open(os.path.join(work, f), "w", encoding="utf-8").write(text.replace(frm, to))
        args = [p for p in pkgs if p != "-failfast" and not p.startswith("-run")]
        t0 = time.time()
        r = subprocess.run(["go", "test", "-count=1", "-json"] + args, cwd=work, env=env,
                           capture_output=True, text=True, timeout=1200)
        fails, failed_pkgs = {}, []
        for l in r.stdout.splitlines():
            try:
                d = json.loads(l)
            except ValueError:
                continue
            pkg = d.get("Package", "").removeprefix(module + "/")
            if d.get("Action") == "fail":
                if "Test" not in d:
                    failed_pkgs.append(pkg)
                elif "/" not in d["Test"]:
                    fails[pkg + " " + d["Test"]] = d.get("Elapsed")
        build_failed = "[build failed]" in r.stdout or "[setup failed]" in r.stdout or "build failed" in r.stderr
        return dict(list=path, line=n, seconds=round(time.time() - t0, 1), caught=r.returncode != 0,
                    build_failed=build_failed, fails=fails, failed_packages=failed_pkgs,
                    packages=" ".join(pkgs), suggest=None if build_failed else suggest(pkgs, fails))
    finally:
        with lock:
            free.append(slot)


try:
    with cf.ThreadPoolExecutor(jobs) as ex:
        for res in ex.map(one, rows):
            print(json.dumps(res), flush=True)
finally:
    shutil.rmtree(base, ignore_errors=True)
