//! [`Session`]: runs a [`Graph`] (TensorFlow 1.x's `tf.compat.v1.Session`).

use std::sync::{Arc, RwLock};

use super::graph::Graph;
use super::node::{NodeId, Symbol};
use super::plan::{Plan, check_feed};
use crate::dtype::with_dtype;
use crate::element::private::Sealed;
use crate::{DynArray, Error, Result, Tensor};

/// Runs the nodes of a [`Graph`]: `sess.run(fetches, feeds)` computes the
/// fetched tensors from the values fed for placeholders, like
/// `tf.compat.v1.Session.run`.
///
/// The first run for a given set of fetches and feeds compiles a plan — the
/// nodes needed, optimized (constant folding, common-subexpression
/// elimination, dead-node pruning, fusion of elementwise chains) — which
/// later runs reuse, so a run costs the ops themselves plus a lookup.
///
/// ```
/// use tensorbridge_core::graph::{Graph, Session};
/// use tensorbridge_core::{DType, Tensor};
///
/// let g = Graph::new();
/// let a = g.constant(&Tensor::from([[1, 2], [3, 4]]));
/// let b = g.constant(&Tensor::from([[5, 6], [7, 8]]));
/// let c = a.add(&b)?;
/// let sess = Session::new(&g);
/// let out = sess.run(&[&c], &[])?; // already arrays, as sess.run gives
/// assert_eq!(out[0].view_typed::<i32>()?, ndarray::arr2(&[[6, 8], [10, 12]]).into_dyn());
///
/// let x = g.placeholder(DType::I32, &[None]);
/// let y = x.mul_scalar(10)?;
/// let out = y.eval(&sess, &[(&x, &Tensor::from([1, 2, 3]))])?;
/// assert_eq!(out.to_vec::<i32>()?, [10, 20, 30]);
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub struct Session {
    graph: Graph,
    optimize: bool,
    plans: RwLock<Vec<Arc<Plan>>>,
}

const RUN: &str = "Session::run";

impl Session {
    /// A session on `g` (which may keep growing: later nodes can be run too).
    ///
    /// ```
    /// use tensorbridge_core::graph::{Graph, Session};
    /// use tensorbridge_core::Tensor;
    ///
    /// let g = Graph::new();
    /// let sess = Session::new(&g);
    /// let later = g.constant(&Tensor::from([3u8])); // added after the session
    /// assert_eq!(sess.run(&[&later], &[])?[0].view_typed::<u8>()?[[0]], 3);
    /// assert!(sess.graph().same_as(&g));
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn new(g: &Graph) -> Session {
        Session {
            graph: g.clone(),
            optimize: true,
            plans: RwLock::new(Vec::new()),
        }
    }

    /// The same session with the graph optimizations on (the default) or
    /// off: without them every needed node runs as written, one eager
    /// method after another. Results are the same either way.
    ///
    /// ```
    /// use tensorbridge_core::graph::{Graph, Session};
    /// use tensorbridge_core::Tensor;
    ///
    /// let g = Graph::new();
    /// let c = g.constant(&Tensor::from([1.5f32])).exp()?;
    /// let on = Session::new(&g).run(&[&c], &[])?;
    /// let off = Session::new(&g).with_optimizations(false).run(&[&c], &[])?;
    /// assert_eq!(on, off);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn with_optimizations(mut self, on: bool) -> Session {
        self.optimize = on;
        self.plans = RwLock::new(Vec::new());
        self
    }

    /// The graph this session runs (see [`Session::new`]).
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Computes `fetches` given `feeds` (pairs of a placeholder — or any
    /// node — and its eager value) and returns them as arrays, like
    /// `sess.run`.
    ///
    /// **Errors**: [`Error::InvalidArgument`] naming the tensor when a fetch
    /// or a fed node is eager or belongs to another graph, when a needed
    /// placeholder is not fed, or when a fed value has another dtype than
    /// its placeholder or a shape that does not fit it; and any error of
    /// the operations themselves (e.g. an index out of bounds), as eager
    /// code reports it.
    ///
    /// ```
    /// use tensorbridge_core::graph::{Graph, Session};
    /// use tensorbridge_core::{DType, Tensor};
    ///
    /// let g = Graph::new();
    /// let x = g.placeholder(DType::F32, &[None, Some(2)]);
    /// let y = x.sum(&[1], false)?;
    /// let sess = Session::new(&g);
    /// let out = sess.run(&[&y], &[(&x, &Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]))])?;
    /// assert_eq!(out[0].view_typed::<f32>()?.as_slice().unwrap(), [3.0, 7.0]);
    /// assert!(sess.run(&[&y], &[]).is_err()); // x is not fed
    /// assert!(sess.run(&[&y], &[(&x, &Tensor::from([1.0f32, 2.0]))]).is_err()); // rank 1
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn run(&self, fetches: &[&Tensor], feeds: &[(&Tensor, &Tensor)]) -> Result<Vec<DynArray>> {
        self.run_tensors(fetches, feeds)?
            .into_iter()
            .map(|t| with_dtype!(t.dtype(), T => Ok(T::into_dyn(t.into_array::<T>()?))))
            .collect()
    }

    /// [`Session::run`] returning eager tensors (which may stay on a device
    /// and convert later) instead of arrays.
    ///
    /// **Errors**: as [`Session::run`].
    ///
    /// ```
    /// use tensorbridge_core::graph::{Graph, Session};
    /// use tensorbridge_core::Tensor;
    ///
    /// let g = Graph::new();
    /// let c = g.constant(&Tensor::from([1u8, 2])).add_scalar(1u8)?;
    /// let out = Session::new(&g).run_tensors(&[&c], &[])?;
    /// assert!(!out[0].is_symbolic());
    /// assert_eq!(out[0].to_vec::<u8>()?, [2, 3]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn run_tensors(
        &self,
        fetches: &[&Tensor],
        feeds: &[(&Tensor, &Tensor)],
    ) -> Result<Vec<Tensor>> {
        for (i, f) in fetches.iter().enumerate() {
            self.own(f, || format!("fetches[{i}]"))?;
        }
        for (i, (node, value)) in feeds.iter().enumerate() {
            let s = self.own(node, || format!("feeds[{i}].0"))?;
            check_feed(RUN, &s.label, &s.spec, value)?;
        }
        let plan = self.plan(fetches, feeds)?;
        let values: Vec<Tensor> = feeds.iter().map(|(_, v)| (*v).clone()).collect();
        plan.run(&values)
    }

    /// The node of `t`, if it is a node of this session's graph.
    fn own<'t>(&self, t: &'t Tensor, what: impl Fn() -> String) -> Result<&'t Symbol> {
        match t.symbol() {
            Some(s) if Arc::ptr_eq(&s.graph, &self.graph.shared) => Ok(s),
            Some(s) => Err(Error::invalid(
                RUN,
                format!(
                    "{} is the tensor {} of graph #{}, but this session runs graph #{}; fetch and \
                     feed the tensors of the session's graph",
                    what(),
                    s.label,
                    s.graph.number,
                    self.graph.shared.number
                ),
            )),
            None => Err(Error::invalid(
                RUN,
                format!(
                    "{} is an eager tensor of shape {} and dtype {}; it already has its value \
                     (a session fetches and feeds the symbolic tensors of its graph)",
                    what(),
                    t.shape(),
                    t.dtype()
                ),
            )),
        }
    }

    /// The compiled plan for these fetches and feeds (compiled on first use).
    fn plan(&self, fetches: &[&Tensor], feeds: &[(&Tensor, &Tensor)]) -> Result<Arc<Plan>> {
        let id = |t: &Tensor| t.symbol().map_or(usize::MAX, |s| s.id);
        let matches = |p: &Plan| {
            p.fetch_ids.len() == fetches.len()
                && p.feed_ids.len() == feeds.len()
                && p.fetch_ids.iter().zip(fetches).all(|(&a, t)| a == id(t))
                && p.feed_ids.iter().zip(feeds).all(|(&a, (t, _))| a == id(t))
        };
        {
            let plans = self.plans.read().unwrap_or_else(|e| e.into_inner());
            if let Some(p) = plans.iter().find(|p| matches(p)) {
                return Ok(Arc::clone(p));
            }
        }
        let fetch_ids: Vec<NodeId> = fetches.iter().map(|t| id(t)).collect();
        let feed_ids: Vec<NodeId> = feeds.iter().map(|(t, _)| id(t)).collect();
        let nodes = self.graph.snapshot();
        let plan = Arc::new(Plan::compile(
            &nodes,
            &fetch_ids,
            &feed_ids,
            self.optimize,
            RUN,
        )?);
        self.plans
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::clone(&plan));
        Ok(plan)
    }

    /// How many steps the plan for `fetches` (with `feeds`) runs, and how
    /// many of them are fused elementwise chains: what the optimizations
    /// made of the graph.
    ///
    /// **Errors**: as [`Session::run`], without running anything.
    ///
    /// ```
    /// use tensorbridge_core::graph::{Graph, Session};
    /// use tensorbridge_core::{DType, Tensor};
    ///
    /// let g = Graph::new();
    /// let x = g.placeholder(DType::F32, &[None]);
    /// let y = x.mul(&x)?.add_scalar(1.0f32)?.exp()?;
    /// let value = Tensor::from([1.0f32]);
    /// assert_eq!(Session::new(&g).plan_summary(&[&y], &[(&x, &value)])?, (1, 1));
    /// let off = Session::new(&g).with_optimizations(false);
    /// assert_eq!(off.plan_summary(&[&y], &[(&x, &value)])?, (3, 0));
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn plan_summary(
        &self,
        fetches: &[&Tensor],
        feeds: &[(&Tensor, &Tensor)],
    ) -> Result<(usize, usize)> {
        for (i, f) in fetches.iter().enumerate() {
            self.own(f, || format!("fetches[{i}]"))?;
        }
        for (i, (node, _)) in feeds.iter().enumerate() {
            self.own(node, || format!("feeds[{i}].0"))?;
        }
        let plan = self.plan(fetches, feeds)?;
        Ok((plan.step_count(), plan.fused_count()))
    }
}

impl Tensor {
    /// The value of this symbolic tensor, computed by `sess` from `feeds`
    /// (`t.eval(session=sess, feed_dict=...)`): `sess.run_tensors(&[self],
    /// feeds)` for one tensor.
    ///
    /// **Errors**: as [`Session::run`].
    ///
    /// ```
    /// use tensorbridge_core::graph::{Graph, Session};
    /// use tensorbridge_core::Tensor;
    ///
    /// let g = Graph::new();
    /// let t = g.constant(&Tensor::from([1.0f64, 4.0])).sqrt()?;
    /// assert_eq!(t.eval(&Session::new(&g), &[])?.to_vec::<f64>()?, [1.0, 2.0]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn eval(&self, sess: &Session, feeds: &[(&Tensor, &Tensor)]) -> Result<Tensor> {
        Ok(sess
            .run_tensors(&[self], feeds)?
            .pop()
            .expect("one fetch gives one value"))
    }
}

#[cfg(all(test, feature = "cuda"))]
mod tests {
    use super::*;
    use crate::{DType, Device};

    /// A host constant consumed with a GPU feed is moved once, then the
    /// same device copy serves every later run.
    #[test]
    fn host_constants_cross_to_the_device_once() {
        let gpu = Device::Cuda(0);
        if !gpu.is_available() {
            let expected = std::env::var("TENSORBRIDGE_EXPECT_CUDA").is_ok_and(|v| v.trim() == "1");
            assert!(
                !expected,
                "TENSORBRIDGE_EXPECT_CUDA=1 but cuda:0 is not available"
            );
            println!("SKIPPED: cuda:0 not available");
            return;
        }
        let g = crate::graph::Graph::new();
        let x = g.placeholder(DType::F32, &[None]);
        let y = x.mul(&g.constant(&Tensor::from([2.0f32, 3.0]))).unwrap();
        let feed = Tensor::from([1.0f32, -1.0]).to_device(gpu).unwrap();
        let session = Session::new(&g);
        for _ in 0..3 {
            let out = session.run_tensors(&[&y], &[(&x, &feed)]).unwrap();
            assert_eq!(out[0].device(), gpu);
            assert_eq!(out[0].to_vec::<f32>().unwrap(), [2.0, -3.0]);
        }
        let plan = session.plan(&[&y], &[(&x, &feed)]).unwrap();
        assert_eq!(plan.placed_count(), 1);
        // A host feed uses the constant where it was made: no new copy.
        let host = Tensor::from([1.0f32, 1.0]);
        let out = session.run_tensors(&[&y], &[(&x, &host)]).unwrap();
        assert_eq!(out[0].device(), Device::Cpu);
        assert_eq!(out[0].to_vec::<f32>().unwrap(), [2.0, 3.0]);
        assert_eq!(plan.placed_count(), 1);
    }
}
