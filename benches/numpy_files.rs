//! NumPy-file workloads W7a–W7c of BENCHMARKS.md: `save_npy` and
//! `load_npy` of 256 MiB, and a memory-mapped load plus `view`.
//!
//! Run with `cargo xtask bench W7`; `cargo test -p tensorbridge-benches
//! --benches` runs every routine once as a smoke test. Files go to
//! `target/bench-npy/`, next to each other, so limit and workload write to
//! and read from the same file system.

mod support;

use std::hint::black_box;
use std::io::Read;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use tensorbridge::numpy::{load_npy, load_npy_mmap, save_npy};
use tensorbridge::prelude::Tensor;

use support::{
    LIMIT, Lazy, MIB, WORKLOAD, f32_data, f32_len, large_group, small_group, warm_buffer,
};

/// 256 MiB of f32 as 8192 × 8192.
const SHAPE: [usize; 2] = [8192, 8192];

fn dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-npy");
    std::fs::create_dir_all(&dir).expect("creating target/bench-npy");
    dir
}

fn tensor() -> Tensor {
    Tensor::from_vec(f32_data(f32_len(256 * MIB), 0), SHAPE).expect("bench tensor")
}

/// The bytes of the tensor's `.npy` file.
fn npy_bytes(t: &Tensor) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(256 * MIB + 128);
    tensorbridge::numpy::write_npy(&mut bytes, t).expect("write_npy into memory");
    bytes
}

/// The 256 MiB file W7b and W7c read.
fn saved_file() -> PathBuf {
    let path = dir().join("read.npy");
    let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    if len != (256 * MIB + 128) as u64 {
        save_npy(&path, &tensor()).expect("saving the bench file");
    }
    path
}

/// W7a: `save_npy` of 256 MiB; limit: `std::fs::write` of the same bytes
/// to the same directory.
fn w7a_save(c: &mut Criterion) {
    let t = Lazy::new(tensor);
    let bytes = Lazy::new(|| npy_bytes(t.get()));
    let dir = dir();
    let mut group = large_group(c, "W7a", Some(256 * MIB));
    group.bench_function(LIMIT, |b| {
        let bytes = bytes.get();
        let path = dir.join("limit.bin");
        b.iter(|| std::fs::write(&path, black_box(bytes)).expect("fs::write"));
    });
    group.bench_function(WORKLOAD, |b| {
        let t = t.get();
        let path = dir.join("save.npy");
        b.iter(|| save_npy(&path, black_box(t)).expect("save_npy"));
    });
    group.finish();
}

/// W7b: `load_npy` of 256 MiB; limit: `read_exact` of the same file into a
/// warm buffer.
fn w7b_load(c: &mut Criterion) {
    let path = Lazy::new(saved_file);
    let mut group = large_group(c, "W7b", Some(256 * MIB));
    let mut buf = None;
    group.bench_function(LIMIT, |b| {
        let path = path.get();
        let buf = buf.get_or_insert_with(|| warm_buffer(256 * MIB + 128, 0u8));
        b.iter_with_large_drop(|| {
            let mut f = std::fs::File::open(path).expect("open");
            f.read_exact(black_box(&mut buf[..])).expect("read_exact");
            black_box(buf.as_ptr());
        });
    });
    group.bench_function(WORKLOAD, |b| {
        let path = path.get();
        b.iter_with_large_drop(|| load_npy(path).expect("load_npy"));
    });
    group.finish();
}

/// W7c: memory-mapped load of 256 MiB, then `view` (absolute target).
fn w7c_mmap(c: &mut Criterion) {
    let path = Lazy::new(saved_file);
    let mut group = small_group(c, "W7c");
    group.bench_function(WORKLOAD, |b| {
        let path = path.get();
        b.iter_with_large_drop(|| {
            let t = load_npy_mmap(path).expect("load_npy_mmap");
            {
                let v = t.view::<f32>().expect("view");
                black_box((v.as_ptr(), v.len()));
            }
            t
        });
    });
    group.finish();
}

criterion_group!(benches, w7a_save, w7b_load, w7c_mmap);
criterion_main!(benches);
