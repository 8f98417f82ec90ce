//! Reading `.npy`: [`read_npy`], [`load_npy`], [`load_npy_as`].
//!
//! Nothing is allocated from a header before it is checked: the header's
//! length is capped and read in full first, the shape's byte size is computed
//! with checked arithmetic, and it is compared with the bytes that remain
//! (when they are known, as for files) before the data buffer exists. From a
//! stream of unknown length the buffer grows as data really arrives, so a
//! lying header costs at most twice the bytes actually present.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use tensorbridge_core::{DType, Element, Error, Result, Tensor};

use crate::descr::{ByteOrder, Descr};
use crate::error::{format_err, io_err};
use crate::header::{Header, Preamble, parse_header, parse_header_len, parse_magic, python_tuple};
use tensorbridge_core::with_numeric_dtype;

/// Without a known length, the data buffer starts at this many bytes and
/// doubles as the stream delivers.
const FIRST_CHUNK_BYTES: usize = 64 << 10;

/// Reads one array from a `.npy` stream, leaving the stream right after its
/// data (so several arrays saved one after another read back in turn, as
/// with NumPy's `np.load(f)`). Big-endian data is byte-swapped; Fortran-order
/// data comes back in C order.
///
/// **Errors**: [`Error::Format`] for anything that is not a `.npy` array of a
/// dtype tensorbridge holds (the message names the field and the values),
/// including a raw `'<V2'` array (read it with [`load_npy_as`] as BF16);
/// [`Error::Io`] when reading fails; [`Error::OutOfMemory`].
///
/// ```
/// use tensorbridge_numpy::{read_npy, write_npy};
/// use tensorbridge_core::Tensor;
///
/// let mut bytes = Vec::new();
/// write_npy(&mut bytes, &Tensor::from([[1i16, 2], [3, 4]]))?;
/// write_npy(&mut bytes, &Tensor::from(2.5f64))?;
/// let mut stream = &bytes[..];
/// assert_eq!(read_npy(&mut stream)?.to_vec::<i16>()?, [1, 2, 3, 4]);
/// assert_eq!(read_npy(&mut stream)?.to_scalar::<f64>()?, 2.5);
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn read_npy(mut reader: impl Read) -> Result<Tensor> {
    let src = "the .npy stream";
    let (_, header) = read_header(&mut reader, src, None)?;
    read_data(&mut reader, src, &header, None, None)
}

/// Loads a `.npy` file as NumPy's `np.load` does, for every dtype
/// tensorbridge holds (a raw `'<V2'` file needs [`load_npy_as`]).
///
/// **Errors**: as [`read_npy`]; the message names the file.
///
/// ```no_run
/// let t = tensorbridge_numpy::load_npy("weights.npy")?;
/// println!("{:?} {}", t.dims(), t.dtype());
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn load_npy(path: impl AsRef<Path>) -> Result<Tensor> {
    load_file(path.as_ref(), None)
}

/// Loads a `.npy` file whose elements must be `dtype`: the way a raw `'<V2'`
/// file (how NumPy stores `ml_dtypes.bfloat16`) becomes a BF16 tensor. Any
/// other file must already hold `dtype`; nothing is converted.
///
/// **Errors**: as [`load_npy`]; [`Error::DTypeMismatch`] when the file holds
/// another dtype (cast after loading if a conversion is meant).
///
/// ```
/// use tensorbridge_core::{bf16, DType, Tensor};
/// # let dir = std::env::temp_dir().join(format!("tb-doc-as-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("bf16.npy");
/// tensorbridge_numpy::save_npy(&path, &Tensor::from([bf16::from_f32(1.5)]))?; // written as '<V2'
/// assert!(tensorbridge_numpy::load_npy(&path).is_err());
/// let t = tensorbridge_numpy::load_npy_as(&path, DType::BF16)?;
/// assert_eq!(t.to_vec::<bf16>()?, [bf16::from_f32(1.5)]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_npy_as(path: impl AsRef<Path>, dtype: DType) -> Result<Tensor> {
    load_file(path.as_ref(), Some(dtype))
}

/// `path` opened for reading, with its size and its name as messages quote
/// it (`'dir/a.npy'`).
pub(crate) fn open_sized(path: &Path) -> Result<(File, u64, String)> {
    let src = format!("'{}'", path.display());
    let file = File::open(path).map_err(|e| io_err(format!("opening {src}"), e))?;
    let len = file
        .metadata()
        .map_err(|e| io_err(format!("reading the size of {src}"), e))?
        .len();
    Ok((file, len, src))
}

fn load_file(path: &Path, want: Option<DType>) -> Result<Tensor> {
    let (file, len, src) = open_sized(path)?;
    let mut reader = BufReader::with_capacity(4096, file);
    let (preamble, header) = read_header(&mut reader, &src, Some(len))?;
    let remaining = len.saturating_sub(preamble.data_offset() as u64);
    read_data(&mut reader, &src, &header, Some(remaining), want)
}

/// Reads and checks the preamble and header. `available` is the total
/// length of the stream when known.
pub(crate) fn read_header<R: Read + ?Sized>(
    r: &mut R,
    src: &str,
    available: Option<u64>,
) -> Result<(Preamble, Header)> {
    let mut first = [0u8; 8];
    read_exactly(r, &mut first, src, "the magic and version (8 bytes)")?;
    let (major, len_bytes) = parse_magic(&first).map_err(|m| format_err(src, m))?;
    let mut len_buf = [0u8; 4];
    read_exactly(r, &mut len_buf[..len_bytes], src, "the header length")?;
    let header_len = parse_header_len(&len_buf[..len_bytes]).map_err(|m| format_err(src, m))?;
    let preamble = Preamble { major, header_len };
    if let Some(total) = available {
        let present = total.saturating_sub(preamble.len() as u64);
        if header_len as u64 > present {
            return Err(format_err(
                src,
                format!(
                    "header length {header_len} runs past the end: {present} bytes follow the length field"
                ),
            ));
        }
    }
    let mut bytes = vec![0u8; header_len];
    read_exactly(
        r,
        &mut bytes,
        src,
        &format!("the header ({header_len} bytes)"),
    )?;
    let header = parse_header(&bytes).map_err(|m| format_err(src, m))?;
    Ok((preamble, header))
}

/// `read_exact`, with a truncation reported as a format error naming `what`.
fn read_exactly<R: Read + ?Sized>(r: &mut R, buf: &mut [u8], src: &str, what: &str) -> Result<()> {
    let got = fill(r, buf).map_err(|e| io_err(format!("reading {src}"), e))?;
    if got < buf.len() {
        return Err(format_err(
            src,
            format!("truncated: {what} needs {} bytes, got {got}", buf.len()),
        ));
    }
    Ok(())
}

/// Reads until `buf` is full or the stream ends; the bytes read.
pub(crate) fn fill<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match r.read(&mut buf[done..]) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// The byte size of the data a header describes, with checked arithmetic;
/// the error names the shape and the descr.
pub(crate) fn data_len(src: &str, header: &Header) -> Result<usize> {
    let overflow = || {
        format_err(
            src,
            format!(
                "shape {} of '{}' overflows: its byte size does not fit in memory addresses",
                python_tuple(&header.shape),
                header.descr.to_descr_string()
            ),
        )
    };
    let mut bytes = header.descr.itemsize();
    for &d in &header.shape {
        bytes = bytes.checked_mul(d).ok_or_else(overflow)?;
    }
    if bytes > isize::MAX as usize {
        return Err(overflow());
    }
    Ok(bytes)
}

/// The error for data shorter than the header says.
pub(crate) fn short_data(src: &str, header: &Header, needed: usize, present: u64) -> Error {
    format_err(
        src,
        format!(
            "shape {} of '{}' needs {needed} bytes of data, {} has {present}",
            python_tuple(&header.shape),
            header.descr.to_descr_string(),
            if src.starts_with('\'') {
                "file"
            } else {
                "stream"
            }
        ),
    )
}

/// Reads the data described by `header` into a C-order tensor. `remaining`
/// is how many bytes follow the header, when known; `want` is the dtype
/// asked for by `load_npy_as`.
pub(crate) fn read_data<R: Read + ?Sized>(
    r: &mut R,
    src: &str,
    header: &Header,
    remaining: Option<u64>,
    want: Option<DType>,
) -> Result<Tensor> {
    let (dtype, order) = match (&header.descr, want) {
        (Descr::Plain(d, order), None) => (*d, *order),
        (Descr::Plain(d, order), Some(w)) if *d == w => (*d, *order),
        (Descr::Plain(d, _), Some(w)) => {
            return Err(Error::DTypeMismatch {
                op: "load_npy_as",
                expected: w,
                found: *d,
            });
        }
        (Descr::RawV2(order), Some(DType::BF16)) => (DType::BF16, *order),
        (Descr::RawV2(_), _) => {
            return Err(format_err(
                src,
                format!(
                    "descr '{}' is two raw bytes per element, which is how NumPy stores \
                     ml_dtypes.bfloat16; read it with load_npy_as(path, DType::BF16)",
                    header.descr.to_descr_string()
                ),
            ));
        }
        (Descr::Bytes(_) | Descr::Unicode(..), _) => {
            return Err(format_err(
                src,
                format!(
                    "descr '{}' is a string dtype, which tensorbridge does not read",
                    header.descr.to_descr_string()
                ),
            ));
        }
    };
    let needed = data_len(src, header)?;
    if let Some(present) = remaining
        && present < needed as u64
    {
        return Err(short_data(src, header, needed, present));
    }
    let numel = if dtype.size_in_bytes() == 0 {
        0
    } else {
        needed / dtype.size_in_bytes()
    };
    let known = remaining.is_some();
    // Fortran order: the bytes are the C-order array of the reversed shape.
    let storage_dims: Vec<usize> = if header.fortran_order {
        header.shape.iter().rev().copied().collect()
    } else {
        header.shape.clone()
    };
    let t = with_numeric_dtype!(dtype, T => {
        let mut v: Vec<T> = read_elements(r, src, header, numel, known)?;
        if order != ByteOrder::NATIVE {
            swap_bytes(bytemuck::cast_slice_mut(&mut v), dtype);
        }
        Tensor::from_vec(v, storage_dims)?
    }, bool => {
        let bytes: Vec<u8> = read_elements(r, src, header, numel, known)?;
        if let Some(i) = bytes.iter().position(|&b| b > 1) {
            return Err(format_err(src, format!("bool element {i} is byte {}, not 0 or 1", bytes[i])));
        }
        Tensor::from_vec(bytes.into_iter().map(|b| b == 1).collect::<Vec<bool>>(), storage_dims)?
    });
    if header.fortran_order && header.shape.len() > 1 {
        let perm: Vec<usize> = (0..header.shape.len()).rev().collect();
        return t.transpose(&perm)?.contiguous_copy();
    }
    Ok(t)
}

/// Reverses the bytes of every element (of each part, for complex).
fn swap_bytes(bytes: &mut [u8], dtype: DType) {
    let part = if dtype.is_complex() {
        dtype.size_in_bytes() / 2
    } else {
        dtype.size_in_bytes()
    };
    if part > 1 {
        bytes.chunks_exact_mut(part).for_each(<[u8]>::reverse);
    }
}

/// `n` elements read from `r`: into one buffer sized up front when the
/// length was checked against the bytes present (`known`), else into a
/// buffer that grows only as data arrives.
fn read_elements<T: Element + bytemuck::Pod, R: Read + ?Sized>(
    r: &mut R,
    src: &str,
    header: &Header,
    n: usize,
    known: bool,
) -> Result<Vec<T>> {
    let size = size_of::<T>();
    let io = |e| io_err(format!("reading {src}"), e);
    if known {
        // Zeroed pages from core's allocator: huge pages, nothing touched
        // before the read writes them.
        let mut v = Tensor::zeros([n], T::DTYPE)?
            .into_array::<T>()?
            .into_raw_vec_and_offset()
            .0;
        let got = fill(r, bytemuck::cast_slice_mut(&mut v)).map_err(io)?;
        if got < n * size {
            return Err(short_data(src, header, n * size, got as u64));
        }
        return Ok(v);
    }
    let mut v: Vec<T> = Vec::new();
    let first = (FIRST_CHUNK_BYTES / size).max(1);
    while v.len() < n {
        let start = v.len();
        let end = n.min(start.saturating_mul(2).max(first));
        v.try_reserve_exact(end - start)
            .map_err(|_| Error::OutOfMemory {
                requested_bytes: end.saturating_mul(size),
                available_bytes: None,
            })?;
        v.resize(end, T::zeroed());
        let got = fill(r, bytemuck::cast_slice_mut(&mut v[start..end])).map_err(io)?;
        if got < (end - start) * size {
            return Err(short_data(
                src,
                header,
                n * size,
                (start * size + got) as u64,
            ));
        }
    }
    Ok(v)
}
