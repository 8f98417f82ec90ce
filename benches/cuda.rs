//! GPU workloads G1–G6 of BENCHMARKS.md (feature `cuda`): downloads of a
//! whole and of a strided device tensor, an elementwise add on the device,
//! sparse `to_dense` and ragged `to_tensor` on the device, and the peak host
//! memory of `save_npy` of a 4 GiB device tensor.
//!
//! Each limit is measured in the same run with cudarc directly (its own
//! handle on the same primary context): `memcpy_dtoh` into pinned host
//! memory (G1, G2), `memcpy_dtod` (G3), `memset_zeros` of the output (G4,
//! G5). Every timed routine ends with a device synchronize, so the time is
//! the work's, not the launch's.
//!
//! Without a usable GPU every group prints `SKIPPED: ...` and measures
//! nothing (`cargo xtask bench` then reports the rows as not run).
//! Run with `cargo xtask bench G` (which builds with `--features cuda`).
#![expect(
    unsafe_code,
    reason = "the limits allocate pinned host memory through cudarc, which is unsafe"
)]

mod support;

use std::hint::black_box;
use std::sync::Arc;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use cudarc::driver::{CudaContext, CudaSlice, CudaStream, PinnedHostSlice};
use tensorbridge::prelude::*;
use tensorbridge::ragged::RaggedTensor;
use tensorbridge::s;
use tensorbridge::sparse::SparseTensor;
use tensorbridge_cuda::CudaDevice;

use support::{LIMIT, Lazy, MIB, WORKLOAD, large_group};

/// One gibibyte.
const GIB: usize = 1 << 30;

/// The GPU of every workload.
const GPU: Device = Device::Cuda(0);

/// Whether the GPU can be used; prints the skip line once per group when not.
fn gpu_or_skip(id: &str) -> bool {
    match GPU.check_available() {
        Ok(()) => true,
        Err(e) => {
            println!("SKIPPED {id}: {e}");
            false
        }
    }
}

/// The backend's device, to wait for queued work.
fn backend() -> Arc<CudaDevice> {
    CudaDevice::get(0).expect("the GPU was found available")
}

/// cudarc's own stream on device 0, for the limits.
fn raw_stream() -> Arc<CudaStream> {
    CudaContext::new(0)
        .expect("cudarc context on the available GPU")
        .default_stream()
}

/// A device buffer of `bytes` bytes (zeroed) on `stream`.
fn raw_buffer(stream: &Arc<CudaStream>, bytes: usize) -> CudaSlice<u8> {
    stream
        .alloc_zeros::<u8>(bytes)
        .expect("device buffer for a limit")
}

/// `bytes` of page-locked host memory.
fn pinned(stream: &Arc<CudaStream>, bytes: usize) -> PinnedHostSlice<u8> {
    // SAFETY: a fresh pinned allocation of plain bytes (flags 0: cacheable,
    // readable by the host), only ever written by the DMA below and never
    // read as anything but bytes.
    unsafe { stream.context().alloc_pinned_with_flags::<u8>(bytes, 0) }
        .expect("pinned host memory for a limit")
}

/// The limit of G1 and G2: `memcpy_dtoh` of `bytes` from a raw cudarc
/// device buffer into pinned host memory, buffers made on first use.
fn bench_dtoh_limit(group: &mut BenchmarkGroup<'_, WallTime>, bytes: usize) {
    let mut limit = None;
    group.bench_function(LIMIT, |b| {
        let (stream, src, dst) = limit.get_or_insert_with(|| {
            let stream = raw_stream();
            let src = raw_buffer(&stream, bytes);
            let dst = pinned(&stream, bytes);
            (stream, src, dst)
        });
        b.iter(|| {
            stream.memcpy_dtoh(&*src, dst).expect("dtoh");
            stream.synchronize().expect("sync");
        });
    });
}

/// A tensor of `dims` f32 made directly on the GPU (no host copy).
fn device_f32(dims: &[usize], value: f32) -> Tensor {
    let _g = GPU.scope();
    Tensor::full(dims, value).expect("device tensor")
}

/// G1: `to_array` of a 1 GiB device tensor; limit: `memcpy_dtoh` of 1 GiB
/// into pinned host memory.
fn g1_download(c: &mut Criterion) {
    if !gpu_or_skip("G1") {
        return;
    }
    let t = Lazy::new(|| device_f32(&[GIB / 4 / 8192, 8192], 1.5));
    let mut group = large_group(c, "G1", Some(GIB));
    bench_dtoh_limit(&mut group, GIB);
    group.bench_function(WORKLOAD, |b| {
        let t = t.get();
        b.iter_with_large_drop(|| t.to_array::<f32>().expect("to_array of a device tensor"));
    });
    group.finish();
}

/// G2: `to_array` of a strided 1/8 slice (every 8th row) of a 1 GiB device
/// tensor; limit: `memcpy_dtoh` of just those 128 MiB into pinned memory.
fn g2_strided_download(c: &mut Criterion) {
    if !gpu_or_skip("G2") {
        return;
    }
    let t = Lazy::new(|| {
        device_f32(&[GIB / 4 / 8192, 8192], 2.5)
            .slice(s![..;8, ..])
            .expect("every 8th row")
    });
    let mut group = large_group(c, "G2", Some(GIB / 8));
    bench_dtoh_limit(&mut group, GIB / 8);
    group.bench_function(WORKLOAD, |b| {
        let t = t.get();
        b.iter_with_large_drop(|| t.to_array::<f32>().expect("to_array of a strided view"));
    });
    group.finish();
}

/// G3: `a + b` on 2^28 f32 elements on the device; limit: a device-to-device
/// copy of the same 1 GiB.
fn g3_device_add(c: &mut Criterion) {
    if !gpu_or_skip("G3") {
        return;
    }
    const N: usize = 1 << 28;
    let ab = Lazy::new(|| (device_f32(&[N], 1.0), device_f32(&[N], 2.0)));
    let mut group = large_group(c, "G3", Some(N * 4));
    let mut limit = None;
    group.bench_function(LIMIT, |b| {
        let (stream, src, dst) = limit.get_or_insert_with(|| {
            let stream = raw_stream();
            let src = raw_buffer(&stream, N * 4);
            let dst = raw_buffer(&stream, N * 4);
            (stream, src, dst)
        });
        b.iter(|| {
            stream.memcpy_dtod(&*src, dst).expect("dtod");
            stream.synchronize().expect("sync");
        });
    });
    let dev = backend();
    group.bench_function(WORKLOAD, |b| {
        let (a, bb) = ab.get();
        b.iter_with_large_drop(|| {
            let sum = a.add(bb).expect("a + b on the device");
            dev.synchronize().expect("sync");
            sum
        });
    });
    group.finish();
}

/// The limit of G4 and G5: `memset_zeros` of an output of `bytes` on a
/// raw cudarc stream, synchronized; the buffer is freed before the
/// workload runs.
fn bench_memset_limit(group: &mut BenchmarkGroup<'_, WallTime>, bytes: usize) {
    let mut limit = None;
    group.bench_function(LIMIT, |b| {
        let (stream, out) = limit.get_or_insert_with(|| {
            let stream = raw_stream();
            let out = raw_buffer(&stream, bytes);
            (stream, out)
        });
        b.iter(|| {
            stream.memset_zeros(out).expect("memset");
            stream.synchronize().expect("sync");
        });
    });
}

/// G4: sparse `to_dense` on the device, [32768, 32768] f32 with 1% of the
/// entries (sorted, 327 or 328 per row); limit: `memset_zeros` of the 4 GiB
/// output.
fn g4_sparse_to_dense(c: &mut Criterion) {
    if !gpu_or_skip("G4") {
        return;
    }
    const D: usize = 32768;
    let st = Lazy::new(|| {
        let mut idx: Vec<i64> = Vec::with_capacity(2 * D * D / 100 + 2 * D);
        for row in 0..D {
            // Columns r, r + 100, r + 200, ...: sorted and distinct.
            let r = (row * 7919) % 100;
            for col in (r..D).step_by(100) {
                idx.extend([row as i64, col as i64]);
            }
        }
        let nnz = idx.len() / 2;
        let indices = Tensor::from_vec(idx, [nnz, 2])
            .and_then(|t| t.to_device(GPU))
            .expect("indices on the device");
        let values = device_f32(&[nnz], 3.0);
        SparseTensor::new(indices, values, [D, D]).expect("valid sparse tensor")
    });
    let mut group = large_group(c, "G4", Some(D * D * 4));
    bench_memset_limit(&mut group, D * D * 4);
    let dev = backend();
    group.bench_function(WORKLOAD, |b| {
        let st = st.get();
        b.iter_with_large_drop(|| {
            let dense = st.to_dense().expect("to_dense on the device");
            dev.synchronize().expect("sync");
            dense
        });
    });
    group.finish();
}

/// G5: ragged `to_tensor(0)` on the device, 1e7 rows of lengths 0..=64
/// (f32 values); limit: `memset_zeros` of the [1e7, 64] output.
fn g5_ragged_to_tensor(c: &mut Criterion) {
    if !gpu_or_skip("G5") {
        return;
    }
    const ROWS: usize = 10_000_000;
    const WIDTH: usize = 64;
    let rt = Lazy::new(|| {
        // Lengths uniform in 0..=64 from a fixed LCG; the longest row is 64.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut splits = Vec::with_capacity(ROWS + 1);
        let mut total = 0i64;
        splits.push(0i64);
        for row in 0..ROWS {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let len = if row == 0 {
                WIDTH as i64
            } else {
                ((state >> 33) % 65) as i64
            };
            total += len;
            splits.push(total);
        }
        let splits = Tensor::from_vec(splits, [ROWS + 1])
            .and_then(|t| t.to_device(GPU))
            .expect("splits on the device");
        let values = device_f32(&[total as usize], 1.0);
        RaggedTensor::from_row_splits(values, splits).expect("valid ragged tensor")
    });
    let zero = Lazy::new(|| device_f32(&[], 0.0));
    let mut group = large_group(c, "G5", Some(ROWS * WIDTH * 4));
    bench_memset_limit(&mut group, ROWS * WIDTH * 4);
    let dev = backend();
    group.bench_function(WORKLOAD, |b| {
        let (rt, zero) = (rt.get(), zero.get());
        b.iter_with_large_drop(|| {
            let dense = rt.to_tensor(zero).expect("to_tensor on the device");
            dev.synchronize().expect("sync");
            dense
        });
    });
    group.finish();
}

/// The process's peak resident set (`VmHWM`) and current one (`VmRSS`), in
/// bytes, from `/proc/self/status` (Linux).
fn rss() -> Option<(usize, usize)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<usize> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// G6: `save_npy` of a 4 GiB device tensor: the peak extra host memory
/// (resident set above what it was before the save) must stay within
/// 256 MiB. Printed as a line (the report lists the row; criterion times
/// the save).
fn g6_save_npy_host_memory(c: &mut Criterion) {
    if !gpu_or_skip("G6") {
        return;
    }
    let t = Lazy::new(|| device_f32(&[4 * GIB / 4 / 8192, 8192], 0.5));
    let dir = std::env::temp_dir().join(format!("tb-bench-g6-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench directory");
    let path = dir.join("g6.npy");
    let mut group = large_group(c, "G6", Some(4 * GIB));
    group.sample_size(10);
    let mut reported = false;
    group.bench_function(WORKLOAD, |b| {
        let t = t.get();
        if !reported {
            reported = true;
            // Reset the peak to the current resident set (Linux >= 4.0).
            let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
            let before = rss();
            tensorbridge::numpy::save_npy(&path, t).expect("save_npy of a device tensor");
            match (reset, before, rss()) {
                (true, Some((_, rss_before)), Some((peak, _))) => {
                    let extra = peak.saturating_sub(rss_before);
                    println!(
                        "G6 save_npy of a 4 GiB device tensor: peak extra host memory {} MiB \
                         (target <= 256 MiB): {}",
                        extra / MIB,
                        if extra <= 256 * MIB { "PASS" } else { "MISS" }
                    );
                }
                _ => println!("G6: peak host memory not measurable here (no /proc/self)"),
            }
        }
        b.iter(|| tensorbridge::numpy::save_npy(&path, black_box(t)).expect("save_npy"));
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(
    benches,
    g1_download,
    g2_strided_download,
    g3_device_add,
    g4_sparse_to_dense,
    g5_ragged_to_tensor,
    g6_save_npy_host_memory
);
criterion_main!(benches);
