//! Reading a ragged tensor's partition and values: `nrows`, `row_splits`,
//! `row_lengths`, `value_rowids`, `bounding_shape`, `values`, `row(i)`.

use tensorbridge_core::{DType, Error, Result, SliceArg, Tensor};

use crate::splits::{alloc_vec, host_i64, i64_tensor_on, nrows_of};
use crate::{RaggedTensor, RaggedValues};

impl RaggedTensor {
    /// The number of rows (`rt.nrows()`): the size of the outermost dim.
    ///
    /// ```
    /// use tensorbridge_ragged::ragged;
    ///
    /// assert_eq!(ragged![[1, 2, 3], [4, 5], [6]].nrows(), 3);
    /// ```
    pub fn nrows(&self) -> usize {
        nrows_of(&self.splits[0])
    }

    /// The number of ragged dimensions (`rt.ragged_rank`): the number of
    /// levels of row splits.
    ///
    /// ```
    /// use tensorbridge_ragged::ragged;
    ///
    /// assert_eq!(ragged![[1, 2], [3]].ragged_rank(), 1);
    /// assert_eq!(ragged![[[1, 2], [3]], [[4]]].ragged_rank(), 2);
    /// ```
    pub fn ragged_rank(&self) -> usize {
        self.splits.len()
    }

    /// The rank of the tensor: 1 (rows) + the ragged dims + the inner dims.
    ///
    /// ```
    /// use tensorbridge_ragged::ragged;
    ///
    /// assert_eq!(ragged![[1, 2], [3]].rank(), 2);
    /// ```
    pub fn rank(&self) -> usize {
        1 + self.splits.len() + self.flat_values.rank() - 1
    }

    /// The element type of the values.
    pub fn dtype(&self) -> DType {
        self.flat_values.dtype()
    }

    /// The dense values under every ragged dimension
    /// (`rt.flat_values`), shape `[nvals, ...inner dims]`. O(1).
    ///
    /// ```
    /// use tensorbridge_ragged::ragged;
    ///
    /// let rt = ragged![[[1, 2], [3]], [[4]]];
    /// assert_eq!(rt.flat_values().to_vec::<i32>()?, [1, 2, 3, 4]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn flat_values(&self) -> &Tensor {
        &self.flat_values
    }

    /// The uniform dims of each flat value (`flat_values.shape[1..]`).
    pub fn inner_dims(&self) -> &[usize] {
        &self.flat_values.dims()[1..]
    }

    /// The values one level down (`rt.values`): the flat values for a
    /// tensor of ragged rank 1, otherwise a ragged tensor with the outermost
    /// partition removed. O(1).
    ///
    /// ```
    /// use tensorbridge_ragged::ragged;
    ///
    /// let rt = ragged![[1, 2], [3]];
    /// assert_eq!(rt.values().into_tensor()?.to_vec::<i32>()?, [1, 2, 3]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn values(&self) -> RaggedValues {
        if self.splits.len() == 1 {
            RaggedValues::Tensor(self.flat_values.clone())
        } else {
            RaggedValues::Ragged(RaggedTensor::from_parts(
                self.flat_values.clone(),
                self.splits[1..].to_vec(),
            ))
        }
    }

    /// The outermost row splits (`rt.row_splits`), int64 of shape
    /// `[nrows + 1]`. O(1).
    ///
    /// ```
    /// use tensorbridge_ragged::ragged;
    ///
    /// assert_eq!(ragged![[1, 2, 3], [4, 5], [6]].row_splits().to_vec::<i64>()?, [0, 3, 5, 6]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn row_splits(&self) -> &Tensor {
        &self.splits[0]
    }

    /// Every level of row splits, outermost first
    /// (`rt.nested_row_splits`). O(1).
    ///
    /// ```
    /// use tensorbridge_ragged::ragged;
    ///
    /// let rt = ragged![[[1, 2], [3]], [[4]]];
    /// let s = rt.nested_row_splits();
    /// assert_eq!(s[0].to_vec::<i64>()?, [0, 2, 3]);
    /// assert_eq!(s[1].to_vec::<i64>()?, [0, 2, 3, 4]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn nested_row_splits(&self) -> &[Tensor] {
        &self.splits
    }

    /// The length of each row (`rt.row_lengths()`), int64 of shape
    /// `[nrows]`.
    ///
    /// **Errors**: [`Error::OutOfMemory`].
    ///
    /// ```
    /// use tensorbridge_ragged::ragged;
    ///
    /// assert_eq!(ragged![[1, 2, 3], [4, 5], [6]].row_lengths()?.to_vec::<i64>()?, [3, 2, 1]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn row_lengths(&self) -> Result<Tensor> {
        let s = host_i64(&self.splits[0])?;
        let mut out = alloc_vec::<i64>(s.len() - 1)?;
        for (o, w) in out.iter_mut().zip(s.windows(2)) {
            *o = w[1] - w[0];
        }
        i64_tensor_on(self.splits[0].device(), out)
    }

    /// The row of each item one level down (`rt.value_rowids()`): entry
    /// `k` is the row that holds item `k` of [`RaggedTensor::values`].
    ///
    /// **Errors**: [`Error::OutOfMemory`].
    ///
    /// ```
    /// use tensorbridge_ragged::ragged;
    ///
    /// assert_eq!(ragged![[1, 2, 3], [4, 5], [6]].value_rowids()?.to_vec::<i64>()?, [0, 0, 0, 1, 1, 2]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn value_rowids(&self) -> Result<Tensor> {
        let s = host_i64(&self.splits[0])?;
        let mut out = alloc_vec::<i64>(s[s.len() - 1] as usize)?;
        for (r, w) in s.windows(2).enumerate() {
            out[w[0] as usize..w[1] as usize].fill(r as i64);
        }
        i64_tensor_on(self.splits[0].device(), out)
    }

    /// The longest row of each level of ragged dims, outermost first.
    pub(crate) fn max_lengths(&self) -> Result<Vec<usize>> {
        self.splits
            .iter()
            .map(|s| {
                if s.device() != tensorbridge_core::Device::Cpu {
                    // Splits on a device: the lengths and their maximum are
                    // computed there (core ops), and one number comes back
                    // instead of every split.
                    return device_max_length(s);
                }
                let s = host_i64(s)?;
                Ok(s.windows(2)
                    .map(|w| (w[1] - w[0]) as usize)
                    .max()
                    .unwrap_or(0))
            })
            .collect()
    }

    /// The smallest dense shape that holds the tensor
    /// (`rt.bounding_shape()`): the number of rows, the longest row of each
    /// ragged dim, then the inner dims.
    ///
    /// **Errors**: none for host tensors (reading device splits copies them
    /// and may fail as a copy does).
    ///
    /// ```
    /// use tensorbridge_ragged::ragged;
    ///
    /// assert_eq!(ragged![[1, 2, 3], [4, 5], [6]].bounding_shape()?, [3, 3]);
    /// assert_eq!(ragged![[[1, 2], [3]], [[4, 5, 6]]].bounding_shape()?, [2, 2, 3]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn bounding_shape(&self) -> Result<Vec<usize>> {
        let mut dims = vec![self.nrows()];
        dims.extend(self.max_lengths()?);
        dims.extend_from_slice(self.inner_dims());
        Ok(dims)
    }

    /// The static shape in TensorFlow's terms: `Some(n)` for the rows and
    /// the inner dims, `None` for each ragged dim.
    ///
    /// ```
    /// use tensorbridge_ragged::ragged;
    ///
    /// assert_eq!(ragged![[1, 2], [3]].shape(), [Some(2), None]);
    /// ```
    pub fn shape(&self) -> Vec<Option<usize>> {
        let mut dims = vec![Some(self.nrows())];
        dims.extend(std::iter::repeat_n(None, self.splits.len()));
        dims.extend(self.inner_dims().iter().map(|&d| Some(d)));
        dims
    }

    /// The shape as TensorFlow prints it: `[3, None]`.
    pub(crate) fn shape_string(&self) -> String {
        let parts: Vec<String> = self
            .shape()
            .iter()
            .map(|d| d.map_or_else(|| "None".to_owned(), |d| d.to_string()))
            .collect();
        format!("[{}]", parts.join(", "))
    }

    /// Row `i` (`rt[i]`): a dense tensor for ragged rank 1, a ragged tensor
    /// otherwise. The values are a view of [`RaggedTensor::flat_values`]
    /// (no element is copied); for ragged rank 2 and more the row's own
    /// splits are rebased to start at 0, which copies only those splits.
    ///
    /// **Errors**: [`Error::IndexOutOfBounds`] when `i >= nrows`.
    ///
    /// ```
    /// use tensorbridge_ragged::ragged;
    ///
    /// let rt = ragged![[1, 2, 3], [4, 5], [6]];
    /// let row = rt.row(1)?.into_tensor()?;
    /// assert_eq!(row.to_vec::<i32>()?, [4, 5]);
    /// assert!(row.shares_buffer_with(rt.flat_values()));
    /// assert!(rt.row(3).is_err());
    /// let rt = ragged![[[1, 2], [3]], [[4, 5, 6]]];
    /// assert_eq!(rt.row(0)?.into_ragged()?.to_string(), "<tf.RaggedTensor [[1, 2], [3]]>");
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn row(&self, i: usize) -> Result<RaggedValues> {
        let nrows = self.nrows();
        if i >= nrows {
            return Err(Error::IndexOutOfBounds {
                op: "RaggedTensor::row",
                index: i as isize,
                axis: 0,
                size: nrows,
                location: None,
            });
        }
        let s0 = host_i64(&self.splits[0])?;
        let (mut a, mut b) = (s0[i], s0[i + 1]);
        let mut splits = Vec::with_capacity(self.splits.len() - 1);
        for level in &self.splits[1..] {
            let s = host_i64(level)?;
            let part = &s[a as usize..=b as usize];
            let base = part[0];
            splits.push(i64_tensor_on(
                self.flat_values.device(),
                part.iter().map(|&x| x - base).collect(),
            )?);
            (a, b) = (s[a as usize], s[b as usize]);
        }
        let values =
            self.flat_values
                .slice([SliceArg::range(Some(a as isize), Some(b as isize), 1)])?;
        Ok(if splits.is_empty() {
            RaggedValues::Tensor(values)
        } else {
            RaggedValues::Ragged(RaggedTensor::from_parts(values, splits))
        })
    }

    /// The number of flat values (`flat_values.shape[0]`).
    pub fn nvals(&self) -> usize {
        self.flat_values.dims()[0]
    }
}

/// The longest row of the row splits `s`, on the device `s` lives on.
fn device_max_length(s: &Tensor) -> Result<usize> {
    let n = s.numel();
    if n < 2 {
        return Ok(0);
    }
    let last = isize::try_from(n - 1).map_err(|_| Error::InvalidArgument {
        op: "max_lengths",
        what: format!("{n} row splits do not fit in isize"),
    })?;
    let ends = s.slice([SliceArg::range(Some(1), None, 1)])?;
    let starts = s.slice([SliceArg::range(None, Some(last), 1)])?;
    let longest = ends
        .sub(&starts)?
        .max(&[], false)?
        .cast(DType::I64)?
        .to_scalar::<i64>()?;
    Ok(usize::try_from(longest).unwrap_or(0))
}
