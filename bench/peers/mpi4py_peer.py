"""The mpi4py side of bench/peers: the same measures as our bench jobs, one per invocation.

Run under an MPI launcher, e.g.  mpiexec.openmpi --oversubscribe -n 2 python3 mpi4py_peer.py coll 1000 100
Rank 0 prints one JSON line: the figures, in seconds, max over ranks where it says so.
"""
import json
import sys

from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.rank
size = comm.size


def emit(obj):
    if rank == 0:
        print(json.dumps(obj), flush=True)


def coll(iters, warmup):
    """Per-call latency of allreduce/bcast/reduce/barrier of a small value (pickle path, as ours)."""
    ops = {
        "allreduce": lambda: comm.allreduce(rank, MPI.SUM),
        "bcast": lambda: comm.bcast(42 if rank == 0 else None, 0),
        "reduce": lambda: comm.reduce(1, MPI.SUM, 0),
        "barrier": lambda: comm.barrier(),
    }
    out = {}
    for name, f in ops.items():
        for _ in range(warmup):
            f()
        comm.barrier()
        t0 = MPI.Wtime()
        for _ in range(iters):
            f()
        per_call = (MPI.Wtime() - t0) / iters
        out[name] = comm.allreduce(per_call, MPI.MAX)
    emit(out)


def ping_pong(plan):
    """One-way latency (round trip / 2) between ranks 0 and 1; `plan` is a list of [kind, bytes, iters]."""
    import numpy as np

    peer = 1 - rank
    out = []
    for kind, nbytes, iters in plan:
        n = max(1, nbytes // 8)
        if kind == "object":
            obj = 1.5 if n == 1 else [i + 0.5 for i in range(n)]
        buf = np.zeros(n, dtype=np.float64)
        rbuf = np.zeros(n, dtype=np.float64)

        def once():
            if kind == "object":
                if rank == 0:
                    comm.send(obj, peer, 1)
                    comm.recv(source=peer, tag=1)
                elif rank == 1:
                    comm.send(comm.recv(source=peer, tag=1), peer, 1)
            elif rank == 0:
                comm.Send(buf, peer, 2)
                comm.Recv(rbuf, peer, 2)
            elif rank == 1:
                comm.Recv(rbuf, peer, 2)
                comm.Send(rbuf, peer, 2)

        for _ in range(max(5, iters // 10)):
            once()
        comm.barrier()
        t0 = MPI.Wtime()
        for _ in range(iters):
            once()
        out.append({"kind": kind, "bytes": nbytes, "oneWay": (MPI.Wtime() - t0) / iters / 2})
    emit(out)


def pi(samples):
    """Monte Carlo pi as the tutorial's pi_mpi.py: numpy draws 1e6-sample chunks, reduce SUM to root."""
    import numpy as np

    mine = samples // size + (1 if rank < samples % size else 0)
    rng = np.random.default_rng(20240611 + rank)
    inside = 0
    chunk = 1_000_000
    left = mine
    while left > 0:
        k = min(chunk, left)
        x = rng.random(k)
        y = rng.random(k)
        inside += int(np.count_nonzero(x * x + y * y <= 1.0))
        left -= k
    count = comm.reduce(inside, MPI.SUM, 0)
    if rank == 0:
        print(f"Estimated pi: {4 * count / samples}", flush=True)


def hello():
    print(f"Hello from process {rank} out of {size}", flush=True)


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "coll":
        coll(int(sys.argv[2]), int(sys.argv[3]))
    elif what == "pingpong":
        ping_pong(json.loads(sys.argv[2]))
    elif what == "pi":
        pi(int(float(sys.argv[2])))
    elif what == "hello":
        hello()
    elif what == "size":
        emit({"size": size, "library": MPI.Get_library_version().splitlines()[0]})
    else:
        raise SystemExit(f"unknown measure {what!r}: expected coll, pingpong, pi, hello or size")
