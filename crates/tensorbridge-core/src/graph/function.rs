//! [`function`]: a closure traced into a graph once per input signature and
//! run from the cached, optimized graph (TensorFlow's `tf.function`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use super::graph::Graph;
use super::plan::Plan;
use crate::{DType, Error, Result, Tensor};

/// The body of a [`Function`].
type Body = dyn Fn(&[Tensor]) -> Result<Vec<Tensor>> + Send + Sync;

/// One trace: the signature it was made for and its compiled plan.
struct Trace {
    signature: Vec<(DType, Vec<usize>)>,
    plan: Plan,
    /// The traced graph (kept for display and debugging).
    graph: Graph,
}

/// A traced function (see [`function`]).
pub struct Function {
    body: Box<Body>,
    optimize: bool,
    traces: RwLock<Vec<Arc<Trace>>>,
    count: AtomicUsize,
}

/// Wraps `body` as a traced function (`tf.function`): the first call with
/// a given input signature (the dtype and shape of each argument) calls
/// `body` once on symbolic placeholders of that signature, recording its
/// operations as a graph, optimizes the graph (constant folding,
/// common-subexpression elimination, pruning, fusion of elementwise
/// chains) and caches it; every call with that signature runs the cached
/// graph without calling `body`.
///
/// The outputs are eager tensors that convert normally. Inside `body`, the
/// arguments are symbolic: eager tensors enter the graph through
/// `args[0].graph()` and [`Graph::constant`], or as outputs returned as
/// they are (they become constants of the trace). Side effects of `body`
/// happen only while tracing.
///
/// ```
/// use tensorbridge_core::graph::function;
/// use tensorbridge_core::Tensor;
///
/// let f = function(|args: &[Tensor]| Ok(vec![args[0].mul(&args[1])?.add_scalar(1)?]));
/// let a = Tensor::from([1, 2, 3]);
/// let out = f.call(&[a.clone(), a.clone()])?;
/// assert_eq!(out[0].to_vec::<i32>()?, [2, 5, 10]);
/// f.call(&[a.clone(), a.clone()])?;
/// assert_eq!(f.trace_count(), 1); // same signature: traced once
/// f.call(&[Tensor::from([1, 2]), Tensor::from([3, 4])])?;
/// assert_eq!(f.trace_count(), 2); // a new shape: a new trace
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn function<F>(body: F) -> Function
where
    F: Fn(&[Tensor]) -> Result<Vec<Tensor>> + Send + Sync + 'static,
{
    Function {
        body: Box::new(body),
        optimize: true,
        traces: RwLock::new(Vec::new()),
        count: AtomicUsize::new(0),
    }
}

const CALL: &str = "Function::call";

impl Function {
    /// The same function with graph optimizations on (the default) or off.
    /// Results are the same either way.
    ///
    /// ```
    /// use tensorbridge_core::graph::function;
    /// use tensorbridge_core::Tensor;
    ///
    /// let f = function(|a: &[Tensor]| Ok(vec![a[0].exp()?.sqrt()?])).with_optimizations(false);
    /// assert_eq!(f.call(&[Tensor::from([0.0f32])])?[0].to_vec::<f32>()?, [1.0]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn with_optimizations(mut self, on: bool) -> Function {
        self.optimize = on;
        self.traces = RwLock::new(Vec::new());
        self
    }

    /// How many times the body has been traced (once per distinct input
    /// signature seen).
    ///
    /// ```
    /// use tensorbridge_core::graph::function;
    /// use tensorbridge_core::Tensor;
    ///
    /// let f = function(|a: &[Tensor]| Ok(vec![a[0].abs()?]));
    /// assert_eq!(f.trace_count(), 0);
    /// f.call(&[Tensor::from([-1])])?;
    /// f.call(&[Tensor::from([-2])])?;
    /// assert_eq!(f.trace_count(), 1);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn trace_count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Runs the function on `args`: from the cached graph of their
    /// signature, tracing it first if this signature is new.
    ///
    /// Called with symbolic arguments (inside another graph or trace), the
    /// body is applied to them directly, adding its nodes to their graph.
    ///
    /// **Errors**: the errors of `body` while tracing (e.g. a shape
    /// mismatch, named by node); [`Error::InvalidArgument`] when `body`
    /// returns a symbolic tensor of another graph; the errors of the
    /// operations when the graph runs, as eager code reports them.
    ///
    /// ```
    /// use tensorbridge_core::graph::function;
    /// use tensorbridge_core::Tensor;
    ///
    /// let f = function(|a: &[Tensor]| Ok(vec![a[0].matmul(&a[1])?]));
    /// let m = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(f.call(&[m.clone(), m.clone()])?[0].to_vec::<f32>()?, [7.0, 10.0, 15.0, 22.0]);
    /// assert!(f.call(&[m.clone(), Tensor::from([[1.0f32, 2.0, 3.0]])]).is_err()); // 2 != 1
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn call(&self, args: &[Tensor]) -> Result<Vec<Tensor>> {
        if args.iter().any(Tensor::is_symbolic) {
            return (self.body)(args);
        }
        let trace = match self.find(args) {
            Some(t) => t,
            None => self.trace(args)?,
        };
        trace.plan.run(args)
    }

    /// The traced graph for the signature of `args`, if it was traced.
    ///
    /// ```
    /// use tensorbridge_core::graph::function;
    /// use tensorbridge_core::Tensor;
    ///
    /// let f = function(|a: &[Tensor]| Ok(vec![a[0].neg()?]));
    /// let x = Tensor::from([1, 2]);
    /// assert!(f.graph_for(&[x.clone()]).is_none());
    /// f.call(&[x.clone()])?;
    /// assert_eq!(f.graph_for(&[x]).map(|g| g.len()), Some(2)); // placeholder, neg
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn graph_for(&self, args: &[Tensor]) -> Option<Graph> {
        self.find(args).map(|t| t.graph.clone())
    }

    fn find(&self, args: &[Tensor]) -> Option<Arc<Trace>> {
        let traces = self.traces.read().unwrap_or_else(|e| e.into_inner());
        traces
            .iter()
            .find(|t| {
                t.signature.len() == args.len()
                    && t.signature
                        .iter()
                        .zip(args)
                        .all(|((d, s), a)| *d == a.dtype() && s.as_slice() == a.dims())
            })
            .cloned()
    }

    fn trace(&self, args: &[Tensor]) -> Result<Arc<Trace>> {
        let graph = Graph::new();
        let placeholders: Vec<Tensor> = args
            .iter()
            .map(|a| {
                let dims: Vec<Option<usize>> = a.dims().iter().map(|&d| Some(d)).collect();
                graph.placeholder(a.dtype(), &dims)
            })
            .collect();
        let outputs = (self.body)(&placeholders)?;
        let mut fetch_ids = Vec::with_capacity(outputs.len());
        for (i, out) in outputs.iter().enumerate() {
            let node = match out.symbol() {
                Some(s) if Arc::ptr_eq(&s.graph, &graph.shared) => s.id,
                Some(s) => {
                    return Err(Error::invalid(
                        CALL,
                        format!(
                            "output {i} of the traced body is the tensor {} of another graph \
                             (#{}); return tensors computed from the arguments, or eager ones",
                            s.label, s.graph.number
                        ),
                    ));
                }
                None => graph.constant(out).symbol().expect("a constant node").id,
            };
            fetch_ids.push(node);
        }
        let feed_ids: Vec<usize> = placeholders
            .iter()
            .map(|p| p.symbol().expect("a placeholder").id)
            .collect();
        let plan = Plan::compile(
            &graph.snapshot(),
            &fetch_ids,
            &feed_ids,
            self.optimize,
            CALL,
        )?;
        let trace = Arc::new(Trace {
            signature: args
                .iter()
                .map(|a| (a.dtype(), a.dims().to_vec()))
                .collect(),
            plan,
            graph,
        });
        self.traces
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::clone(&trace));
        self.count.fetch_add(1, Ordering::Relaxed);
        Ok(trace)
    }
}
