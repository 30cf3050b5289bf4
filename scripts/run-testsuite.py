#!/usr/bin/env python3
"""Runs the WebAssembly spec testsuite through `kiln spectest` on one backend.

    scripts/run-testsuite.py --kiln build/kiln --backend interp|aot \
        --scripts build/testsuite [--cache-dir DIR] [--jobs N] [--source DIR]

--scripts holds the .json scripts wast2json made of the testsuite's .wast
files (the build does it: target kiln_testsuite). With --source, the
testsuite's own folder, a missing folder is a skip (exit 77), not a
failure. On aot, `kiln compile` first fills --cache-dir with every
script's modules (compiled in parallel), then each script runs against it.

Prints one line per script (passed, failed), the failures themselves, and
the totals; exits 1 when any assertion fails or a script does not run to
its end, so that any regression fails the ctest that runs this.
"""

import argparse
import concurrent.futures
import os
import re
import subprocess
import sys

SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$")
SKIP = 77


def run_script(kiln, backend, script, env):
    """(passed, failed, failure lines, problem) for one script."""
    try:
        done = subprocess.run([kiln, "spectest", "--backend", backend, script], capture_output=True, text=True,
                              env=env, timeout=900)
    except subprocess.TimeoutExpired:
        return 0, 0, [], "timed out after 900 s"
    lines = done.stdout.strip().splitlines()
    match = SUMMARY.match(lines[-1]) if lines else None
    if not match:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return 0, 0, [], "did not finish (exit %d): %s" % (done.returncode, " | ".join(tail))
    failures = [line for line in lines[:-1] if not line.startswith("ok")]
    return int(match.group(1)), int(match.group(2)), failures, None


def compile_all(kiln, scripts, cache_dir, env):
    done = subprocess.run([kiln, "compile", "--cache-dir", cache_dir] + scripts, capture_output=True, text=True,
                          env=env)
    if done.returncode != 0:
        # A module kiln refuses is one its script expects refused; the
        # script's own run says whether that was right.
        print("kiln compile exited %d (scripts decide whether that was right)" % done.returncode)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiln", required=True)
    parser.add_argument("--backend", choices=["interp", "aot"], required=True)
    parser.add_argument("--scripts", required=True)
    parser.add_argument("--source", help="the testsuite folder; missing: skip")
    parser.add_argument("--cache-dir", help="aot: the artifact cache to fill and use")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    if args.source and not os.path.isdir(args.source):
        print("the spec testsuite is not at %s: skipped (set KILN_TESTSUITE_DIR when configuring)" % args.source)
        return SKIP
    scripts = sorted(os.path.join(args.scripts, name) for name in os.listdir(args.scripts) if name.endswith(".json"))
    if not scripts:
        print("no scripts in %s (build the kiln_testsuite target)" % args.scripts)
        return 1
    env = dict(os.environ)
    if args.backend == "aot":
        cache = args.cache_dir or os.path.join(args.scripts, "aot-cache")
        env["KILN_CACHE_DIR"] = cache
        compile_all(args.kiln, scripts, cache, env)

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda s: run_script(args.kiln, args.backend, s, env), scripts))

    total_passed = total_failed = 0
    broken = []
    print("%-40s %8s %8s" % ("script (" + args.backend + ")", "passed", "failed"))
    for script, (passed, failed, failures, problem) in zip(scripts, results):
        name = os.path.basename(script)
        total_passed += passed
        total_failed += failed
        print("%-40s %8d %8d%s" % (name, passed, failed, "  " + problem if problem else ""))
        if problem:
            broken.append(name)
        for line in failures:
            print("    " + line)
    print("%-40s %8d %8d" % ("total (%d scripts)" % len(scripts), total_passed, total_failed))
    if broken:
        print("scripts that did not run to their end: " + ", ".join(broken))
    return 1 if total_failed or broken else 0


if __name__ == "__main__":
    sys.exit(main())
