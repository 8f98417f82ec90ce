//! The CUDA device backend of tensorbridge, on cudarc: discovery, one
//! [`CudaDevice`] per ordinal, a caching allocator, pinned staging
//! buffers, pipelined transfers, and NVRTC-compiled kernels for every core
//! op. It knows nothing of `Tensor`: core's `cuda` feature builds on it.
//!
//! Nothing here needs CUDA at build time: the driver, NVRTC and cuBLAS are
//! loaded at run time (cudarc's `dynamic-loading`, CUDA 13 bindings).
//! Discovery never panics: [`probe`] says what is missing.
//!
//! Chains of elementwise ops can also run as one generated kernel
//! ([`FusedKernel`], [`CudaDevice::fused`]): graph mode's fusion on a GPU.
//!
//! Kernels are `.cu` files in `kernels/`, compiled by NVRTC for the
//! device's compute capability on first use (`--std=c++17`, an explicit
//! arch, no fused multiply-add) and cached in memory and on disk under
//! `$XDG_CACHE_HOME/tensorbridge/ptx` (or `~/.cache/tensorbridge/ptx`).
//!
//! # Numerics, compared with core's CPU ops
//!
//! - Integers (arithmetic, casts, reductions, scans, matmul, scatter-add,
//!   segment sums): bit-identical, wrapping as core does; integer division
//!   by zero and negative integer powers are errors found on the device.
//! - Casts, `add sub mul div rem`, `maximum minimum`, comparisons, `neg abs
//!   sign relu floor ceil round sqrt rsqrt`, running scans, `where`,
//!   gathers, rgb_to_grayscale and random numbers: bit-identical (kernels
//!   are compiled with `--fmad=false`; f16/bf16 compute in f32 and round
//!   once to nearest even). NaN payloads may differ.
//! - `exp log sin cos tanh sigmoid pow` and complex transcendental
//!   functions: CUDA's libdevice, within 2 ulps for f32/f64 (4 ulps for
//!   sigmoid) of a correctly rounded result; f16/bf16 results then round
//!   once, so they usually agree to the bit.
//! - Float sums, means and products: a tree per output instead of core's
//!   pairwise blocks, so within a few ulps times `log2(n)`; max/min/argmax/
//!   argmin are exact (first extremum, NaN first).
//! - Float matmul: cuBLAS (`CUBLAS_COMPUTE_32F` for f16/bf16/f32, no TF32;
//!   `64F` for f64), within a few ulps times `k` of core; integer and
//!   complex products use a tiled kernel (integers exact).
//! - Float scatter-add and segment sums: atomics in an unspecified order,
//!   within ulps of core (f16/bf16 accumulate in f32 and round once).
//!
//! ```
//! use tensorbridge_cuda::{probe, CudaDevice, ElemType, StridedLayout};
//!
//! match CudaDevice::get(0) {
//!     Ok(dev) => {
//!         let buf = dev.upload(&[1, 2, 3])?;
//!         let mut back = [0u8; 3];
//!         dev.download(&buf, ElemType::U8, StridedLayout::new(&[3], &[1]), &mut back)?;
//!         assert_eq!(back, [1, 2, 3]);
//!     }
//!     Err(e) => println!("no GPU ({e}); probe says {:?}", probe()),
//! }
//! # Ok::<(), tensorbridge_cuda::CudaError>(())
//! ```

mod alloc;
mod device;
mod elem;
mod elementwise;
mod error;
mod foreign;
mod fused;
mod image;
mod index;
mod kernels;
mod launch;
mod layout;
mod matmul;
mod ops;
mod peer;
mod pinned;
mod probe;
mod random;
mod reduce;
mod transfer;

pub use alloc::DeviceBuffer;
pub use device::CudaDevice;
pub use elem::ElemType;
pub use error::{CudaError, Result};
pub use foreign::{LEGACY_DEFAULT_STREAM, PER_THREAD_DEFAULT_STREAM};
pub use fused::{FusedKernel, FusedOp, FusedOperand, FusedStep, MAX_FUSED_INPUTS, MAX_FUSED_STEPS};
pub use layout::{MAX_RANK, StridedLayout};
pub use ops::{ArgOp, BinaryOp, CumOp, Distribution, Indices, ReduceOp, ScatterMode, UnaryOp};
pub use probe::{CudaStatus, device_count, probe};
pub use transfer::{DownloadItem, PendingDownload};
