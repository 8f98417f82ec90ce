//! The constructors from a row partition: row splits, row lengths, value
//! row ids, and nested row splits or lengths.

use tensorbridge_core::{Result, Tensor};

use crate::RaggedTensor;
use crate::splits::{
    alloc_vec, check_same_device, check_splits, host_i64, i64_tensor_on, int_vector, invalid,
    nrows_of, splits_from_lengths,
};

/// Checks that `values` can be partitioned: at least one axis of rows.
fn check_values(op: &'static str, values: &Tensor) -> Result<()> {
    if values.rank() == 0 {
        return Err(invalid(
            op,
            "values must have rank >= 1 (one row per value), got a scalar",
        ));
    }
    Ok(())
}

/// The name of level `j` in messages: `row_splits` for a constructor of a
/// single level, `nested_row_splits[j]` for the nested ones.
fn level_name(base: &str, j: usize, nested: bool) -> String {
    if nested {
        format!("nested_{base}[{j}]")
    } else {
        base.to_owned()
    }
}

/// Validates int64 splits (outermost first) against `values` and builds the
/// ragged tensor.
fn from_checked_levels(
    op: &'static str,
    values: Tensor,
    splits: Vec<Tensor>,
    nested: bool,
) -> Result<RaggedTensor> {
    check_values(op, &values)?;
    if splits.is_empty() {
        return Err(invalid(
            op,
            "nested_row_splits is empty; a ragged tensor needs at least one row partition",
        ));
    }
    let mut expected = values.dims()[0];
    let mut last_is = "the number of values (values.shape[0])".to_owned();
    for (j, s) in splits.iter().enumerate().rev() {
        let name = level_name("row_splits", j, nested);
        check_same_device(op, &values, &name, s)?;
        check_splits(op, &name, &host_i64(s)?, expected, &last_is)?;
        expected = nrows_of(s);
        last_is = format!("the number of rows of {name} (its length - 1)");
    }
    Ok(RaggedTensor::from_parts(values, splits))
}

impl RaggedTensor {
    /// A ragged tensor whose row `i` is `values[row_splits[i]..row_splits[i + 1]]`
    /// (`tf.RaggedTensor.from_row_splits`). No element is copied.
    ///
    /// **Errors**: [`Error::InvalidArgument`](tensorbridge_core::Error::InvalidArgument)
    /// when `values` is a scalar, `row_splits` lives on another device than
    /// `values` (the parts of a ragged tensor share one device), or
    /// `row_splits` is not an int64/int32 vector, is empty, does not start
    /// at 0, decreases, or does not end at the number of values (each
    /// message names the entry and its value).
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    /// use tensorbridge_ragged::RaggedTensor;
    ///
    /// let values = Tensor::from([3, 1, 4, 1, 5, 9, 2, 6]);
    /// let rt = RaggedTensor::from_row_splits(values.clone(), Tensor::from([0i64, 4, 4, 7, 8, 8]))?;
    /// assert_eq!(rt.to_string(), "<tf.RaggedTensor [[3, 1, 4, 1], [], [5, 9, 2], [6], []]>");
    /// let err = RaggedTensor::from_row_splits(values, Tensor::from([0i64, 4, 3, 8])).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "from_row_splits: row_splits[2] = 3 is less than row_splits[1] = 4; row splits must not decrease"
    /// );
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn from_row_splits(values: Tensor, row_splits: Tensor) -> Result<RaggedTensor> {
        const OP: &str = "from_row_splits";
        let splits = int_vector(OP, "row_splits", &row_splits)?;
        from_checked_levels(OP, values, vec![splits], false)
    }

    /// A ragged tensor whose row `i` holds the next `row_lengths[i]` values
    /// (`tf.RaggedTensor.from_row_lengths`).
    ///
    /// **Errors**: [`Error::InvalidArgument`](tensorbridge_core::Error::InvalidArgument)
    /// when `values` is a scalar, `row_lengths` lives on another device than
    /// `values` or is not an int64/int32 vector, a length is negative, the lengths overflow when summed, or
    /// their sum differs from the number of values.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    /// use tensorbridge_ragged::RaggedTensor;
    ///
    /// let values = Tensor::from([3, 1, 4, 1, 5, 9, 2, 6]);
    /// let rt = RaggedTensor::from_row_lengths(values.clone(), Tensor::from([4i64, 0, 3, 1, 0]))?;
    /// assert_eq!(rt.to_string(), "<tf.RaggedTensor [[3, 1, 4, 1], [], [5, 9, 2], [6], []]>");
    /// let err = RaggedTensor::from_row_lengths(values, Tensor::from([4i64, 3])).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "from_row_lengths: row_lengths sum to 7 but there are 8 values (values.shape[0])"
    /// );
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn from_row_lengths(values: Tensor, row_lengths: Tensor) -> Result<RaggedTensor> {
        const OP: &str = "from_row_lengths";
        check_values(OP, &values)?;
        let splits = lengths_to_splits(
            OP,
            "row_lengths",
            &row_lengths,
            &values,
            values.dims()[0],
            "there are",
            "values (values.shape[0])",
        )?;
        Ok(RaggedTensor::from_parts(values, vec![splits]))
    }

    /// A ragged tensor where value `k` belongs to row `value_rowids[k]`
    /// (`tf.RaggedTensor.from_value_rowids`). `nrows` adds empty rows at
    /// the end; `None` means one more than the last id (0 without values).
    ///
    /// **Errors**: [`Error::InvalidArgument`](tensorbridge_core::Error::InvalidArgument)
    /// when `values` is a scalar, `value_rowids` lives on another device
    /// than `values` or is not an int64/int32 vector with one id per value, an id is negative, ids decrease, or an
    /// id is not below `nrows`.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    /// use tensorbridge_ragged::RaggedTensor;
    ///
    /// let values = Tensor::from([3, 1, 4, 1, 5, 9, 2, 6]);
    /// let ids = Tensor::from([0i64, 0, 0, 0, 2, 2, 2, 3]);
    /// let rt = RaggedTensor::from_value_rowids(values.clone(), ids.clone(), Some(5))?;
    /// assert_eq!(rt.to_string(), "<tf.RaggedTensor [[3, 1, 4, 1], [], [5, 9, 2], [6], []]>");
    /// assert_eq!(RaggedTensor::from_value_rowids(values.clone(), ids.clone(), None)?.nrows(), 4);
    /// let err = RaggedTensor::from_value_rowids(values, ids, Some(2)).unwrap_err();
    /// assert_eq!(err.to_string(), "from_value_rowids: value_rowids[4] = 2 is not < nrows = 2");
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn from_value_rowids(
        values: Tensor,
        value_rowids: Tensor,
        nrows: Option<usize>,
    ) -> Result<RaggedTensor> {
        const OP: &str = "from_value_rowids";
        check_values(OP, &values)?;
        check_same_device(OP, &values, "value_rowids", &value_rowids)?;
        let ids_t = int_vector(OP, "value_rowids", &value_rowids)?;
        let ids = host_i64(&ids_t)?;
        let nvals = values.dims()[0];
        if ids.len() != nvals {
            return Err(invalid(
                OP,
                format!(
                    "value_rowids has {} entries but there are {nvals} values (values.shape[0]); \
                     each value needs one row id",
                    ids.len()
                ),
            ));
        }
        let mut prev = 0i64;
        for (k, &id) in ids.iter().enumerate() {
            if id < 0 {
                return Err(invalid(
                    OP,
                    format!("value_rowids[{k}] = {id} is negative; row ids must be >= 0"),
                ));
            }
            if id < prev {
                return Err(invalid(
                    OP,
                    format!(
                        "value_rowids[{k}] = {id} is less than value_rowids[{}] = {prev}; row ids \
                         must be sorted",
                        k - 1
                    ),
                ));
            }
            prev = id;
        }
        let last = ids.last().map_or(0, |&id| id as u64 + 1);
        let nrows = match nrows {
            Some(n) => {
                // Ids are sorted: the first one past the rows is the first bad one.
                let k = ids.partition_point(|&id| (id as u64) < n as u64);
                if k < ids.len() {
                    return Err(invalid(
                        OP,
                        format!("value_rowids[{k}] = {} is not < nrows = {n}", ids[k]),
                    ));
                }
                n
            }
            None => usize::try_from(last).map_err(|_| invalid(OP, "value_rowids too large"))?,
        };
        let len = nrows
            .checked_add(1)
            .filter(|&l| i64::try_from(l).is_ok())
            .ok_or_else(|| invalid(OP, format!("nrows = {nrows} is too large")))?;
        let mut splits = alloc_vec::<i64>(len)?;
        // splits[r + 1] = number of values with id <= r.
        let mut k = 0usize;
        for r in 0..nrows {
            while k < ids.len() && ids[k] as u64 <= r as u64 {
                k += 1;
            }
            splits[r + 1] = k as i64;
        }
        let splits = i64_tensor_on(values.device(), splits)?;
        Ok(RaggedTensor::from_parts(values, vec![splits]))
    }

    /// A ragged tensor with several ragged dimensions
    /// (`tf.RaggedTensor.from_nested_row_splits`): `nested_row_splits[0]`
    /// splits the outermost rows into rows of the next level, ..., and the
    /// last one splits the values.
    ///
    /// **Errors**: [`Error::InvalidArgument`](tensorbridge_core::Error::InvalidArgument)
    /// when the list is empty, `values` is a scalar, or a level breaks a
    /// rule of [`RaggedTensor::from_row_splits`]; an outer level must end at
    /// the number of rows of the next level (its length - 1).
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    /// use tensorbridge_ragged::RaggedTensor;
    ///
    /// let rt = RaggedTensor::from_nested_row_splits(
    ///     Tensor::from([1, 2, 3, 4, 5]),
    ///     vec![Tensor::from([0i64, 2, 3]), Tensor::from([0i64, 2, 2, 5])],
    /// )?;
    /// assert_eq!(rt.to_string(), "<tf.RaggedTensor [[[1, 2], []], [[3, 4, 5]]]>");
    /// assert_eq!(rt.ragged_rank(), 2);
    /// let err = RaggedTensor::from_nested_row_splits(
    ///     Tensor::from([1, 2, 3, 4, 5]),
    ///     vec![Tensor::from([0i64, 2, 4]), Tensor::from([0i64, 2, 2, 5])],
    /// ).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "from_nested_row_splits: nested_row_splits[0][2] = 4 (the last split) must equal \
    ///      the number of rows of nested_row_splits[1] (its length - 1), 3"
    /// );
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn from_nested_row_splits(
        values: Tensor,
        nested_row_splits: Vec<Tensor>,
    ) -> Result<RaggedTensor> {
        const OP: &str = "from_nested_row_splits";
        let splits = nested_row_splits
            .iter()
            .enumerate()
            .map(|(j, s)| int_vector(OP, &level_name("row_splits", j, true), s))
            .collect::<Result<Vec<_>>>()?;
        from_checked_levels(OP, values, splits, true)
    }

    /// A ragged tensor with several ragged dimensions from row lengths,
    /// outermost first (`tf.RaggedTensor.from_nested_row_lengths`).
    ///
    /// **Errors**: as [`RaggedTensor::from_row_lengths`] for each level; the
    /// lengths of an outer level must sum to the number of rows of the next.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    /// use tensorbridge_ragged::RaggedTensor;
    ///
    /// let rt = RaggedTensor::from_nested_row_lengths(
    ///     Tensor::from([1, 2, 3, 4, 5]),
    ///     vec![Tensor::from([2i64, 1]), Tensor::from([2i64, 0, 3])],
    /// )?;
    /// assert_eq!(rt.to_string(), "<tf.RaggedTensor [[[1, 2], []], [[3, 4, 5]]]>");
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn from_nested_row_lengths(
        values: Tensor,
        nested_row_lengths: Vec<Tensor>,
    ) -> Result<RaggedTensor> {
        const OP: &str = "from_nested_row_lengths";
        check_values(OP, &values)?;
        if nested_row_lengths.is_empty() {
            return Err(invalid(
                OP,
                "nested_row_lengths is empty; a ragged tensor needs at least one row partition",
            ));
        }
        let mut splits = Vec::with_capacity(nested_row_lengths.len());
        let mut expected = values.dims()[0];
        let mut what = "values (values.shape[0])".to_owned();
        let mut there = "there are";
        for (j, l) in nested_row_lengths.iter().enumerate().rev() {
            let name = level_name("row_lengths", j, true);
            let s = lengths_to_splits(OP, &name, l, &values, expected, there, &what)?;
            expected = nrows_of(&s);
            what = format!("rows ({name} has that many entries)");
            there = "the next level has";
            splits.push(s);
        }
        splits.reverse();
        Ok(RaggedTensor::from_parts(values, splits))
    }
}

/// Row splits from a lengths tensor (on the device of `values`) that must
/// sum to `expected`, on that device.
fn lengths_to_splits(
    op: &'static str,
    name: &str,
    lengths: &Tensor,
    values: &Tensor,
    expected: usize,
    there: &str,
    what: &str,
) -> Result<Tensor> {
    check_same_device(op, values, name, lengths)?;
    let lengths = int_vector(op, name, lengths)?;
    let splits = splits_from_lengths(op, name, &host_i64(&lengths)?)?;
    let total = splits[splits.len() - 1];
    if u64::try_from(total).ok() != Some(expected as u64) {
        return Err(invalid(
            op,
            format!("{name} sum to {total} but {there} {expected} {what}"),
        ));
    }
    i64_tensor_on(values.device(), splits)
}
