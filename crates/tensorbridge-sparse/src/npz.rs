//! SciPy's sparse archives of a [`SparseTensor`]: [`save_sparse_npz`] writes
//! what `scipy.sparse.save_npz` writes and [`load_sparse_npz`] reads what it
//! writes (feature `numpy`).
//!
//! The archive layout itself (members, dtypes, checks) lives in
//! `tensorbridge_numpy`'s [`ScipySparse`]; this module only converts between
//! a rank-2 sparse tensor's coordinates and SciPy's CSR, CSC or COO arrays.

use std::path::Path;

use tensorbridge_core::{DType, Error, Result, Tensor};
use tensorbridge_numpy::{
    ScipySparse, ScipySparseFormat, load_scipy_sparse_npz, save_scipy_sparse_npz,
};

use crate::SparseTensor;
use crate::host::host_slice;

/// Saves a rank-2 sparse tensor as `scipy.sparse.save_npz(path, m)` does
/// for a CSR, CSC or COO matrix `m` of the same values (deflated, as SciPy's
/// default `compressed=True`); `scipy.sparse.load_npz` reads it back.
///
/// CSR and CSC store the entries sorted (row-major, column-major); COO keeps
/// the tensor's order. Index arrays are int32 when every index and the
/// number of entries fit, as SciPy chooses, int64 otherwise. The write is
/// atomic: an interrupted save never leaves a half-written file at `path`.
///
/// **Errors**: [`Error::InvalidArgument`] for a tensor whose rank is not 2,
/// and for f16/bf16 values, which SciPy's sparse matrices cannot hold (cast
/// them to f32 first); [`Error::Io`] from the file system.
///
/// ```
/// use tensorbridge_core::Tensor;
/// use tensorbridge_numpy::ScipySparseFormat;
/// use tensorbridge_sparse::{SparseTensor, load_sparse_npz, save_sparse_npz};
///
/// let path = std::env::temp_dir().join(format!("sparse-doc-{}.npz", std::process::id()));
/// let st = SparseTensor::new(Tensor::from([[0i64, 0], [1, 2]]), Tensor::from([1.5f32, 2.5]), [3, 3])?;
/// save_sparse_npz(&path, &st, ScipySparseFormat::Csr)?;  // scipy.sparse.save_npz(path, csr)
/// let back = load_sparse_npz(&path)?;                     // scipy.sparse.load_npz(path)
/// assert_eq!(back.to_dense()?.to_vec::<f32>()?, st.to_dense()?.to_vec::<f32>()?);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn save_sparse_npz(
    path: impl AsRef<Path>,
    tensor: &SparseTensor,
    format: ScipySparseFormat,
) -> Result<()> {
    const OP: &str = "save_sparse_npz";
    if tensor.rank() != 2 {
        return Err(Error::InvalidArgument {
            op: OP,
            what: format!(
                "SciPy's sparse archives hold matrices: the tensor must have rank 2, \
                 got dense_shape {}",
                tensor.dense_shape()
            ),
        });
    }
    let dims = tensor.dense_shape().dims();
    let shape = [dims[0], dims[1]];
    let matrix = match format {
        ScipySparseFormat::Coo => {
            let (row, col) = coordinates(tensor)?;
            let wide = needs_int64(&[shape[0], shape[1], tensor.nnz()]);
            ScipySparse::coo(
                shape,
                tensor.values().clone(),
                index_tensor(row, wide)?,
                index_tensor(col, wide)?,
            )?
        }
        ScipySparseFormat::Csr => {
            let sorted = tensor.reorder()?;
            let (row, col) = coordinates(&sorted)?;
            let wide = needs_int64(&[shape[0], shape[1], tensor.nnz()]);
            let indptr = compress(&row, shape[0]);
            ScipySparse::csr(
                shape,
                sorted.values().clone(),
                index_tensor(col, wide)?,
                index_tensor(indptr, wide)?,
            )?
        }
        ScipySparseFormat::Csc => {
            // Column-major order is the canonical order of the transpose.
            let sorted = tensor.transpose(&[1, 0])?.reorder()?;
            let (col, row) = coordinates(&sorted)?;
            let wide = needs_int64(&[shape[0], shape[1], tensor.nnz()]);
            let indptr = compress(&col, shape[1]);
            ScipySparse::csc(
                shape,
                sorted.values().clone(),
                index_tensor(row, wide)?,
                index_tensor(indptr, wide)?,
            )?
        }
    };
    save_scipy_sparse_npz(path, &matrix, true)
}

/// Loads a `scipy.sparse.save_npz` archive (CSR, CSC or COO; `spmatrix` or
/// `sparray`; int32 or int64 indices) as a rank-2 sparse tensor in canonical
/// (row-major) order. Entries SciPy stores twice stay twice, in the order
/// they were stored: `to_dense` then reports them, as TensorFlow would.
///
/// **Errors**: [`Error::Format`] naming the file, the member and the rule
/// for anything SciPy would not have written (missing members, indices out
/// of bounds, an `indptr` that decreases, ...); [`Error::Io`].
///
/// ```
/// use tensorbridge_core::Tensor;
/// use tensorbridge_numpy::{ScipySparse, save_scipy_sparse_npz};
/// use tensorbridge_sparse::load_sparse_npz;
///
/// // What scipy.sparse.save_npz writes for csc_matrix([[0, 7], [3, 0]]).
/// let path = std::env::temp_dir().join(format!("sparse-load-doc-{}.npz", std::process::id()));
/// let csc = ScipySparse::csc([2, 2], Tensor::from([3i64, 7]), Tensor::from([1i32, 0]), Tensor::from([0i32, 1, 2]))?;
/// save_scipy_sparse_npz(&path, &csc, true)?;
/// let st = load_sparse_npz(&path)?;
/// assert_eq!(st.indices().to_vec::<i64>()?, [0, 1, 1, 0]);  // row-major
/// assert_eq!(st.values().to_vec::<i64>()?, [7, 3]);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn load_sparse_npz(path: impl AsRef<Path>) -> Result<SparseTensor> {
    let matrix = load_scipy_sparse_npz(path)?;
    let [nrows, ncols] = matrix.shape();
    let (row, col) = match matrix.format() {
        ScipySparseFormat::Coo => (
            int64s(matrix.row().expect("a COO matrix has rows"))?,
            int64s(matrix.col().expect("a COO matrix has columns"))?,
        ),
        ScipySparseFormat::Csr => (
            expand(&int64s(matrix.indptr().expect("CSR has indptr"))?),
            int64s(matrix.indices().expect("CSR has indices"))?,
        ),
        ScipySparseFormat::Csc => (
            int64s(matrix.indices().expect("CSC has indices"))?,
            expand(&int64s(matrix.indptr().expect("CSC has indptr"))?),
        ),
    };
    let nnz = row.len();
    let mut indices = Vec::with_capacity(nnz.saturating_mul(2));
    for (r, c) in row.into_iter().zip(col) {
        indices.push(r);
        indices.push(c);
    }
    let indices = Tensor::from_vec(indices, [nnz, 2])?;
    let st = SparseTensor::new(indices, matrix.data().clone(), [nrows, ncols])?;
    if st.is_canonical() {
        Ok(st)
    } else {
        st.reorder()
    }
}

/// The row and column of every entry, in the tensor's order.
fn coordinates(tensor: &SparseTensor) -> Result<(Vec<i64>, Vec<i64>)> {
    let indices = host_slice::<i64>(tensor.indices())?;
    let (row, col) = indices.chunks_exact(2).map(|rc| (rc[0], rc[1])).unzip();
    Ok((row, col))
}

/// `indptr` of entries sorted by `major`: entry counts per major index,
/// accumulated; `major` holds valid indices below `n` (checked by
/// `SparseTensor::new`).
fn compress(major: &[i64], n: usize) -> Vec<i64> {
    let mut indptr = vec![0i64; n + 1];
    for &m in major {
        indptr[m as usize + 1] += 1;
    }
    for i in 0..n {
        indptr[i + 1] += indptr[i];
    }
    indptr
}

/// The major index of every entry of a CSR/CSC matrix, from its `indptr`
/// (checked by `ScipySparse`: starts at 0, never decreases).
fn expand(indptr: &[i64]) -> Vec<i64> {
    let nnz = indptr.last().map_or(0, |&n| n as usize);
    let mut major = Vec::with_capacity(nnz);
    for (i, w) in indptr.windows(2).enumerate() {
        major.extend(std::iter::repeat_n(i as i64, (w[1] - w[0]) as usize));
    }
    major
}

/// Whether SciPy would store these sizes' indices as int64: it picks int32
/// while every index and count fits.
fn needs_int64(sizes: &[usize]) -> bool {
    sizes.iter().any(|&s| s > i32::MAX as usize)
}

/// `values` as an index tensor of SciPy's chosen width.
fn index_tensor(values: Vec<i64>, wide: bool) -> Result<Tensor> {
    let n = values.len();
    let t = Tensor::from_vec(values, [n])?;
    if wide { Ok(t) } else { t.cast(DType::I32) }
}

/// An int32 or int64 index array as `i64`s.
fn int64s(t: &Tensor) -> Result<Vec<i64>> {
    t.cast(DType::I64)?.to_vec::<i64>()
}
