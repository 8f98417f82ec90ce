//! The CUDA device backend of tensorbridge, on cudarc: discovery, one
//! [`CudaDevice`] per ordinal, a caching allocator, pinned staging
//! buffers, pipelined transfers, and NVRTC-compiled kernels for every core
//! op. It knows nothing of `Tensor`: core's `cuda` feature builds on it.
//!
//! Nothing here needs CUDA at build time: the driver, NVRTC and cuBLAS are
//! loaded at run time (cudarc's `dynamic-loading`, CUDA 13 bindings).
//! Discovery never panics: [`probe`] says what is missing.
//!
//! Kernels are `.cu` files in `kernels/`, compiled by NVRTC for the
//! device's compute capability on first use (`--std=c++17`, an explicit
//! arch, no fused multiply-add) and cached in memory and on disk under
//! `$XDG_CACHE_HOME/tensorbridge/ptx` (or `~/.cache/tensorbridge/ptx`).
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
mod image;
mod index;
mod kernels;
mod launch;
mod layout;
mod matmul;
mod ops;
mod pinned;
mod probe;
mod random;
mod reduce;
mod transfer;

pub use alloc::DeviceBuffer;
pub use device::CudaDevice;
pub use elem::ElemType;
pub use error::{CudaError, Result};
pub use layout::{MAX_RANK, StridedLayout};
pub use ops::{ArgOp, BinaryOp, CumOp, Distribution, Indices, ReduceOp, ScatterMode, UnaryOp};
pub use probe::{CudaStatus, device_count, probe};
pub use transfer::PendingDownload;
