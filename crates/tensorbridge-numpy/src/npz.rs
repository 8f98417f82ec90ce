//! `.npz` archives: [`NpzReader`], [`NpzWriter`], [`save_npz`],
//! [`save_npz_compressed`], [`load_npz`].

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use tensorbridge_core::{DType, Error, Result, Tensor};

use crate::atomic::write_atomic;
use crate::error::{format_err, io_err};
use crate::header::Header;
use crate::read::{data_len, read_data, read_header, short_data};
use crate::write::write_npy_to;
use crate::zip::{self, Checked, DEFLATED, Entry, MAX_DEFLATE_RATIO, STORED, ZipError};

/// The default cap on the sum of the members' uncompressed sizes that
/// [`NpzReader`] accepts: 64 GiB. Raise or lower it with
/// [`NpzReader::with_max_total_bytes`].
pub const DEFAULT_MAX_TOTAL_BYTES: u64 = 64 << 30;

/// Reads the arrays of an `.npz` archive one at a time, in archive order
/// (NumPy's `np.load` of an `.npz`, without its pickle or its file-system
/// side effects).
///
/// Opening reads only the archive's directory and checks it: every member
/// stored or deflated, not encrypted, no two with the same name, each
/// member's size plausible for its compressed size (deflate cannot expand
/// more than 1032:1, so larger claims are zip bombs), and the sizes' sum
/// under a cap ([`DEFAULT_MAX_TOTAL_BYTES`] unless set). Reading a member
/// checks its `.npy` header against its size, its real decompressed length
/// against its declared size and its CRC-32. Member names are only
/// compared, never used as paths.
///
/// ```
/// use tensorbridge_core::Tensor;
/// use tensorbridge_numpy::{NpzReader, NpzWriter};
///
/// let mut w = NpzWriter::new_compressed(std::io::Cursor::new(Vec::new()));
/// w.add("x", &Tensor::from([1i32, 2, 3]))?;
/// w.add("y", &Tensor::from([[0.5f32]]))?;
/// let bytes = w.finish()?.into_inner();
///
/// let mut r = NpzReader::new(std::io::Cursor::new(bytes))?;
/// assert_eq!(r.names().collect::<Vec<_>>(), ["x", "y"]);
/// assert_eq!(r.read("y")?.to_vec::<f32>()?, [0.5]);
/// for member in r {
///     let (name, t) = member?;      // streamed in archive order
///     println!("{name}: {:?}", t.dims());
/// }
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub struct NpzReader<R> {
    inner: R,
    src: String,
    len: u64,
    entries: Vec<Entry>,
    keys: Vec<String>,
    next: usize,
}

impl NpzReader<BufReader<File>> {
    /// Opens the archive at `path` with the default size cap.
    ///
    /// **Errors**: [`Error::Io`] naming the file; [`Error::Format`] when it
    /// is not a valid archive (see [`NpzReader`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let src = format!("'{}'", path.display());
        let file = File::open(path).map_err(|e| io_err(format!("opening {src}"), e))?;
        Self::with_name(
            BufReader::with_capacity(1 << 16, file),
            src,
            DEFAULT_MAX_TOTAL_BYTES,
        )
    }
}

impl<R: Read + Seek> NpzReader<R> {
    /// Reads the directory of the archive in `reader` (from its start), with
    /// the default size cap.
    ///
    /// **Errors**: as [`NpzReader::open`].
    pub fn new(reader: R) -> Result<Self> {
        Self::with_name(
            reader,
            "the .npz archive".to_owned(),
            DEFAULT_MAX_TOTAL_BYTES,
        )
    }

    /// As [`NpzReader::new`], refusing archives whose members' uncompressed
    /// sizes add up to more than `max_total_bytes`.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    /// use tensorbridge_numpy::{NpzReader, NpzWriter};
    ///
    /// let mut w = NpzWriter::new(std::io::Cursor::new(Vec::new()));
    /// w.add("x", &Tensor::zeros([1000], tensorbridge_core::DType::F64)?)?;
    /// let bytes = w.finish()?.into_inner();
    /// assert!(NpzReader::with_max_total_bytes(std::io::Cursor::new(bytes), 4096).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn with_max_total_bytes(reader: R, max_total_bytes: u64) -> Result<Self> {
        Self::with_name(reader, "the .npz archive".to_owned(), max_total_bytes)
    }

    fn with_name(mut inner: R, src: String, max_total: u64) -> Result<Self> {
        let len = inner
            .seek(SeekFrom::End(0))
            .map_err(|e| io_err(format!("reading {src}"), e))?;
        let entries = zip::read_directory(&mut inner, len).map_err(|e| zip_err(&src, e))?;
        let mut seen = HashSet::new();
        let mut keys = Vec::with_capacity(entries.len());
        let mut total: u64 = 0;
        for e in &entries {
            let key = e.name.strip_suffix(".npy").unwrap_or(&e.name).to_owned();
            if !seen.insert(key.clone()) {
                return Err(format_err(
                    &src,
                    format!("the name '{key}' is in the archive twice"),
                ));
            }
            match e.method {
                STORED if e.size != e.compressed_size => {
                    return Err(format_err(
                        &src,
                        format!(
                            "stored member '{}' claims {} bytes but holds {}",
                            e.name, e.size, e.compressed_size
                        ),
                    ));
                }
                STORED => {}
                DEFLATED => {
                    let most = e
                        .compressed_size
                        .saturating_mul(MAX_DEFLATE_RATIO)
                        .saturating_add(64);
                    if e.size > most {
                        return Err(format_err(
                            &src,
                            format!(
                                "member '{}' claims {} bytes from {} compressed bytes, more than \
                                 deflate can produce ({most}): a zip bomb or a corrupt archive",
                                e.name, e.size, e.compressed_size
                            ),
                        ));
                    }
                }
                other => {
                    return Err(format_err(
                        &src,
                        format!(
                            "member '{}' uses compression method {other}; NumPy writes only \
                             stored (0) and deflated (8)",
                            e.name
                        ),
                    ));
                }
            }
            total = total.saturating_add(e.size);
            if total > max_total {
                return Err(format_err(
                    &src,
                    format!(
                        "the members' sizes add up to more than the cap of {max_total} bytes \
                         (at member '{}'); raise it with NpzReader::with_max_total_bytes if the \
                         archive is trusted",
                        e.name
                    ),
                ));
            }
            keys.push(key);
        }
        Ok(NpzReader {
            inner,
            src,
            len,
            entries,
            keys,
            next: 0,
        })
    }

    /// The names of the arrays in archive order (member names without
    /// `.npy`, as NumPy's `NpzFile.files`).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(String::as_str)
    }

    /// The number of arrays.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the archive holds no arrays.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Reads the array called `name`.
    ///
    /// **Errors**: [`Error::InvalidArgument`] when there is none (the error
    /// lists the names there are); as [`crate::load_npy`] for the member.
    pub fn read(&mut self, name: &str) -> Result<Tensor> {
        let i = self.index_of(name)?;
        self.read_index(i, None)
    }

    /// Reads the array called `name`, which must hold `dtype`: a raw `'<V2'`
    /// member becomes BF16 as with [`crate::load_npy_as`].
    ///
    /// **Errors**: as [`NpzReader::read`] and [`crate::load_npy_as`].
    pub fn read_as(&mut self, name: &str, dtype: DType) -> Result<Tensor> {
        let i = self.index_of(name)?;
        self.read_index(i, Some(dtype))
    }

    pub(crate) fn index_of(&self, name: &str) -> Result<usize> {
        self.keys
            .iter()
            .position(|k| k == name)
            .ok_or_else(|| Error::InvalidArgument {
                op: "NpzReader::read",
                what: format!(
                    "{} has no array named '{name}'; it has {:?}",
                    self.src, self.keys
                ),
            })
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.keys.iter().any(|k| k == name)
    }

    fn read_index(&mut self, i: usize, want: Option<DType>) -> Result<Tensor> {
        self.read_member(i, |r, src, header, remaining| {
            read_data(r, src, header, remaining, want)
        })
    }

    /// Reads member `i` with `f`, which gets the member's stream positioned
    /// after the `.npy` header, the header, and the exact data length when it
    /// is known for certain (stored members). Afterwards the member's real
    /// length must equal its declared size and its CRC-32 must match.
    pub(crate) fn read_member<T>(
        &mut self,
        i: usize,
        f: impl FnOnce(&mut dyn Read, &str, &Header, Option<u64>) -> Result<T>,
    ) -> Result<T> {
        let e = self.entries[i].clone();
        let src = format!("member '{}' of {}", e.name, self.src);
        let start =
            zip::data_offset(&mut self.inner, &e, self.len).map_err(|z| zip_err(&self.src, z))?;
        self.inner
            .seek(SeekFrom::Start(start))
            .map_err(|err| io_err(format!("reading {src}"), err))?;
        let raw = (&mut self.inner).take(e.compressed_size);
        let mut reader: Checked<Box<dyn Read + '_>> = Checked {
            inner: if e.method == DEFLATED {
                Box::new(flate2::read::DeflateDecoder::new(raw))
            } else {
                Box::new(raw)
            },
            count: 0,
            crc: crc32fast::Hasher::new(),
        };
        let (preamble, header) = read_header(&mut reader, &src, Some(e.size))?;
        let remaining = e.size - preamble.data_offset() as u64;
        let needed = data_len(&src, &header)?;
        if (needed as u64) != remaining {
            return Err(if (needed as u64) > remaining {
                short_data(&src, &header, needed, remaining)
            } else {
                format_err(
                    &src,
                    format!(
                        "{} bytes follow the data of shape {} (the member is {} bytes)",
                        remaining - needed as u64,
                        crate::header::python_tuple(&header.shape),
                        e.size
                    ),
                )
            });
        }
        // Stored data is all present (checked against the archive's length);
        // deflated data is only claimed, so it is read as it really arrives.
        let exact = (e.method == STORED).then_some(remaining);
        let value = f(&mut reader, &src, &header, exact)?;
        let mut probe = [0u8; 1];
        let extra = crate::read::fill(&mut reader, &mut probe)
            .map_err(|err| io_err(format!("reading {src}"), err))?;
        if extra != 0 || reader.count != e.size {
            return Err(format_err(
                &src,
                format!(
                    "the member decompresses to {} bytes, not the {} its directory entry declares",
                    if extra != 0 {
                        "more".to_owned()
                    } else {
                        reader.count.to_string()
                    },
                    e.size
                ),
            ));
        }
        let crc = reader.crc.clone().finalize();
        if crc != e.crc32 {
            return Err(format_err(
                &src,
                format!(
                    "CRC-32 is {crc:08x}, the directory says {:08x}: the data is corrupt",
                    e.crc32
                ),
            ));
        }
        Ok(value)
    }
}

impl<R: Read + Seek> Iterator for NpzReader<R> {
    type Item = Result<(String, Tensor)>;

    /// The next array in archive order.
    fn next(&mut self) -> Option<Self::Item> {
        let i = self.next;
        if i >= self.entries.len() {
            return None;
        }
        self.next += 1;
        Some(self.read_index(i, None).map(|t| (self.keys[i].clone(), t)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.entries.len() - self.next;
        (n, Some(n))
    }
}

fn zip_err(src: &str, e: ZipError) -> Error {
    match e {
        ZipError::Format(m) => format_err(src, m),
        ZipError::Io(e) => io_err(format!("reading {src}"), e),
    }
}

/// Writes arrays into an `.npz` archive one at a time (NumPy's `savez` or
/// `savez_compressed`), each as `<name>.npy`, with ZIP64 sizes as NumPy
/// writes them so members of any size fit.
///
/// ```
/// use tensorbridge_core::Tensor;
/// use tensorbridge_numpy::NpzWriter;
///
/// let mut w = NpzWriter::new(std::io::Cursor::new(Vec::new()));
/// w.add("a", &Tensor::from([1u8, 2]))?;
/// assert!(w.add("a", &Tensor::from([3u8])).is_err()); // names are unique
/// let archive = w.finish()?.into_inner();
/// assert!(archive.starts_with(b"PK\x03\x04"));
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub struct NpzWriter<W: Write + Seek> {
    inner: W,
    entries: Vec<Entry>,
    names: HashSet<String>,
    compressed: bool,
}

impl<W: Write + Seek> NpzWriter<W> {
    /// A writer of stored (uncompressed) members, as `np.savez`.
    pub fn new(inner: W) -> Self {
        NpzWriter {
            inner,
            entries: Vec::new(),
            names: HashSet::new(),
            compressed: false,
        }
    }

    /// A writer of deflated members, as `np.savez_compressed`.
    pub fn new_compressed(inner: W) -> Self {
        NpzWriter {
            compressed: true,
            ..Self::new(inner)
        }
    }

    /// Adds `tensor` as the member `<name>.npy`.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for a name already added or
    /// longer than a zip name can be; [`Error::Io`].
    pub fn add(&mut self, name: &str, tensor: &Tensor) -> Result<()> {
        let member = self.member_name(name)?;
        self.add_member(member, |w, dst| write_npy_to(w, tensor, dst))
    }

    pub(crate) fn member_name(&mut self, name: &str) -> Result<String> {
        let member = format!("{name}.npy");
        if member.len() > u16::MAX as usize - 64 {
            return Err(Error::InvalidArgument {
                op: "NpzWriter::add",
                what: format!(
                    "the name is {} bytes long; zip names hold at most 65471",
                    name.len()
                ),
            });
        }
        if !self.names.insert(name.to_owned()) {
            return Err(Error::InvalidArgument {
                op: "NpzWriter::add",
                what: format!("an array named '{name}' was already added; names must be unique"),
            });
        }
        Ok(member)
    }

    /// Writes one member whose uncompressed bytes `write` produces.
    pub(crate) fn add_member(
        &mut self,
        member: String,
        write: impl FnOnce(&mut dyn Write, &str) -> Result<()>,
    ) -> Result<()> {
        let dst = format!("member '{member}' of the .npz archive");
        let io = |e| io_err(format!("writing {dst}"), e);
        let method = if self.compressed { DEFLATED } else { STORED };
        let offset = self.inner.stream_position().map_err(io)?;
        zip::write_local(&mut self.inner, &member, method).map_err(io)?;
        let data_start = self.inner.stream_position().map_err(io)?;
        let (size, crc) = if self.compressed {
            let enc =
                flate2::write::DeflateEncoder::new(&mut self.inner, flate2::Compression::default());
            let mut c = zip::Counting {
                inner: enc,
                count: 0,
                crc: crc32fast::Hasher::new(),
            };
            write(&mut c, &dst)?;
            c.inner.finish().map_err(io)?;
            (c.count, c.crc.finalize())
        } else {
            let mut c = zip::Counting {
                inner: &mut self.inner,
                count: 0,
                crc: crc32fast::Hasher::new(),
            };
            write(&mut c, &dst)?;
            (c.count, c.crc.finalize())
        };
        let end = self.inner.stream_position().map_err(io)?;
        let entry = Entry {
            name: member,
            method,
            crc32: crc,
            compressed_size: end - data_start,
            size,
            local_offset: offset,
        };
        zip::patch_local(&mut self.inner, offset, &entry.name, &entry).map_err(io)?;
        self.entries.push(entry);
        Ok(())
    }

    /// Writes the archive's directory and returns the inner writer.
    ///
    /// **Errors**: [`Error::Io`].
    pub fn finish(mut self) -> Result<W> {
        zip::write_directory(&mut self.inner, &self.entries)
            .map_err(|e| io_err("writing the .npz directory".to_owned(), e))?;
        self.inner
            .flush()
            .map_err(|e| io_err("writing the .npz directory".to_owned(), e))?;
        Ok(self.inner)
    }
}

/// Saves arrays to the `.npz` archive `path`, uncompressed (NumPy's
/// `np.savez(path, **arrays)`), atomically like [`crate::save_npy`].
///
/// **Errors**: [`Error::InvalidArgument`] for a repeated name; [`Error::Io`]
/// naming the file.
///
/// ```
/// use tensorbridge_core::Tensor;
/// # let dir = std::env::temp_dir().join(format!("tb-doc-npz-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("out.npz");
/// let (a, b) = (Tensor::from([1.0f32, 2.0]), Tensor::from([[1i64, 2], [3, 4]]));
/// tensorbridge_numpy::save_npz(&path, &[("a", &a), ("b", &b)])?;
/// let back = tensorbridge_numpy::load_npz(&path)?;
/// assert_eq!(back[1].0, "b");
/// assert_eq!(back[1].1.to_vec::<i64>()?, [1, 2, 3, 4]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn save_npz(path: impl AsRef<Path>, arrays: &[(&str, &Tensor)]) -> Result<()> {
    save(path.as_ref(), arrays, false)
}

/// As [`save_npz`], with deflated members (NumPy's `np.savez_compressed`).
///
/// ```
/// use tensorbridge_core::{DType, Tensor};
/// # let dir = std::env::temp_dir().join(format!("tb-doc-npzc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("zeros.npz");
/// tensorbridge_numpy::save_npz_compressed(&path, &[("z", &Tensor::zeros([1000], DType::F64)?)])?;
/// assert!(std::fs::metadata(&path)?.len() < 1000);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn save_npz_compressed(path: impl AsRef<Path>, arrays: &[(&str, &Tensor)]) -> Result<()> {
    save(path.as_ref(), arrays, true)
}

fn save(path: &Path, arrays: &[(&str, &Tensor)], compressed: bool) -> Result<()> {
    write_atomic(path, |w| {
        let mut z = if compressed {
            NpzWriter::new_compressed(w)
        } else {
            NpzWriter::new(w)
        };
        for (name, t) in arrays {
            z.add(name, t)?;
        }
        z.finish().map(|_| ())
    })
}

/// Loads every array of the `.npz` archive `path`, in archive order, with
/// their names (NumPy's `np.load(path)` items). Use [`NpzReader`] to read
/// one array at a time.
///
/// **Errors**: as [`NpzReader::open`] and [`NpzReader::read`].
///
/// ```no_run
/// for (name, t) in tensorbridge_numpy::load_npz("arrays.npz")? {
///     println!("{name}: {:?} {}", t.dims(), t.dtype());
/// }
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn load_npz(path: impl AsRef<Path>) -> Result<Vec<(String, Tensor)>> {
    NpzReader::open(path)?.collect()
}
