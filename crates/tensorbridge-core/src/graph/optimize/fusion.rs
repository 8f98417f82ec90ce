//! Fusion of chains of elementwise operations into one pass over memory.
//!
//! A group is a tree of elementwise nodes (`add`, `mul`, `exp`, `cast`,
//! `where_`, ... — see [`Op::is_fusible`]) in which every node but the
//! root is read only by the group. Eagerly, each node of a chain of four
//! writes a full-size tensor that the next one reads back: four passes over
//! memory. Fused, the output is split into blocks of [`BLOCK`] elements
//! (on all cores for large outputs, like the eager kernels of `zip.rs`);
//! for each block the chain runs on views of that block of its inputs, so
//! the intermediates of a block stay in the cache, and only the block of
//! the final result is written to memory.
//!
//! **Identical results.** Each op of a block runs the eager method itself
//! on the block's elements, so every element is computed by the same
//! element function, in the same dtype, with the same operands in the same
//! order as eagerly: results agree to the last bit for every dtype —
//! integers, floats (no reassociation, no fused multiply-add), and f16/bf16,
//! which are rounded after every op exactly as eager code rounds them.
//! Integer `div`, `rem` and `pow` (whose eager methods check operand values)
//! are not fused, so they fail exactly as eagerly.
//!
//! Inputs of one element are broadcast to every block; C-order inputs of
//! the output's shape are read in place; any other input (a broadcast row,
//! a transposed view) is first copied once into C order at the output's
//! shape, which still saves a pass whenever the chain has two ops or more.
//! A group runs unfused (op after op on whole tensors, as eagerly) when
//! its output is small (under [`FUSE_MIN`] elements, where per-block
//! overhead would dominate), and whenever the fused loop fails, so that
//! errors are reported exactly as eager code reports them.
//!
//! **Devices.** The fused loop above runs on the host. A group whose
//! inputs all live on one CUDA device (feature `cuda`) runs as ONE kernel
//! that NVRTC compiles from source generated for the group
//! (`cuda_fusion.rs`, `tensorbridge_cuda::FusedKernel`): each output
//! element reads its inputs once and computes the whole chain in registers,
//! at any size (no [`FUSE_MIN`]: one launch instead of one per op). It uses
//! the same per-element device code as eager device ops and rounds each
//! intermediate to its op's dtype, so it equals eager device code to the
//! last bit. Inputs on mixed devices run unfused (and fail as eagerly).

use std::sync::Mutex;

use super::{Ir, IrKind};
use crate::dtype::with_dtype;
use crate::element::Element;
use crate::graph::op::Op;
use crate::{DType, Error, Result, Tensor, alloc, copy};

/// Elements per block: the intermediates of a block (128 KiB each for
/// f32) stay in L2, and the fixed cost of an eager call is spread over
/// enough elements (measured on W10: 2048 and 8192 elements per block were
/// slower, 131072 no faster).
pub(crate) const BLOCK: usize = 32768;

/// Outputs smaller than this run unfused (per-block overhead would
/// dominate, and small outputs are cache-resident anyway).
pub(crate) const FUSE_MIN: usize = 32768;

/// Where an operand of a fused op comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operand {
    /// Input `k` of the group.
    Leaf(usize),
    /// The result of op `j` of the group.
    Op(usize),
}

/// A fused chain: its ops in order (the last is the root) over its leaves.
#[derive(Debug, Clone)]
pub(crate) struct Fused {
    pub(crate) ops: Vec<(Op, Vec<Operand>)>,
    pub(crate) dtype: DType,
}

/// A fusion group found in an [`Ir`]: the root node, the member nodes in
/// topological order, and the leaf nodes (outside the group) it reads.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub(crate) root: usize,
    pub(crate) leaves: Vec<usize>,
    pub(crate) fused: Fused,
}

fn fusible(ir: &Ir, i: usize) -> bool {
    let node = &ir.nodes[i];
    match &node.kind {
        IrKind::Op(op) => {
            let first = node.inputs.first().map(|&j| ir.nodes[j].spec.dtype);
            first.is_some_and(|d| op.is_fusible(d))
        }
        IrKind::Feed(_) => false,
    }
}

/// The fusion groups of the live nodes of `ir` (groups of at least two
/// ops); `absorbed[i]` is set for members other than the roots.
pub(crate) fn groups(ir: &Ir, live: &[bool]) -> (Vec<Group>, Vec<bool>) {
    let consumers = ir.consumers(live);
    let mut absorbed = vec![false; ir.nodes.len()];
    let mut out = Vec::new();
    for root in (0..ir.nodes.len()).rev() {
        if !live[root] || absorbed[root] || !fusible(ir, root) {
            continue;
        }
        // Members: the root and, recursively, fusible inputs read by this
        // group only (and not fetched).
        let mut members = vec![root];
        let mut stack = vec![root];
        while let Some(m) = stack.pop() {
            for &j in &ir.nodes[m].inputs {
                let only_here = consumers[j] == 1 && !ir.outputs.contains(&j);
                if only_here && fusible(ir, j) && !members.contains(&j) {
                    members.push(j);
                    stack.push(j);
                }
            }
        }
        if members.len() < 2 {
            continue;
        }
        members.sort_unstable();
        let mut leaves: Vec<usize> = Vec::new();
        let mut ops = Vec::with_capacity(members.len());
        for &m in &members {
            let node = &ir.nodes[m];
            let IrKind::Op(op) = &node.kind else {
                unreachable!("members are ops")
            };
            let operands = node
                .inputs
                .iter()
                .map(|&j| match members.iter().position(|&x| x == j) {
                    Some(p) => Operand::Op(p),
                    None => {
                        Operand::Leaf(leaves.iter().position(|&l| l == j).unwrap_or_else(|| {
                            leaves.push(j);
                            leaves.len() - 1
                        }))
                    }
                })
                .collect();
            ops.push((op.clone(), operands));
            if m != root {
                absorbed[m] = true;
            }
        }
        out.push(Group {
            root,
            leaves,
            fused: Fused {
                ops,
                dtype: ir.nodes[root].spec.dtype,
            },
        });
    }
    (out, absorbed)
}

impl Fused {
    /// The chain on `leaves` op after op, on whole tensors: exactly the
    /// eager computation (and its errors).
    pub(crate) fn run_unfused(&self, leaves: &[Tensor]) -> Result<Tensor> {
        let mut results: Vec<Tensor> = Vec::with_capacity(self.ops.len());
        for (op, operands) in &self.ops {
            let inputs: Vec<Tensor> = operands
                .iter()
                .map(|o| match *o {
                    Operand::Leaf(k) => leaves[k].clone(),
                    Operand::Op(j) => results[j].clone(),
                })
                .collect();
            results.push(op.execute(&inputs)?);
        }
        Ok(results.pop().expect("a group has ops"))
    }

    /// The chain on `leaves`, fused when it pays and the inputs allow it.
    pub(crate) fn run(&self, leaves: &[Tensor]) -> Result<Tensor> {
        // On a CUDA device: one generated kernel (any failure, such as an
        // integer division by zero, reruns the chain op by op so that the
        // error is eager code's own).
        #[cfg(feature = "cuda")]
        if let Ok(Some(out)) = super::cuda_fusion::run(self, leaves) {
            return Ok(out);
        }
        match self.fused_plan(leaves) {
            Some((dims, numel, parts)) => match self.run_blocks(&parts, numel) {
                Ok(out) => Ok(out.reshape(dims)?),
                // Report the error exactly as eager code would.
                Err(_) => self.run_unfused(leaves),
            },
            None => self.run_unfused(leaves),
        }
    }

    /// The output dims, element count and per-leaf block sources, when the
    /// fused loop applies.
    fn fused_plan(&self, leaves: &[Tensor]) -> Option<(Vec<usize>, usize, Vec<Part>)> {
        // Device inputs run unfused (see the module docs).
        if leaves.iter().any(|l| l.device() != crate::Device::Cpu) {
            return None;
        }
        let mut dims: Vec<usize> = Vec::new();
        for leaf in leaves {
            dims = crate::graph::infer::broadcast(
                "fusion",
                &dims.iter().map(|&d| Some(d)).collect::<Vec<_>>(),
                &leaf.dims().iter().map(|&d| Some(d)).collect::<Vec<_>>(),
            )
            .ok()?
            .into_iter()
            .collect::<Option<Vec<usize>>>()?;
        }
        let numel = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?;
        if numel < FUSE_MIN {
            return None;
        }
        let parts = leaves
            .iter()
            .map(|leaf| {
                if leaf.numel() == 1 {
                    leaf.reshape(Vec::<usize>::new()).ok().map(Part::Scalar)
                } else if leaf.dims() == dims.as_slice() && leaf.is_contiguous() {
                    leaf.reshape([numel]).ok().map(Part::Flat)
                } else {
                    // A broadcast row or a strided view: one C-order copy
                    // (the same values), then read flat like the others.
                    let full = leaf
                        .broadcast_to(dims.clone())
                        .ok()?
                        .contiguous_copy()
                        .ok()?;
                    full.reshape([numel]).ok().map(Part::Flat)
                }
            })
            .collect::<Option<Vec<Part>>>()?;
        Some((dims, numel, parts))
    }

    /// The fused loop: blocks of the flat output, on all cores when large.
    fn run_blocks(&self, parts: &[Part], numel: usize) -> Result<Tensor> {
        with_dtype!(self.dtype, T => self.run_blocks_typed::<T>(parts, numel))
    }

    fn run_blocks_typed<T: Element>(&self, parts: &[Part], numel: usize) -> Result<Tensor> {
        let mut out = alloc::zeroed_vec::<T>(numel)?;
        let failure: Mutex<Option<Error>> = Mutex::new(None);
        copy::par_huge_page_chunks(&mut out, |start, chunk| {
            let mut done = 0;
            while done < chunk.len() {
                let n = BLOCK.min(chunk.len() - done);
                let dst = &mut chunk[done..done + n];
                if let Err(e) = self.block(parts, start + done, dst) {
                    *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    return;
                }
                done += n;
            }
        });
        if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(e);
        }
        Ok(Tensor::from_cpu_storage(
            <T as crate::element::private::Sealed>::into_storage(out),
            crate::Shape::from([numel]),
        ))
    }

    /// Output elements `first..first + dst.len()` of the chain, into `dst`.
    fn block<T: Element>(&self, parts: &[Part], first: usize, dst: &mut [T]) -> Result<()> {
        let n = dst.len();
        let to_isize = |v: usize| {
            isize::try_from(v).map_err(|_| Error::invalid("fusion", "block bound overflows"))
        };
        let (lo, hi) = (to_isize(first)?, to_isize(first + n)?);
        let leaves: Vec<Tensor> = parts
            .iter()
            .map(|p| match p {
                Part::Scalar(t) => Ok(t.clone()),
                Part::Flat(t) => t.slice(std::iter::once(lo..hi)),
            })
            .collect::<Result<_>>()?;
        let result = self.run_unfused(&leaves)?;
        if result.dims() != [n] || !result.is_contiguous() {
            return Err(Error::invalid(
                "fusion",
                "block result has an unexpected layout",
            ));
        }
        let off = result.layout().offset();
        dst.copy_from_slice(&result.host_slice::<T>("fusion")?[off..off + n]);
        Ok(())
    }
}

/// Where a leaf's block comes from.
enum Part {
    /// A one-element leaf, broadcast to every block.
    Scalar(Tensor),
    /// A C-order leaf of the output's shape, viewed flat.
    Flat(Tensor),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::op::{BinaryOp, UnaryOp};

    fn chain() -> Fused {
        // exp(x * 0.5 + y) as f32
        Fused {
            ops: vec![
                (
                    Op::Binary(BinaryOp::Mul),
                    vec![Operand::Leaf(0), Operand::Leaf(1)],
                ),
                (
                    Op::Binary(BinaryOp::Add),
                    vec![Operand::Op(0), Operand::Leaf(2)],
                ),
                (Op::Unary(UnaryOp::Exp), vec![Operand::Op(1)]),
            ],
            dtype: DType::F32,
        }
    }

    #[test]
    fn fused_blocks_match_eager_bits() {
        let n = FUSE_MIN * 3 + 17;
        let x = Tensor::from_vec((0..n).map(|i| (i as f32).sin() * 3.0).collect(), [n]).unwrap();
        let y = Tensor::from_vec((0..n).map(|i| (i as f32 * 0.37).cos()).collect(), [n]).unwrap();
        let half = Tensor::scalar(0.5f32);
        let f = chain();
        let leaves = [x.clone(), half.clone(), y.clone()];
        assert!(f.fused_plan(&leaves).is_some());
        let got = f.run(&leaves).unwrap().to_vec::<f32>().unwrap();
        let want = x
            .mul(&half)
            .unwrap()
            .add(&y)
            .unwrap()
            .exp()
            .unwrap()
            .to_vec::<f32>()
            .unwrap();
        assert!(
            got.iter()
                .zip(&want)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
    }

    #[test]
    fn small_inputs_run_unfused_and_strided_ones_are_copied_flat() {
        let f = chain();
        let small = Tensor::from([1.0f32, 2.0]);
        let s = Tensor::scalar(0.5f32);
        assert!(
            f.fused_plan(&[small.clone(), s.clone(), small.clone()])
                .is_none()
        );
        // exp(x.T * 0.5 + row): x.T strided, row broadcast.
        let x = Tensor::arange(0.0f32, (256 * 512) as f32, 1.0).unwrap();
        let xt = x
            .mul_scalar(1e-4f32)
            .unwrap()
            .reshape([256, 512])
            .unwrap()
            .t()
            .unwrap();
        let row = Tensor::arange(0.0f32, 256.0, 1.0)
            .unwrap()
            .mul_scalar(-0.01f32)
            .unwrap();
        let leaves = [xt.clone(), s.clone(), row.clone()];
        assert!(f.fused_plan(&leaves).is_some());
        let got = f.run(&leaves).unwrap();
        let want = xt.mul(&s).unwrap().add(&row).unwrap().exp().unwrap();
        assert_eq!(got.dims(), [512, 256]);
        let (g, w) = (got.to_vec::<f32>().unwrap(), want.to_vec::<f32>().unwrap());
        assert!(g.iter().zip(&w).all(|(a, b)| a.to_bits() == b.to_bits()));
    }
}
