//! Graph mode: the scenarios of 05-symbolic-tensors, the errors, tracing,
//! and properties comparing Session::run, traced functions and eager code
//! (with the optimizer on and off).
//!
//! Every test that runs values runs on every device of `for_each_device`:
//! feeds and constants are made under the device's scope (`here`), so
//! Session::run and traced functions execute on that device and must give
//! the bits of eager code on the same device.

use proptest::prelude::*;
use tensorbridge::graph::{Graph, Session, function};
use tensorbridge::prelude::*;
use tensorbridge::{f16, s};
use tensorbridge_tests::{for_each_device, here, on_each_device};

fn i32s(a: &DynArray) -> Vec<i32> {
    a.view_typed::<i32>().unwrap().iter().copied().collect()
}

// ---------------------------------------------------------------------------
// The scenarios of shared/scenarios/05-symbolic-tensors.txt.

#[test]
fn scenario_session_adds_two_constants() {
    for_each_device(|_device| {
        let graph = Graph::new();
        let a = graph.constant(&here([[1, 2], [3, 4]]));
        let b = graph.constant(&here([[5, 6], [7, 8]]));
        let c = a.add(&b).unwrap();
        let out = Session::new(&graph).run(&[&c], &[]).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].dtype(), DType::I32);
        assert_eq!(out[0].shape(), [2, 2]);
        assert_eq!(i32s(&out[0]), [6, 8, 10, 12]);
    });
}

#[test]
fn scenario_eager_add() {
    for_each_device(|_device| {
        let f = here([[9, 10], [11, 12]])
            .add(&here([[13, 14], [15, 16]]))
            .unwrap();
        assert!(!f.is_symbolic());
        assert_eq!(i32s(&f.numpy().unwrap()), [22, 24, 26, 28]);
    });
}

#[test]
fn scenario_traced_function_adds_two_constants() {
    for_each_device(|_device| {
        // Constants made inside the body, as in the article's tf.function.
        let f = function(|_: &[Tensor]| {
            let g = here([[17, 18], [19, 20]]);
            let h = here([[21, 22], [23, 24]]);
            Ok(vec![g.add(&h)?])
        });
        let out = f.call(&[]).unwrap();
        assert!(!out[0].is_symbolic());
        assert_eq!(out[0].to_vec::<i32>().unwrap(), [38, 40, 42, 44]);
        // The same with the constants as arguments.
        let f = function(|a: &[Tensor]| Ok(vec![a[0].add(&a[1])?]));
        let out = f
            .call(&[here([[17, 18], [19, 20]]), here([[21, 22], [23, 24]])])
            .unwrap();
        assert_eq!(out[0].numpy().unwrap().shape(), [2, 2]);
        assert_eq!(out[0].to_vec::<i32>().unwrap(), [38, 40, 42, 44]);
    });
}

#[test]
fn scenario_numpy_of_a_symbolic_tensor_says_what_to_do() {
    for_each_device(|_device| {
        let g = Graph::new();
        let a = g.constant(&here([[1, 2], [3, 4]]));
        let c = a.add(&a).unwrap();
        let err = c.numpy().unwrap_err();
        match &err {
            Error::Symbolic { op, node } => {
                assert_eq!(*op, "to_array");
                assert_eq!(node, "add (add)");
            }
            other => panic!("expected Symbolic, got {other:?}"),
        }
        let text = err.to_string();
        assert!(text.contains("add (add)"), "{text}");
        assert!(text.contains("Session::run"), "{text}");
        assert!(
            text.contains("return it from the traced function"),
            "{text}"
        );
    });
}

// ---------------------------------------------------------------------------
// Conversions of symbolic tensors.

#[test]
fn every_conversion_of_a_symbolic_tensor_is_a_symbolic_error() {
    let g = Graph::new();
    let x = g.placeholder(DType::F32, &[None, Some(2)]);
    let y = x.exp().unwrap();
    let symbolic = |r: Result<()>, op: &str| match r {
        Err(Error::Symbolic { op: o, node }) => {
            assert_eq!(o, op);
            assert_eq!(node, "exp (exp)");
        }
        other => panic!("{op}: expected Symbolic, got {other:?}"),
    };
    symbolic(y.view::<f32>().map(drop), "view");
    symbolic(y.to_array::<f32>().map(drop), "to_array");
    symbolic(y.clone().into_array::<f32>().map(drop), "into_array");
    symbolic(y.to_vec::<f32>().map(drop), "to_vec");
    symbolic(y.to_scalar::<f32>().map(drop), "to_scalar");
    symbolic(y.numpy().map(drop), "to_array");
    symbolic(
        ToNumpy::numpy(&(y.clone(), Tensor::from([1]))).map(drop),
        "to_array",
    );
    symbolic(ToNumpy::numpy(&vec![y.clone()]).map(drop), "to_array");
    assert_eq!(
        y.to_string(),
        "Tensor(<symbolic: exp (exp)>, shape=(?, 2), dtype=float32, device=cpu)"
    );
    assert_eq!(
        format!("{y:?}"),
        "Tensor { symbolic: <symbolic: exp (exp)>, shape: [None, Some(2)], dtype: F32 }"
    );
    assert_eq!(y.static_shape(), [None, Some(2)]);
    assert_eq!(y.dtype(), DType::F32);
}

// ---------------------------------------------------------------------------
// Errors, each named.

#[test]
fn missing_feed_names_the_placeholder() {
    for_each_device(|_device| {
        let g = Graph::new();
        let x = g.placeholder(DType::F32, &[Some(2)]);
        let y = x.neg().unwrap();
        let err = Session::new(&g).run(&[&y], &[]).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }));
        let text = err.to_string();
        assert!(
            text.contains("placeholder placeholder (float32 [2]) is needed but not fed"),
            "{text}"
        );
    });
}

#[test]
fn wrong_feed_dtype_and_shape_name_the_placeholder() {
    for_each_device(|_device| {
        let g = Graph::new();
        let x = g.placeholder(DType::F32, &[None, Some(3)]);
        let y = x.relu().unwrap();
        let sess = Session::new(&g);
        let err = sess
            .run(&[&y], &[(&x, &here([[1.0f64, 2.0, 3.0]]))])
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("placeholder (placeholder) has dtype float64"),
            "{text}"
        );
        assert!(text.contains("float32 [?, 3]"), "{text}");
        let err = sess
            .run(&[&y], &[(&x, &here([[1.0f32, 2.0]]))])
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("has shape [1, 2], which does not fit"),
            "{text}"
        );
        assert!(text.contains("[?, 3]"), "{text}");
        let err = sess
            .run(&[&y], &[(&x, &here([1.0f32, 2.0, 3.0]))])
            .unwrap_err();
        assert!(err.to_string().contains("has shape [3]"), "{err}");
        // Any batch size fits the unknown dim.
        for rows in [0usize, 1, 5] {
            let v = Tensor::full([rows, 3], -1.0f32).unwrap();
            let out = sess.run_tensors(&[&y], &[(&x, &v)]).unwrap();
            assert_eq!(out[0].dims(), [rows, 3]);
            assert!(out[0].to_vec::<f32>().unwrap().iter().all(|&v| v == 0.0));
        }
    });
}

#[test]
fn fetch_from_another_graph_or_eager_is_refused() {
    for_each_device(|_device| {
        let (g1, g2) = (Graph::new(), Graph::new());
        let a = g1.constant(&here([1]));
        let b = g2.constant(&here([2]));
        let sess = Session::new(&g1);
        let text = sess.run(&[&b], &[]).unwrap_err().to_string();
        assert!(
            text.contains("fetches[0] is the tensor constant (constant) of graph"),
            "{text}"
        );
        let text = sess.run(&[&a, &here([1])], &[]).unwrap_err().to_string();
        assert!(
            text.contains("fetches[1] is an eager tensor of shape [1]"),
            "{text}"
        );
        let x = g2.placeholder(DType::I32, &[Some(1)]);
        let text = sess
            .run(&[&a], &[(&x, &here([1]))])
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("feeds[0].0 is the tensor placeholder"),
            "{text}"
        );
        assert_eq!(i32s(&sess.run(&[&a], &[]).unwrap()[0]), [1]);
    });
}

#[test]
fn mixing_eager_and_symbolic_or_two_graphs_names_both() {
    for_each_device(|_device| {
        let g = Graph::new();
        let x = g.placeholder(DType::F32, &[Some(2)]);
        let e = here([1.0f32, 2.0]);
        let text = x.add(&e).unwrap_err().to_string();
        assert!(
            text.starts_with("add: inputs[0] is the symbolic tensor placeholder (placeholder)"),
            "{text}"
        );
        assert!(
            text.contains("inputs[1] is an eager tensor of shape [2] and dtype float32"),
            "{text}"
        );
        assert!(text.contains("graph.constant(&t)"), "{text}");
        let text = e.mul(&x).unwrap_err().to_string();
        assert!(text.contains("inputs[0] is an eager tensor"), "{text}");
        let other = Graph::new().placeholder(DType::F32, &[Some(2)]);
        let text = x.sub(&other).unwrap_err().to_string();
        assert!(
            text.contains("inputs[1] is the symbolic tensor placeholder (placeholder) of graph #"),
            "{text}"
        );
        let text = Tensor::concat(&[&x, &e], 0).unwrap_err().to_string();
        assert!(text.starts_with("concat: "), "{text}");
        // The scalar forms make their scalar a constant of the graph.
        assert!(x.add_scalar(1.0f32).unwrap().is_symbolic());
    });
}

#[test]
fn shape_and_dtype_mismatches_are_reported_when_the_node_is_built() {
    let g = Graph::new();
    let a = g.placeholder(DType::F32, &[None, Some(3)]);
    let b = g.placeholder(DType::F32, &[Some(4)]);
    let err = a.add(&b).unwrap_err();
    assert!(
        matches!(err, Error::ShapeMismatch { op: "add", .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with("add: node add: shapes [?, 3] and [4] cannot be broadcast"),
        "{text}"
    );
    let err = a
        .matmul(&g.placeholder(DType::F32, &[Some(2), Some(5)]))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("node matmul: shapes [?, 3] and [2, 5] are not aligned"),
        "{err}"
    );
    let err = a.add(&g.placeholder(DType::I32, &[Some(3)])).unwrap_err();
    assert!(matches!(
        err,
        Error::DTypeMismatch {
            op: "add",
            expected: DType::F32,
            found: DType::I32
        }
    ));
    let err = g.placeholder(DType::I32, &[Some(2)]).exp().unwrap_err();
    assert!(
        err.to_string()
            .contains("node exp: exp is not defined for int32"),
        "{err}"
    );
    assert!(
        a.sum(&[2], false)
            .unwrap_err()
            .to_string()
            .contains("axis 2 is out of range")
    );
    assert!(a.reshape([7]).is_ok()); // unknown batch: checked when run
    let known = g.placeholder(DType::F32, &[Some(2), Some(3)]);
    assert!(
        known
            .reshape([7])
            .unwrap_err()
            .to_string()
            .contains("node reshape")
    );
    assert!(
        a.squeeze()
            .unwrap_err()
            .to_string()
            .contains("squeeze_axes")
    );
    // Failed nodes are not added.
    let before = g.len();
    assert!(a.add(&b).is_err());
    assert_eq!(g.len(), before);
}

#[test]
fn run_time_errors_are_the_eager_errors() {
    for_each_device(|_device| {
        let g = Graph::new();
        let data = g.placeholder(DType::I32, &[None]);
        let idx = g.placeholder(DType::I64, &[Some(1)]);
        let picked = data.gather(&idx, 0).unwrap();
        let sess = Session::new(&g);
        let err = sess
            .run(&[&picked], &[(&data, &here([1, 2])), (&idx, &here([5i64]))])
            .unwrap_err();
        let eager = here([1, 2]).gather(&here([5i64]), 0).unwrap_err();
        assert_eq!(err.to_string(), eager.to_string());
        // Integer division by zero in a chain (never fused) fails as eagerly.
        let q = data.div(&data).unwrap().add(&data).unwrap();
        let err = sess.run(&[&q], &[(&data, &here([1, 0]))]).unwrap_err();
        assert!(
            err.to_string().contains("integer division by zero"),
            "{err}"
        );
    });
}

// ---------------------------------------------------------------------------
// Tracing.

#[test]
fn same_signature_traces_once_and_new_shapes_trace_again() {
    for_each_device(|_device| {
        let f = function(|a: &[Tensor]| Ok(vec![a[0].mul_scalar(3)?, a[0].sum(&[], false)?]));
        let x = here([1, 2, 3]);
        for _ in 0..3 {
            let out = f.call(std::slice::from_ref(&x)).unwrap();
            assert_eq!(out[0].to_vec::<i32>().unwrap(), [3, 6, 9]);
            assert_eq!(out[1].to_scalar::<i32>().unwrap(), 6);
        }
        assert_eq!(f.trace_count(), 1);
        f.call(&[here([4, 5])]).unwrap();
        assert_eq!(f.trace_count(), 2);
        f.call(&[here([4i64, 5])]).unwrap(); // a new dtype
        assert_eq!(f.trace_count(), 3);
        let out = f.call(&[here([[1, 2], [3, 4]])]).unwrap(); // a new rank
        assert_eq!(out[1].to_scalar::<i32>().unwrap(), 10);
        assert_eq!(f.trace_count(), 4);
        f.call(&[here([7, 8])]).unwrap();
        assert_eq!(f.trace_count(), 4);
    });
}

#[test]
fn the_body_runs_only_while_tracing() {
    for_each_device(|_device| {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&calls);
        let f = function(move |a: &[Tensor]| {
            seen.fetch_add(1, Ordering::SeqCst);
            assert!(a[0].is_symbolic());
            Ok(vec![a[0].exp()?])
        });
        for _ in 0..5 {
            f.call(&[here([0.0f32])]).unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn function_outputs_may_be_arguments_or_eager_and_errors_propagate() {
    for_each_device(|_device| {
        let f = function(|a: &[Tensor]| Ok(vec![a[0].clone(), here([9u8])]));
        let x = here([1.5f32]);
        let out = f.call(std::slice::from_ref(&x)).unwrap();
        assert_eq!(out[0].to_vec::<f32>().unwrap(), [1.5]);
        assert_eq!(out[1].to_vec::<u8>().unwrap(), [9]);
        let bad = function(|a: &[Tensor]| Ok(vec![a[0].add(&a[1])?]));
        let err = bad.call(&[here([1, 2]), here([1, 2, 3])]).unwrap_err();
        assert!(
            err.to_string().contains("node add: shapes [2] and [3]"),
            "{err}"
        );
        assert_eq!(bad.trace_count(), 0);
        let leak = Graph::new().placeholder(DType::F32, &[Some(1)]);
        let other = function(move |_: &[Tensor]| Ok(vec![leak.clone()]));
        let err = other.call(&[]).unwrap_err();
        assert!(err.to_string().contains("of another graph"), "{err}");
    });
}

#[test]
fn calling_a_function_on_symbolic_tensors_inlines_it() {
    for_each_device(|_device| {
        let f = function(|a: &[Tensor]| Ok(vec![a[0].mul(&a[0])?]));
        let g = Graph::new();
        let x = g.placeholder(DType::I64, &[None]);
        let y = f.call(std::slice::from_ref(&x)).unwrap().remove(0);
        assert!(y.graph().unwrap().same_as(&g));
        let out = y
            .eval(&Session::new(&g), &[(&x, &here([3i64, -4]))])
            .unwrap();
        assert_eq!(out.to_vec::<i64>().unwrap(), [9, 16]);
        assert_eq!(f.trace_count(), 0);
    });
}

// ---------------------------------------------------------------------------
// Display and the optimizer's work.

#[test]
fn display_lists_nodes_ops_shapes_and_dtypes() {
    let g = Graph::new();
    let x = g.placeholder(DType::BF16, &[None, Some(4)]);
    let y = x.transpose(&[1, 0]).unwrap().cast(DType::F32).unwrap();
    let _ = y.argmax(0, true).unwrap();
    assert_eq!(
        g.to_string(),
        "Graph with 4 nodes:\n  placeholder = placeholder() -> bfloat16 [?, 4]\n  \
         transpose = transpose(placeholder; perm=[1, 0]) -> bfloat16 [4, ?]\n  \
         cast = cast(transpose; dtype=float32) -> float32 [4, ?]\n  \
         argmax = argmax(cast; axis=0, keepdims=true) -> int64 [1, ?]\n"
    );
}

#[test]
fn optimizer_folds_dedups_prunes_and_fuses() {
    for_each_device(|device| {
        let g = Graph::new();
        let x = g.placeholder(DType::F32, &[None]);
        let two = g.constant(&here([1.0f32])).add_scalar(1.0f32).unwrap(); // folded
        let a = x.mul(&two).unwrap();
        let b = x.mul(&two).unwrap(); // same as a
        let _dead = x.exp().unwrap().sqrt().unwrap();
        let y = a.add(&b).unwrap().relu().unwrap();
        let value = here([1.0f32, -2.0]);
        let on = Session::new(&g);
        // mul, add, relu fused into one step; the dead branch is gone.
        assert_eq!(on.plan_summary(&[&y], &[(&x, &value)]).unwrap(), (1, 1));
        let off = Session::new(&g).with_optimizations(false);
        // add_scalar, two muls, add, relu (constants are not steps).
        assert_eq!(off.plan_summary(&[&y], &[(&x, &value)]).unwrap(), (5, 0));
        let want = [4.0f32, 0.0];
        for sess in [&on, &off] {
            let out = sess.run_tensors(&[&y], &[(&x, &value)]).unwrap();
            assert_eq!(out[0].device(), device);
            assert_eq!(out[0].to_vec::<f32>().unwrap(), want);
        }
        // Fetching an intermediate keeps it out of the fused group.
        let (steps, fused) = on.plan_summary(&[&y, &a], &[(&x, &value)]).unwrap();
        assert_eq!((steps, fused), (2, 1));
    });
}

#[test]
fn large_fused_chains_match_eager_bits_for_half_floats_and_ints() {
    for_each_device(|_device| {
        let n = 100_003;
        let f16s = Tensor::from_vec(
            (0..n)
                .map(|i| f16::from_f32((i as f32 * 0.013).sin() * 4.0))
                .collect(),
            [n],
        )
        .unwrap();
        let ints =
            Tensor::from_vec((0..n as i32).map(|i| i.wrapping_mul(7919)).collect(), [n]).unwrap();
        let chain_f = |x: &Tensor| -> Result<Tensor> {
            x.mul(x)?
                .add_scalar(f16::from_f32(0.1))?
                .sqrt()?
                .sub(x)?
                .tanh()
        };
        let chain_i =
            |x: &Tensor| -> Result<Tensor> { x.mul(x)?.add_scalar(-3)?.maximum(x)?.neg() };
        for (x, chain) in [
            (&f16s, &chain_f as &dyn Fn(&Tensor) -> Result<Tensor>),
            (&ints, &chain_i),
        ] {
            let eager = chain(x).unwrap();
            let g = Graph::new();
            let p = g.placeholder(x.dtype(), &[None]);
            let y = chain(&p).unwrap();
            let sess = Session::new(&g);
            assert_eq!(sess.plan_summary(&[&y], &[(&p, x)]).unwrap().1, 1);
            let got = sess.run(&[&y], &[(&p, x)]).unwrap().remove(0);
            assert_eq!(
                format!("{:?}", got),
                format!("{:?}", eager.numpy().unwrap())
            );
        }
    });
}

// ---------------------------------------------------------------------------
// Every op family symbolically, against eager.

/// Runs `build` eagerly on `inputs` and as a graph (session, optimized and
/// not) and as a traced function; all must agree.
fn agree(
    inputs: &[Tensor],
    build: impl Fn(&[Tensor]) -> Result<Vec<Tensor>> + Send + Sync + Clone + 'static,
) {
    let eager: Vec<String> = build(inputs)
        .unwrap()
        .iter()
        .map(|t| format!("{:?}", t.numpy().unwrap()))
        .collect();
    let g = Graph::new();
    let ps: Vec<Tensor> = inputs
        .iter()
        .map(|t| g.placeholder(t.dtype(), &vec![None; t.rank()]))
        .collect();
    let outs = build(&ps).unwrap();
    let fetches: Vec<&Tensor> = outs.iter().collect();
    let feeds: Vec<(&Tensor, &Tensor)> = ps.iter().zip(inputs).collect();
    for opt in [true, false] {
        let got = Session::new(&g)
            .with_optimizations(opt)
            .run(&fetches, &feeds)
            .unwrap();
        let got: Vec<String> = got.iter().map(|a| format!("{a:?}")).collect();
        assert_eq!(got, eager, "session, optimize={opt}");
    }
    let f = function(build);
    let outs = f.call(inputs).unwrap();
    // The traced function's results stay where its inputs live.
    let device = inputs[0].device();
    for (k, t) in outs.iter().enumerate() {
        assert_eq!(t.device(), device, "function output {k}");
    }
    let got: Vec<String> = outs
        .iter()
        .map(|t| format!("{:?}", t.numpy().unwrap()))
        .collect();
    assert_eq!(got, eager, "function");
}

#[test]
fn every_op_family_works_symbolically() {
    for_each_device(|_device| {
        let m = here([[1.0f32, -2.0, 3.5], [4.0, 0.5, -6.0]]);
        agree(std::slice::from_ref(&m), |a| {
            let x = &a[0];
            Ok(vec![
                x.sum(&[0], false)?,
                x.mean(&[], false)?,
                x.prod(&[1], true)?,
                x.max(&[1], false)?,
                x.min(&[0], true)?,
                x.all(&[1], false)?,
                x.any(&[], false)?,
                x.argmax(1, false)?,
                x.argmin(0, true)?,
                x.cumsum(1, true, false)?,
                x.cumprod(0, false, true)?,
                x.matmul(&x.t()?)?,
                x.slice(s![.., 1])?.dot(&x.slice(s![.., 2])?)?,
                x.slice(s![..;-1, 1..])?,
                x.reshape([3, 2])?.expand_dims(0)?.squeeze_axes(&[0])?,
                x.broadcast_to([4, 2, 3])?.contiguous()?,
                x.contiguous_copy()?,
                Tensor::concat(&[x, &x.neg()?], 1)?,
                Tensor::stack(&[x, x], 0)?,
                x.split(&[1, 2], 1)?.remove(1),
                x.split_even(3, 1)?.remove(2),
                x.tile(&[2, 1])?,
                x.cast(DType::C64)?.real()?,
                x.imag()?,
                x.zeros_like()?,
                x.abs()?.sqrt()?.log()?.floor()?.ceil()?.round()?.sign()?,
                Tensor::where_(&x.gt(&x.relu()?)?, x, &x.sigmoid()?)?,
                x.ge(x)?
                    .logical_and(&x.le(x)?)?
                    .logical_or(&x.eq(x)?)?
                    .logical_xor(&x.ne(x)?)?
                    .logical_not()?,
                x.lt(x)?,
                x.div(x)?
                    .rem_scalar(0.75f32)?
                    .pow_scalar(2.0f32)?
                    .maximum(x)?
                    .minimum_scalar(1.0f32)?,
                x.sin()?.cos()?.exp()?.rsqrt()?,
                tensorbridge::image::rgb_to_grayscale(x)?,
            ])
        });
        let data = here([[1, 2], [3, 4], [5, 6]]);
        let idx = here([2i64, 0, 2]);
        agree(&[data, idx], |a| {
            let (x, i) = (&a[0], &a[1]);
            let fill = x.slice(s![0, 0])?.zeros_like()?;
            let splits = i
                .slice(s![..2])?
                .cumsum(0, false, false)?
                .sub(&i.slice(s![..1])?)?;
            Ok(vec![
                x.index_select(0, i)?,
                x.gather(&i.reshape([1, 3])?, 0)?,
                x.gather_with_padding(
                    &i.sub(&i.slice(s![1..2])?.add_scalar(1i64)?)?
                        .slice(s![..2])?,
                    &fill,
                )?,
                x.pad_segments(&splits, 2, &fill)?,
                x.segment_sum(&i.div_scalar(2i64)?, 2)?,
                Tensor::scatter_nd(
                    &i.slice(s![..2])?.reshape([2, 1])?,
                    &x.slice(s![..2])?,
                    [3, 2],
                    &fill,
                    tensorbridge::ScatterMode::Add,
                )?,
                Tensor::one_hot(i, 3, &x.slice(s![0, 1])?, &fill, -1)?,
                x.pad(&[(1, 0), (0, 2)], &fill)?,
            ])
        });
    });
}

// ---------------------------------------------------------------------------
// Properties: random graphs of core ops.

/// One step of a random program over a pool of `[m, n]` tensors.
#[derive(Debug, Clone)]
enum Step {
    Binary(u8, usize, usize),
    Unary(u8, usize),
    Scalar(u8, usize, i8),
    SumBack(usize, usize),
    MatmulBack(usize, usize, usize),
    Where(usize, usize),
    CastRoundTrip(usize),
    ConcatHalves(usize, usize),
    TransposeTwice(usize),
}

fn step() -> impl Strategy<Value = Step> {
    let i = 0..64usize;
    prop_oneof![
        4 => (0..5u8, i.clone(), i.clone()).prop_map(|(k, a, b)| Step::Binary(k, a, b)),
        4 => (0..9u8, i.clone()).prop_map(|(k, a)| Step::Unary(k, a)),
        2 => (0..3u8, i.clone(), any::<i8>()).prop_map(|(k, a, s)| Step::Scalar(k, a, s)),
        1 => (i.clone(), i.clone()).prop_map(|(a, b)| Step::SumBack(a, b)),
        1 => (i.clone(), i.clone(), i.clone()).prop_map(|(a, b, c)| Step::MatmulBack(a, b, c)),
        1 => (i.clone(), i.clone()).prop_map(|(a, b)| Step::Where(a, b)),
        1 => i.clone().prop_map(Step::CastRoundTrip),
        1 => (i.clone(), i.clone()).prop_map(|(a, b)| Step::ConcatHalves(a, b)),
        1 => i.prop_map(Step::TransposeTwice),
    ]
}

/// Applies `program` to `inputs` with the ordinary tensor methods (eager or
/// symbolic alike); returns the last two values.
fn run_program(
    program: &[Step],
    inputs: &[Tensor],
    rows: usize,
    float: bool,
) -> Result<Vec<Tensor>> {
    let mut pool: Vec<Tensor> = inputs.to_vec();
    for st in program {
        let at = |k: usize| pool[k % pool.len()].clone();
        let next = match *st {
            Step::Binary(k, a, b) => {
                let (x, y) = (at(a), at(b));
                match k {
                    0 => x.add(&y)?,
                    1 => x.sub(&y)?,
                    2 => x.mul(&y)?,
                    3 => x.maximum(&y)?,
                    _ => x.minimum(&y)?,
                }
            }
            Step::Unary(k, a) => {
                let x = at(a);
                match (k, float) {
                    (0, _) => x.neg()?,
                    (1, _) => x.abs()?,
                    (2, _) => x.relu()?,
                    (3, true) => x.tanh()?,
                    (4, true) => x.sqrt()?,
                    (5, true) => x.exp()?,
                    (6, true) => x.round()?,
                    (7, true) => x.sigmoid()?,
                    (_, true) => x.log()?,
                    (_, false) => x.sign()?,
                }
            }
            Step::Scalar(k, a, s) => {
                let x = at(a);
                match (k, float) {
                    (0, true) => x.add_scalar(s as f32 / 8.0)?,
                    (0, false) => x.add_scalar(s as i32)?,
                    (1, true) => x.mul_scalar(s as f32 / 8.0)?,
                    (1, false) => x.mul_scalar(s as i32)?,
                    (_, true) => x.maximum_scalar(s as f32)?,
                    (_, false) => x.minimum_scalar(s as i32)?,
                }
            }
            Step::SumBack(a, b) => at(a).sum(&[1], true)?.add(&at(b))?,
            Step::MatmulBack(a, b, c) => at(a).matmul(&at(b).t()?)?.matmul(&at(c))?,
            Step::Where(a, b) => {
                let (x, y) = (at(a), at(b));
                Tensor::where_(&x.lt(&y)?, &y, &x)?
            }
            Step::CastRoundTrip(a) => {
                let x = at(a);
                let wide = if float { DType::F64 } else { DType::I64 };
                x.cast(wide)?.add(&x.cast(wide)?)?.cast(x.dtype())?
            }
            Step::ConcatHalves(a, b) => {
                let (x, y) = (at(a), at(b));
                let h = rows as isize / 2;
                Tensor::concat(&[&x.slice(s![..h])?, &y.slice(s![h..])?], 0)?
            }
            Step::TransposeTwice(a) => at(a).t()?.t()?,
        };
        pool.push(next);
    }
    let n = pool.len();
    Ok(pool[n.saturating_sub(2)..].to_vec())
}

fn input(m: usize, n: usize, seed: u64, float: bool) -> Tensor {
    let v =
        |k: usize| ((k as u64).wrapping_mul(2654435761).wrapping_add(seed) % 2001) as i32 - 1000;
    if float {
        Tensor::from_vec((0..m * n).map(|k| v(k) as f32 / 100.0).collect(), [m, n]).unwrap()
    } else {
        Tensor::from_vec((0..m * n).map(v).collect(), [m, n]).unwrap()
    }
}

fn show(ts: &[Tensor]) -> Vec<String> {
    ts.iter()
        .map(|t| format!("{:?}", t.numpy().unwrap()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// Session::run (optimized or not) and a traced function give the bits
    /// of eager code, for random programs over random shapes (large enough
    /// at times for the fused loop).
    #[test]
    fn graphs_functions_and_eager_agree(
        program in prop::collection::vec(step(), 1..12),
        m in 1usize..300,
        n in 1usize..200,
        seed in any::<u64>(),
        float in any::<bool>(),
    ) {
        on_each_device(|device| {
        let inputs = [input(m, n, seed, float), input(m, n, seed ^ 0x5555, float)];
        let eager = show(&run_program(&program, &inputs, m, float).unwrap());

        let g = Graph::new();
        let dt = inputs[0].dtype();
        let p = [g.placeholder(dt, &[None, Some(n)]), g.placeholder(dt, &[Some(m), None])];
        let outs = run_program(&program, &p, m, float).unwrap();
        let fetches: Vec<&Tensor> = outs.iter().collect();
        let feeds = [(&p[0], &inputs[0]), (&p[1], &inputs[1])];
        let on = Session::new(&g).run_tensors(&fetches, &feeds).unwrap();
        let off = Session::new(&g).with_optimizations(false).run_tensors(&fetches, &feeds).unwrap();
        prop_assert_eq!(&show(&on), &eager);
        prop_assert_eq!(&show(&off), &eager);
        for t in on.iter().chain(&off) {
            prop_assert_eq!(t.device(), device);
        }

        let prog = program.clone();
        let f = function(move |a: &[Tensor]| run_program(&prog, a, m, float));
        prop_assert_eq!(&show(&f.call(&inputs).unwrap()), &eager);
        prop_assert_eq!(&show(&f.call(&inputs).unwrap()), &eager);
        prop_assert_eq!(f.trace_count(), 1);
        Ok(())
        })?;
    }

    /// Unknown dims stay unknown through elementwise ops and become known
    /// where another operand knows them; the inferred spec always fits
    /// what the run produces.
    #[test]
    fn inferred_shapes_fit_the_results(
        program in prop::collection::vec(step(), 1..8),
        m in 1usize..20,
        n in 1usize..20,
    ) {
        on_each_device(|_device| {
        let inputs = [input(m, n, 1, true), input(m, n, 2, true)];
        let g = Graph::new();
        let p = [g.placeholder(DType::F32, &[None, None]), g.placeholder(DType::F32, &[Some(m), None])];
        let outs = run_program(&program, &p, m, true).unwrap();
        let fetches: Vec<&Tensor> = outs.iter().collect();
        let got = Session::new(&g).run_tensors(&fetches, &[(&p[0], &inputs[0]), (&p[1], &inputs[1])]).unwrap();
        for (sym, val) in outs.iter().zip(&got) {
            prop_assert_eq!(sym.dtype(), val.dtype());
            let spec = sym.static_shape();
            prop_assert_eq!(spec.len(), val.rank());
            for (s, &d) in spec.iter().zip(val.dims()) {
                prop_assert!(s.is_none_or(|s| s == d), "{:?} vs {:?}", spec, val.dims());
            }
        }
        Ok(())
        })?;
    }
}

#[test]
fn any_node_can_be_fed_like_a_placeholder() {
    for_each_device(|_device| {
        // TensorFlow lets feed_dict override any tensor; here too, with the
        // node's inferred dtype and shape checked.
        let g = Graph::new();
        let x = g.placeholder(DType::I32, &[Some(2)]);
        let y = x.mul_scalar(10).unwrap();
        let z = y.add_scalar(1).unwrap();
        let sess = Session::new(&g);
        // y fed directly: x is not needed, so not missing.
        let out = sess.run(&[&z], &[(&y, &here([5, 6]))]).unwrap();
        assert_eq!(i32s(&out[0]), [6, 7]);
        let err = sess.run(&[&z], &[(&y, &here([5, 6, 7]))]).unwrap_err();
        assert!(err.to_string().contains("mul (mul) has shape [3]"), "{err}");
        let out = z.eval(&sess, &[(&x, &here([1, 2]))]).unwrap();
        assert_eq!(out.to_vec::<i32>().unwrap(), [11, 21]);
    });
}

#[test]
fn absurd_placeholder_dims_are_errors_not_panics() {
    for_each_device(|_device| {
        let g = Graph::new();
        let huge = g.placeholder(DType::F32, &[Some(usize::MAX), Some(4)]);
        assert_eq!(huge.static_shape(), [Some(usize::MAX), Some(4)]);
        let _ = huge.to_string();
        // Shape rules that need the element count refuse it when built.
        let err = huge.reshape([2, 2]).unwrap_err();
        assert!(matches!(err, Error::ShapeOverflow { .. }), "{err:?}");
        assert!(huge.tile(&[2, 2]).is_ok()); // unknown (overflowing) dims: checked at run
        // Elementwise and reductions build; no value can ever be fed.
        let y = huge.add_scalar(1.0f32).unwrap().sum(&[1], false).unwrap();
        assert_eq!(y.static_shape(), [Some(usize::MAX)]);
        let err = Session::new(&g).run(
            &[&y],
            &[(&huge, &Tensor::zeros([2, 4], DType::F32).unwrap())],
        );
        assert!(err.unwrap_err().to_string().contains("does not fit"));
        let f = g.placeholder(DType::F32, &[Some(usize::MAX), None]);
        assert!(f.matmul(&f.t().unwrap()).is_ok());
        assert!(Tensor::concat(&[&huge, &huge], 0).is_ok());
    });
}

#[test]
fn each_build_time_rule_refuses_the_input_that_breaks_it() {
    let g = Graph::new();
    let p = |dt: DType, dims: &[Option<usize>]| g.placeholder(dt, dims);
    let msg = |r: Result<Tensor>| r.unwrap_err().to_string();
    let v3 = p(DType::F32, &[Some(3)]);
    let v4 = p(DType::F32, &[Some(4)]);
    let m = p(DType::F32, &[None, Some(3)]);
    assert!(msg(v3.dot(&v4)).contains("node dot: the vectors have lengths 3 and 4"));
    assert!(
        msg(m.reshape([None, None])).contains("node reshape: shape [?, ?] leaves 2 dims unknown")
    );
    assert!(msg(m.squeeze()).contains("node squeeze"));
    assert!(msg(m.squeeze_axes(&[1])).contains("squeeze"));
    let m4 = p(DType::F32, &[None, Some(4)]);
    let text = msg(Tensor::concat(&[&m, &m4], 0));
    assert!(
        text.contains("node concat: tensors[1] has shape [?, 4] but tensors[0] has shape [?, 3]"),
        "{text}"
    );
    let text = msg(Tensor::stack(&[&m, &m4], 0));
    assert!(
        text.contains("node stack: tensors[1] has shape [?, 4]"),
        "{text}"
    );
    assert!(Tensor::concat(&[&m, &m], 0).unwrap().static_shape() == [None, Some(3)]);
    assert_eq!(
        Tensor::stack(&[&m, &m], 1).unwrap().static_shape(),
        [None, Some(2), Some(3)]
    );
    let u = p(DType::F32, &[None]);
    assert!(u.split_even(0, 0).is_err());
    assert!(v3.split_even(2, 0).is_err());
    assert!(v3.split(&[1, 1], 0).is_err());
    assert_eq!(v3.split(&[1, 2], 0).unwrap()[1].static_shape(), [Some(2)]);
    let ids = p(DType::I64, &[Some(2)]);
    assert!(msg(v3.segment_sum(&ids, 4)).contains("node segment_sum: segment_ids has shape [2]"));
    assert!(v3.segment_sum(&p(DType::F32, &[Some(3)]), 4).is_err()); // float ids
    let splits = p(DType::I64, &[Some(0)]);
    assert!(
        msg(v3.pad_segments(&splits, 2, &g.constant(&Tensor::scalar(0.0f32))))
            .contains("row_splits")
    );
    let idx = p(DType::I64, &[Some(2), Some(1)]);
    let zero = g.constant(&Tensor::scalar(0.0f32));
    assert!(
        msg(Tensor::scatter_nd(
            &idx,
            &v3,
            [5],
            &zero,
            tensorbridge::ScatterMode::Add
        ))
        .contains("updates has shape [3]")
    );
    assert!(Tensor::scatter_nd(&v3, &v3, [5], &zero, tensorbridge::ScatterMode::Add).is_err()); // rank 1 indices
    assert!(m.matmul(&m).is_ok()); // dim -2 of rhs unknown: checked when run
    assert!(msg(m.matmul(&p(DType::F32, &[Some(4), Some(2)]))).contains("not aligned"));
    assert_eq!(
        m.matmul(&m.t().unwrap()).unwrap().static_shape(),
        [None, None]
    );
    assert_eq!(
        v3.matmul(&p(DType::F32, &[Some(5), Some(3), Some(2)]))
            .unwrap()
            .static_shape(),
        [Some(5), Some(2)]
    );
    assert!(msg(m.transpose(&[0, 0])).contains("transpose"));
    assert!(msg(m.broadcast_to([2, 4])).contains("broadcast"));
    assert!(msg(m.slice(s![.., 5])).contains("out of bounds"));
    assert!(m.expand_dims(3).is_err());
    assert_eq!(
        m.expand_dims(-1).unwrap().static_shape(),
        [None, Some(3), Some(1)]
    );
    assert!(msg(m.pad(&[(1, 1)], &zero)).contains("paddings"));
    assert!(m.tile(&[1]).is_err());
    assert!(
        msg(tensorbridge::image::rgb_to_grayscale(&p(
            DType::U8,
            &[None, Some(4)]
        )))
        .contains("node rgb_to_grayscale")
    );
    assert!(Tensor::one_hot(&v3, 3, &zero, &zero, 0).is_err()); // float indices
    assert!(m.cast(DType::C64).unwrap().cast(DType::F32).is_err()); // drops the imaginary part
    assert!(Tensor::where_(&m, &m, &m).is_err()); // cond is not bool
    assert!(m.logical_not().is_err());
    assert!(m.argmax(2, false).is_err());
    assert!(m.cumsum(-3, false, false).is_err());
}

#[test]
fn graphs_sessions_and_functions_are_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Graph>();
    send_sync::<Session>();
    send_sync::<tensorbridge::graph::Function>();
    let f = std::sync::Arc::new(function(|a: &[Tensor]| Ok(vec![a[0].add_scalar(1)?])));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let f = std::sync::Arc::clone(&f);
            std::thread::spawn(move || {
                f.call(&[Tensor::from([i])]).unwrap()[0]
                    .to_vec::<i32>()
                    .unwrap()
            })
        })
        .collect();
    let got: Vec<Vec<i32>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(got, [[1], [2], [3], [4]]);
    assert!((1..=4).contains(&f.trace_count()));
}
