//! [`load_npy_mmap`]: a `.npy` file memory-mapped and read in place.
//!
//! The one module of this crate with `unsafe`: creating the map. The caveat
//! is NumPy's own for `np.load(..., mmap_mode='r')`: the tensor reads the
//! file's pages as they are *now*, so the file must not be modified or
//! truncated while the tensor (or any view of it) lives. Another process
//! writing to it changes what the tensor reads, and truncating it makes
//! reads of the lost pages fault (SIGBUS). Write new versions with
//! [`save_npy`](crate::save_npy), which replaces the file by a rename and so
//! never touches the pages of a file that is mapped.
#![expect(
    unsafe_code,
    reason = "memmap2::Mmap::map is unsafe: the file could be modified while mapped"
)]

use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use tensorbridge_core::{Error, Result, Tensor};

use crate::descr::{ByteOrder, Descr};
use crate::error::{format_err, io_err};
use crate::read::{data_len, open_sized, read_header, short_data};

/// Loads a `.npy` file by memory-mapping it: no copy and O(1) in the file's
/// size, the pages are read from the page cache as the tensor is used.
/// Works for C-order files in this machine's byte order with aligned data
/// (all NumPy writes); [`Tensor::into_array`] and operations copy as usual,
/// and [`Tensor::view`] borrows the mapped pages. Bool files are checked
/// (one pass) to hold only 0 and 1.
///
/// The file must not be modified or truncated while the tensor lives
/// (NumPy's `mmap_mode='r'` has the same caveat); [`save_npy`](crate::save_npy)
/// replaces files by renaming, which is safe.
///
/// **Errors**: [`Error::Format`] for a file that cannot be mapped as it is
/// (Fortran order, the other byte order, raw `'<V2'`, misaligned data), saying
/// to use [`load_npy`](crate::load_npy), and for every malformed file
/// [`load_npy`](crate::load_npy) refuses; [`Error::Io`].
///
/// ```
/// use tensorbridge_core::Tensor;
/// # let dir = std::env::temp_dir().join(format!("tb-doc-mmap-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("big.npy");
/// tensorbridge_numpy::save_npy(&path, &Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]))?;
/// let t = tensorbridge_numpy::load_npy_mmap(&path)?;
/// assert_eq!(t.view::<f32>()?[[1, 0]], 3.0); // read from the mapped page
/// # drop(t);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_npy_mmap(path: impl AsRef<Path>) -> Result<Tensor> {
    let path = path.as_ref();
    let (file, len, src) = open_sized(path)?;
    let (preamble, header) = {
        let mut reader = BufReader::with_capacity(1024, &file);
        read_header(&mut reader, &src, Some(len))?
    };
    let cannot = |why: String| {
        format_err(
            &src,
            format!("cannot be memory-mapped: {why}; use load_npy, which copies and converts"),
        )
    };
    let dtype = match header.descr {
        Descr::Plain(d, order) if d.size_in_bytes() == 1 || order == ByteOrder::NATIVE => d,
        Descr::Plain(..) => {
            return Err(cannot(format!(
                "descr '{}' is not in this machine's byte order",
                header.descr.to_descr_string()
            )));
        }
        _ => {
            // The same message load_npy gives for raw V2 and strings.
            return crate::read::read_data(&mut std::io::empty(), &src, &header, Some(0), None);
        }
    };
    let nontrivial_dims = header.shape.iter().filter(|&&d| d > 1).count();
    if header.fortran_order && nontrivial_dims > 1 {
        return Err(cannot("the data is in Fortran order".into()));
    }
    let needed = data_len(&src, &header)?;
    let offset = preamble.data_offset();
    let present = len.saturating_sub(offset as u64);
    if present < needed as u64 {
        return Err(short_data(&src, &header, needed, present));
    }
    // SAFETY: the map is read-only and shared; Rust code only ever reads it
    // through `&[u8]`. What Rust cannot promise is that no one else modifies
    // or truncates the file while it is mapped; that is this function's
    // documented contract with its caller (as for NumPy's memmap), and
    // tensorbridge's own writers never modify a file in place.
    let map = unsafe { memmap2::Mmap::map(&file) }
        .map_err(|e| io_err(format!("memory-mapping {src}"), e))?;
    Tensor::from_host_bytes(Arc::new(map), offset, dtype, header.shape.clone()).map_err(|e| match e
    {
        Error::InvalidArgument { what, .. } => cannot(what),
        other => other,
    })
}
