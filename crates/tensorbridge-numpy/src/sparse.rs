//! SciPy's sparse archives (`scipy.sparse.save_npz` / `load_npz`) as plain
//! tensors: [`ScipySparse`] holds the arrays of a CSR, CSC or COO matrix in
//! SciPy's layout, checked, and [`save_scipy_sparse_npz`] /
//! [`load_scipy_sparse_npz`] write and read them member for member as SciPy
//! does. (The `SparseTensor` adapters build on these.)
//!
//! SciPy's layout: CSR and CSC archives hold `indices`, `indptr`, `format`,
//! `shape`, `data`; COO archives hold `row`, `col`, `format`, `shape`,
//! `data` (or `coords`, of shape `(2, nnz)`, instead of `row` and `col`);
//! `format` is a 0-d bytes array (`'|S3'`, `b'csr'`), `shape` an int64 pair,
//! and `_is_array` (a bool scalar) marks a `sparray` rather than a
//! `spmatrix`.

use std::io::Read;
use std::path::Path;

use tensorbridge_core::{DType, Error, Result, Tensor};

use crate::atomic::write_atomic;
use crate::descr::{ByteOrder, Descr};
use crate::error::format_err;
use crate::header::{Header, write_header};
use crate::npz::{NpzReader, NpzWriter};
use crate::read::data_len;

/// The sparse formats SciPy's `save_npz` archives that tensorbridge reads and
/// writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScipySparseFormat {
    /// Compressed sparse rows (`csr_matrix`/`csr_array`).
    Csr,
    /// Compressed sparse columns (`csc_matrix`/`csc_array`).
    Csc,
    /// Coordinates (`coo_matrix`/`coo_array`).
    Coo,
}

impl ScipySparseFormat {
    /// SciPy's name: `"csr"`, `"csc"`, `"coo"`.
    ///
    /// ```
    /// assert_eq!(tensorbridge_numpy::ScipySparseFormat::Csc.name(), "csc");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ScipySparseFormat::Csr => "csr",
            ScipySparseFormat::Csc => "csc",
            ScipySparseFormat::Coo => "coo",
        }
    }
}

#[derive(Debug, Clone)]
enum Parts {
    Compressed { indices: Tensor, indptr: Tensor },
    Coo { row: Tensor, col: Tensor },
}

/// The arrays of a 2-D SciPy sparse matrix in SciPy's own layout, checked
/// on construction: index arrays are 1-D int32 or int64, `indptr` starts at
/// 0, never decreases and ends at the number of stored values, every index
/// lies inside the shape, and all lengths agree. Duplicates and unsorted
/// indices are kept as SciPy keeps them.
///
/// ```
/// use tensorbridge_core::Tensor;
/// use tensorbridge_numpy::{ScipySparse, ScipySparseFormat};
///
/// // [[1, 0, 2],
/// //  [0, 0, 3]]
/// let m = ScipySparse::csr(
///     [2, 3],
///     Tensor::from([1.0f32, 2.0, 3.0]),
///     Tensor::from([0i32, 2, 2]),
///     Tensor::from([0i32, 2, 3]),
/// )?;
/// assert_eq!(m.format(), ScipySparseFormat::Csr);
/// assert_eq!(m.nnz(), 3);
/// let bad = ScipySparse::csr([2, 3], Tensor::from([1.0f32]), Tensor::from([3i32]), Tensor::from([0i32, 1, 1]));
/// assert_eq!(
///     bad.unwrap_err().to_string(),
///     "ScipySparse::csr: indices[0] = 3 is out of bounds for 3 columns"
/// );
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ScipySparse {
    format: ScipySparseFormat,
    shape: [usize; 2],
    data: Tensor,
    parts: Parts,
    sparray: bool,
}

impl ScipySparse {
    /// A CSR matrix: row `i`'s values are `data[indptr[i]..indptr[i + 1]]`
    /// in the columns `indices[indptr[i]..indptr[i + 1]]`.
    ///
    /// **Errors**: [`Error::InvalidArgument`] naming the array, the rule and
    /// the values, for every rule in [`ScipySparse`]'s docs.
    pub fn csr(shape: [usize; 2], data: Tensor, indices: Tensor, indptr: Tensor) -> Result<Self> {
        Self::compressed(ScipySparseFormat::Csr, shape, data, indices, indptr).map_err(|what| {
            Error::InvalidArgument {
                op: "ScipySparse::csr",
                what,
            }
        })
    }

    /// A CSC matrix: column `j`'s values are `data[indptr[j]..indptr[j + 1]]`
    /// in the rows `indices[indptr[j]..indptr[j + 1]]`.
    ///
    /// **Errors**: as [`ScipySparse::csr`].
    pub fn csc(shape: [usize; 2], data: Tensor, indices: Tensor, indptr: Tensor) -> Result<Self> {
        Self::compressed(ScipySparseFormat::Csc, shape, data, indices, indptr).map_err(|what| {
            Error::InvalidArgument {
                op: "ScipySparse::csc",
                what,
            }
        })
    }

    /// A COO matrix: value `data[k]` at `(row[k], col[k])`.
    ///
    /// **Errors**: as [`ScipySparse::csr`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    /// use tensorbridge_numpy::ScipySparse;
    ///
    /// let m = ScipySparse::coo([2, 2], Tensor::from([5i64]), Tensor::from([1i32]), Tensor::from([0i32]))?;
    /// assert_eq!(m.row().unwrap().to_vec::<i32>()?, [1]);
    /// assert!(ScipySparse::coo([2, 2], Tensor::from([5i64]), Tensor::from([2i32]), Tensor::from([0i32])).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn coo(shape: [usize; 2], data: Tensor, row: Tensor, col: Tensor) -> Result<Self> {
        Self::coordinates(shape, data, row, col).map_err(|what| Error::InvalidArgument {
            op: "ScipySparse::coo",
            what,
        })
    }

    fn compressed(
        format: ScipySparseFormat,
        shape: [usize; 2],
        data: Tensor,
        indices: Tensor,
        indptr: Tensor,
    ) -> std::result::Result<Self, String> {
        let nnz = check_data(&data)?;
        let (major, minor, minor_name) = match format {
            ScipySparseFormat::Csr => (shape[0], shape[1], "columns"),
            _ => (shape[1], shape[0], "rows"),
        };
        let ptr = index_values("indptr", &indptr)?;
        let idx = index_values("indices", &indices)?;
        if ptr.len() != major.saturating_add(1) {
            return Err(format!(
                "indptr has {} entries; a {} matrix of shape ({}, {}) needs {}",
                ptr.len(),
                format.name(),
                shape[0],
                shape[1],
                major.saturating_add(1)
            ));
        }
        if ptr[0] != 0 {
            return Err(format!("indptr[0] = {} must be 0", ptr[0]));
        }
        if let Some(i) = (1..ptr.len()).find(|&i| ptr[i] < ptr[i - 1]) {
            return Err(format!(
                "indptr[{i}] = {} is less than indptr[{}] = {}; indptr must not decrease",
                ptr[i],
                i - 1,
                ptr[i - 1]
            ));
        }
        let last = ptr[ptr.len() - 1];
        if idx.len() != nnz || last != nnz as i64 {
            return Err(format!(
                "data has {nnz} values, indices {}, and indptr ends at {last}; all three must agree",
                idx.len()
            ));
        }
        if let Some(k) = idx.iter().position(|&v| v < 0 || v as u64 >= minor as u64) {
            return Err(format!(
                "indices[{k}] = {} is out of bounds for {minor} {minor_name}",
                idx[k]
            ));
        }
        Ok(ScipySparse {
            format,
            shape,
            data,
            parts: Parts::Compressed { indices, indptr },
            sparray: false,
        })
    }

    fn coordinates(
        shape: [usize; 2],
        data: Tensor,
        row: Tensor,
        col: Tensor,
    ) -> std::result::Result<Self, String> {
        let nnz = check_data(&data)?;
        for (name, t, bound, what) in [
            ("row", &row, shape[0], "rows"),
            ("col", &col, shape[1], "columns"),
        ] {
            let v = index_values(name, t)?;
            if v.len() != nnz {
                return Err(format!(
                    "{name} has {} entries, data has {nnz}; they must agree",
                    v.len()
                ));
            }
            if let Some(k) = v.iter().position(|&x| x < 0 || x as u64 >= bound as u64) {
                return Err(format!(
                    "{name}[{k}] = {} is out of bounds for {bound} {what}",
                    v[k]
                ));
            }
        }
        Ok(ScipySparse {
            format: ScipySparseFormat::Coo,
            shape,
            data,
            parts: Parts::Coo { row, col },
            sparray: false,
        })
    }

    /// Marks the matrix as a SciPy `sparray` (`csr_array`, ...) rather than
    /// an `spmatrix`: SciPy's `load_npz` then returns an array.
    pub fn with_sparray(mut self, sparray: bool) -> Self {
        self.sparray = sparray;
        self
    }

    /// Whether this is a SciPy `sparray` (the archive's `_is_array`).
    pub fn is_sparray(&self) -> bool {
        self.sparray
    }

    /// CSR, CSC or COO.
    pub fn format(&self) -> ScipySparseFormat {
        self.format
    }

    /// `(rows, columns)`.
    pub fn shape(&self) -> [usize; 2] {
        self.shape
    }

    /// The stored values, 1-D.
    pub fn data(&self) -> &Tensor {
        &self.data
    }

    /// The number of stored values.
    pub fn nnz(&self) -> usize {
        self.data.numel()
    }

    /// CSR/CSC: the column (CSR) or row (CSC) of each stored value.
    pub fn indices(&self) -> Option<&Tensor> {
        match &self.parts {
            Parts::Compressed { indices, .. } => Some(indices),
            Parts::Coo { .. } => None,
        }
    }

    /// CSR/CSC: where each row (CSR) or column (CSC) starts in `data`.
    pub fn indptr(&self) -> Option<&Tensor> {
        match &self.parts {
            Parts::Compressed { indptr, .. } => Some(indptr),
            Parts::Coo { .. } => None,
        }
    }

    /// COO: the row of each stored value.
    pub fn row(&self) -> Option<&Tensor> {
        match &self.parts {
            Parts::Coo { row, .. } => Some(row),
            Parts::Compressed { .. } => None,
        }
    }

    /// COO: the column of each stored value.
    pub fn col(&self) -> Option<&Tensor> {
        match &self.parts {
            Parts::Coo { col, .. } => Some(col),
            Parts::Compressed { .. } => None,
        }
    }
}

/// `data` must be 1-D and of a dtype SciPy's sparse matrices hold; its length.
fn check_data(data: &Tensor) -> std::result::Result<usize, String> {
    if data.rank() != 1 {
        return Err(format!("data must be 1-D, it has shape {:?}", data.dims()));
    }
    if matches!(data.dtype(), DType::F16 | DType::BF16) {
        return Err(format!(
            "data is {}, which scipy.sparse does not support; cast it to float32 first",
            data.dtype()
        ));
    }
    Ok(data.numel())
}

/// The values of a 1-D int32/int64 index array, widened to i64.
fn index_values(name: &str, t: &Tensor) -> std::result::Result<Vec<i64>, String> {
    if t.rank() != 1 {
        return Err(format!("{name} must be 1-D, it has shape {:?}", t.dims()));
    }
    match t.dtype() {
        DType::I32 => Ok(t
            .to_vec::<i32>()
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(i64::from)
            .collect()),
        DType::I64 => t.to_vec::<i64>().map_err(|e| e.to_string()),
        other => Err(format!(
            "{name} is {other}; SciPy's index arrays are int32 or int64"
        )),
    }
}

/// Saves `matrix` as SciPy's `save_npz` does: the same members in the same
/// order, deflated when `compressed` (SciPy's default) and stored otherwise;
/// atomically like [`crate::save_npy`]. `scipy.sparse.load_npz` loads it.
///
/// **Errors**: [`Error::Io`] naming the file.
///
/// ```
/// use tensorbridge_core::Tensor;
/// use tensorbridge_numpy::{load_scipy_sparse_npz, save_scipy_sparse_npz, ScipySparse};
/// # let dir = std::env::temp_dir().join(format!("tb-doc-sp-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("m.npz");
/// let m = ScipySparse::csc([3, 2], Tensor::from([7i64]), Tensor::from([2i32]), Tensor::from([0i32, 0, 1]))?;
/// save_scipy_sparse_npz(&path, &m, true)?;
/// let back = load_scipy_sparse_npz(&path)?;
/// assert_eq!(back.shape(), [3, 2]);
/// assert_eq!(back.indices().unwrap().to_vec::<i32>()?, [2]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn save_scipy_sparse_npz(
    path: impl AsRef<Path>,
    matrix: &ScipySparse,
    compressed: bool,
) -> Result<()> {
    write_atomic(path.as_ref(), |w| {
        let mut z = if compressed {
            NpzWriter::new_compressed(w)
        } else {
            NpzWriter::new(w)
        };
        match &matrix.parts {
            Parts::Compressed { indices, indptr } => {
                z.add("indices", indices)?;
                z.add("indptr", indptr)?;
            }
            Parts::Coo { row, col } => {
                z.add("row", row)?;
                z.add("col", col)?;
            }
        }
        let name = matrix.format.name();
        let member = z.member_name("format")?;
        z.add_member(member, |w, dst| {
            let header = Header {
                descr: Descr::Bytes(name.len()),
                fortran_order: false,
                shape: vec![],
            };
            w.write_all(&write_header(&header))
                .and_then(|()| w.write_all(name.as_bytes()))
                .map_err(|e| crate::error::io_err(format!("writing {dst}"), e))
        })?;
        z.add(
            "shape",
            &Tensor::from([matrix.shape[0] as i64, matrix.shape[1] as i64]),
        )?;
        z.add("data", &matrix.data)?;
        if matrix.sparray {
            z.add("_is_array", &Tensor::from(true))?;
        }
        z.finish().map(|_| ())
    })
}

/// Loads a SciPy `save_npz` archive of a CSR, CSC or COO matrix, checking it
/// fully (see [`ScipySparse`]).
///
/// **Errors**: [`Error::Format`] naming the file, the member and the rule
/// broken (a missing member, a `format` other than csr/csc/coo, a bad
/// `shape`, indices out of bounds, ...); as [`NpzReader::open`].
pub fn load_scipy_sparse_npz(path: impl AsRef<Path>) -> Result<ScipySparse> {
    let path = path.as_ref();
    let src = format!("'{}'", path.display());
    let mut r = NpzReader::open(path)?;
    read_sparse(&mut r, &src)
}

fn read_sparse<R: Read + std::io::Seek>(r: &mut NpzReader<R>, src: &str) -> Result<ScipySparse> {
    let bad = |what: String| format_err(src, what);
    let need = |r: &NpzReader<R>, name: &str| -> Result<()> {
        if r.has(name) {
            Ok(())
        } else {
            Err(bad(format!(
                "the SciPy sparse archive has no '{name}' member"
            )))
        }
    };
    need(r, "format")?;
    let i = r.index_of("format")?;
    let format = r.read_member(i, read_format_string)?;
    let format = match format.as_str() {
        "csr" => ScipySparseFormat::Csr,
        "csc" => ScipySparseFormat::Csc,
        "coo" => ScipySparseFormat::Coo,
        other => {
            return Err(bad(format!(
                "format is '{other}'; tensorbridge reads SciPy's csr, csc and coo archives"
            )));
        }
    };
    need(r, "shape")?;
    let shape_t = r.read("shape")?;
    if shape_t.dims() != [2] || !shape_t.dtype().is_int() {
        return Err(bad(format!(
            "shape is a {} array of shape {:?}; expected two ints",
            shape_t.dtype(),
            shape_t.dims()
        )));
    }
    let dims = shape_t.cast(DType::I64)?.to_vec::<i64>()?;
    let mut shape = [0usize; 2];
    for (k, &d) in dims.iter().enumerate() {
        shape[k] = usize::try_from(d).map_err(|_| bad(format!("shape[{k}] = {d} is negative")))?;
    }
    need(r, "data")?;
    let data = r.read("data")?;
    let sparray = if r.has("_is_array") {
        let flag = r.read("_is_array")?;
        if flag.dtype() != DType::Bool || flag.numel() != 1 {
            return Err(bad(format!(
                "_is_array is a {} array of shape {:?}; expected a bool",
                flag.dtype(),
                flag.dims()
            )));
        }
        flag.to_scalar::<bool>()?
    } else {
        false
    };
    let built = match format {
        ScipySparseFormat::Coo if r.has("coords") && !r.has("row") => {
            let coords = r.read("coords")?;
            if coords.rank() != 2 || coords.dims()[0] != 2 {
                return Err(bad(format!(
                    "coords has shape {:?}; a 2-D COO matrix needs (2, nnz)",
                    coords.dims()
                )));
            }
            let row = coords.slice(tensorbridge_core::s![0])?.contiguous()?;
            let col = coords.slice(tensorbridge_core::s![1])?.contiguous()?;
            ScipySparse::coordinates(shape, data, row, col)
        }
        ScipySparseFormat::Coo => {
            need(r, "row")?;
            need(r, "col")?;
            let (row, col) = (r.read("row")?, r.read("col")?);
            ScipySparse::coordinates(shape, data, row, col)
        }
        f => {
            need(r, "indices")?;
            need(r, "indptr")?;
            let (indices, indptr) = (r.read("indices")?, r.read("indptr")?);
            ScipySparse::compressed(f, shape, data, indices, indptr)
        }
    };
    Ok(built.map_err(bad)?.with_sparray(sparray))
}

/// Reads the 0-d `'|S<n>'` (or `'<U<n>'`) member `format`.
fn read_format_string(
    r: &mut dyn Read,
    src: &str,
    header: &Header,
    _: Option<u64>,
) -> Result<String> {
    let len = data_len(src, header)?;
    let ok_shape = header.shape.is_empty();
    let (n, unicode) = match header.descr {
        Descr::Bytes(n) if ok_shape && n <= 16 => (n, None),
        Descr::Unicode(n, order) if ok_shape && n <= 16 => (n, Some(order)),
        _ => {
            return Err(format_err(
                src,
                format!(
                    "format is a '{}' array of shape {:?}; SciPy writes a bytes scalar such as b'csr'",
                    header.descr.to_descr_string(),
                    header.shape
                ),
            ));
        }
    };
    let mut buf = vec![0u8; len];
    let got = crate::read::fill(r, &mut buf)
        .map_err(|e| crate::error::io_err(format!("reading {src}"), e))?;
    if got < len {
        return Err(crate::read::short_data(src, header, len, got as u64));
    }
    let text: String = match unicode {
        None => buf
            .iter()
            .take_while(|&&b| b != 0)
            .map(|&b| b as char)
            .collect(),
        Some(order) => buf[..n * 4]
            .chunks_exact(4)
            .map(|c| {
                let b = [c[0], c[1], c[2], c[3]];
                if order == ByteOrder::Little {
                    u32::from_le_bytes(b)
                } else {
                    u32::from_be_bytes(b)
                }
            })
            .take_while(|&u| u != 0)
            .map(|u| char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    };
    Ok(text)
}
