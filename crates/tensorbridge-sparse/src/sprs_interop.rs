//! Conversions between rank-2 sparse tensors and [`sprs`] matrices:
//! [`SparseTensor::to_csr`], [`SparseTensor::to_csc`],
//! [`SparseTensor::to_triplets`], [`SparseTensor::from_csr`],
//! [`SparseTensor::from_csr_owned`] and [`SparseTensor::from_triplets`].
//!
//! sprs 0.11 builds on the same ndarray (0.17) as tensorbridge, so dense
//! results can pass between the two as they are.
//!
//! What copies: a `CsMat` owns its three `Vec`s and a tensor owns its
//! buffer, so a conversion from a borrowed value copies the values once.
//! [`SparseTensor::from_csr_owned`] moves a CSR matrix's data `Vec` into the
//! values tensor without a copy; every other direction copies the values
//! once (CSC and unsorted input also reorder them) and builds the index
//! arrays, whose types differ (`usize` compressed pointers vs int64 rows).

use std::borrow::Cow;

use sprs::{CsMat, TriMat};
use tensorbridge_core::{Element, Error, Result};

use crate::SparseTensor;
use crate::host::{host_slice, tensor_on};
use crate::order::{first_repeat, repeat_error, rows_sorted, sort_by_rows};

impl SparseTensor {
    /// This rank-2 sparse tensor as a CSR matrix (`scipy.sparse.csr_matrix`).
    ///
    /// Entries may be in any order (they are sorted stably first when they
    /// are not canonical); a position named twice is an error, as CSR holds
    /// one value per position. Canonical input costs one pass over the
    /// indices and one copy of the values.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for a rank other than 2 or a
    /// repeated position; [`Error::DTypeMismatch`] when `T` is not the
    /// values' dtype; [`Error::OutOfMemory`] when the row pointer array
    /// (`rows + 1` entries) cannot be allocated.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// let st = SparseTensor::new(Tensor::from([[0i64, 0], [1, 2]]), Tensor::from([1.0f32, 2.0]), [3, 3])?;
    /// let csr = st.to_csr::<f32>()?;
    /// assert_eq!(csr.indptr().raw_storage(), [0, 1, 2, 2]);
    /// assert_eq!((csr.indices(), csr.data()), (&[0, 2][..], &[1.0, 2.0][..]));
    /// assert!(st.to_csr::<f64>().is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn to_csr<T: Element>(&self) -> Result<CsMat<T>> {
        self.compressed("SparseTensor::to_csr", false)
    }

    /// This rank-2 sparse tensor as a CSC matrix (`scipy.sparse.csc_matrix`).
    ///
    /// **Errors**: as [`SparseTensor::to_csr`] (with the column pointer
    /// array of `cols + 1` entries).
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// let st = SparseTensor::new(Tensor::from([[0i64, 2], [1, 0], [2, 2]]), Tensor::from([1, 2, 3]), [3, 3])?;
    /// let csc = st.to_csc::<i32>()?;
    /// assert!(csc.is_csc());
    /// assert_eq!(csc.indptr().raw_storage(), [0, 1, 1, 3]);
    /// assert_eq!((csc.indices(), csc.data()), (&[1, 0, 2][..], &[2, 1, 3][..]));
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn to_csc<T: Element>(&self) -> Result<CsMat<T>> {
        self.compressed("SparseTensor::to_csc", true)
    }

    fn compressed<T: Element>(&self, op: &'static str, csc: bool) -> Result<CsMat<T>> {
        check_matrix::<T>(op, self)?;
        let n = self.nnz();
        let idx = host_slice::<i64>(self.indices())?;
        let vals = host_slice::<T>(self.values())?;
        let (rows, cols) = (self.dense_shape().dims()[0], self.dense_shape().dims()[1]);
        // The major entry of each row of `indices` (row for CSR, column for
        // CSC) and the minor one.
        let (major, minor, nmajor) = if csc { (1, 0, cols) } else { (0, 1, rows) };
        let key = |e: usize| (idx[2 * e + major], idx[2 * e + minor]);
        // Strictly increasing keys (the common, canonical case) need neither
        // a sort nor a look for repeats.
        let strict = if csc {
            (1..n).all(|e| key(e - 1) < key(e))
        } else {
            rows_sorted(&idx, n, 2, true)
        };
        let mut perm = None;
        if !strict {
            let sorted = (1..n).all(|e| key(e - 1) <= key(e));
            perm = (!sorted).then(|| sort_by_rows(n, |a, b| key(a).cmp(&key(b))));
            let at = |i: usize| perm.as_ref().map_or(i, |p: &Vec<usize>| p[i]);
            if (1..n).any(|i| key(at(i - 1)) == key(at(i))) {
                let rep = first_repeat(&idx, n, 2).expect("two equal rows were seen");
                return Err(repeat_error(op, &idx, 2, rep));
            }
        }
        let mut indptr = zeroed_usize(nmajor + 1)?;
        for e in 0..n {
            indptr[idx[2 * e + major] as usize + 1] += 1;
        }
        for m in 0..nmajor {
            indptr[m + 1] += indptr[m];
        }
        let (indices, data): (Vec<usize>, Vec<T>) = match &perm {
            None => (
                (0..n).map(|e| idx[2 * e + minor] as usize).collect(),
                vals.to_vec(),
            ),
            Some(p) => (
                p.iter().map(|&e| idx[2 * e + minor] as usize).collect(),
                p.iter().map(|&e| vals[e]).collect(),
            ),
        };
        let made = if csc {
            CsMat::try_new_csc((rows, cols), indptr, indices, data)
        } else {
            CsMat::try_new((rows, cols), indptr, indices, data)
        };
        made.map_err(|(_, _, _, e)| Error::InvalidArgument {
            op,
            what: format!("sprs refused the compressed structure: {e}"),
        })
    }

    /// As [`SparseTensor::to_csr`], consuming the sparse tensor: when the
    /// entries are canonical and this is the only handle on the values'
    /// buffer, that buffer becomes the matrix's data `Vec` without a copy.
    ///
    /// **Errors**: as [`SparseTensor::to_csr`].
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// let values = vec![1.0f32, 2.0];
    /// let ptr = values.as_ptr();
    /// let st = SparseTensor::new(Tensor::from([[0i64, 1], [1, 0]]), Tensor::from_vec(values, [2])?, [2, 2])?;
    /// let csr = st.into_csr::<f32>()?;
    /// assert_eq!(csr.data().as_ptr(), ptr); // the same buffer
    /// assert_eq!(csr.indices(), [1, 0]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn into_csr<T: Element>(self) -> Result<CsMat<T>> {
        const OP: &str = "SparseTensor::into_csr";
        check_matrix::<T>(OP, &self)?;
        let n = self.nnz();
        let rows = self.dense_shape().dims()[0];
        let cols = self.dense_shape().dims()[1];
        let (indptr, indices) = {
            let idx = host_slice::<i64>(self.indices())?;
            if !rows_sorted(&idx, n, 2, true) {
                drop(idx);
                return self.to_csr();
            }
            let mut indptr = zeroed_usize(rows + 1)?;
            for e in 0..n {
                indptr[idx[2 * e] as usize + 1] += 1;
            }
            for r in 0..rows {
                indptr[r + 1] += indptr[r];
            }
            let indices: Vec<usize> = (0..n).map(|e| idx[2 * e + 1] as usize).collect();
            (indptr, indices)
        };
        let (_, values, _) = self.into_parts();
        let data = values.into_array::<T>()?.into_raw_vec_and_offset().0;
        CsMat::try_new((rows, cols), indptr, indices, data).map_err(|(_, _, _, e)| {
            Error::InvalidArgument {
                op: OP,
                what: format!("sprs refused the compressed structure: {e}"),
            }
        })
    }

    /// This rank-2 sparse tensor as a sprs triplet (COO) matrix, entries in
    /// their stored order (repeats kept: a `TriMat` sums them when it is
    /// converted).
    ///
    /// **Errors**: [`Error::InvalidArgument`] for a rank other than 2;
    /// [`Error::DTypeMismatch`] when `T` is not the values' dtype.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// let st = SparseTensor::new(Tensor::from([[1i64, 0], [0, 2]]), Tensor::from([5u8, 6]), [2, 3])?;
    /// let tri = st.to_triplets::<u8>()?;
    /// assert_eq!((tri.row_inds(), tri.col_inds(), tri.data()), (&[1, 0][..], &[0, 2][..], &[5, 6][..]));
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn to_triplets<T: Element>(&self) -> Result<TriMat<T>> {
        const OP: &str = "SparseTensor::to_triplets";
        check_matrix::<T>(OP, self)?;
        let idx = host_slice::<i64>(self.indices())?;
        let rows: Vec<usize> = idx.chunks_exact(2).map(|r| r[0] as usize).collect();
        let cols: Vec<usize> = idx.chunks_exact(2).map(|r| r[1] as usize).collect();
        let data = host_slice::<T>(self.values())?.into_owned();
        let d = self.dense_shape().dims();
        // Every index was checked against dense_shape by SparseTensor::new,
        // which is what TriMat::from_triplets asserts.
        Ok(TriMat::from_triplets((d[0], d[1]), rows, cols, data))
    }

    /// The entries of a sprs matrix (CSR or CSC) as a rank-2 sparse tensor
    /// in canonical order, on the current device. The values are copied
    /// once (a CSC matrix is first converted to CSR by sprs); see
    /// [`SparseTensor::from_csr_owned`] to move them instead.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for a matrix dim beyond int64.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    ///
    /// let csr = sprs::CsMat::new((2, 3), vec![0, 1, 3], vec![2, 0, 1], vec![1.5f64, 2.5, 3.5]);
    /// let st = SparseTensor::from_csr(&csr)?;
    /// assert_eq!(st.indices().to_vec::<i64>()?, [0, 2, 1, 0, 1, 1]);
    /// assert_eq!(st.values().to_vec::<f64>()?, [1.5, 2.5, 3.5]);
    /// assert_eq!(SparseTensor::from_csr(&csr.to_csc())?.values().to_vec::<f64>()?, [1.5, 2.5, 3.5]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn from_csr<T: Element>(m: &CsMat<T>) -> Result<SparseTensor> {
        let m: Cow<'_, CsMat<T>> = if m.is_csr() {
            Cow::Borrowed(m)
        } else {
            Cow::Owned(m.to_other_storage())
        };
        let mut indices = Vec::with_capacity(2 * m.nnz());
        let mut values = Vec::with_capacity(m.nnz());
        for (r, row) in m.outer_iterator().enumerate() {
            for (c, &v) in row.iter() {
                indices.extend_from_slice(&[r as i64, c as i64]);
                values.push(v);
            }
        }
        matrix_from_parts(indices, values, m.shape())
    }

    /// As [`SparseTensor::from_csr`], taking the matrix: on the host, a CSR
    /// matrix's data `Vec` becomes the values tensor's buffer without a
    /// copy (only the int64 indices are built); under a GPU scope it is
    /// uploaded once, like every constructor from host data.
    ///
    /// **Errors**: as [`SparseTensor::from_csr`].
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    ///
    /// let csr = sprs::CsMat::new((2, 2), vec![0, 1, 2], vec![1, 0], vec![7i32, 8]);
    /// let data_ptr = csr.data().as_ptr();
    /// let st = SparseTensor::from_csr_owned(csr)?;
    /// assert_eq!(st.values().view::<i32>()?.as_ptr(), data_ptr); // the same buffer
    /// assert_eq!(st.to_dense()?.to_vec::<i32>()?, [0, 7, 8, 0]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn from_csr_owned<T: Element>(m: CsMat<T>) -> Result<SparseTensor> {
        if !m.is_csr() {
            return SparseTensor::from_csr(&m);
        }
        let shape = m.shape();
        let (indptr, minor, mut data) = m.into_raw_storage();
        let (first, last) = (indptr[0], indptr[indptr.len() - 1]);
        let mut indices = Vec::with_capacity(2 * (last - first));
        for (r, w) in indptr.windows(2).enumerate() {
            for &c in &minor[w[0]..w[1]] {
                indices.extend_from_slice(&[r as i64, c as i64]);
            }
        }
        if first != 0 {
            data = data[first..last].to_vec();
        } else {
            data.truncate(last);
        }
        matrix_from_parts(indices, data, shape)
    }

    /// The triplets of a sprs triplet (COO) matrix as a rank-2 sparse
    /// tensor, one entry per triplet in the matrix's order (repeated
    /// positions stay repeated: [`SparseTensor::to_dense`] rejects them; go
    /// through `tri.to_csr()` and [`SparseTensor::from_csr`] to sum them as
    /// sprs does). The values are copied once.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for a matrix dim beyond int64.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    ///
    /// let mut tri = sprs::TriMat::new((2, 2));
    /// tri.add_triplet(1, 1, 4.0f32);
    /// tri.add_triplet(0, 1, 3.0);
    /// let st = SparseTensor::from_triplets(&tri)?;
    /// assert_eq!(st.indices().to_vec::<i64>()?, [1, 1, 0, 1]);
    /// assert_eq!(st.to_dense()?.to_vec::<f32>()?, [0.0, 3.0, 0.0, 4.0]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn from_triplets<T: Element>(t: &TriMat<T>) -> Result<SparseTensor> {
        let indices: Vec<i64> = t
            .row_inds()
            .iter()
            .zip(t.col_inds())
            .flat_map(|(&r, &c)| [r as i64, c as i64])
            .collect();
        matrix_from_parts(indices, t.data().to_vec(), t.shape())
    }
}

/// A rank-2 sparse tensor from host parts (validated by `new`).
fn matrix_from_parts<T: Element>(
    indices: Vec<i64>,
    values: Vec<T>,
    (rows, cols): (usize, usize),
) -> Result<SparseTensor> {
    let n = values.len();
    let device = tensorbridge_core::Device::current();
    SparseTensor::new(
        tensor_on(indices, [n, 2], device)?,
        tensor_on(values, [n], device)?,
        [rows, cols],
    )
}

/// The rules of a conversion to a sprs matrix of `T`.
pub(crate) fn check_matrix<T: Element>(op: &'static str, st: &SparseTensor) -> Result<()> {
    if st.rank() != 2 {
        return Err(Error::InvalidArgument {
            op,
            what: format!(
                "a sprs matrix needs a rank-2 sparse tensor, got dense_shape {} (rank {})",
                st.dense_shape(),
                st.rank()
            ),
        });
    }
    if T::DTYPE != st.dtype() {
        return Err(Error::DTypeMismatch {
            op,
            expected: T::DTYPE,
            found: st.dtype(),
        });
    }
    Ok(())
}

/// `n` zeros as `usize`, through the checked allocation path.
pub(crate) fn zeroed_usize(n: usize) -> Result<Vec<usize>> {
    // u64 and usize have one size on every target sprs supports here, so
    // this collect reuses the buffer.
    Ok(crate::host::zeroed::<u64>(n)?
        .into_iter()
        .map(|x| x as usize)
        .collect())
}
