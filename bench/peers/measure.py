"""Runs a command and prints {wall, cpu, maxRssKiB} of it (and its waited-for descendants) as JSON.

maxRssKiB is the peak RSS of the largest single process: for us (one process, ranks are threads)
that is the whole job; for an MPI peer it is one rank's, not the sum.
With MEASURE_TIMEOUT_S set, a command still running after that many seconds is killed (its wait
included, so its figures still count) and reported with "timedOut": true and status -9.
"""
import os
import json
import resource
import subprocess
import sys
import time

timeout = float(os.environ["MEASURE_TIMEOUT_S"]) if os.environ.get("MEASURE_TIMEOUT_S") else None
t0 = time.perf_counter()
timed_out = False
try:
    r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
except subprocess.TimeoutExpired as e:  # run() has killed and waited for the child
    timed_out = True
    r = subprocess.CompletedProcess(e.cmd, -9, e.stdout or b"", e.stderr or b"")
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "wall": wall,
    "cpu": ru.ru_utime + ru.ru_stime,
    "maxRssKiB": ru.ru_maxrss,
    "status": r.returncode,
    "timedOut": timed_out,
    "stdoutTail": r.stdout.decode(errors="replace")[-300:],
    "stderrTail": r.stderr.decode(errors="replace")[-600:],
}))
