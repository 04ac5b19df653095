"""Helpers shared by the side-by-side scripts in bench/."""
import time


def best_of(f, n=3):
    """Shortest wall time of n calls of f(): shared machines are noisy."""
    best = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best
