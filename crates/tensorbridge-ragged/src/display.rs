//! `Display` and `Debug`: TensorFlow's `<tf.RaggedTensor [[1, 2, 3], [4, 5], [6]]>`.

use std::fmt::{self, Write};

use half::{bf16, f16};
use num_complex::Complex;
use tensorbridge_core::{Element, Tensor};

use crate::RaggedTensor;
use crate::splits::host_i64;
use tensorbridge_core::with_dtype;

/// Past this many values, lists longer than `2 * EDGE` show their first and
/// last `EDGE` items around `...`.
const THRESHOLD: usize = 1000;
const EDGE: usize = 3;

/// One element as Python's `repr` writes the value `to_list()` gives:
/// `1`, `1.5`, `True`, `(1+2j)`.
pub(crate) trait PyRepr {
    fn py_repr(&self, out: &mut String);
}

macro_rules! repr_int {
    ($($t:ty),*) => {$(
        impl PyRepr for $t {
            fn py_repr(&self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
        }
    )*};
}
repr_int!(u8, u16, u32, u64, i8, i16, i32, i64);

impl PyRepr for bool {
    fn py_repr(&self, out: &mut String) {
        out.push_str(if *self { "True" } else { "False" });
    }
}

fn float_repr(x: f64, debug: String, out: &mut String) {
    if x.is_nan() {
        out.push_str("nan");
    } else if x.is_infinite() {
        out.push_str(if x > 0.0 { "inf" } else { "-inf" });
    } else {
        out.push_str(&debug);
    }
}

impl PyRepr for f32 {
    fn py_repr(&self, out: &mut String) {
        float_repr(f64::from(*self), format!("{self:?}"), out);
    }
}

impl PyRepr for f64 {
    fn py_repr(&self, out: &mut String) {
        float_repr(*self, format!("{self:?}"), out);
    }
}

impl PyRepr for f16 {
    fn py_repr(&self, out: &mut String) {
        self.to_f32().py_repr(out);
    }
}

impl PyRepr for bf16 {
    fn py_repr(&self, out: &mut String) {
        self.to_f32().py_repr(out);
    }
}

impl<F: PyRepr + num_traits_like::Signed> PyRepr for Complex<F> {
    fn py_repr(&self, out: &mut String) {
        out.push('(');
        self.re.py_repr(out);
        if !self.im.is_negative() {
            out.push('+');
        }
        self.im.py_repr(out);
        out.push_str("j)");
    }
}

/// The sign test complex formatting needs, without another dependency.
mod num_traits_like {
    pub(crate) trait Signed {
        fn is_negative(&self) -> bool;
    }
    impl Signed for f32 {
        fn is_negative(&self) -> bool {
            self.is_sign_negative() && !self.is_nan()
        }
    }
    impl Signed for f64 {
        fn is_negative(&self) -> bool {
            self.is_sign_negative() && !self.is_nan()
        }
    }
}

/// The nested list text of `rt` (`[[1, 2], [3]]`), walked with an explicit
/// stack so that no depth of nesting can overflow the call stack.
fn write_lists<T: Element + PyRepr>(
    rt: &RaggedTensor,
    values: &Tensor,
    out: &mut String,
) -> fmt::Result {
    let data = values.view::<T>().map_err(|_| fmt::Error)?;
    let data = data.to_slice().ok_or(fmt::Error)?;
    let splits: Vec<_> = rt
        .splits
        .iter()
        .map(host_i64)
        .collect::<tensorbridge_core::Result<_>>()
        .map_err(|_| fmt::Error)?;
    let k = splits.len();
    let inner = rt.inner_dims();
    let depth = k + inner.len();
    let summarize = data.len() > THRESHOLD;
    // Items at level l: rows of ragged level l (l < k), then blocks of the
    // inner dims; items at level `depth` are elements.
    struct Frame {
        level: usize,
        start: usize,
        cur: usize,
        end: usize,
    }
    let children = |level: usize, x: usize| -> (usize, usize) {
        if level < k {
            (splits[level][x] as usize, splits[level][x + 1] as usize)
        } else {
            let d = inner[level - k];
            (x * d, (x + 1) * d)
        }
    };
    out.push('[');
    let mut stack = vec![Frame {
        level: 0,
        start: 0,
        cur: 0,
        end: rt.nrows(),
    }];
    while let Some(top) = stack.last_mut() {
        if top.cur == top.end {
            stack.pop();
            out.push(']');
            continue;
        }
        if top.cur > top.start {
            out.push_str(", ");
        }
        if summarize && top.end - top.start > 2 * EDGE && top.cur == top.start + EDGE {
            out.push_str("..., ");
            top.cur = top.end - EDGE;
        }
        let (level, x) = (top.level, top.cur);
        top.cur += 1;
        if level == depth {
            data[x].py_repr(out);
        } else {
            let (a, b) = children(level, x);
            out.push('[');
            stack.push(Frame {
                level: level + 1,
                start: a,
                cur: a,
                end: b,
            });
        }
    }
    Ok(())
}

impl RaggedTensor {
    /// The nested list text of the values, `[[1, 2, 3], [4, 5], [6]]`.
    pub(crate) fn list_text(&self) -> Result<String, fmt::Error> {
        // Device values are printed from a host copy.
        let values = self
            .flat_values
            .cpu()
            .and_then(|v| v.contiguous())
            .map_err(|_| fmt::Error)?;
        let mut out = String::new();
        with_dtype!(values.dtype(), T => write_lists::<T>(self, &values, &mut out))?;
        Ok(out)
    }
}

/// TensorFlow's text: `<tf.RaggedTensor [[1, 2, 3], [4, 5], [6]]>`. Past
/// 1000 values, long lists show their first and last 3 items around `...`.
impl fmt::Display for RaggedTensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<tf.RaggedTensor {}>", self.list_text()?)
    }
}

/// The text of `Display` followed by the shape and dtype:
/// `<tf.RaggedTensor [[1, 2], [3]]> (shape [2, None], int32)`.
impl fmt::Debug for RaggedTensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{self} (shape {}, {})",
            self.shape_string(),
            self.dtype()
        )
    }
}

#[cfg(test)]
mod tests {
    use tensorbridge_core::Tensor;

    use crate::RaggedTensor;

    #[test]
    fn elements_as_python_writes_them() {
        let rt = RaggedTensor::from_row_splits(
            Tensor::from([1.5f32, f32::NAN, -0.0, 2.0]),
            Tensor::from([0i64, 2, 4]),
        )
        .unwrap();
        assert_eq!(
            rt.to_string(),
            "<tf.RaggedTensor [[1.5, nan], [-0.0, 2.0]]>"
        );
        let rt =
            RaggedTensor::from_row_splits(Tensor::from([true, false]), Tensor::from([0i64, 0, 2]))
                .unwrap();
        assert_eq!(rt.to_string(), "<tf.RaggedTensor [[], [True, False]]>");
        let rt = RaggedTensor::from_row_splits(
            Tensor::from([
                num_complex::Complex::new(1.0f64, -2.0),
                num_complex::Complex::new(0.5, 3.0),
            ]),
            Tensor::from([0i64, 2]),
        )
        .unwrap();
        assert_eq!(
            rt.to_string(),
            "<tf.RaggedTensor [[(1.0-2.0j), (0.5+3.0j)]]>"
        );
        assert_eq!(
            format!("{rt:?}"),
            "<tf.RaggedTensor [[(1.0-2.0j), (0.5+3.0j)]]> (shape [1, None], complex128)"
        );
    }

    #[test]
    fn inner_dims_are_lists() {
        let rt = RaggedTensor::from_row_splits(
            Tensor::from([[1, 2], [3, 4], [5, 6]]),
            Tensor::from([0i64, 1, 3]),
        )
        .unwrap();
        assert_eq!(
            rt.to_string(),
            "<tf.RaggedTensor [[[1, 2]], [[3, 4], [5, 6]]]>"
        );
    }

    #[test]
    fn large_tensors_are_summarized() {
        let n = 2000usize;
        let values = Tensor::arange(0i64, n as i64, 1).unwrap();
        let splits: Vec<i64> = (0..=n as i64).step_by(2).collect();
        let rt = RaggedTensor::from_row_splits(values, Tensor::from(splits)).unwrap();
        assert_eq!(
            rt.to_string(),
            "<tf.RaggedTensor [[0, 1], [2, 3], [4, 5], ..., [1994, 1995], [1996, 1997], [1998, 1999]]>"
        );
    }
}
