//! Writing `.npy`: [`write_npy`] and [`save_npy`].

use std::io::Write;
use std::path::Path;

use tensorbridge_core::{Device, Result, Tensor, s};

use crate::atomic::write_atomic;
use crate::descr::Descr;
use crate::error::io_err;
use crate::header::{Header, write_header};
use tensorbridge_core::with_numeric_dtype;

/// A non-contiguous tensor is written through copies of at most this many
/// bytes (whole rows of its first axis), never one copy of the whole tensor.
const BLOCK_BYTES: usize = 8 << 20;

/// Writes `tensor` as a `.npy` array to `writer`, exactly as NumPy's
/// `np.save` would: header version 1.0 (2.0 only if it is too long), padded
/// to 64 bytes, C order, native byte order (`'<f4'` on little-endian
/// machines), BF16 as raw `'<V2'` (what NumPy writes for
/// `ml_dtypes.bfloat16`). Views are written without copying the whole
/// tensor.
///
/// **Errors**: [`Error::Io`](tensorbridge_core::Error::Io) when writing
/// fails. A device tensor streams from the device through fixed pinned
/// staging buffers ([`Tensor::write_c_order`]): the host memory used stays
/// bounded however large the tensor is.
///
/// ```
/// use tensorbridge_core::Tensor;
///
/// let mut bytes = Vec::new();
/// tensorbridge_numpy::write_npy(&mut bytes, &Tensor::from([1.0f32, 2.0]))?;
/// assert!(bytes.starts_with(b"\x93NUMPY\x01\x00"));
/// assert_eq!(bytes.len(), 128 + 8);
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn write_npy<W: Write + ?Sized>(writer: &mut W, tensor: &Tensor) -> Result<()> {
    write_npy_to(writer, tensor, "the .npy stream")
}

pub(crate) fn write_npy_to<W: Write + ?Sized>(w: &mut W, t: &Tensor, dst: &str) -> Result<()> {
    let header = Header {
        descr: Descr::for_dtype(t.dtype()),
        fortran_order: false,
        shape: t.dims().to_vec(),
    };
    let io = |e| io_err(format!("writing {dst}"), e);
    w.write_all(&write_header(&header)).map_err(io)?;
    if t.numel() == 0 {
        return Ok(());
    }
    if t.is_contiguous() && t.device() == Device::Cpu {
        return write_elements(w, t, dst);
    }
    if t.device() != Device::Cpu {
        // A device tensor streams through the backend's fixed pinned
        // staging buffers: bounded host memory however large it is.
        return t.write_c_order(&mut WriteRef(w)).map_err(|e| match e {
            tensorbridge_core::Error::Io { source, .. } => io(source),
            other => other,
        });
    }
    // Views (and device tensors) go through bounded host copies of whole
    // rows of the first axis.
    let rows = t.dims().first().copied().unwrap_or(1);
    let row_bytes = (t.numel() / rows).saturating_mul(t.dtype().size_in_bytes());
    let rows_per_block = (BLOCK_BYTES / row_bytes.max(1)).max(1);
    let mut start = 0;
    while start < rows {
        let end = rows.min(start + rows_per_block);
        let block = if t.rank() == 0 {
            t.clone()
        } else {
            t.slice(s![start..end])?
        };
        write_block(w, &block, dst)?;
        start = end;
    }
    Ok(())
}

/// `&mut W` (possibly unsized) as a `dyn Write`.
struct WriteRef<'a, W: Write + ?Sized>(&'a mut W);

impl<W: Write + ?Sized> Write for WriteRef<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0.write_all(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The elements of a (small) tensor copied to the host in C order.
fn write_block<W: Write + ?Sized>(w: &mut W, t: &Tensor, dst: &str) -> Result<()> {
    let io = |e| io_err(format!("writing {dst}"), e);
    with_numeric_dtype!(t.dtype(), T => {
        w.write_all(bytemuck::cast_slice(&t.to_vec::<T>()?)).map_err(io)
    }, bool => {
        w.write_all(bytemuck::cast_slice::<bool, u8>(&t.to_vec::<bool>()?)).map_err(io)
    })
}

/// The elements of a contiguous tensor, in one write.
fn write_elements<W: Write + ?Sized>(w: &mut W, t: &Tensor, dst: &str) -> Result<()> {
    let io = |e| io_err(format!("writing {dst}"), e);
    with_numeric_dtype!(t.dtype(), T => {
        let view = t.view::<T>()?;
        let data = view.as_slice().expect("a contiguous tensor's view is in standard layout");
        w.write_all(bytemuck::cast_slice(data)).map_err(io)
    }, bool => {
        let view = t.view::<bool>()?;
        let data = view.as_slice().expect("a contiguous tensor's view is in standard layout");
        w.write_all(bytemuck::cast_slice::<bool, u8>(data)).map_err(io)
    })
}

/// Saves `tensor` to the `.npy` file `path` (NumPy's `np.save`), atomically:
/// the bytes go to a temporary file in the same directory, which is synced
/// and renamed over `path`, so an interrupted save never leaves a
/// half-written file in place of a good one. The format is [`write_npy`]'s.
///
/// **Errors**: [`Error::Io`](tensorbridge_core::Error::Io) naming the file.
///
/// ```
/// use tensorbridge_core::Tensor;
/// # let dir = std::env::temp_dir().join(format!("tb-doc-save-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("x.npy");
/// tensorbridge_numpy::save_npy(&path, &Tensor::from([[1u8, 2], [3, 4]]).t()?)?;
/// let back = tensorbridge_numpy::load_npy(&path)?;
/// assert_eq!(back.to_vec::<u8>()?, [1, 3, 2, 4]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn save_npy(path: impl AsRef<Path>, tensor: &Tensor) -> Result<()> {
    let path = path.as_ref();
    let dst = format!("'{}'", path.display());
    write_atomic(path, |w| write_npy_to(w, tensor, &dst))
}
