//! [`Graph`]: a dataflow graph of symbolic tensors (TensorFlow 1.x's
//! `tf.Graph`), and the recording of operations on symbolic tensors.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::infer::{Dims, TensorSpec, infer, name_node};
use super::node::{Node, NodeId, Symbol};
use super::op::Op;
use crate::{DType, Error, Result, Tensor};

/// The shared state behind a [`Graph`] handle and its symbolic tensors.
pub(crate) struct GraphShared {
    /// A number unique in the process, to name the graph in errors.
    pub(crate) number: u64,
    state: Mutex<GraphState>,
}

#[derive(Default)]
pub(crate) struct GraphState {
    pub(crate) nodes: Vec<Node>,
    /// How many nodes were given each base name.
    counts: HashMap<&'static str, usize>,
}

impl GraphState {
    /// The name the next node of `base` will get.
    fn peek_name(&self, base: &'static str) -> String {
        match self.counts.get(base).copied().unwrap_or(0) {
            0 => base.to_owned(),
            n => format!("{base}_{n}"),
        }
    }

    fn unique_name(&mut self, base: &'static str) -> String {
        let n = self.counts.entry(base).or_insert(0);
        let name = if *n == 0 {
            base.to_owned()
        } else {
            format!("{base}_{n}")
        };
        *n += 1;
        name
    }
}

impl GraphShared {
    /// The nodes, locked (the lock is only held to add or read nodes).
    pub(crate) fn lock(&self) -> MutexGuard<'_, GraphState> {
        // A panic while the lock was held cannot leave the node list half
        // written (a node is pushed whole), so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a node, inferring what it produces from its inputs' specs;
    /// returns its symbolic tensor.
    fn add(self: &Arc<Self>, op: Op, inputs: Vec<NodeId>) -> Result<Tensor> {
        let state = self.lock();
        let name = state.peek_name(op.name());
        let specs: Vec<&TensorSpec> = inputs.iter().map(|&i| &state.nodes[i].spec).collect();
        let spec = infer(&op, &specs).map_err(|e| name_node(e, &name))?;
        Ok(self.push(state, op, inputs, spec))
    }

    /// Adds a node whose spec is given (placeholders and constants).
    fn add_node(self: &Arc<Self>, op: Op, inputs: Vec<NodeId>, spec: TensorSpec) -> Tensor {
        let state = self.lock();
        self.push(state, op, inputs, spec)
    }

    fn push(
        self: &Arc<Self>,
        mut state: MutexGuard<'_, GraphState>,
        op: Op,
        inputs: Vec<NodeId>,
        spec: TensorSpec,
    ) -> Tensor {
        let name = state.unique_name(op.name());
        let id = state.nodes.len();
        let label = format!("{name} ({})", op.name());
        state.nodes.push(Node {
            name,
            op,
            inputs,
            spec: spec.clone(),
        });
        drop(state);
        Tensor::from_symbol(Symbol {
            graph: Arc::clone(self),
            id,
            spec,
            label,
        })
    }
}

static NEXT_GRAPH: AtomicU64 = AtomicU64::new(1);

/// A dataflow graph (`tf.Graph`): placeholders, constants and the
/// operations applied to them, built by calling the ordinary [`Tensor`]
/// methods on symbolic tensors and run by a [`Session`](super::Session).
///
/// A `Graph` is a cheap handle (cloning shares the graph). Nodes are only
/// ever added, so a session stays valid while the graph grows.
///
/// ```
/// use tensorbridge_core::graph::{Graph, Session};
/// use tensorbridge_core::{DType, Tensor};
///
/// let g = Graph::new();
/// let x = g.placeholder(DType::F32, &[None, Some(2)]);
/// let y = x.mul(&x)?.add_scalar(1.0f32)?;
/// assert_eq!(y.static_shape(), [None, Some(2)]);
/// let out = Session::new(&g).run(&[&y], &[(&x, &Tensor::from([[1.0f32, 2.0]]))])?;
/// assert_eq!(out[0].view_typed::<f32>()?.as_slice().unwrap(), [2.0, 5.0]);
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Graph {
    pub(crate) shared: Arc<GraphShared>,
}

impl Default for Graph {
    fn default() -> Self {
        Graph::new()
    }
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Graph {
        Graph {
            shared: Arc::new(GraphShared {
                number: NEXT_GRAPH.fetch_add(1, Ordering::Relaxed),
                state: Mutex::new(GraphState::default()),
            }),
        }
    }

    /// A placeholder (`tf.compat.v1.placeholder`): a symbolic tensor of
    /// `dtype` whose value is fed when the graph runs. `None` dims are
    /// unknown until then (`&[None, Some(784)]` for a batch of any size).
    ///
    /// ```
    /// use tensorbridge_core::graph::Graph;
    /// use tensorbridge_core::DType;
    ///
    /// let g = Graph::new();
    /// let x = g.placeholder(DType::I32, &[None, Some(3)]);
    /// assert!(x.is_symbolic());
    /// assert_eq!(x.static_shape(), [None, Some(3)]);
    /// assert!(x.to_vec::<i32>().is_err()); // no value before it runs
    /// ```
    pub fn placeholder(&self, dtype: DType, dims: &[Option<usize>]) -> Tensor {
        let spec = TensorSpec {
            dtype,
            dims: dims.to_vec(),
        };
        self.shared.add_node(Op::Placeholder, Vec::new(), spec)
    }

    /// A constant node holding the value of the eager tensor `value`
    /// (`tf.constant` inside a graph); the buffer is shared, not copied.
    /// A symbolic `value` already is a node and is returned as it is.
    ///
    /// ```
    /// use tensorbridge_core::graph::{Graph, Session};
    /// use tensorbridge_core::Tensor;
    ///
    /// let g = Graph::new();
    /// let c = g.constant(&Tensor::from([1, 2]));
    /// let out = Session::new(&g).run(&[&c.add(&c)?], &[])?;
    /// assert_eq!(out[0].view_typed::<i32>()?.as_slice().unwrap(), [2, 4]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn constant(&self, value: &Tensor) -> Tensor {
        if value.is_symbolic() {
            return value.clone();
        }
        let spec = TensorSpec::of(value);
        self.shared
            .add_node(Op::Constant(value.clone()), Vec::new(), spec)
    }

    /// The number of nodes.
    ///
    /// ```
    /// use tensorbridge_core::graph::Graph;
    /// use tensorbridge_core::DType;
    ///
    /// let g = Graph::new();
    /// let x = g.placeholder(DType::F32, &[Some(2)]);
    /// x.exp()?;
    /// assert_eq!(g.len(), 2);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.shared.lock().nodes.len()
    }

    /// Whether the graph has no node.
    ///
    /// ```
    /// use tensorbridge_core::graph::Graph;
    ///
    /// assert!(Graph::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `self` and `other` are handles of the same graph.
    ///
    /// ```
    /// use tensorbridge_core::graph::Graph;
    ///
    /// let g = Graph::new();
    /// assert!(g.clone().same_as(&g));
    /// assert!(!Graph::new().same_as(&g));
    /// ```
    pub fn same_as(&self, other: &Graph) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// A node's name and the node itself (for the session and display).
    pub(crate) fn snapshot(&self) -> Vec<Node> {
        self.shared.lock().nodes.clone()
    }
}

/// Whether any of `inputs` is symbolic: the check at the top of every
/// operation, which then records a node instead of computing.
#[inline]
pub(crate) fn any_symbolic(inputs: &[&Tensor]) -> bool {
    inputs.iter().any(|t| t.symbol().is_some())
}

/// A description of an input for errors: its node, or its shape and dtype.
fn describe(t: &Tensor) -> String {
    match t.symbol() {
        Some(s) => format!(
            "the symbolic tensor {} of graph #{}",
            s.label, s.graph.number
        ),
        None => format!(
            "an eager tensor of shape {} and dtype {}",
            t.shape(),
            t.dtype()
        ),
    }
}

/// Records `op` over `inputs` (at least one symbolic) as a node of their
/// graph and returns its symbolic tensor.
///
/// **Errors**: [`Error::InvalidArgument`] naming both tensors when an input
/// is eager or of another graph; the inference errors of the node, naming it.
pub(crate) fn record(op: Op, inputs: &[&Tensor]) -> Result<Tensor> {
    let name = op.name();
    let first = inputs
        .iter()
        .position(|t| t.symbol().is_some())
        .expect("record is only called with a symbolic input");
    let graph = &inputs[first].symbol().expect("checked").graph;
    let mut ids = Vec::with_capacity(inputs.len());
    for (i, t) in inputs.iter().enumerate() {
        match t.symbol() {
            Some(s) if Arc::ptr_eq(&s.graph, graph) => ids.push(s.id),
            Some(_) => {
                return Err(Error::invalid(
                    name,
                    format!(
                        "inputs[{first}] is {} but inputs[{i}] is {}: an operation takes the \
                         tensors of one graph",
                        describe(inputs[first]),
                        describe(t)
                    ),
                ));
            }
            None => {
                return Err(Error::invalid(
                    name,
                    format!(
                        "inputs[{first}] is {} but inputs[{i}] is {}: symbolic and eager tensors \
                         cannot be mixed; make the eager tensor a node with graph.constant(&t) \
                         (tensor.graph() gives the graph of a symbolic tensor)",
                        describe(inputs[first]),
                        describe(t)
                    ),
                ));
            }
        }
    }
    graph.add(op, ids)
}

impl Tensor {
    /// Whether this tensor is symbolic: a node of a [`Graph`] with no value
    /// until the graph runs (then converting it is [`Error::Symbolic`]).
    ///
    /// ```
    /// use tensorbridge_core::graph::Graph;
    /// use tensorbridge_core::{DType, Tensor};
    ///
    /// assert!(!Tensor::from([1, 2]).is_symbolic());
    /// assert!(Graph::new().placeholder(DType::F32, &[None]).is_symbolic());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn is_symbolic(&self) -> bool {
        self.symbol().is_some()
    }

    /// The dims as known when the graph is built (`None` where unknown
    /// until it runs); every dim of an eager tensor is known.
    ///
    /// For a symbolic tensor, [`Tensor::dims`] shows unknown dims as 0.
    ///
    /// ```
    /// use tensorbridge_core::graph::Graph;
    /// use tensorbridge_core::{DType, Tensor};
    ///
    /// let g = Graph::new();
    /// let x = g.placeholder(DType::F32, &[None, Some(3)]);
    /// assert_eq!(x.sum(&[1], false)?.static_shape(), [None]);
    /// assert_eq!(Tensor::from([1, 2]).static_shape(), [Some(2)]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn static_shape(&self) -> Vec<Option<usize>> {
        match self.symbol() {
            Some(s) => s.spec.dims.clone(),
            None => self.dims().iter().map(|&d| Some(d)).collect(),
        }
    }

    /// The graph of a symbolic tensor (`None` for an eager one), e.g. to
    /// add constants next to a traced function's arguments.
    ///
    /// ```
    /// use tensorbridge_core::graph::Graph;
    /// use tensorbridge_core::DType;
    ///
    /// let g = Graph::new();
    /// let x = g.placeholder(DType::F32, &[Some(2)]);
    /// assert!(x.graph().unwrap().same_as(&g));
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn graph(&self) -> Option<Graph> {
        self.symbol().map(|s| Graph {
            shared: Arc::clone(&s.graph),
        })
    }

    /// The name of the node of a symbolic tensor (`"add_1"`), `None` for an
    /// eager tensor.
    ///
    /// ```
    /// use tensorbridge_core::graph::Graph;
    /// use tensorbridge_core::DType;
    ///
    /// let g = Graph::new();
    /// let x = g.placeholder(DType::F32, &[Some(2)]);
    /// assert_eq!(x.node_name().as_deref(), Some("placeholder"));
    /// assert_eq!(x.exp()?.node_name().as_deref(), Some("exp"));
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn node_name(&self) -> Option<String> {
        let s = self.symbol()?;
        Some(s.graph.lock().nodes[s.id].name.clone())
    }
}

/// The dims of a spec, as `Display` of nodes shows them.
pub(crate) fn show_spec(spec: &TensorSpec) -> String {
    format!("{} {}", spec.dtype, Dims(&spec.dims))
}
