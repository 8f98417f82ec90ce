"""W1d and W1e of BENCHMARKS.md, in Python: `np.asarray(t)` of a 256 MiB CPU
tensor and `tb.from_numpy(a)` of a 256 MiB array, both O(1) (target: under
10 us per call, independent of size).

    python bench_zero_copy.py CRITERION_DIR [FILTER]

Driven by `cargo xtask bench` (after `maturin develop --release`). Each
workload's median per-call time goes to
CRITERION_DIR/<id>/workload/new/estimates.json in criterion's format
(median.point_estimate in ns), where xtask reads every row from.
"""

import json
import os
import re
import statistics
import sys
import time

import numpy as np

import tensorbridge as tb

MIB = 1 << 20
CALLS = 1000  # calls per sample
SAMPLES = 200


def median_ns(fn):
    for _ in range(CALLS):  # warm-up
        fn()
    per_call = []
    for _ in range(SAMPLES):
        start = time.perf_counter_ns()
        for _ in range(CALLS):
            fn()
        per_call.append((time.perf_counter_ns() - start) / CALLS)
    return statistics.median(per_call)


def write(criterion_dir, group, nanos):
    out = os.path.join(criterion_dir, group, "workload", "new")
    os.makedirs(out, exist_ok=True)
    estimate = {"point_estimate": nanos, "standard_error": 0.0}
    with open(os.path.join(out, "estimates.json"), "w") as f:
        json.dump({"median": estimate, "mean": estimate}, f)


def main():
    criterion_dir = sys.argv[1]
    pattern = re.compile(sys.argv[2]) if len(sys.argv) > 2 else None
    wanted = lambda group: pattern is None or pattern.search(f"{group}/workload")

    array = np.ones(256 * MIB // 4, dtype=np.float32)
    if wanted("W1d"):
        t = tb.from_numpy(array).copy()  # a tensor with its own 256 MiB buffer
        assert np.shares_memory(np.asarray(t), t.numpy()), "W1d must not copy"
        ns = median_ns(lambda: np.asarray(t))
        write(criterion_dir, "W1d", ns)
        print(f"W1d  np.asarray(t), 256 MiB: {ns / 1000:.2f} us per call")
    if wanted("W1e"):
        assert np.shares_memory(tb.from_numpy(array).numpy(), array), "W1e must not copy"
        ns = median_ns(lambda: tb.from_numpy(array))
        write(criterion_dir, "W1e", ns)
        print(f"W1e  tb.from_numpy(a), 256 MiB: {ns / 1000:.2f} us per call")


if __name__ == "__main__":
    main()
