//! Helpers of the GPU tests: the device (or a printed skip; a failure when
//! `TENSORBRIDGE_EXPECT_CUDA=1`), typed uploads and downloads.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::sync::Arc;

use half::{bf16, f16};
use tensorbridge_cuda::{CudaDevice, DeviceBuffer, ElemType, StridedLayout};

/// Held by the tests that release or inspect the allocator's cache, so
/// that parallel tests do not empty it under each other.
pub static CACHE_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Device 0, or `None` after printing why (a panic when a device is expected).
pub fn device() -> Option<Arc<CudaDevice>> {
    match CudaDevice::get(0) {
        Ok(d) => Some(d),
        Err(e) => {
            let expect = std::env::var("TENSORBRIDGE_EXPECT_CUDA").is_ok_and(|v| v == "1");
            assert!(
                !expect,
                "TENSORBRIDGE_EXPECT_CUDA=1 but no CUDA device: {e}"
            );
            println!("SKIPPED: no CUDA device ({e})");
            None
        }
    }
}

#[macro_export]
macro_rules! gpu {
    () => {
        match common::device() {
            Some(d) => d,
            None => return,
        }
    };
}

/// A Rust type with an element type and its bytes.
pub trait Elem: Copy + std::fmt::Debug + PartialEq {
    const E: ElemType;
    fn put(self, out: &mut Vec<u8>);
    fn get(b: &[u8]) -> Self;
}

macro_rules! num_elem {
    ($($t:ty => $e:ident),*) => {$(
        impl Elem for $t {
            const E: ElemType = ElemType::$e;
            fn put(self, out: &mut Vec<u8>) { out.extend_from_slice(&self.to_ne_bytes()); }
            fn get(b: &[u8]) -> Self { <$t>::from_ne_bytes(b.try_into().unwrap()) }
        }
    )*};
}
num_elem!(u8 => U8, u16 => U16, u32 => U32, u64 => U64, i8 => I8, i16 => I16, i32 => I32, i64 => I64, f32 => F32, f64 => F64);

impl Elem for bool {
    const E: ElemType = ElemType::Bool;
    fn put(self, out: &mut Vec<u8>) {
        out.push(u8::from(self));
    }
    fn get(b: &[u8]) -> Self {
        assert!(b[0] <= 1, "a bool byte must be 0 or 1, got {}", b[0]);
        b[0] == 1
    }
}
impl Elem for f16 {
    const E: ElemType = ElemType::F16;
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bits().to_ne_bytes());
    }
    fn get(b: &[u8]) -> Self {
        f16::from_bits(u16::from_ne_bytes(b.try_into().unwrap()))
    }
}
impl Elem for bf16 {
    const E: ElemType = ElemType::BF16;
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bits().to_ne_bytes());
    }
    fn get(b: &[u8]) -> Self {
        bf16::from_bits(u16::from_ne_bytes(b.try_into().unwrap()))
    }
}

/// complex64 as (re, im).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct C64(pub f32, pub f32);
impl Elem for C64 {
    const E: ElemType = ElemType::C64;
    fn put(self, out: &mut Vec<u8>) {
        self.0.put(out);
        self.1.put(out);
    }
    fn get(b: &[u8]) -> Self {
        C64(f32::get(&b[..4]), f32::get(&b[4..]))
    }
}
/// complex128 as (re, im).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct C128(pub f64, pub f64);
impl Elem for C128 {
    const E: ElemType = ElemType::C128;
    fn put(self, out: &mut Vec<u8>) {
        self.0.put(out);
        self.1.put(out);
    }
    fn get(b: &[u8]) -> Self {
        C128(f64::get(&b[..8]), f64::get(&b[8..]))
    }
}

pub fn bytes<T: Elem>(v: &[T]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * T::E.size_bytes());
    for &x in v {
        x.put(&mut out);
    }
    out
}

pub fn from_bytes<T: Elem>(b: &[u8]) -> Vec<T> {
    b.chunks_exact(T::E.size_bytes()).map(T::get).collect()
}

pub fn up<T: Elem>(dev: &CudaDevice, v: &[T]) -> DeviceBuffer {
    dev.upload(&bytes(v)).unwrap()
}

/// The first `n` elements of `buf`.
pub fn down<T: Elem>(dev: &CudaDevice, buf: &DeviceBuffer, n: usize) -> Vec<T> {
    let dims = [n];
    let mut host = vec![0u8; n * T::E.size_bytes()];
    dev.download(buf, T::E, StridedLayout::new(&dims, &[1]), &mut host)
        .unwrap();
    from_bytes(&host)
}

/// C-order strides of `dims`.
pub fn strides(dims: &[usize]) -> Vec<isize> {
    let mut s = vec![0isize; dims.len()];
    let mut acc = 1isize;
    for (x, &d) in s.iter_mut().zip(dims).rev() {
        *x = acc;
        acc *= d.max(1) as isize;
    }
    s
}

/// The elements of a strided view of `data`, in C order (host reference).
pub fn view<T: Copy>(data: &[T], dims: &[usize], strides: &[isize], offset: usize) -> Vec<T> {
    let n: usize = dims.iter().product();
    (0..n)
        .map(|mut i| {
            let mut p = offset as isize;
            for a in (0..dims.len()).rev() {
                p += (i % dims[a]) as isize * strides[a];
                i /= dims[a];
            }
            data[p as usize]
        })
        .collect()
}

/// Whether `a` is within `ulps` units in the last place of `b` (f32), NaN
/// matching NaN.
pub fn close32(a: f32, b: f32, ulps: u32) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a == b {
        return true;
    }
    let (x, y) = (a.to_bits() as i64, b.to_bits() as i64);
    a.signum() == b.signum() && (x - y).unsigned_abs() <= u64::from(ulps)
}

/// As `close32` for f64.
pub fn close64(a: f64, b: f64, ulps: u64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a == b {
        return true;
    }
    let (x, y) = (a.to_bits() as i128, b.to_bits() as i128);
    a.signum() == b.signum() && (x - y).unsigned_abs() <= u128::from(ulps)
}
