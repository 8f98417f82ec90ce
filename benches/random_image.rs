//! Workloads W5 and W6 of BENCHMARKS.md: `image::rgb_to_grayscale` of a
//! batch of images and `random::normal` of 2^24 seeded samples.
//!
//! Run with `cargo xtask bench 'W5|W6'`, which prints each workload against
//! its same-run limit; `cargo test -p tensorbridge-benches --benches` runs
//! every routine once as a smoke test.

mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tensorbridge::image;
use tensorbridge::prelude::{DType, Tensor};
use tensorbridge::random;

use support::{LIMIT, Lazy, WORKLOAD, f32_data, large_group, warm_buffer};

/// Shape of the W5 batch: 32 RGB images of 512 × 512 (96 MiB of f32).
const IMAGES: [usize; 4] = [32, 512, 512, 3];

/// Pixels in the W5 batch (the output's element count).
const PIXELS: usize = 32 * 512 * 512;

/// Samples drawn in W6: 2^24 f32 (64 MiB).
const SAMPLES: usize = 1 << 24;

/// W5: `rgb_to_grayscale` of [32, 512, 512, 3] f32; limit: read the input
/// and write a warm output (each pixel's channels summed).
fn w5_rgb_to_grayscale(c: &mut Criterion) {
    let data = Lazy::new(|| f32_data(3 * PIXELS, 0));
    let t = Lazy::new(|| Tensor::from_vec(data.get().clone(), IMAGES).expect("bench images"));
    let mut group = large_group(c, "W5", Some((3 * PIXELS + PIXELS) * size_of::<f32>()));
    let mut dst = None;
    group.bench_function(LIMIT, |b| {
        let src = data.get();
        let dst = dst.get_or_insert_with(|| warm_buffer(PIXELS, 0.0f32));
        b.iter_with_large_drop(|| {
            for (o, p) in dst.iter_mut().zip(black_box(src).chunks_exact(3)) {
                *o = p[0] + p[1] + p[2];
            }
            black_box(dst.as_mut_ptr());
        });
    });
    group.bench_function(WORKLOAD, |b| {
        let t = t.get();
        b.iter_with_large_drop(|| image::rgb_to_grayscale(t).expect("grayscale of f32 images"));
    });
    group.finish();
}

/// W6: `random::normal` of 2^24 f32 samples with a seed; limit: fill a warm
/// buffer with a counter (`i as f32`).
fn w6_random_normal(c: &mut Criterion) {
    let mut group = large_group(c, "W6", Some(SAMPLES * size_of::<f32>()));
    let mut dst = None;
    group.bench_function(LIMIT, |b| {
        let dst = dst.get_or_insert_with(|| warm_buffer(SAMPLES, 0.0f32));
        b.iter_with_large_drop(|| {
            for (i, o) in dst.iter_mut().enumerate() {
                *o = i as f32;
            }
            black_box(dst.as_mut_ptr());
        });
    });
    group.bench_function(WORKLOAD, |b| {
        b.iter_with_large_drop(|| {
            random::normal([SAMPLES], 0.0, 1.0, DType::F32, Some(42)).expect("normal samples")
        });
    });
    group.finish();
}

criterion_group!(
    name = random_image;
    config = Criterion::default();
    targets = w5_rgb_to_grayscale, w6_random_normal
);
criterion_main!(random_image);
