//! Shape and dtype inference: what a node will produce, worked out when the
//! node is built, from what its inputs will produce.
//!
//! Dims may be unknown (`None`, from a placeholder such as `[None, 2]`);
//! the rank is always known. Dtype rules and the checks that depend only
//! on dtypes, ranks and axes are taken from the eager method itself, run on
//! a one-element "probe" of each input's dtype and rank, so a graph refuses
//! exactly what eager code refuses. Dims are then worked out by the rules
//! below, which report a mismatch of known dims when the node is built;
//! what depends on unknown dims or on values is checked when the graph
//! runs (by the eager method, with its usual error).

use std::fmt;

use super::op::Op;
use crate::layout::normalize_axis;
use crate::{DType, Error, Layout, Result, Shape, SliceArg, Tensor};

/// The dtype and (possibly partly unknown) dims a node produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TensorSpec {
    pub(crate) dtype: DType,
    pub(crate) dims: Vec<Option<usize>>,
}

impl TensorSpec {
    /// The spec of an eager tensor.
    pub(crate) fn of(t: &Tensor) -> TensorSpec {
        TensorSpec {
            dtype: t.dtype(),
            dims: t.dims().iter().map(|&d| Some(d)).collect(),
        }
    }

    pub(crate) fn rank(&self) -> usize {
        self.dims.len()
    }

    /// The dims, when all are known.
    pub(crate) fn known(&self) -> Option<Vec<usize>> {
        self.dims.iter().copied().collect()
    }

    /// Whether a tensor of dims `dims` fits this spec.
    pub(crate) fn admits(&self, dims: &[usize]) -> bool {
        dims.len() == self.rank()
            && self
                .dims
                .iter()
                .zip(dims)
                .all(|(s, &d)| s.is_none_or(|s| s == d))
    }

    /// The dims with unknown ones replaced by 1 (for probes and checks
    /// that only need the rank and the known dims).
    fn ones_for_unknown(&self) -> Vec<usize> {
        self.dims.iter().map(|d| d.unwrap_or(1)).collect()
    }
}

/// Dims as `[?, 3]`.
pub(crate) struct Dims<'a>(pub(crate) &'a [Option<usize>]);

impl fmt::Display for Dims<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match d {
                Some(d) => write!(f, "{d}")?,
                None => f.write_str("?")?,
            }
        }
        f.write_str("]")
    }
}

impl fmt::Display for TensorSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.dtype, Dims(&self.dims))
    }
}

/// A one-element eager tensor of `spec`'s dtype and rank.
fn probe(spec: &TensorSpec) -> Result<Tensor> {
    Tensor::ones(vec![1; spec.rank()], spec.dtype)
}

/// A rank-0 one of `dtype`.
fn scalar_probe(dtype: DType) -> Result<Tensor> {
    Tensor::ones(Shape::scalar(), dtype)
}

/// A one-element probe of integer dtype whose value (0) is a valid index.
fn index_probe(spec: &TensorSpec) -> Result<Tensor> {
    Tensor::zeros(vec![1; spec.rank()], spec.dtype)
}

/// The dtype the eager method gives for probes of the inputs, or its error.
fn probe_dtype(op: &Op, probes: &[Tensor]) -> Result<DType> {
    Ok(op.execute(probes)?.dtype())
}

/// NumPy's broadcasting of dims some of which are unknown: an unknown dim
/// against `k > 1` gives `k` (checked when run), against 1 or unknown stays
/// unknown.
pub(crate) fn broadcast(
    op: &'static str,
    a: &[Option<usize>],
    b: &[Option<usize>],
) -> Result<Vec<Option<usize>>> {
    let rank = a.len().max(b.len());
    let mut out = Vec::with_capacity(rank);
    for i in 0..rank {
        let da = (i + a.len()).checked_sub(rank).map_or(Some(1), |j| a[j]);
        let db = (i + b.len()).checked_sub(rank).map_or(Some(1), |j| b[j]);
        out.push(match (da, db) {
            (Some(x), Some(y)) if x == y || y == 1 => Some(x),
            (Some(1), Some(y)) => Some(y),
            (Some(x), Some(y)) => {
                let known =
                    |d: &[Option<usize>]| d.iter().map(|d| d.unwrap_or(0)).collect::<Vec<_>>();
                return Err(Error::shape_mismatch(
                    op,
                    &known(a),
                    &known(b),
                    format!(
                        "shapes {} and {} cannot be broadcast together: aligned from the right, \
                         dims {x} and {y} (axis {i} of the result) differ and neither is 1",
                        Dims(a),
                        Dims(b)
                    ),
                ));
            }
            (Some(1), None) | (None, Some(1)) | (None, None) => None,
            (Some(k), None) | (None, Some(k)) => Some(k),
        });
    }
    Ok(out)
}

/// A ShapeMismatch for dims with unknown entries (shown as `?`, stored as 0).
fn mismatch(op: &'static str, a: &[Option<usize>], b: &[Option<usize>], msg: String) -> Error {
    let known = |d: &[Option<usize>]| d.iter().map(|d| d.unwrap_or(0)).collect::<Vec<_>>();
    Error::shape_mismatch(op, &known(a), &known(b), msg)
}

/// What a node of `op` over inputs of `specs` produces, or why it cannot be
/// built.
pub(crate) fn infer(op: &Op, specs: &[&TensorSpec]) -> Result<TensorSpec> {
    let name = op.name();
    let s = |i: usize| specs[i];
    let probes = || specs.iter().map(|s| probe(s)).collect::<Result<Vec<_>>>();
    let spec = |dtype, dims| Ok(TensorSpec { dtype, dims });
    match op {
        Op::Placeholder | Op::Constant(_) => unreachable!("made by Graph, not inferred"),
        Op::Binary(_) => {
            let dtype = probe_dtype(op, &[scalar_probe(s(0).dtype)?, scalar_probe(s(1).dtype)?])?;
            spec(dtype, broadcast(name, &s(0).dims, &s(1).dims)?)
        }
        Op::Where => {
            let ps = [
                scalar_probe(s(0).dtype)?,
                scalar_probe(s(1).dtype)?,
                scalar_probe(s(2).dtype)?,
            ];
            let dtype = probe_dtype(op, &ps)?;
            let ab = broadcast(name, &s(1).dims, &s(2).dims)?;
            spec(dtype, broadcast(name, &s(0).dims, &ab)?)
        }
        Op::Unary(_) | Op::Cast(_) | Op::Real | Op::Imag | Op::ZerosLike => spec(
            probe_dtype(op, &[scalar_probe(s(0).dtype)?])?,
            s(0).dims.clone(),
        ),
        Op::Reduce {
            kind,
            axes,
            keepdims,
        } => {
            let dtype = probe_dtype(op, &probes()?)?;
            let rank = s(0).rank();
            let mut reduced = vec![axes.is_empty(); rank];
            for &a in axes {
                reduced[normalize_axis(name, a, rank)?] = true;
            }
            let _ = kind;
            let dims = s(0)
                .dims
                .iter()
                .zip(&reduced)
                .filter_map(|(&d, &r)| match (r, keepdims) {
                    (false, _) => Some(d),
                    (true, true) => Some(Some(1)),
                    (true, false) => None,
                })
                .collect();
            spec(dtype, dims)
        }
        Op::ArgReduce { axis, keepdims, .. } => {
            let dtype = probe_dtype(op, &probes()?)?;
            let a = normalize_axis(name, *axis, s(0).rank())?;
            let mut dims = s(0).dims.clone();
            if *keepdims {
                dims[a] = Some(1);
            } else {
                dims.remove(a);
            }
            spec(dtype, dims)
        }
        Op::Scan { .. } => spec(probe_dtype(op, &probes()?)?, s(0).dims.clone()),
        Op::Matmul => infer_matmul(op, s(0), s(1)),
        Op::Dot => {
            let dtype = probe_dtype(op, &probes()?)?;
            if let (Some(a), Some(b)) = (s(0).dims[0], s(1).dims[0])
                && a != b
            {
                return Err(mismatch(
                    name,
                    &s(0).dims,
                    &s(1).dims,
                    format!("the vectors have lengths {a} and {b}; dot needs equal lengths"),
                ));
            }
            spec(dtype, Vec::new())
        }
        Op::Slice(args) => spec(s(0).dtype, infer_slice(&s(0).dims, args)?),
        Op::Transpose(perm) => {
            Layout::contiguous(Shape::from(s(0).ones_for_unknown())).transpose(perm)?;
            spec(s(0).dtype, perm.iter().map(|&p| s(0).dims[p]).collect())
        }
        Op::Reshape(reshape) => {
            let dims = match s(0).known() {
                Some(known) => {
                    let from = Shape::from(known);
                    let numel = from.checked_numel(name, s(0).dtype)?;
                    let dims = reshape.resolve(&from, numel, s(0).dtype)?;
                    dims.into_iter().map(Some).collect()
                }
                None => {
                    let wanted = reshape.dims();
                    let unknown = wanted.iter().filter(|d| d.is_none()).count();
                    if unknown > 1 {
                        return Err(Error::invalid(
                            name,
                            format!(
                                "shape {reshape} leaves {unknown} dims unknown; at most one dim can be \
                                 inferred"
                            ),
                        ));
                    }
                    wanted.to_vec()
                }
            };
            spec(s(0).dtype, dims)
        }
        Op::BroadcastTo(target) => {
            Layout::contiguous(Shape::from(s(0).ones_for_unknown())).broadcast_to(target)?;
            spec(s(0).dtype, target.dims().iter().map(|&d| Some(d)).collect())
        }
        Op::Squeeze => match s(0).known() {
            Some(known) => {
                let dims = Layout::contiguous(Shape::from(known)).squeeze(None)?;
                spec(s(0).dtype, dims.dims().iter().map(|&d| Some(d)).collect())
            }
            None => Err(Error::invalid(
                name,
                format!(
                    "the input has dims {} whose unknown entries may or may not be 1, so the rank \
                     of the result is unknown; name the axes to remove with squeeze_axes",
                    Dims(&s(0).dims)
                ),
            )),
        },
        Op::SqueezeAxes(axes) => {
            let rank = s(0).rank();
            let mut remove = vec![false; rank];
            for &a in axes {
                remove[normalize_axis(name, a, rank)?] = true;
            }
            Layout::contiguous(Shape::from(s(0).ones_for_unknown())).squeeze(Some(axes))?;
            let dims = s(0)
                .dims
                .iter()
                .zip(&remove)
                .filter(|(_, r)| !**r)
                .map(|(d, _)| *d);
            // Known dims other than 1 among the named axes were refused by
            // the layout check above (unknown ones are checked when run).
            for (&d, _) in s(0).dims.iter().zip(&remove).filter(|(_, r)| **r) {
                if let Some(d) = d
                    && d != 1
                {
                    unreachable!("the layout check refuses squeezing dim {d}");
                }
            }
            spec(s(0).dtype, dims.collect())
        }
        Op::ExpandDims(axis) => {
            let rank = s(0).rank();
            Layout::contiguous(Shape::from(s(0).ones_for_unknown())).expand_dims(*axis)?;
            let a = normalize_axis(name, *axis, rank + 1)?;
            let mut dims = s(0).dims.clone();
            dims.insert(a, Some(1));
            spec(s(0).dtype, dims)
        }
        Op::ContiguousCopy | Op::Contiguous => spec(s(0).dtype, s(0).dims.clone()),
        Op::Concat(axis) => {
            let dtype = probe_dtype(op, &probes()?)?;
            let rank = s(0).rank();
            let a = normalize_axis(name, *axis, rank)?;
            let mut dims = s(0).dims.clone();
            for (i, t) in specs.iter().enumerate().skip(1) {
                for (j, (d, e)) in dims.iter_mut().zip(&t.dims).enumerate() {
                    if j == a {
                        *d = d.zip(*e).and_then(|(x, y)| x.checked_add(y));
                    } else if let (Some(x), Some(y)) = (*d, *e) {
                        if x != y {
                            return Err(mismatch(
                                name,
                                &t.dims,
                                &s(0).dims,
                                format!(
                                    "tensors[{i}] has shape {} but tensors[0] has shape {}: all \
                                     dims but axis {a} must agree",
                                    Dims(&t.dims),
                                    Dims(&s(0).dims)
                                ),
                            ));
                        }
                    } else if d.is_none() {
                        *d = *e;
                    }
                }
            }
            spec(dtype, dims)
        }
        Op::Stack(axis) => {
            let dtype = probe_dtype(op, &probes()?)?;
            let rank = s(0).rank();
            let a = normalize_axis(name, *axis, rank + 1)?;
            let mut dims = s(0).dims.clone();
            for (i, t) in specs.iter().enumerate().skip(1) {
                for (d, e) in dims.iter_mut().zip(&t.dims) {
                    match (*d, *e) {
                        (Some(x), Some(y)) if x != y => {
                            return Err(mismatch(
                                name,
                                &t.dims,
                                &s(0).dims,
                                format!(
                                    "tensors[{i}] has shape {} but tensors[0] has shape {}; \
                                     stacked tensors must have the same shape",
                                    Dims(&t.dims),
                                    Dims(&s(0).dims)
                                ),
                            ));
                        }
                        (None, e) => *d = e,
                        _ => {}
                    }
                }
            }
            dims.insert(a, Some(specs.len()));
            spec(dtype, dims)
        }
        Op::SplitPart { sizes, axis, index } => {
            let a = normalize_axis(name, *axis, s(0).rank())?;
            if let Some(dim) = s(0).dims[a] {
                let mut stand_in = s(0).ones_for_unknown();
                stand_in[a] = dim;
                Tensor::zeros(Shape::scalar(), s(0).dtype)?
                    .broadcast_to(stand_in)?
                    .split(sizes, *axis)?;
            }
            let mut dims = s(0).dims.clone();
            dims[a] = Some(sizes[*index]);
            spec(s(0).dtype, dims)
        }
        Op::SplitEvenPart { num, axis, .. } => {
            let a = normalize_axis(name, *axis, s(0).rank())?;
            let mut dims = s(0).dims.clone();
            if let Some(dim) = s(0).dims[a] {
                let mut stand_in = s(0).ones_for_unknown();
                stand_in[a] = dim;
                Tensor::zeros(Shape::scalar(), s(0).dtype)?
                    .broadcast_to(stand_in)?
                    .split_even(*num, *axis)?;
                dims[a] = Some(dim / num);
            } else if *num == 0 {
                return Err(Error::invalid(name, "cannot split into 0 pieces"));
            }
            spec(s(0).dtype, dims)
        }
        Op::Pad(paddings) => {
            // Zero paddings keep the probe at one element; a wrong count is
            // refused with the real paddings in the message.
            let probe_op = if paddings.len() == s(0).rank() {
                Op::Pad(vec![(0, 0); paddings.len()])
            } else {
                op.clone()
            };
            let dtype = probe_dtype(&probe_op, &probes()?)?;
            let dims = s(0)
                .dims
                .iter()
                .zip(paddings)
                .map(|(d, (b, e))| d.and_then(|d| d.checked_add(*b)?.checked_add(*e)))
                .collect();
            spec(dtype, dims)
        }
        Op::Tile(multiples) => {
            let dtype = if multiples.len() == s(0).rank() {
                s(0).dtype
            } else {
                probe_dtype(op, &probes()?)?
            };
            let dims = s(0)
                .dims
                .iter()
                .zip(multiples)
                .map(|(d, m)| d.and_then(|d| d.checked_mul(*m)))
                .collect();
            spec(dtype, dims)
        }
        Op::OneHot { depth, axis } => {
            let ps = [index_probe(s(0))?, probe(s(1))?, probe(s(2))?];
            let dtype = probe_dtype(op, &ps)?;
            let rank = s(0).rank();
            let a = if *axis == -1 { rank } else { *axis as usize };
            let mut dims = s(0).dims.clone();
            dims.insert(a, Some(*depth));
            spec(dtype, dims)
        }
        Op::IndexSelect(axis) => {
            let dtype = probe_dtype(op, &[probe(s(0))?, index_probe(s(1))?])?;
            let a = normalize_axis(name, *axis, s(0).rank())?;
            let mut dims = s(0).dims.clone();
            dims[a] = s(1).dims[0];
            spec(dtype, dims)
        }
        Op::Gather(axis) => {
            let dtype = probe_dtype(op, &[probe(s(0))?, index_probe(s(1))?])?;
            let a = normalize_axis(name, *axis, s(0).rank())?;
            let mut dims = s(0).dims[..a].to_vec();
            dims.extend_from_slice(&s(1).dims);
            dims.extend_from_slice(&s(0).dims[a + 1..]);
            spec(dtype, dims)
        }
        Op::GatherWithPadding => {
            let fill = Tensor::ones(s(2).ones_for_unknown(), s(2).dtype)?;
            let dtype = probe_dtype(op, &[probe(s(0))?, index_probe(s(1))?, fill])?;
            let mut dims = s(1).dims.clone();
            dims.extend_from_slice(&s(0).dims[1..]);
            spec(dtype, dims)
        }
        Op::PadSegments(width) => {
            let fill = Tensor::ones(s(2).ones_for_unknown(), s(2).dtype)?;
            let dtype = probe_dtype(op, &[probe(s(0))?, index_probe(s(1))?, fill])?;
            if s(1).dims[0] == Some(0) {
                return Err(Error::invalid(
                    name,
                    "row_splits must have shape [nrows + 1] (rank 1, at least one entry), got [0]",
                ));
            }
            let mut dims = vec![s(1).dims[0].map(|n| n - 1), Some(*width)];
            dims.extend_from_slice(&s(0).dims[1..]);
            spec(dtype, dims)
        }
        Op::ScatterNd { shape, mode } => infer_scatter_nd(s(0), s(1), s(2), shape, *mode),
        Op::SegmentSum(num_segments) => {
            // No rows: the dtype and rank checks without an id to bound.
            let mut data = vec![1; s(0).rank()];
            if let Some(rows) = data.first_mut() {
                *rows = 0;
            }
            let ids = Tensor::zeros(vec![0; s(1).rank()], s(1).dtype)?;
            let dtype = probe_dtype(op, &[Tensor::zeros(data, s(0).dtype)?, ids])?;
            if let (Some(n), Some(m)) = (s(0).dims[0], s(1).dims[0])
                && n != m
            {
                return Err(mismatch(
                    name,
                    &s(1).dims,
                    &s(0).dims[..1],
                    format!("segment_ids has shape [{m}]; data has {n} rows, so it needs [{n}]"),
                ));
            }
            let mut dims = vec![Some(*num_segments)];
            dims.extend_from_slice(&s(0).dims[1..]);
            spec(dtype, dims)
        }
        Op::RgbToGrayscale => {
            // One pixel with the real channel count (3 when unknown).
            let mut stand_in = vec![1; s(0).rank()];
            if let Some(last) = stand_in.last_mut() {
                *last = s(0).dims.last().copied().flatten().unwrap_or(3);
            }
            let t = Tensor::zeros(Shape::scalar(), s(0).dtype)?.broadcast_to(stand_in)?;
            let dtype = op.execute(&[t])?.dtype();
            let mut dims = s(0).dims.clone();
            if let Some(last) = dims.last_mut() {
                *last = Some(1);
            }
            spec(dtype, dims)
        }
    }
}

fn infer_matmul(op: &Op, a: &TensorSpec, b: &TensorSpec) -> Result<TensorSpec> {
    let name = op.name();
    let dtype = probe_dtype(op, &[probe(a)?, probe(b)?])?;
    let (mut da, mut db) = (a.dims.clone(), b.dims.clone());
    let (va, vb) = (da.len() == 1, db.len() == 1);
    if va {
        da.insert(0, Some(1));
    }
    if vb {
        db.push(Some(1));
    }
    let (ra, rb) = (da.len(), db.len());
    if let (Some(k1), Some(k2)) = (da[ra - 1], db[rb - 2])
        && k1 != k2
    {
        return Err(mismatch(
            name,
            &a.dims,
            &b.dims,
            format!(
                "shapes {} and {} are not aligned: {k1} (dim -1 of lhs) != {k2} (dim -2 of rhs)",
                Dims(&a.dims),
                Dims(&b.dims)
            ),
        ));
    }
    let mut dims = broadcast(name, &da[..ra - 2], &db[..rb - 2])?;
    if !va {
        dims.push(da[ra - 2]);
    }
    if !vb {
        dims.push(db[rb - 1]);
    }
    Ok(TensorSpec { dtype, dims })
}

fn infer_scatter_nd(
    indices: &TensorSpec,
    updates: &TensorSpec,
    fill: &TensorSpec,
    shape: &Shape,
    mode: crate::ScatterMode,
) -> Result<TensorSpec> {
    const OP: &str = "scatter_nd";
    if indices.rank() != 2 {
        return Err(Error::invalid(
            OP,
            format!(
                "indices must have shape [n, k] (rank 2), got {}",
                Dims(&indices.dims)
            ),
        ));
    }
    // A probe with no rows checks dtypes, k, fill and the mode.
    if let Some(k) = indices.dims[1] {
        let inner = shape.dims().get(k..).unwrap_or(&[]);
        let mut up = vec![0];
        up.extend_from_slice(inner);
        let probes = [
            Tensor::zeros([0, k], indices.dtype)?,
            Tensor::zeros(Shape::scalar(), updates.dtype)?.broadcast_to(up)?,
            Tensor::ones(fill.ones_for_unknown(), fill.dtype)?,
        ];
        Tensor::scatter_nd(&probes[0], &probes[1], shape.clone(), &probes[2], mode)?;
        let mut expected = vec![indices.dims[0]];
        expected.extend(inner.iter().map(|&d| Some(d)));
        let fits = expected.len() == updates.rank()
            && expected
                .iter()
                .zip(&updates.dims)
                .all(|(e, u)| match (e, u) {
                    (Some(e), Some(u)) => e == u,
                    _ => true,
                });
        if !fits {
            return Err(mismatch(
                OP,
                &updates.dims,
                &expected,
                format!(
                    "updates has shape {} but indices {} into shape {shape} need updates of shape {}",
                    Dims(&updates.dims),
                    Dims(&indices.dims),
                    Dims(&expected)
                ),
            ));
        }
    }
    Ok(TensorSpec {
        dtype: fill.dtype,
        dims: shape.dims().iter().map(|&d| Some(d)).collect(),
    })
}

/// The dims a slice of `dims` by `args` has (unknown input dims give
/// unknown output dims; an index into an unknown dim is checked when run).
fn infer_slice(dims: &[Option<usize>], args: &[SliceArg]) -> Result<Vec<Option<usize>>> {
    let axes_used = args
        .iter()
        .filter(|a| !matches!(a, SliceArg::NewAxis))
        .count();
    if axes_used > dims.len() {
        // The eager check, with its message.
        Layout::contiguous(Shape::from(vec![1; dims.len()])).slice(args)?;
    }
    let mut out = Vec::new();
    let mut axis = 0;
    for arg in args {
        match arg {
            SliceArg::NewAxis => out.push(Some(1)),
            _ => {
                let d = dims[axis];
                axis += 1;
                match d {
                    Some(d) => {
                        let l = Layout::contiguous(Shape::from([d]))
                            .slice(std::slice::from_ref(arg))?;
                        out.extend(l.dims().iter().map(|&d| Some(d)));
                    }
                    None => {
                        if matches!(arg, SliceArg::Range { step: 0, .. }) {
                            Layout::contiguous(Shape::from([1]))
                                .slice(std::slice::from_ref(arg))?;
                        }
                        if let SliceArg::Range { .. } = arg {
                            out.push(None);
                        }
                    }
                }
            }
        }
    }
    out.extend_from_slice(&dims[axis..]);
    Ok(out)
}

/// `err` with the node's name in its message, for errors raised while the
/// node is built.
pub(crate) fn name_node(err: Error, node: &str) -> Error {
    match err {
        Error::ShapeMismatch { op, lhs, rhs, msg } => Error::ShapeMismatch {
            op,
            lhs,
            rhs,
            msg: format!("node {node}: {msg}"),
        },
        Error::InvalidArgument { op, what } => Error::InvalidArgument {
            op,
            what: format!("node {node}: {what}"),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_with_unknown_dims() {
        let b = |a: &[Option<usize>], c: &[Option<usize>]| broadcast("t", a, c);
        assert_eq!(b(&[None, Some(2)], &[Some(2)]).unwrap(), [None, Some(2)]);
        assert_eq!(b(&[None], &[Some(3)]).unwrap(), [Some(3)]);
        assert_eq!(b(&[None], &[Some(1)]).unwrap(), [None]);
        assert_eq!(
            b(&[Some(4), Some(1)], &[Some(5)]).unwrap(),
            [Some(4), Some(5)]
        );
        let e = b(&[None, Some(2)], &[Some(3)]).unwrap_err();
        assert!(e.to_string().contains("[?, 2] and [3]"), "{e}");
    }

    #[test]
    fn slices_of_unknown_dims() {
        let d = [None, Some(5)];
        let r = infer_slice(&d, &[SliceArg::Index(0), SliceArg::range(Some(1), None, 2)]).unwrap();
        assert_eq!(r, [Some(2)]);
        let r = infer_slice(&d, &[SliceArg::NewAxis, SliceArg::FULL]).unwrap();
        assert_eq!(r, [Some(1), None, Some(5)]);
        assert!(infer_slice(&d, &[SliceArg::FULL, SliceArg::Index(5)]).is_err());
        assert!(infer_slice(&d, &[SliceArg::FULL; 3]).is_err());
    }
}
