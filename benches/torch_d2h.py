#!/usr/bin/env python3
"""G1 against PyTorch: `.cpu()` of a 1 GiB float32 CUDA tensor.

BENCHMARKS.md's G1 times tensorbridge's `to_array` of a 1 GiB device tensor;
issue 7 asks that it be no slower than PyTorch's `.cpu()` of the same size
on the same machine. This script times PyTorch (median of 10 copies, each
ended by a synchronize) and, when `cargo xtask bench G1` has run, reads
tensorbridge's median from criterion's results and prints both and their
ratio.

Run where PyTorch with CUDA is installed:

    cargo xtask bench G1
    python3 benches/torch_d2h.py [--criterion target/criterion]

Without PyTorch or without a CUDA device it prints one line saying so and
exits 0 (nothing to compare).
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

GIB = 1 << 30
RUNS = 10


def torch_median_s():
    """Median seconds of `.cpu()` of a 1 GiB float32 CUDA tensor, or None."""
    try:
        import torch
    except ImportError:
        print("SKIPPED: PyTorch is not installed here; nothing to compare G1 with")
        return None
    if not torch.cuda.is_available():
        print("SKIPPED: PyTorch finds no CUDA device here; nothing to compare G1 with")
        return None
    x = torch.ones(GIB // 4, dtype=torch.float32, device="cuda")
    torch.cuda.synchronize()
    x.cpu()  # warm-up: the first copy pays for the allocator and the driver
    times = []
    for _ in range(RUNS):
        torch.cuda.synchronize()
        start = time.perf_counter()
        y = x.cpu()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
        del y
    return statistics.median(times)


def tensorbridge_median_s(criterion_dir):
    """tensorbridge's G1 median from `cargo xtask bench G1`, or None."""
    estimates = Path(criterion_dir) / "G1" / "workload" / "new" / "estimates.json"
    try:
        data = json.loads(estimates.read_text())
    except (OSError, ValueError):
        return None
    return data["median"]["point_estimate"] / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--criterion",
        default="target/criterion",
        help="criterion's result directory (default: target/criterion)",
    )
    args = parser.parse_args()
    torch_s = torch_median_s()
    if torch_s is None:
        return 0
    print(f"PyTorch .cpu() of 1 GiB: {torch_s * 1e3:.1f} ms ({GIB / torch_s / 1e9:.2f} GB/s)")
    tb_s = tensorbridge_median_s(args.criterion)
    if tb_s is None:
        print("tensorbridge G1 not found: run `cargo xtask bench G1` first on this machine")
        return 0
    ratio = tb_s / torch_s
    verdict = "PASS (no slower)" if ratio <= 1.0 else "MISS (slower than PyTorch)"
    print(f"tensorbridge to_array of 1 GiB (G1): {tb_s * 1e3:.1f} ms ({GIB / tb_s / 1e9:.2f} GB/s)")
    print(f"ratio tensorbridge / PyTorch: {ratio:.2f}: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
