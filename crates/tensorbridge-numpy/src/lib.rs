//! NumPy's `.npy` and `.npz` files and SciPy's sparse `save_npz` archives,
//! read and written exactly as NumPy and SciPy read and write them.
//!
//! - [`save_npy`] / [`load_npy`] / [`load_npy_as`] / [`write_npy`] /
//!   [`read_npy`]: one array (`np.save`, `np.load`);
//! - [`load_npy_mmap`]: memory-mapped, zero-copy, O(1) in the file size;
//! - [`save_npz`] / [`save_npz_compressed`] / [`load_npz`] and the streaming
//!   [`NpzReader`] / [`NpzWriter`]: archives of named arrays
//!   (`np.savez`, `np.savez_compressed`);
//! - `dlpack` (feature `dlpack`): `to_dlpack` / `from_dlpack`, zero-copy
//!   exchange with NumPy, PyTorch, JAX or CuPy through DLPack;
//! - [`ScipySparse`] with [`save_scipy_sparse_npz`] /
//!   [`load_scipy_sparse_npz`]: `scipy.sparse.save_npz` / `load_npz`.
//!
//! Every dtype of tensorbridge is read and written: bool `'|b1'`, the
//! integers and floats in either byte order (big-endian is swapped on
//! read), `'<f2'` for F16, `'<c8'`/`'<c16'` for complex, and BF16 as raw
//! `'<V2'`, which is what NumPy writes for `ml_dtypes.bfloat16` and which
//! reads back as BF16 through [`load_npy_as`]. Fortran-order files are read
//! into C order; writes are C order. Object, string, datetime and structured
//! arrays are refused by name: nothing is ever unpickled.
//!
//! Files are never trusted: headers are parsed strictly and capped at
//! [`MAX_HEADER_LEN`] bytes and [`MAX_DIMS`] dims, and no buffer is
//! allocated before the shape's byte size, computed with checked arithmetic,
//! has been compared with the bytes really present. Saves are atomic (a
//! temporary file in the same directory, synced, then renamed). Errors name
//! the file, the field and the values:
//!
//! ```
//! # let dir = std::env::temp_dir().join(format!("tb-doc-lib-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! use tensorbridge_core::Tensor;
//!
//! let path = dir.join("x.npy");
//! tensorbridge_numpy::save_npy(&path, &Tensor::from([[1.0f32, 2.0, 3.0, 4.0]; 3]))?;
//! let t = tensorbridge_numpy::load_npy(&path)?;
//! assert_eq!(t.dims(), [3, 4]);
//!
//! let bytes = std::fs::read(&path)?;
//! std::fs::write(&path, &bytes[..bytes.len() - 8])?; // lose two floats
//! let err = tensorbridge_numpy::load_npy(&path).unwrap_err();
//! assert!(err.to_string().ends_with("shape (3, 4) of '<f4' needs 48 bytes of data, file has 40"));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod atomic;
mod descr;
#[cfg(feature = "dlpack")]
pub mod dlpack;
mod error;
mod header;
mod mmap;
mod npz;
mod read;
mod sparse;
mod write;
mod zip;

pub use header::{MAX_DIMS, MAX_HEADER_LEN};
pub use mmap::load_npy_mmap;
pub use npz::{
    DEFAULT_MAX_TOTAL_BYTES, NpzReader, NpzWriter, load_npz, save_npz, save_npz_compressed,
};
pub use read::{load_npy, load_npy_as, read_npy};
pub use sparse::{ScipySparse, ScipySparseFormat, load_scipy_sparse_npz, save_scipy_sparse_npz};
pub use write::{save_npy, write_npy};
