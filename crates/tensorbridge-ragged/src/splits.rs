//! Row partitions: reading, widening and validating row splits (and the
//! lengths and ids they are made from), and allocating their buffers.

use std::borrow::Cow;

use tensorbridge_core::{DType, Device, Element, Error, Result, Tensor};

/// Shorthand for [`Error::InvalidArgument`].
pub(crate) fn invalid(op: &'static str, what: impl Into<String>) -> Error {
    Error::InvalidArgument {
        op,
        what: what.into(),
    }
}

/// Checks that the row partition `name` lives where `values` does: a
/// ragged tensor's parts share one device, and tensorbridge never copies a
/// caller's tensor between devices silently.
pub(crate) fn check_same_device(
    op: &'static str,
    values: &Tensor,
    name: &str,
    t: &Tensor,
) -> Result<()> {
    let (v, p) = (values.device(), t.device());
    if v == p {
        return Ok(());
    }
    Err(invalid(
        op,
        format!(
            "values live on {v} but {name} on {p}; a ragged tensor's parts share one device: \
             move {name} with .to_device(Device::{v:?}) first"
        ),
    ))
}

/// A row partition (or index list) built on the host, as a rank-1 int64
/// tensor on `device`, beside the values it partitions.
pub(crate) fn i64_tensor_on(device: Device, v: Vec<i64>) -> Result<Tensor> {
    Tensor::from(v).to_device(device)
}

/// `t` as a contiguous rank-1 int64 tensor: int32 is widened, any other
/// dtype or rank is an error naming `name`.
pub(crate) fn int_vector(op: &'static str, name: &str, t: &Tensor) -> Result<Tensor> {
    if t.rank() != 1 {
        return Err(invalid(
            op,
            format!(
                "{name} must have rank 1, got a tensor of shape {}",
                t.shape()
            ),
        ));
    }
    let t = match t.dtype() {
        DType::I64 => t.clone(),
        DType::I32 => t.cast(DType::I64)?,
        other => {
            return Err(invalid(
                op,
                format!(
                    "{name} must be int64 (int32 is widened), found {other}; convert them with \
                     .cast(DType::I64) first"
                ),
            ));
        }
    };
    t.contiguous()
}

/// The elements of an int64 tensor of rank 1 as a slice: borrowed when the
/// tensor is a contiguous host tensor, copied otherwise.
pub(crate) fn host_i64(t: &Tensor) -> Result<Cow<'_, [i64]>> {
    if let Ok(v) = t.view::<i64>()
        && let Some(s) = v.to_slice()
    {
        return Ok(Cow::Borrowed(s));
    }
    Ok(Cow::Owned(t.to_vec::<i64>()?))
}

/// Checks the rules of one level of row splits: at least one entry,
/// `splits[0] == 0`, never decreasing, and the last entry equal to
/// `expected_last` (described by `last_is`, e.g. "the number of values").
pub(crate) fn check_splits(
    op: &'static str,
    name: &str,
    s: &[i64],
    expected_last: usize,
    last_is: &str,
) -> Result<()> {
    let Some(&first) = s.first() else {
        return Err(invalid(
            op,
            format!("{name} must have at least one entry (nrows + 1), got shape [0]"),
        ));
    };
    if first != 0 {
        return Err(invalid(op, format!("{name}[0] = {first} must be 0")));
    }
    if let Some(i) = s.windows(2).position(|w| w[1] < w[0]) {
        return Err(invalid(
            op,
            format!(
                "{name}[{}] = {} is less than {name}[{i}] = {}; row splits must not decrease",
                i + 1,
                s[i + 1],
                s[i]
            ),
        ));
    }
    let last = s[s.len() - 1];
    if u64::try_from(last).ok() != u64::try_from(expected_last).ok() {
        return Err(invalid(
            op,
            format!(
                "{name}[{}] = {last} (the last split) must equal {last_is}, {expected_last}",
                s.len() - 1
            ),
        ));
    }
    Ok(())
}

/// A zeroed `Vec<T>` of `n` elements from core's allocator (size checked
/// against the machine's memory, huge pages advised for large buffers), so
/// that an absurd size is an error, never an abort.
pub(crate) fn alloc_vec<T: Element>(n: usize) -> Result<Vec<T>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    // A host buffer, whatever the current device scope.
    let _host = tensorbridge_core::Device::Cpu.scope();
    let (v, offset) = Tensor::zeros([n], T::DTYPE)?
        .into_array::<T>()?
        .into_raw_vec_and_offset();
    debug_assert_eq!(offset.unwrap_or(0), 0);
    Ok(v)
}

/// Splits of `lengths` (each already known non-negative) with a checked
/// running sum: `[0, l0, l0 + l1, ...]`.
pub(crate) fn splits_from_lengths(
    op: &'static str,
    name: &str,
    lengths: &[i64],
) -> Result<Vec<i64>> {
    let n = lengths
        .len()
        .checked_add(1)
        .ok_or_else(|| invalid(op, format!("{name} has too many entries")))?;
    let mut out = alloc_vec::<i64>(n)?;
    let mut acc = 0i64;
    for (i, &l) in lengths.iter().enumerate() {
        if l < 0 {
            return Err(invalid(
                op,
                format!("{name}[{i}] = {l} is negative; row lengths must be >= 0"),
            ));
        }
        acc = acc.checked_add(l).ok_or_else(|| {
            invalid(
                op,
                format!("{name} sum past i64::MAX at {name}[{i}] = {l} (sum so far {acc})"),
            )
        })?;
        out[i + 1] = acc;
    }
    Ok(out)
}

/// The number of rows of a level from its splits.
pub(crate) fn nrows_of(splits: &Tensor) -> usize {
    splits.numel() - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_name_the_values() {
        let e = |s: &[i64]| {
            check_splits("t", "row_splits", s, 4, "the number of values")
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            e(&[]),
            "t: row_splits must have at least one entry (nrows + 1), got shape [0]"
        );
        assert_eq!(e(&[1, 4]), "t: row_splits[0] = 1 must be 0");
        assert_eq!(
            e(&[0, 3, 2, 4]),
            "t: row_splits[2] = 2 is less than row_splits[1] = 3; row splits must not decrease"
        );
        assert_eq!(
            e(&[0, 3, 5]),
            "t: row_splits[2] = 5 (the last split) must equal the number of values, 4"
        );
        assert!(check_splits("t", "s", &[0, 0, 4, 4], 4, "x").is_ok());
    }

    #[test]
    fn lengths_are_summed_with_checks() {
        assert_eq!(
            splits_from_lengths("t", "l", &[2, 0, 3]).unwrap(),
            [0, 2, 2, 5]
        );
        let e = splits_from_lengths("t", "l", &[2, -1])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "t: l[1] = -1 is negative; row lengths must be >= 0");
        let e = splits_from_lengths("t", "l", &[i64::MAX, 1])
            .unwrap_err()
            .to_string();
        assert!(e.contains("sum past i64::MAX at l[1] = 1"), "{e}");
    }

    #[test]
    fn widening_and_rank() {
        let t = int_vector("t", "x", &Tensor::from([1i32, 2])).unwrap();
        assert_eq!(t.dtype(), DType::I64);
        assert!(
            int_vector("t", "x", &Tensor::from([1.0f32]))
                .unwrap_err()
                .to_string()
                .contains("x must be int64")
        );
        assert!(
            int_vector("t", "x", &Tensor::from([[1i64]]))
                .unwrap_err()
                .to_string()
                .contains("x must have rank 1")
        );
        assert!(alloc_vec::<i64>(1 << 50).is_err());
    }
}
