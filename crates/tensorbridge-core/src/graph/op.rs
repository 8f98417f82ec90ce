//! [`Op`]: what a graph node computes, with the arguments of the eager
//! method it stands for. Executing a node calls that eager method, so a
//! graph computes exactly what the same code computes eagerly.

use crate::{DType, ReshapeSpec, Result, ScatterMode, Shape, SliceArg, Tensor, image};

/// A binary elementwise operation (the methods of `ops/binary.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
    Maximum,
    Minimum,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LogicalAnd,
    LogicalOr,
    LogicalXor,
}

impl BinaryOp {
    /// The operation of the eager method called `name`.
    pub(crate) fn from_name(name: &str) -> BinaryOp {
        use BinaryOp::*;
        match name {
            "add" => Add,
            "sub" => Sub,
            "mul" => Mul,
            "div" => Div,
            "rem" => Rem,
            "pow" => Pow,
            "maximum" => Maximum,
            "minimum" => Minimum,
            "eq" => Eq,
            "ne" => Ne,
            "lt" => Lt,
            "le" => Le,
            "gt" => Gt,
            "ge" => Ge,
            "logical_and" => LogicalAnd,
            "logical_or" => LogicalOr,
            "logical_xor" => LogicalXor,
            other => unreachable!("{other} is not a binary elementwise method"),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "add",
            Sub => "sub",
            Mul => "mul",
            Div => "div",
            Rem => "rem",
            Pow => "pow",
            Maximum => "maximum",
            Minimum => "minimum",
            Eq => "eq",
            Ne => "ne",
            Lt => "lt",
            Le => "le",
            Gt => "gt",
            Ge => "ge",
            LogicalAnd => "logical_and",
            LogicalOr => "logical_or",
            LogicalXor => "logical_xor",
        }
    }

    fn execute(self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        use BinaryOp::*;
        match self {
            Add => a.add(b),
            Sub => a.sub(b),
            Mul => a.mul(b),
            Div => a.div(b),
            Rem => a.rem(b),
            Pow => a.pow(b),
            Maximum => a.maximum(b),
            Minimum => a.minimum(b),
            Eq => a.eq(b),
            Ne => a.ne(b),
            Lt => a.lt(b),
            Le => a.le(b),
            Gt => a.gt(b),
            Ge => a.ge(b),
            LogicalAnd => a.logical_and(b),
            LogicalOr => a.logical_or(b),
            LogicalXor => a.logical_xor(b),
        }
    }

    /// Whether the eager method reads the values of an integer operand to
    /// refuse some (division by zero, negative exponents): such nodes are
    /// not fused, so that they fail exactly as eagerly.
    pub(crate) fn checks_int_values(self) -> bool {
        matches!(self, BinaryOp::Div | BinaryOp::Rem | BinaryOp::Pow)
    }
}

/// A unary elementwise operation (the methods of `ops/unary.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnaryOp {
    Neg,
    Abs,
    Sign,
    Exp,
    Log,
    Sqrt,
    Rsqrt,
    Sin,
    Cos,
    Tanh,
    Sigmoid,
    Relu,
    Floor,
    Ceil,
    Round,
    LogicalNot,
}

impl UnaryOp {
    pub(crate) fn name(self) -> &'static str {
        use UnaryOp::*;
        match self {
            Neg => "neg",
            Abs => "abs",
            Sign => "sign",
            Exp => "exp",
            Log => "log",
            Sqrt => "sqrt",
            Rsqrt => "rsqrt",
            Sin => "sin",
            Cos => "cos",
            Tanh => "tanh",
            Sigmoid => "sigmoid",
            Relu => "relu",
            Floor => "floor",
            Ceil => "ceil",
            Round => "round",
            LogicalNot => "logical_not",
        }
    }

    /// The operation of the eager method called `name`.
    pub(crate) fn from_name(name: &str) -> UnaryOp {
        use UnaryOp::*;
        match name {
            "neg" => Neg,
            "abs" => Abs,
            "sign" => Sign,
            "exp" => Exp,
            "log" => Log,
            "sqrt" => Sqrt,
            "rsqrt" => Rsqrt,
            "sin" => Sin,
            "cos" => Cos,
            "tanh" => Tanh,
            "sigmoid" => Sigmoid,
            "relu" => Relu,
            "floor" => Floor,
            "ceil" => Ceil,
            "round" => Round,
            "logical_not" => LogicalNot,
            other => unreachable!("{other} is not a unary elementwise method"),
        }
    }

    fn execute(self, a: &Tensor) -> Result<Tensor> {
        use UnaryOp::*;
        match self {
            Neg => a.neg(),
            Abs => a.abs(),
            Sign => a.sign(),
            Exp => a.exp(),
            Log => a.log(),
            Sqrt => a.sqrt(),
            Rsqrt => a.rsqrt(),
            Sin => a.sin(),
            Cos => a.cos(),
            Tanh => a.tanh(),
            Sigmoid => a.sigmoid(),
            Relu => a.relu(),
            Floor => a.floor(),
            Ceil => a.ceil(),
            Round => a.round(),
            LogicalNot => a.logical_not(),
        }
    }
}

/// A reduction over axes (the methods of `ops/reduce.rs` taking `axes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReduceKind {
    Sum,
    Mean,
    Prod,
    Max,
    Min,
    All,
    Any,
}

impl ReduceKind {
    fn name(self) -> &'static str {
        match self {
            ReduceKind::Sum => "sum",
            ReduceKind::Mean => "mean",
            ReduceKind::Prod => "prod",
            ReduceKind::Max => "max",
            ReduceKind::Min => "min",
            ReduceKind::All => "all",
            ReduceKind::Any => "any",
        }
    }
}

/// What a node computes. Every variant but `Placeholder` and `Constant` is
/// one eager method of [`Tensor`] (or of [`image`]) with its non-tensor
/// arguments; the node's inputs are the method's tensor arguments, in order.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Placeholder,
    Constant(Tensor),
    Binary(BinaryOp),
    /// `Tensor::where_(cond, a, b)`.
    Where,
    Unary(UnaryOp),
    Cast(DType),
    Real,
    Imag,
    ZerosLike,
    Reduce {
        kind: ReduceKind,
        axes: Vec<isize>,
        keepdims: bool,
    },
    ArgReduce {
        max: bool,
        axis: isize,
        keepdims: bool,
    },
    Scan {
        prod: bool,
        axis: isize,
        exclusive: bool,
        reverse: bool,
    },
    Matmul,
    Dot,
    Slice(Vec<SliceArg>),
    Transpose(Vec<usize>),
    Reshape(ReshapeSpec),
    BroadcastTo(Shape),
    Squeeze,
    SqueezeAxes(Vec<isize>),
    ExpandDims(isize),
    ContiguousCopy,
    Contiguous,
    Concat(isize),
    Stack(isize),
    /// Piece `index` of `split(sizes, axis)`.
    SplitPart {
        sizes: Vec<usize>,
        axis: isize,
        index: usize,
    },
    /// Piece `index` of `split_even(num, axis)`.
    SplitEvenPart {
        num: usize,
        axis: isize,
        index: usize,
    },
    /// `pad(paddings, value)`: inputs `[self, value]`.
    Pad(Vec<(usize, usize)>),
    Tile(Vec<usize>),
    /// `one_hot(indices, depth, on, off, axis)`: inputs `[indices, on, off]`.
    OneHot {
        depth: usize,
        axis: isize,
    },
    IndexSelect(isize),
    Gather(isize),
    /// Inputs `[self, indices, fill]`.
    GatherWithPadding,
    /// `pad_segments(row_splits, width, fill)`: inputs `[self, row_splits, fill]`.
    PadSegments(usize),
    /// Inputs `[indices, updates, fill]`.
    ScatterNd {
        shape: Shape,
        mode: ScatterMode,
    },
    /// Inputs `[self, segment_ids]`.
    SegmentSum(usize),
    RgbToGrayscale,
}

impl Op {
    /// The name of the eager method (what `Display` and node names show).
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Op::Placeholder => "placeholder",
            Op::Constant(_) => "constant",
            Op::Binary(b) => b.name(),
            Op::Where => "where_",
            Op::Unary(u) => u.name(),
            Op::Cast(_) => "cast",
            Op::Real => "real",
            Op::Imag => "imag",
            Op::ZerosLike => "zeros_like",
            Op::Reduce { kind, .. } => kind.name(),
            Op::ArgReduce { max: true, .. } => "argmax",
            Op::ArgReduce { max: false, .. } => "argmin",
            Op::Scan { prod: false, .. } => "cumsum",
            Op::Scan { prod: true, .. } => "cumprod",
            Op::Matmul => "matmul",
            Op::Dot => "dot",
            Op::Slice(_) => "slice",
            Op::Transpose(_) => "transpose",
            Op::Reshape(_) => "reshape",
            Op::BroadcastTo(_) => "broadcast_to",
            Op::Squeeze => "squeeze",
            Op::SqueezeAxes(_) => "squeeze_axes",
            Op::ExpandDims(_) => "expand_dims",
            Op::ContiguousCopy => "contiguous_copy",
            Op::Contiguous => "contiguous",
            Op::Concat(_) => "concat",
            Op::Stack(_) => "stack",
            Op::SplitPart { .. } => "split",
            Op::SplitEvenPart { .. } => "split_even",
            Op::Pad(_) => "pad",
            Op::Tile(_) => "tile",
            Op::OneHot { .. } => "one_hot",
            Op::IndexSelect(_) => "index_select",
            Op::Gather(_) => "gather",
            Op::GatherWithPadding => "gather_with_padding",
            Op::PadSegments(_) => "pad_segments",
            Op::ScatterNd { .. } => "scatter_nd",
            Op::SegmentSum(_) => "segment_sum",
            Op::RgbToGrayscale => "rgb_to_grayscale",
        }
    }

    /// The arguments other than tensors, as `Display` shows them (empty
    /// when there are none).
    pub(crate) fn params(&self) -> String {
        match self {
            Op::Cast(d) => format!("dtype={d}"),
            Op::Reduce { axes, keepdims, .. } => format!("axes={axes:?}, keepdims={keepdims}"),
            Op::ArgReduce { axis, keepdims, .. } => format!("axis={axis}, keepdims={keepdims}"),
            Op::Scan {
                axis,
                exclusive,
                reverse,
                ..
            } => format!("axis={axis}, exclusive={exclusive}, reverse={reverse}"),
            Op::Slice(args) => format!("{args:?}"),
            Op::Transpose(perm) => format!("perm={perm:?}"),
            Op::Reshape(spec) => format!("shape={spec}"),
            Op::BroadcastTo(s) => format!("shape={s}"),
            Op::SqueezeAxes(a) => format!("axes={a:?}"),
            Op::ExpandDims(a)
            | Op::Concat(a)
            | Op::Stack(a)
            | Op::IndexSelect(a)
            | Op::Gather(a) => {
                format!("axis={a}")
            }
            Op::SplitPart { sizes, axis, index } => {
                format!("sizes={sizes:?}, axis={axis}, part={index}")
            }
            Op::SplitEvenPart { num, axis, index } => {
                format!("num={num}, axis={axis}, part={index}")
            }
            Op::Pad(p) => format!("paddings={p:?}"),
            Op::Tile(m) => format!("multiples={m:?}"),
            Op::OneHot { depth, axis } => format!("depth={depth}, axis={axis}"),
            Op::PadSegments(w) => format!("width={w}"),
            Op::ScatterNd { shape, mode } => format!("shape={shape}, mode={mode:?}"),
            Op::SegmentSum(n) => format!("num_segments={n}"),
            _ => String::new(),
        }
    }

    /// Whether the node computes each output element from the elements at
    /// the same (broadcast) position of its inputs only, with no check that
    /// reads input values: such nodes can be fused. `dtype` is the dtype of
    /// the node's first input.
    pub(crate) fn is_fusible(&self, first_input: DType) -> bool {
        match self {
            Op::Binary(b) => !(b.checks_int_values() && first_input.is_int()),
            Op::Unary(_) | Op::Cast(_) | Op::Where => true,
            _ => false,
        }
    }

    /// Runs the eager method on `inputs` (eager tensors, as many as the
    /// node has inputs).
    pub(crate) fn execute(&self, inputs: &[Tensor]) -> Result<Tensor> {
        let x = |i: usize| &inputs[i];
        match self {
            Op::Placeholder => unreachable!("placeholders are fed, never executed"),
            Op::Constant(t) => Ok(t.clone()),
            Op::Binary(b) => b.execute(x(0), x(1)),
            Op::Where => Tensor::where_(x(0), x(1), x(2)),
            Op::Unary(u) => u.execute(x(0)),
            Op::Cast(d) => x(0).cast(*d),
            Op::Real => x(0).real(),
            Op::Imag => x(0).imag(),
            Op::ZerosLike => x(0).zeros_like(),
            Op::Reduce {
                kind,
                axes,
                keepdims,
            } => {
                let (t, k) = (x(0), *keepdims);
                match kind {
                    ReduceKind::Sum => t.sum(axes, k),
                    ReduceKind::Mean => t.mean(axes, k),
                    ReduceKind::Prod => t.prod(axes, k),
                    ReduceKind::Max => t.max(axes, k),
                    ReduceKind::Min => t.min(axes, k),
                    ReduceKind::All => t.all(axes, k),
                    ReduceKind::Any => t.any(axes, k),
                }
            }
            Op::ArgReduce {
                max: true,
                axis,
                keepdims,
            } => x(0).argmax(*axis, *keepdims),
            Op::ArgReduce {
                max: false,
                axis,
                keepdims,
            } => x(0).argmin(*axis, *keepdims),
            Op::Scan {
                prod,
                axis,
                exclusive,
                reverse,
            } => {
                if *prod {
                    x(0).cumprod(*axis, *exclusive, *reverse)
                } else {
                    x(0).cumsum(*axis, *exclusive, *reverse)
                }
            }
            Op::Matmul => x(0).matmul(x(1)),
            Op::Dot => x(0).dot(x(1)),
            Op::Slice(args) => x(0).slice(args.iter().copied()),
            Op::Transpose(perm) => x(0).transpose(perm),
            Op::Reshape(spec) => x(0).reshape(spec.clone()),
            Op::BroadcastTo(s) => x(0).broadcast_to(s.clone()),
            Op::Squeeze => x(0).squeeze(),
            Op::SqueezeAxes(a) => x(0).squeeze_axes(a),
            Op::ExpandDims(a) => x(0).expand_dims(*a),
            Op::ContiguousCopy => x(0).contiguous_copy(),
            Op::Contiguous => x(0).contiguous(),
            Op::Concat(axis) => Tensor::concat(&inputs.iter().collect::<Vec<_>>(), *axis),
            Op::Stack(axis) => Tensor::stack(&inputs.iter().collect::<Vec<_>>(), *axis),
            Op::SplitPart { sizes, axis, index } => {
                Ok(x(0).split(sizes, *axis)?.swap_remove(*index))
            }
            Op::SplitEvenPart { num, axis, index } => {
                Ok(x(0).split_even(*num, *axis)?.swap_remove(*index))
            }
            Op::Pad(p) => x(0).pad(p, x(1)),
            Op::Tile(m) => x(0).tile(m),
            Op::OneHot { depth, axis } => Tensor::one_hot(x(0), *depth, x(1), x(2), *axis),
            Op::IndexSelect(axis) => x(0).index_select(*axis, x(1)),
            Op::Gather(axis) => x(0).gather(x(1), *axis),
            Op::GatherWithPadding => x(0).gather_with_padding(x(1), x(2)),
            Op::PadSegments(width) => x(0).pad_segments(x(1), *width, x(2)),
            Op::ScatterNd { shape, mode } => {
                Tensor::scatter_nd(x(0), x(1), shape.clone(), x(2), *mode)
            }
            Op::SegmentSum(n) => x(0).segment_sum(x(1), *n),
            Op::RgbToGrayscale => image::rgb_to_grayscale(x(0)),
        }
    }
}
