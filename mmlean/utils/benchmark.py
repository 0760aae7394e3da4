"""Timing shared by the benchmark scripts in tools/benchmark/."""
import time


def timeit(fns, reps, warmup=5, block=3):
    """Interleaved timing in blocks: {name: [seconds...]}.

    Each repetition runs every candidate ``block`` times in a row and keeps
    the last call, so a candidate is timed with its own data in cache, as a
    layer is in a network (its input was just written by the previous layer);
    the candidates alternate block by block, so drift hits them alike.
    (Single-call interleaving would time every op with caches flushed by the
    others, which penalizes the fastest op most.)
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            for _ in range(block - 1):
                fn()
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times
