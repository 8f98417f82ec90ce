//! `Display` and `Debug` for tensors: NumPy-like text that never dumps
//! megabytes (past 1000 elements, each axis shows its first and last 3
//! entries around `...`, as NumPy's defaults do).

use std::fmt::{self, Write};

use half::{bf16, f16};
use num_complex::Complex;

use crate::element::Element;
use crate::{Tensor, dtype::with_dtype};

/// NumPy prints every element up to this count, then summarizes.
const THRESHOLD: usize = 1000;
/// Entries shown at each end of a summarized axis.
const EDGE_ITEMS: usize = 3;

/// One element as NumPy writes it: `1.` for integral floats, `True` for bool,
/// `1.+2.j` for complex.
trait FormatElement {
    fn format(&self) -> String;
}

macro_rules! format_int {
    ($($t:ty),*) => {$(
        impl FormatElement for $t {
            fn format(&self) -> String { self.to_string() }
        }
    )*};
}
format_int!(u8, u16, u32, u64, i8, i16, i32, i64);

impl FormatElement for bool {
    fn format(&self) -> String {
        if *self { "True" } else { "False" }.into()
    }
}

fn format_float(x: f64, shortest: String) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.into()
    } else if x == x.trunc() && x.abs() < 1e16 {
        format!("{x:.0}.")
    } else {
        shortest
    }
}

macro_rules! format_float_impl {
    ($($t:ty),*) => {$(
        impl FormatElement for $t {
            fn format(&self) -> String {
                format_float(f64::from(*self), self.to_string())
            }
        }
    )*};
}
format_float_impl!(f32, f64);

macro_rules! format_half_impl {
    ($($t:ident),*) => {$(
        impl FormatElement for $t {
            /// The fewest decimals that read back as the same value of this
            /// type, as NumPy (and ml_dtypes) print: bf16's 0.100097656 is `0.1`.
            fn format(&self) -> String {
                let x = self.to_f64();
                let shortest = (0..12)
                    .map(|decimals| format!("{x:.decimals$}"))
                    .find(|s| s.parse::<f64>().is_ok_and(|y| $t::from_f64(y) == *self))
                    .unwrap_or_else(|| self.to_string());
                format_float(x, shortest)
            }
        }
    )*};
}
format_half_impl!(f16, bf16);

impl<T: FormatElement + Copy + Into<f64>> FormatElement for Complex<T> {
    fn format(&self) -> String {
        let im: f64 = self.im.into();
        let sign = if im.is_sign_negative() && !im.is_nan() {
            ""
        } else {
            "+"
        };
        format!("{}{sign}{}j", self.re.format(), self.im.format())
    }
}

/// The indices shown along an axis of size `n`; `None` marks the `...`.
fn shown(n: usize, summarize: bool) -> Vec<Option<usize>> {
    if summarize && n > 2 * EDGE_ITEMS {
        (0..EDGE_ITEMS)
            .map(Some)
            .chain(std::iter::once(None))
            .chain((n - EDGE_ITEMS..n).map(Some))
            .collect()
    } else {
        (0..n).map(Some).collect()
    }
}

/// Writes the nested-bracket body of a tensor of `dims`, lines indented by
/// `indent`; its elements are those of `data` under `held`'s layout: the
/// tensor itself, or (with `edges_only`) the edges of a summarized one.
fn write_body<T: Element + FormatElement>(
    dims: &[usize],
    held: &Tensor,
    edges_only: bool,
    data: &[T],
    indent: usize,
    out: &mut String,
) {
    let summarize = dims.iter().product::<usize>() > THRESHOLD;
    let strides = held.layout().strides();
    // Format the shown elements first, to right-align them to one width.
    let mut cells: Vec<String> = Vec::new();
    collect(
        0,
        held.layout().offset() as isize,
        dims,
        strides,
        summarize,
        edges_only,
        &mut |pos| {
            cells.push(data[pos as usize].format());
        },
    );
    let cells = align(cells);
    let width = cells.iter().map(String::len).max().unwrap_or(0);
    let mut cells = cells.into_iter();
    write_axis(0, dims, summarize, indent, width, &mut cells, out);
}

/// Pads floats so their decimal points line up, as NumPy does
/// (`[1. , 4.5]`); other cells are right-aligned later.
fn align(cells: Vec<String>) -> Vec<String> {
    let decimal = |c: &str| c.matches('.').count() == 1 && !c.contains('j');
    if !cells.iter().any(|c| decimal(c)) {
        return cells;
    }
    let split = |c: &str| match c.find('.') {
        Some(dot) if decimal(c) => (dot, c.len() - dot),
        _ => (c.len(), 0),
    };
    let (left, right) = cells.iter().fold((0, 0), |(l, r), c| {
        let (cl, cr) = split(c);
        (l.max(cl), r.max(cr))
    });
    cells
        .iter()
        .map(|c| {
            let (cl, cr) = split(c);
            format!("{}{c}{}", " ".repeat(left - cl), " ".repeat(right - cr))
        })
        .collect()
}

/// Visits the storage position of every shown element. With `edges_only`,
/// the data holds only the shown elements of each summarized axis (its
/// first and last [`EDGE_ITEMS`], as [`Tensor::summary_edges`] makes), so an
/// index past the `...` maps to its place among the last edge items.
fn collect(
    axis: usize,
    pos: isize,
    dims: &[usize],
    strides: &[isize],
    summarize: bool,
    edges_only: bool,
    visit: &mut dyn FnMut(isize),
) {
    if axis == dims.len() {
        visit(pos);
        return;
    }
    let n = dims[axis];
    for i in shown(n, summarize).into_iter().flatten() {
        let j = if edges_only && i >= EDGE_ITEMS && summarize && n > 2 * EDGE_ITEMS {
            i - (n - 2 * EDGE_ITEMS)
        } else {
            i
        };
        collect(
            axis + 1,
            pos + j as isize * strides[axis],
            dims,
            strides,
            summarize,
            edges_only,
            visit,
        );
    }
}

fn write_axis(
    axis: usize,
    dims: &[usize],
    summarize: bool,
    indent: usize,
    width: usize,
    cells: &mut impl Iterator<Item = String>,
    out: &mut String,
) {
    if axis == dims.len() {
        let cell = cells.next().unwrap_or_default();
        let _ = write!(out, "{cell:>width$}");
        return;
    }
    out.push('[');
    let rank = dims.len();
    let separator = if axis + 1 == rank {
        ", ".to_string()
    } else {
        format!(
            ",{}{}",
            "\n".repeat(rank - axis - 1),
            " ".repeat(indent + axis + 1)
        )
    };
    for (k, i) in shown(dims[axis], summarize).into_iter().enumerate() {
        if k > 0 {
            out.push_str(&separator);
        }
        match i {
            Some(_) => write_axis(axis + 1, dims, summarize, indent, width, cells, out),
            None => out.push_str("..."),
        }
    }
    out.push(']');
}

impl Tensor {
    /// The element text as NumPy prints it (`[[1., 2.],\n [3., 4.]]`), each
    /// line after the first indented by `indent`.
    fn body(&self, indent: usize) -> String {
        if let Some(symbol) = self.symbol() {
            return format!("<symbolic: {}>", symbol.label);
        }
        if self.numel() == 0 {
            // NumPy prints any empty array as `[]`; the shape says the rest.
            return "[]".into();
        }
        // A device tensor prints its values, copied to the host (as
        // TensorFlow prints a GPU tensor); a summarized one copies only the
        // elements it shows.
        #[cfg(feature = "cuda")]
        if self.cuda_storage().is_some() {
            let edges_only = self.numel() > THRESHOLD;
            let held = if edges_only {
                self.summary_edges(0).and_then(|e| e.cpu())
            } else {
                self.cpu()
            };
            return match held {
                Ok(host) => self.write_held(&host, edges_only, indent),
                Err(e) => format!("<on {}: {e}>", self.device()),
            };
        }
        self.write_held(self, false, indent)
    }

    /// The body text of `self` from the host tensor `held` (see [`write_body`]).
    fn write_held(&self, held: &Tensor, edges_only: bool, indent: usize) -> String {
        let mut out = String::new();
        with_dtype!(self.dtype(), T => match held.host_slice::<T>("display") {
            Ok(data) => write_body(self.dims(), held, edges_only, data, indent, &mut out),
            Err(_) => out.push_str("<not on host>"),
        });
        out
    }

    /// The elements a summary shows, as one small tensor on the same
    /// device: every axis from `axis` on longer than `2 * EDGE_ITEMS` keeps
    /// its first and last [`EDGE_ITEMS`]. The later axes are cut (views)
    /// before the concatenation, so no step copies more than the result.
    #[cfg(any(test, feature = "cuda"))]
    fn summary_edges(&self, axis: usize) -> crate::Result<Tensor> {
        use crate::SliceArg;
        let Some(&n) = self.dims().get(axis) else {
            return Ok(self.clone());
        };
        if n <= 2 * EDGE_ITEMS {
            return self.summary_edges(axis + 1);
        }
        let cut = |range: std::ops::Range<usize>| {
            let mut args = vec![SliceArg::FULL; self.rank()];
            args[axis] = SliceArg::from(range.start as isize..range.end as isize);
            self.slice(args)?.summary_edges(axis + 1)
        };
        let (head, tail) = (cut(0..EDGE_ITEMS)?, cut(n - EDGE_ITEMS..n)?);
        Tensor::concat(&[&head, &tail], axis as isize)
    }

    fn shape_tuple(&self) -> String {
        if self.is_symbolic() {
            // Unknown dims of a symbolic tensor show as `?`.
            let dims: Vec<String> = self
                .static_shape()
                .iter()
                .map(|d| d.map_or_else(|| "?".to_owned(), |d| d.to_string()))
                .collect();
            return match dims.as_slice() {
                [d] => format!("({d},)"),
                dims => format!("({})", dims.join(", ")),
            };
        }
        match self.dims() {
            [d] => format!("({d},)"),
            dims => format!(
                "({})",
                dims.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// NumPy/TensorFlow-like text with shape, dtype and device:
///
/// ```
/// use tensorbridge_core::Tensor;
///
/// let t = Tensor::from([[1.0f32, 2.0], [3.0, 4.5]]);
/// assert_eq!(
///     t.to_string(),
///     "Tensor([[1. , 2. ],\n        [3. , 4.5]], shape=(2, 2), dtype=float32, device=cpu)"
/// );
/// let big = Tensor::arange(0i64, 2000, 1)?;
/// assert_eq!(
///     big.to_string(),
///     "Tensor([   0,    1,    2, ..., 1997, 1998, 1999], shape=(2000,), dtype=int64, device=cpu)"
/// );
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const PREFIX: &str = "Tensor(";
        write!(
            f,
            "{PREFIX}{}, shape={}, dtype={}, device={})",
            self.body(PREFIX.len()),
            self.shape_tuple(),
            self.dtype(),
            self.device()
        )
    }
}

/// The layout and a summary of the values: never more than about a
/// thousand elements, whatever the size.
impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_symbolic() {
            // No buffer: the node and what it will produce.
            return f
                .debug_struct("Tensor")
                .field("symbolic", &format_args!("{}", self.body(0)))
                .field("shape", &self.static_shape())
                .field("dtype", &self.dtype())
                .finish();
        }
        f.debug_struct("Tensor")
            .field("shape", &self.dims())
            .field("dtype", &self.dtype())
            .field("device", &self.device())
            .field("strides", &self.layout().strides())
            .field("offset", &self.layout().offset())
            .field("values", &format_args!("{}", self.body(0)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use crate::SliceArg;

    /// The text a device tensor prints from its downloaded edges is the text
    /// of the whole tensor (the edges are cut the same way on the CPU).
    #[test]
    fn summaries_from_the_edges_alone_match_the_full_text() {
        let cases = [
            Tensor::arange(0i64, 2000, 1).unwrap(),
            Tensor::arange(0.0f32, 4096.0, 1.0)
                .unwrap()
                .reshape([64, 64])
                .unwrap(),
            Tensor::arange(0i32, 24_000, 1)
                .unwrap()
                .reshape([4, 3000, 2])
                .unwrap(),
            // A strided view: every other column of a transposed matrix.
            Tensor::arange(0u16, 4000, 1)
                .unwrap()
                .reshape([40, 100])
                .unwrap()
                .t()
                .unwrap()
                .slice([SliceArg::FULL, SliceArg::with_step(0isize..40, 2)])
                .unwrap(),
        ];
        for t in cases {
            let edges = t.summary_edges(0).unwrap();
            assert!(
                edges.numel() <= 6usize.pow(t.rank() as u32),
                "{:?}",
                t.dims()
            );
            assert_eq!(t.write_held(&edges, true, 7), t.body(7), "{:?}", t.dims());
        }
    }

    use crate::{DType, Tensor};
    use num_complex::Complex;

    #[test]
    fn formats_like_numpy() {
        assert_eq!(
            Tensor::scalar(5i32).to_string(),
            "Tensor(5, shape=(), dtype=int32, device=cpu)"
        );
        assert_eq!(
            Tensor::from([true, false]).to_string(),
            "Tensor([ True, False], shape=(2,), dtype=bool, device=cpu)"
        );
        assert_eq!(
            Tensor::from([Complex::new(1.0f64, -2.0)]).to_string(),
            "Tensor([1.-2.j], shape=(1,), dtype=complex128, device=cpu)"
        );
        assert_eq!(
            Tensor::from([f32::NAN, f32::NEG_INFINITY]).to_string(),
            "Tensor([ nan, -inf], shape=(2,), dtype=float32, device=cpu)"
        );
        let halves = Tensor::from([0.1f32, 1.7, 65504.0])
            .cast(DType::BF16)
            .unwrap();
        assert_eq!(
            halves.to_string(),
            "Tensor([    0.1,     1.7, 65536. ], shape=(3,), dtype=bfloat16, device=cpu)"
        );
        assert_eq!(
            Tensor::from([0.1f32]).cast(DType::F16).unwrap().to_string(),
            "Tensor([0.1], shape=(1,), dtype=float16, device=cpu)"
        );
        assert_eq!(
            Tensor::from([0.5f64, -12.0, 3.25]).to_string(),
            "Tensor([  0.5 , -12.  ,   3.25], shape=(3,), dtype=float64, device=cpu)"
        );
        let t = Tensor::arange(0u8, 8, 1)
            .unwrap()
            .reshape([2, 2, 2])
            .unwrap();
        assert_eq!(
            t.to_string(),
            "Tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]], \
             shape=(2, 2, 2), dtype=uint8, device=cpu)"
        );
        assert_eq!(
            Tensor::zeros([0, 3], DType::F32).unwrap().to_string(),
            "Tensor([], shape=(0, 3), dtype=float32, device=cpu)"
        );
    }

    #[test]
    fn big_tensors_are_summarized() {
        let t = Tensor::zeros([1000, 1000], DType::U8).unwrap();
        let text = t.to_string();
        assert!(text.len() < 400, "{}", text.len());
        assert!(text.contains("..."));
        assert!(format!("{t:?}").len() < 600);
    }
}
