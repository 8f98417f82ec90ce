//! Helpers shared by every bench binary: criterion group settings, input
//! builders and the warm buffers the limits write into.
//!
//! Each bench file pulls this in with `mod support;` and uses only some of
//! it, hence the `dead_code` allowance below.
//!
//! Convention that `cargo xtask bench` relies on: a workload is a criterion
//! group named by its id in BENCHMARKS.md (`"W1b"`), with a function
//! [`WORKLOAD`] and, for ratio targets, a function [`LIMIT`] that is
//! benchmarked first in the same group. Both time their routine with
//! `iter_with_large_drop`, so freeing an output is never part of a
//! measurement.

#![allow(
    dead_code,
    reason = "each bench binary includes this module and uses only part of it"
)]

use std::cell::OnceCell;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};

/// Name of the benchmarked function that measures the workload itself.
pub(crate) const WORKLOAD: &str = "workload";

/// Name of the benchmarked function that measures the same-run limit.
pub(crate) const LIMIT: &str = "limit";

/// One mebibyte, in bytes.
pub(crate) const MIB: usize = 1 << 20;

/// Criterion settings for workloads that move hundreds of MiB per
/// iteration: 10 samples, 1 s of warm-up and 3 s of measurement, sampled
/// flat (the same iteration count in every sample), so a group costs about
/// 5 s on a 2-core machine. When the group has a byte count it reports
/// throughput in bytes per second.
pub(crate) fn large_group<'a>(
    c: &'a mut Criterion,
    id: &str,
    bytes: Option<usize>,
) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(id);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sampling_mode(SamplingMode::Flat);
    if let Some(bytes) = bytes {
        group.throughput(Throughput::Bytes(bytes as u64));
    }
    group
}

/// Criterion settings for workloads that take well under a millisecond
/// (views, per-call overhead): 50 samples, 1 s of warm-up, 2 s of
/// measurement.
pub(crate) fn small_group<'a>(c: &'a mut Criterion, id: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(id);
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    group
}

/// A value built on first use and then kept for the rest of the group.
///
/// Criterion calls a benchmark's closure once per sample and only when the
/// benchmark passes the command-line filter; building inputs through a
/// `Lazy` means a filtered-out group allocates nothing, and the limit and
/// the workload of one group can share one input.
pub(crate) struct Lazy<T, F = fn() -> T> {
    /// The value, once built.
    cell: OnceCell<T>,
    /// How to build it.
    init: F,
}

impl<T, F: Fn() -> T> Lazy<T, F> {
    /// A value that `init` builds the first time [`Lazy::get`] is called.
    pub(crate) fn new(init: F) -> Self {
        Self {
            cell: OnceCell::new(),
            init,
        }
    }

    /// The value, building it now if this is the first call.
    pub(crate) fn get(&self) -> &T {
        self.cell.get_or_init(&self.init)
    }
}

/// Number of `f32` elements in `bytes` bytes.
pub(crate) const fn f32_len(bytes: usize) -> usize {
    bytes / size_of::<f32>()
}

/// `n` distinct `f32` values, `start, start + 1, ...` (exact up to 2^24,
/// then rounded; the values only have to be non-trivial to copy).
pub(crate) fn f32_data(n: usize, start: usize) -> Vec<f32> {
    (start..start + n).map(|i| i as f32).collect()
}

/// A buffer of `n` elements, every page of it already written ("warm"), for
/// a limit to copy into: the memory-bandwidth floor without the cost of
/// faulting in fresh pages.
pub(crate) fn warm_buffer<T: Copy>(n: usize, fill: T) -> Vec<T> {
    let mut buf = Vec::with_capacity(n);
    buf.resize(n, fill);
    std::hint::black_box(&mut buf);
    buf
}
