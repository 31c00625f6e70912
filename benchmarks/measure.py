"""Timing helpers: call something many times, summarise the latencies."""

import time

import numpy as np


def time_each(function, inputs, *, warmup=20, clock=time.perf_counter):
    """Seconds each `function(item)` took, for every item in `inputs` (after a few untimed calls), by
    `clock` (wall time; time.process_time for the CPU this process spent)."""
    for item in inputs[:warmup]:
        function(item)
    seconds = []
    for item in inputs:
        started = clock()
        function(item)
        seconds.append(clock() - started)
    return seconds


def latency_summary(seconds):
    """p50, p99 and mean in milliseconds, and how many calls they summarise."""
    ms = np.asarray(seconds, dtype=np.float64) * 1000
    if ms.size == 0:
        return {"count": 0, "p50_ms": None, "p99_ms": None, "mean_ms": None}
    return {
        "count": int(ms.size),
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "mean_ms": float(ms.mean()),
    }
