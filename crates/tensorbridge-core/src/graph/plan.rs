//! [`Plan`]: a graph compiled for one set of fetches and feeds — pruned,
//! optimized and lowered to a list of steps over value slots — built once
//! and run many times with no further analysis.

use super::infer::TensorSpec;
use super::node::{Node, NodeId};
use super::op::Op;
use super::optimize::fusion::{self, Fused};
use super::optimize::{self, Ir, IrKind, IrNode};
use std::sync::{Mutex, PoisonError};

use crate::{Device, Error, Result, Tensor};

/// One unit of work: compute slot `out` from the `inputs` slots.
#[derive(Debug)]
enum Work {
    Exec(Op),
    Fused(Fused),
}

#[derive(Debug)]
struct Step {
    work: Work,
    inputs: Vec<usize>,
    out: usize,
    /// Slots read for the last time by this step (freed after it).
    frees: Vec<usize>,
}

/// A compiled graph: slots `0..feeds` hold the feeds, then the constants,
/// then one slot per step.
#[derive(Debug)]
pub(crate) struct Plan {
    /// The graph nodes fed, in the order the run gives their values.
    pub(crate) feed_ids: Vec<NodeId>,
    /// The graph nodes fetched, in order.
    pub(crate) fetch_ids: Vec<NodeId>,
    constants: Vec<Tensor>,
    /// Constants moved to another device by [`Plan::place_constants`]
    /// (constant index, device, copy), kept for later runs: a constant
    /// crosses the bus once per device, not once per run.
    placed: Mutex<Vec<(usize, Device, Tensor)>>,
    steps: Vec<Step>,
    outputs: Vec<usize>,
    slots: usize,
}

impl Plan {
    /// Compiles the part of `nodes` that `fetch_ids` need, given values for
    /// `feed_ids`, optimizing when `optimize` is set.
    ///
    /// **Errors**: [`Error::InvalidArgument`] naming a placeholder that is
    /// needed but not fed.
    pub(crate) fn compile(
        nodes: &[Node],
        fetch_ids: &[NodeId],
        feed_ids: &[NodeId],
        optimize: bool,
        op: &'static str,
    ) -> Result<Plan> {
        // The nodes the fetches need, stopping at fed ones.
        let mut needed = vec![false; nodes.len()];
        let mut stack: Vec<NodeId> = fetch_ids.to_vec();
        while let Some(i) = stack.pop() {
            if needed[i] {
                continue;
            }
            needed[i] = true;
            if feed_ids.contains(&i) {
                continue;
            }
            if matches!(nodes[i].op, Op::Placeholder) {
                return Err(Error::invalid(
                    op,
                    format!(
                        "the placeholder {} ({}) is needed but not fed; pass its value in feeds, \
                         as (&placeholder, &value)",
                        nodes[i].name,
                        super::graph::show_spec(&nodes[i].spec)
                    ),
                ));
            }
            stack.extend_from_slice(&nodes[i].inputs);
        }
        let mut local = vec![usize::MAX; nodes.len()];
        let mut ir = Ir {
            nodes: Vec::new(),
            outputs: Vec::new(),
        };
        for (i, node) in nodes.iter().enumerate().filter(|(i, _)| needed[*i]) {
            local[i] = ir.nodes.len();
            let (kind, inputs) = match feed_ids.iter().position(|&f| f == i) {
                Some(k) => (IrKind::Feed(k), Vec::new()),
                None => (
                    IrKind::Op(node.op.clone()),
                    node.inputs.iter().map(|&j| local[j]).collect(),
                ),
            };
            ir.nodes.push(IrNode {
                kind,
                inputs,
                spec: node.spec.clone(),
            });
        }
        ir.outputs = fetch_ids.iter().map(|&f| local[f]).collect();
        let (live, groups, absorbed) = if optimize {
            let live = optimize::optimize(&mut ir);
            let (groups, absorbed) = fusion::groups(&ir, &live);
            (live, groups, absorbed)
        } else {
            (
                optimize::prune::live(&ir),
                Vec::new(),
                vec![false; ir.nodes.len()],
            )
        };
        Ok(lower(&ir, &live, groups, &absorbed, feed_ids, fetch_ids))
    }

    /// Runs the plan on `feeds` (one value per fed node, already checked).
    pub(crate) fn run(&self, feeds: &[Tensor]) -> Result<Vec<Tensor>> {
        let mut slots: Vec<Option<Tensor>> = Vec::with_capacity(self.slots);
        slots.extend(feeds.iter().cloned().map(Some));
        slots.extend(self.constants.iter().cloned().map(Some));
        slots.resize(self.slots, None);
        let constants = feeds.len()..feeds.len() + self.constants.len();
        let mut inputs: Vec<Tensor> = Vec::new();
        for step in &self.steps {
            self.place_constants(&mut slots, &step.inputs, &constants)?;
            inputs.clear();
            inputs.extend(
                step.inputs
                    .iter()
                    .map(|&s| slots[s].clone().expect("inputs are computed before use")),
            );
            let value = match &step.work {
                Work::Exec(op) => op.execute(&inputs)?,
                Work::Fused(f) => f.run(&inputs)?,
            };
            slots[step.out] = Some(value);
            for &s in &step.frees {
                slots[s] = None;
            }
        }
        Ok(self
            .outputs
            .iter()
            .map(|&s| slots[s].clone().expect("outputs are computed"))
            .collect())
    }

    /// The number of steps (nodes or fused groups) a run executes.
    pub(crate) fn step_count(&self) -> usize {
        self.steps.len()
    }

    /// The number of fused groups.
    pub(crate) fn fused_count(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| matches!(s.work, Work::Fused(_)))
            .count()
    }
}

impl Plan {
    /// Moves the graph constants among a step's inputs (`slots` in the
    /// range `constants`) to the device of its other inputs, as
    /// TensorFlow's placer puts a constant next to its consumer: a graph
    /// fed GPU tensors runs its `x * 2.0` on the GPU instead of refusing a
    /// CPU scalar. Fed and computed inputs never move (operands on two
    /// devices stay an error); an op whose inputs are all constants runs on
    /// the device of its first constant that is not on the CPU. The moved
    /// constant replaces the slot's value for the rest of this run, and is
    /// kept for the next runs.
    fn place_constants(
        &self,
        slots: &mut [Option<Tensor>],
        inputs: &[usize],
        constants: &std::ops::Range<usize>,
    ) -> Result<()> {
        let device_of = |s: usize, slots: &[Option<Tensor>]| {
            slots[s]
                .as_ref()
                .map(Tensor::device)
                .expect("inputs are computed before use")
        };
        // An op of constants only (unfolded, as with optimizations off)
        // runs where its first accelerator constant lives.
        let Some(target) = inputs
            .iter()
            .find(|&&s| !constants.contains(&s))
            .map(|&s| device_of(s, slots))
            .or_else(|| constants_device(inputs.iter().map(|&s| device_of(s, slots))))
        else {
            return Ok(());
        };
        for &s in inputs {
            if constants.contains(&s) && device_of(s, slots) != target {
                slots[s] = Some(self.constant_on(s - constants.start, target)?);
            }
        }
        Ok(())
    }

    /// Constant `k` on `device`: itself where it was made, else its copy
    /// there, made on first use.
    fn constant_on(&self, k: usize, device: Device) -> Result<Tensor> {
        let original = &self.constants[k];
        if original.device() == device {
            return Ok(original.clone());
        }
        let mut placed = self.placed.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, _, t)) = placed.iter().find(|(c, d, _)| *c == k && *d == device) {
            return Ok(t.clone());
        }
        let moved = original.to_device(device)?;
        placed.push((k, device, moved.clone()));
        Ok(moved)
    }

    /// How many constant copies the runs so far made on other devices.
    #[cfg(test)]
    pub(crate) fn placed_count(&self) -> usize {
        self.placed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// Where an op whose inputs are all constants runs (at plan time when it is
/// folded, at run time when it is not): on the first accelerator among
/// their `devices`, so that a GPU constant combined with a scalar made on
/// the host stays on the GPU; `None` when they are all on the CPU.
pub(crate) fn constants_device(devices: impl IntoIterator<Item = Device>) -> Option<Device> {
    devices.into_iter().find(|&d| d != Device::Cpu)
}

/// Lowers the live nodes of `ir` to steps over slots.
fn lower(
    ir: &Ir,
    live: &[bool],
    groups: Vec<fusion::Group>,
    absorbed: &[bool],
    feed_ids: &[NodeId],
    fetch_ids: &[NodeId],
) -> Plan {
    let feeds = feed_ids.len();
    let mut slot = vec![usize::MAX; ir.nodes.len()];
    let mut constants = Vec::new();
    for (i, node) in ir.nodes.iter().enumerate() {
        match &node.kind {
            IrKind::Feed(k) => slot[i] = *k,
            IrKind::Op(Op::Constant(t)) if live[i] => {
                slot[i] = feeds + constants.len();
                constants.push(t.clone());
            }
            _ => {}
        }
    }
    let mut next = feeds + constants.len();
    let mut group_of: Vec<Option<fusion::Group>> = vec![None; ir.nodes.len()];
    for g in groups {
        let root = g.root;
        group_of[root] = Some(g);
    }
    let mut steps = Vec::new();
    for (i, node) in ir.nodes.iter().enumerate() {
        if !live[i] || absorbed[i] || slot[i] != usize::MAX {
            continue;
        }
        slot[i] = next;
        next += 1;
        let (work, inputs) = match group_of[i].take() {
            Some(g) => (
                Work::Fused(g.fused),
                g.leaves.iter().map(|&l| slot[l]).collect(),
            ),
            None => {
                let IrKind::Op(op) = &node.kind else {
                    unreachable!("feeds have slots")
                };
                (
                    Work::Exec(op.clone()),
                    node.inputs.iter().map(|&j| slot[j]).collect(),
                )
            }
        };
        steps.push(Step {
            work,
            inputs,
            out: slot[i],
            frees: Vec::new(),
        });
    }
    let outputs: Vec<usize> = ir.outputs.iter().map(|&o| slot[o]).collect();
    // Free each computed slot after its last reader (never outputs, feeds
    // or constants, which the plan or the caller keeps).
    let first_step_slot = feeds + constants.len();
    let mut last_use = vec![None; next];
    for (k, step) in steps.iter().enumerate() {
        for &s in &step.inputs {
            last_use[s] = Some(k);
        }
    }
    for (s, last) in last_use.iter().enumerate() {
        if let Some(k) = *last
            && s >= first_step_slot
            && !outputs.contains(&s)
        {
            steps[k].frees.push(s);
        }
    }
    Plan {
        feed_ids: feed_ids.to_vec(),
        fetch_ids: fetch_ids.to_vec(),
        constants,
        placed: Mutex::new(Vec::new()),
        steps,
        outputs,
        slots: next,
    }
}

/// Checks that `value` may be fed for the node `name` of `spec`.
pub(crate) fn check_feed(
    op: &'static str,
    name: &str,
    spec: &TensorSpec,
    value: &Tensor,
) -> Result<()> {
    if let Some(s) = value.symbol() {
        return Err(Error::invalid(
            op,
            format!(
                "the value fed for {name} is the symbolic tensor {}; feed an eager tensor",
                s.label
            ),
        ));
    }
    if value.dtype() != spec.dtype {
        return Err(Error::invalid(
            op,
            format!(
                "the value fed for {name} has dtype {}, but {name} is {}; cast the value first \
                 (.cast(DType::{:?}))",
                value.dtype(),
                super::graph::show_spec(spec),
                spec.dtype
            ),
        ));
    }
    if !spec.admits(value.dims()) {
        return Err(Error::invalid(
            op,
            format!(
                "the value fed for {name} has shape {}, which does not fit {name}'s shape {}",
                value.shape(),
                super::infer::Dims(&spec.dims)
            ),
        ));
    }
    Ok(())
}
