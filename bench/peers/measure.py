"""Runs a command and prints {wall, cpu, maxRssKiB} of it (and its waited-for descendants) as JSON.

maxRssKiB is the peak RSS of the largest single process: for us (one process, ranks are threads)
that is the whole job; for an MPI peer it is one rank's, not the sum.
"""
import json
import resource
import subprocess
import sys
import time

t0 = time.perf_counter()
r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "wall": wall,
    "cpu": ru.ru_utime + ru.ru_stime,
    "maxRssKiB": ru.ru_maxrss,
    "status": r.returncode,
    "stdoutTail": r.stdout.decode(errors="replace")[-300:],
    "stderrTail": r.stderr.decode(errors="replace")[-600:],
}))
