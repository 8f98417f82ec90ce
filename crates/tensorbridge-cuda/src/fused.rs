//! Fused elementwise kernels: a chain of elementwise ops (a
//! [`FusedKernel`], a small expression IR over typed inputs) compiled by
//! NVRTC into ONE kernel that reads each input element once, computes the
//! whole chain in registers and writes only the final result — one pass
//! over memory instead of one per op.
//!
//! The generated source calls the same per-element `__device__` functions
//! as the one-op kernels (`kernels/elementwise_ops.cuh`), and keeps every
//! intermediate in its op's output type (f16/bf16 rounded to nearest even
//! after each op, integers wrapped, bools 0/1), so a fused chain computes
//! exactly what the same ops launched one after another compute: the same
//! bits for every dtype (NaN payloads aside), since both are compiled with
//! `--fmad=false` from the same code.
//!
//! Modules are compiled on first use per device architecture and cached in
//! memory and on disk like the kernel files (key: the generated source's
//! hash, the arch and the NVRTC version).
#![expect(
    unsafe_code,
    reason = "a fused kernel's launch is an unsafe fn of cudarc"
)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};

use cudarc::driver::{CudaFunction, PushKernelArg as _};
use cudarc::nvrtc::Ptx;

use crate::error::DriverContext;
use crate::kernels::{ELEMENTWISE_OPS, PRELUDE, arch_for, fnv1a, ptx_for_source};
use crate::launch::{check_out, grid, same_device};
use crate::layout::pack;
use crate::{
    BinaryOp, CudaDevice, CudaError, DeviceBuffer, ElemType, Result, StridedLayout, UnaryOp,
};

/// The most inputs a fused kernel may read (each is a pointer and a
/// by-value layout among the kernel's parameters, which CUDA caps at 4 KiB).
pub const MAX_FUSED_INPUTS: usize = 16;

/// The most ops a fused kernel may chain.
pub const MAX_FUSED_STEPS: usize = 256;

/// One elementwise op of a fused chain.
///
/// ```
/// use tensorbridge_cuda::{BinaryOp, ElemType, FusedOp};
///
/// let op = FusedOp::Binary(BinaryOp::Add);
/// assert_eq!(op.arity(), 2);
/// assert_eq!(FusedOp::Cast(ElemType::F16).arity(), 1);
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FusedOp {
    /// `a op b` (both operands of one type), as [`CudaDevice::binary`].
    Binary(BinaryOp),
    /// `op(a)`, as [`CudaDevice::unary`].
    Unary(UnaryOp),
    /// `a` cast to the type, as [`CudaDevice::cast`].
    Cast(ElemType),
    /// `cond ? a : b` (operands `[cond (Bool), a, b]`, `a` and `b` of one
    /// type), as [`CudaDevice::where_select`].
    Where,
}

impl FusedOp {
    /// How many operands the op takes.
    ///
    /// ```
    /// use tensorbridge_cuda::FusedOp;
    ///
    /// assert_eq!(FusedOp::Where.arity(), 3);
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn arity(self) -> usize {
        match self {
            FusedOp::Binary(_) => 2,
            FusedOp::Unary(_) | FusedOp::Cast(_) => 1,
            FusedOp::Where => 3,
        }
    }
}

/// Where an operand of a fused op comes from.
///
/// ```
/// use tensorbridge_cuda::FusedOperand;
///
/// let first_input = FusedOperand::Input(0);
/// assert_ne!(first_input, FusedOperand::Step(0));
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FusedOperand {
    /// Input `k` of the kernel.
    Input(usize),
    /// The result of an earlier step `j`.
    Step(usize),
}

/// One step of a fused chain: an op and its operands.
///
/// ```
/// use tensorbridge_cuda::{FusedOp, FusedOperand, FusedStep, UnaryOp};
///
/// let s = FusedStep::new(FusedOp::Unary(UnaryOp::Exp), &[FusedOperand::Input(0)]);
/// assert_eq!(s.operands, [FusedOperand::Input(0)]);
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FusedStep {
    /// The op.
    pub op: FusedOp,
    /// Its operands, as many as [`FusedOp::arity`].
    pub operands: Vec<FusedOperand>,
}

impl FusedStep {
    /// A step of `op` on `operands`.
    ///
    /// ```
    /// use tensorbridge_cuda::{BinaryOp, FusedOp, FusedOperand, FusedStep};
    ///
    /// let s = FusedStep::new(
    ///     FusedOp::Binary(BinaryOp::Mul),
    ///     &[FusedOperand::Input(0), FusedOperand::Input(1)],
    /// );
    /// assert_eq!(s.op, FusedOp::Binary(BinaryOp::Mul));
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn new(op: FusedOp, operands: &[FusedOperand]) -> Self {
        FusedStep {
            op,
            operands: operands.to_vec(),
        }
    }
}

/// A validated chain of elementwise ops over typed inputs, and the CUDA
/// source of the one kernel that computes it. The last step is the output.
///
/// It knows nothing of layouts: [`CudaDevice::fused`] passes each input
/// with a strided (possibly broadcast, stride 0) layout of the output's
/// dims.
///
/// ```
/// use tensorbridge_cuda::{BinaryOp, ElemType, FusedKernel, FusedOp, FusedOperand, FusedStep, UnaryOp};
///
/// // exp(x * y) < 2.0 for f16 x and y, then as u8.
/// let k = FusedKernel::new(
///     &[ElemType::F16, ElemType::F16, ElemType::F16],
///     vec![
///         FusedStep::new(FusedOp::Binary(BinaryOp::Mul), &[FusedOperand::Input(0), FusedOperand::Input(1)]),
///         FusedStep::new(FusedOp::Unary(UnaryOp::Exp), &[FusedOperand::Step(0)]),
///         FusedStep::new(FusedOp::Binary(BinaryOp::Lt), &[FusedOperand::Step(1), FusedOperand::Input(2)]),
///         FusedStep::new(FusedOp::Cast(ElemType::U8), &[FusedOperand::Step(2)]),
///     ],
/// )?;
/// assert_eq!(k.output(), ElemType::U8);
/// assert_eq!(k.step_types(), [ElemType::F16, ElemType::F16, ElemType::Bool, ElemType::U8]);
/// assert!(k.source().contains(&format!("void {}(", k.entry())));
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FusedKernel {
    inputs: Vec<ElemType>,
    steps: Vec<FusedStep>,
    types: Vec<ElemType>,
    entry: String,
    source: String,
}

impl FusedKernel {
    /// Validates the chain and generates its kernel.
    ///
    /// **Errors**: [`CudaError::InvalidArgument`] when there are no steps,
    /// more than [`MAX_FUSED_INPUTS`] inputs or [`MAX_FUSED_STEPS`] steps,
    /// a step has the wrong number of operands, or an operand names an
    /// input past the last or a step that is not earlier;
    /// [`CudaError::Unsupported`] when an op is not defined for its
    /// operand types (as [`BinaryOp::output`] and [`UnaryOp::output`]
    /// say), a binary op's operands differ in type, or `where`'s condition
    /// is not Bool or its branches differ in type.
    ///
    /// ```
    /// use tensorbridge_cuda::{BinaryOp, ElemType, FusedKernel, FusedOp, FusedOperand, FusedStep};
    ///
    /// let add = FusedStep::new(FusedOp::Binary(BinaryOp::Add), &[FusedOperand::Input(0), FusedOperand::Input(1)]);
    /// assert!(FusedKernel::new(&[ElemType::F32, ElemType::I32], vec![add]).is_err());
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn new(inputs: &[ElemType], steps: Vec<FusedStep>) -> Result<Self> {
        let invalid = |m: String| Err(CudaError::InvalidArgument(format!("fused kernel: {m}")));
        if steps.is_empty() {
            return invalid("the chain has no steps; it needs at least one op".into());
        }
        if inputs.len() > MAX_FUSED_INPUTS {
            return invalid(format!(
                "{} inputs, but a fused kernel reads at most {MAX_FUSED_INPUTS}",
                inputs.len()
            ));
        }
        if steps.len() > MAX_FUSED_STEPS {
            return invalid(format!(
                "{} steps, but a fused kernel chains at most {MAX_FUSED_STEPS}",
                steps.len()
            ));
        }
        let mut types: Vec<ElemType> = Vec::with_capacity(steps.len());
        for (j, step) in steps.iter().enumerate() {
            if step.operands.len() != step.op.arity() {
                return invalid(format!(
                    "step {j} ({:?}) has {} operands but takes {}",
                    step.op,
                    step.operands.len(),
                    step.op.arity()
                ));
            }
            let mut ts = Vec::with_capacity(step.operands.len());
            for o in &step.operands {
                ts.push(match *o {
                    FusedOperand::Input(k) if k < inputs.len() => inputs[k],
                    FusedOperand::Input(k) => {
                        return invalid(format!(
                            "step {j} reads input {k}, but there are {} inputs",
                            inputs.len()
                        ));
                    }
                    FusedOperand::Step(s) if s < j => types[s],
                    FusedOperand::Step(s) => {
                        return invalid(format!(
                            "step {j} reads step {s}, which is not an earlier step"
                        ));
                    }
                });
            }
            let unsupported =
                |m: String| Err(CudaError::Unsupported(format!("fused step {j}: {m}")));
            let out = match step.op {
                FusedOp::Binary(op) => {
                    if ts[0] != ts[1] {
                        return unsupported(format!(
                            "{op:?} of {} and {}: the operands must have one type",
                            ts[0], ts[1]
                        ));
                    }
                    op.output(ts[0])?
                }
                FusedOp::Unary(op) => op.output(ts[0])?,
                FusedOp::Cast(to) => to,
                FusedOp::Where => {
                    if ts[0] != ElemType::Bool {
                        return unsupported(format!("where's condition is {}, not bool", ts[0]));
                    }
                    if ts[1] != ts[2] {
                        return unsupported(format!(
                            "where's branches are {} and {}: they must have one type",
                            ts[1], ts[2]
                        ));
                    }
                    ts[1]
                }
            };
            types.push(out);
        }
        let body = generate_body(inputs, &steps, &types);
        let entry = format!("fused_{:016x}", fnv1a(&[body.as_bytes()]));
        let source = generate(
            &entry,
            inputs.len(),
            &body,
            types.len() - 1,
            types[types.len() - 1],
        );
        Ok(FusedKernel {
            inputs: inputs.to_vec(),
            steps,
            types,
            entry,
            source,
        })
    }

    /// The element types of the inputs.
    ///
    /// ```
    /// use tensorbridge_cuda::{ElemType, FusedKernel, FusedOp, FusedOperand, FusedStep, UnaryOp};
    ///
    /// let k = FusedKernel::new(&[ElemType::I8], vec![FusedStep::new(FusedOp::Unary(UnaryOp::Neg), &[FusedOperand::Input(0)])])?;
    /// assert_eq!(k.inputs(), [ElemType::I8]);
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn inputs(&self) -> &[ElemType] {
        &self.inputs
    }

    /// The steps, in order.
    ///
    /// ```
    /// use tensorbridge_cuda::{ElemType, FusedKernel, FusedOp, FusedOperand, FusedStep, UnaryOp};
    ///
    /// let k = FusedKernel::new(&[ElemType::I8], vec![FusedStep::new(FusedOp::Unary(UnaryOp::Neg), &[FusedOperand::Input(0)])])?;
    /// assert_eq!(k.steps().len(), 1);
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn steps(&self) -> &[FusedStep] {
        &self.steps
    }

    /// The element type of each step's result.
    ///
    /// ```
    /// use tensorbridge_cuda::{ElemType, FusedKernel, FusedOp, FusedOperand, FusedStep, UnaryOp};
    ///
    /// let k = FusedKernel::new(&[ElemType::C64], vec![FusedStep::new(FusedOp::Unary(UnaryOp::Abs), &[FusedOperand::Input(0)])])?;
    /// assert_eq!(k.step_types(), [ElemType::F32]);
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn step_types(&self) -> &[ElemType] {
        &self.types
    }

    /// The element type of the output (the last step's).
    ///
    /// ```
    /// use tensorbridge_cuda::{ElemType, FusedKernel, FusedOp, FusedOperand, FusedStep};
    ///
    /// let k = FusedKernel::new(&[ElemType::F64], vec![FusedStep::new(FusedOp::Cast(ElemType::BF16), &[FusedOperand::Input(0)])])?;
    /// assert_eq!(k.output(), ElemType::BF16);
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn output(&self) -> ElemType {
        self.types[self.types.len() - 1]
    }

    /// The kernel's entry name: `fused_` and a hash of the chain.
    ///
    /// ```
    /// use tensorbridge_cuda::{ElemType, FusedKernel, FusedOp, FusedOperand, FusedStep};
    ///
    /// let k = FusedKernel::new(&[ElemType::F64], vec![FusedStep::new(FusedOp::Cast(ElemType::F32), &[FusedOperand::Input(0)])])?;
    /// assert!(k.entry().starts_with("fused_"));
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn entry(&self) -> &str {
        &self.entry
    }

    /// The generated kernel alone (without the prelude and the per-element
    /// functions it calls): `extern "C" __global__ void <entry>(Meta m0,
    /// const void* p0, ..., void* out, u64 n, u64* err)`, a grid-stride
    /// loop with 64-bit indices over the `n` C-order output elements.
    ///
    /// ```
    /// use tensorbridge_cuda::{ElemType, FusedKernel, FusedOp, FusedOperand, FusedStep, UnaryOp};
    ///
    /// let k = FusedKernel::new(&[ElemType::F32], vec![FusedStep::new(FusedOp::Unary(UnaryOp::Sqrt), &[FusedOperand::Input(0)])])?;
    /// assert!(k.source().contains("unary_elem<f32>(5u, v0)"));
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The complete source NVRTC compiles: the prelude, the per-element
    /// functions, then [`FusedKernel::source`].
    ///
    /// ```
    /// use tensorbridge_cuda::{ElemType, FusedKernel, FusedOp, FusedOperand, FusedStep, UnaryOp};
    ///
    /// let k = FusedKernel::new(&[ElemType::F32], vec![FusedStep::new(FusedOp::Unary(UnaryOp::Sqrt), &[FusedOperand::Input(0)])])?;
    /// assert!(k.full_source().ends_with(k.source()));
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn full_source(&self) -> String {
        format!(
            "{PRELUDE}\n#line 1 \"elementwise_ops.cuh\"\n{ELEMENTWISE_OPS}\n#line 1 \"{}.cu\"\n{}",
            self.entry, self.source
        )
    }

    /// Whether a step may report an error through the flag (integer
    /// `div`, `rem`, `pow`).
    fn checks_values(&self) -> bool {
        self.steps.iter().any(|s| match s.op {
            FusedOp::Binary(op) => {
                matches!(op, BinaryOp::Div | BinaryOp::Rem | BinaryOp::Pow)
                    && s.operands
                        .first()
                        .is_some_and(|&o| self.operand_type(o).is_int())
            }
            _ => false,
        })
    }

    fn operand_type(&self, o: FusedOperand) -> ElemType {
        match o {
            FusedOperand::Input(k) => self.inputs[k],
            FusedOperand::Step(j) => self.types[j],
        }
    }
}

/// The C++ type of an element type (prelude.cuh's names: the kernel
/// suffixes, but `b8` for bool).
fn cty(e: ElemType) -> &'static str {
    match e {
        ElemType::Bool => "b8",
        other => other.suffix(),
    }
}

/// The loop body: one line per input load and per step.
fn generate_body(inputs: &[ElemType], steps: &[FusedStep], types: &[ElemType]) -> String {
    let name = |o: &FusedOperand| match *o {
        FusedOperand::Input(k) => format!("v{k}"),
        FusedOperand::Step(j) => format!("t{j}"),
    };
    let ty = |o: &FusedOperand| match *o {
        FusedOperand::Input(k) => inputs[k],
        FusedOperand::Step(j) => types[j],
    };
    let mut b = String::new();
    for (k, &e) in inputs.iter().enumerate() {
        let t = cty(e);
        let _ = writeln!(
            b,
            "        const {t} v{k} = ((const {t}*)p{k})[elem_offset(m{k}, i)];"
        );
    }
    for (j, step) in steps.iter().enumerate() {
        let out = cty(types[j]);
        let a: Vec<String> = step.operands.iter().map(name).collect();
        let in_ty = cty(ty(&step.operands[0]));
        let expr = match step.op {
            FusedOp::Binary(op) if op.is_comparison() => {
                format!(
                    "binary_compare<{in_ty}>({}u, {}, {})",
                    op.code(),
                    a[0],
                    a[1]
                )
            }
            FusedOp::Binary(op) => format!(
                "binary_arith<{in_ty}>({}u, {}, {}, i, err)",
                op.code(),
                a[0],
                a[1]
            ),
            FusedOp::Unary(UnaryOp::Abs) if ty(&step.operands[0]).is_complex() => {
                format!("complex_abs<{in_ty}>({})", a[0])
            }
            FusedOp::Unary(op) => format!("unary_elem<{in_ty}>({}u, {})", op.code(), a[0]),
            FusedOp::Cast(to) => format!("cast_elem<{in_ty}, {}>({})", cty(to), a[0]),
            FusedOp::Where => format!(
                "where_elem<{}>({}, {}, {})",
                cty(ty(&step.operands[1])),
                a[0],
                a[1],
                a[2]
            ),
        };
        let _ = writeln!(b, "        const {out} t{j} = {expr};");
    }
    b
}

/// The kernel: parameters, the grid-stride loop around `body`, the store
/// of step `last`. (A valid chain has at least one input: its first step
/// can only read inputs.)
fn generate(entry: &str, inputs: usize, body: &str, last: usize, out: ElemType) -> String {
    let mut params = String::new();
    for k in 0..inputs {
        let _ = write!(params, "Meta m{k}, const void* p{k}, ");
    }
    format!(
        "// A fused elementwise chain generated by tensorbridge-cuda (src/fused.rs).\n\
         extern \"C\" __global__ void {entry}({params}void* out, u64 n, u64* err) {{\n\
         \x20   GRID_LOOP(i, n) {{\n{body}        (({o}*)out)[i] = t{last};\n    }}\n}}\n",
        o = cty(out)
    )
}

/// The loaded fused kernels, by (device ordinal, entry).
fn loaded() -> &'static Mutex<HashMap<(usize, String), CudaFunction>> {
    static LOADED: OnceLock<Mutex<HashMap<(usize, String), CudaFunction>>> = OnceLock::new();
    LOADED.get_or_init(Default::default)
}

/// The PTX of `kernel` for `arch`, through the memory and disk caches.
pub(crate) fn ptx(kernel: &FusedKernel, arch: &'static str) -> Result<std::sync::Arc<String>> {
    ptx_for_source(&format!("{}.cu", kernel.entry), &kernel.full_source(), arch)
}

impl CudaDevice {
    /// Runs `kernel` over `n` output elements: `inputs[k]` is input `k`'s
    /// buffer and its strided layout over the output's dims (broadcast
    /// with stride 0 by the caller); `out` receives the `n` C-order
    /// elements of [`FusedKernel::output`]. One launch (compiled by NVRTC
    /// on first use for this device's arch, then cached); `n == 0` never
    /// launches.
    ///
    /// **Errors**: [`CudaError::InvalidArgument`] when the number of
    /// inputs differs from the kernel's, the layouts have different dims,
    /// a layout does not fit its buffer or `out` is too small, and, found
    /// on the device, an integer division by zero or negative integer power
    /// in a step; [`CudaError::Unsupported`] for bf16 below sm_80;
    /// [`CudaError::KernelCompile`] if NVRTC refuses the source.
    ///
    /// ```
    /// use tensorbridge_cuda::{BinaryOp, CudaDevice, ElemType, FusedKernel, FusedOp, FusedOperand, FusedStep, StridedLayout, UnaryOp};
    ///
    /// // relu(a - b) for i32, b broadcast along the rows.
    /// let k = FusedKernel::new(
    ///     &[ElemType::I32, ElemType::I32],
    ///     vec![
    ///         FusedStep::new(FusedOp::Binary(BinaryOp::Sub), &[FusedOperand::Input(0), FusedOperand::Input(1)]),
    ///         FusedStep::new(FusedOp::Unary(UnaryOp::Relu), &[FusedOperand::Step(0)]),
    ///     ],
    /// )?;
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let bytes = |v: &[i32]| v.iter().flat_map(|x| x.to_ne_bytes()).collect::<Vec<u8>>();
    ///     let a = dev.upload(&bytes(&[1, 5, 3, 8]))?;
    ///     let b = dev.upload(&bytes(&[2, 4]))?;
    ///     let mut out = dev.alloc(16)?;
    ///     let la = StridedLayout::new(&[2, 2], &[2, 1]);
    ///     let lb = StridedLayout::new(&[2, 2], &[0, 1]);
    ///     dev.fused(&k, &[(&a, la), (&b, lb)], &mut out)?;
    ///     let mut host = [0u8; 16];
    ///     dev.download(&out, ElemType::I32, StridedLayout::new(&[4], &[1]), &mut host)?;
    ///     assert_eq!(host, bytes(&[0, 1, 1, 4])[..]);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn fused(
        &self,
        kernel: &FusedKernel,
        inputs: &[(&DeviceBuffer, StridedLayout<'_>)],
        out: &mut DeviceBuffer,
    ) -> Result<()> {
        if inputs.len() != kernel.inputs.len() {
            return Err(CudaError::InvalidArgument(format!(
                "fused: the kernel reads {} inputs but {} were given",
                kernel.inputs.len(),
                inputs.len()
            )));
        }
        let bufs: Vec<&DeviceBuffer> = inputs.iter().map(|(b, _)| *b).collect();
        same_device(self, &bufs)?;
        same_device(self, &[out])?;
        for &e in kernel.inputs.iter().chain(&kernel.types) {
            self.check_elem(e)?;
        }
        let dims = inputs.first().map_or(&[][..], |(_, l)| l.dims);
        let mut n = 1usize;
        for (k, ((buf, layout), &e)) in inputs.iter().zip(&kernel.inputs).enumerate() {
            if layout.dims != dims {
                return Err(CudaError::InvalidArgument(format!(
                    "fused: input {k} has dims {:?} but input 0 has {dims:?}; broadcast every \
                     input to the output's dims",
                    layout.dims
                )));
            }
            n = layout.check(&format!("fused input {k}"), e, buf.len_bytes())?;
        }
        let layouts: Vec<StridedLayout<'_>> = inputs.iter().map(|(_, l)| *l).collect();
        let metas = pack(&layouts)?;
        check_out("fused", out, kernel.output(), n)?;
        if n == 0 {
            return Ok(());
        }
        let f = self.fused_function(kernel)?;
        let flag = if kernel.checks_values() {
            Some(self.new_flag()?)
        } else {
            None
        };
        let fp = flag.as_ref().map_or(0, DeviceBuffer::device_ptr);
        let ptrs: Vec<u64> = inputs.iter().map(|(b, _)| b.device_ptr()).collect();
        let (outp, n64) = (out.device_ptr(), n as u64);
        {
            let mut builder = self.stream.launch_builder(&f);
            // <entry>(Meta m0, const void* p0, ..., void* out, u64 n, u64* err)
            for (m, p) in metas.iter().zip(&ptrs) {
                builder.arg(m);
                builder.arg(p);
            }
            builder.arg(&outp);
            builder.arg(&n64);
            builder.arg(&fp);
            self.bind()?;
            // SAFETY: the arguments follow the generated signature above
            // (one Meta and one pointer per input, then out, n and the
            // flag, 0 when no step checks values, and then the kernel never
            // touches it); every input layout was checked against its
            // buffer and `out` holds n output elements; one stream.
            unsafe { builder.launch(grid(n64)) }
                .map(|_| ())
                .ctx("launching a fused kernel")?;
        }
        if let Some(flag) = flag {
            if let Some(i) = self.read_flag(&flag)? {
                return Err(CudaError::InvalidArgument(format!(
                    "fused: integer division by zero or an integer to a negative power in a \
                     fused step (first at output element {i})"
                )));
            }
        }
        Ok(())
    }

    /// The loaded function of `kernel` on this device.
    fn fused_function(&self, kernel: &FusedKernel) -> Result<CudaFunction> {
        let key = (self.ordinal(), kernel.entry.clone());
        if let Some(f) = loaded().lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(f.clone());
        }
        let arch = arch_for(self.compute_capability())?;
        let ptx = ptx(kernel, arch)?;
        let module = self
            .ctx
            .load_module(Ptx::from_src(ptx.as_str()))
            .ctx(&format!("loading the PTX of {} for {arch}", kernel.entry))?;
        let f = module
            .load_function(&kernel.entry)
            .ctx(&format!("finding kernel {}", kernel.entry))?;
        loaded()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, f.clone());
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BINARY: [BinaryOp; 17] = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Rem,
        BinaryOp::Pow,
        BinaryOp::Maximum,
        BinaryOp::Minimum,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::LogicalAnd,
        BinaryOp::LogicalOr,
        BinaryOp::LogicalXor,
    ];
    const UNARY: [UnaryOp; 16] = [
        UnaryOp::Neg,
        UnaryOp::Abs,
        UnaryOp::Sign,
        UnaryOp::Exp,
        UnaryOp::Log,
        UnaryOp::Sqrt,
        UnaryOp::Rsqrt,
        UnaryOp::Sin,
        UnaryOp::Cos,
        UnaryOp::Tanh,
        UnaryOp::Sigmoid,
        UnaryOp::Relu,
        UnaryOp::Floor,
        UnaryOp::Ceil,
        UnaryOp::Round,
        UnaryOp::LogicalNot,
    ];

    use FusedOperand::{Input, Step};

    /// One chain over inputs `[d, d, Bool]` with every op defined for `d`:
    /// each binary op, each unary op, a round trip through every other
    /// type by casts, and a `where` on the third input; the result of each
    /// op is brought back to `d` (by a cast, or a `where` for bools) and
    /// feeds the next.
    fn every_op_chain(d: ElemType) -> (FusedKernel, Vec<String>) {
        let mut steps: Vec<FusedStep> = Vec::new();
        let mut used = Vec::new();
        let mut acc = Input(0);
        let push = |steps: &mut Vec<FusedStep>, op: FusedOp, ops: &[FusedOperand]| {
            steps.push(FusedStep::new(op, ops));
            Step(steps.len() - 1)
        };
        for op in BINARY {
            let Ok(out) = op.output(d) else { continue };
            used.push(format!("{op:?}"));
            let r = push(&mut steps, FusedOp::Binary(op), &[acc, Input(1)]);
            acc = if out == d {
                r
            } else {
                // A comparison: select between the operands.
                push(&mut steps, FusedOp::Where, &[r, acc, Input(1)])
            };
        }
        for op in UNARY {
            let Ok(out) = op.output(d) else { continue };
            used.push(format!("{op:?}"));
            let r = push(&mut steps, FusedOp::Unary(op), &[acc]);
            acc = if out == d {
                r
            } else {
                push(&mut steps, FusedOp::Cast(d), &[r])
            };
        }
        for to in ElemType::ALL {
            let r = push(&mut steps, FusedOp::Cast(to), &[acc]);
            acc = push(&mut steps, FusedOp::Cast(d), &[r]);
        }
        push(&mut steps, FusedOp::Where, &[Input(2), acc, Input(0)]);
        let k = FusedKernel::new(&[d, d, ElemType::Bool], steps).expect("a valid chain");
        (k, used)
    }

    #[test]
    fn every_op_is_in_some_chain() {
        let mut seen = std::collections::HashSet::new();
        for d in ElemType::ALL {
            let (k, used) = every_op_chain(d);
            assert_eq!(k.output(), d);
            assert!(k.steps().len() <= MAX_FUSED_STEPS);
            seen.extend(used);
        }
        assert_eq!(seen.len(), BINARY.len() + UNARY.len(), "{seen:?}");
    }

    #[test]
    fn generated_source_keeps_each_intermediate_in_its_type() {
        // f16: (a * b) rounds to f16 before the add, exactly as two launches.
        let k = FusedKernel::new(
            &[ElemType::F16, ElemType::F16, ElemType::F16],
            vec![
                FusedStep::new(FusedOp::Binary(BinaryOp::Mul), &[Input(0), Input(1)]),
                FusedStep::new(FusedOp::Binary(BinaryOp::Add), &[Step(0), Input(2)]),
                FusedStep::new(FusedOp::Unary(UnaryOp::Abs), &[Step(1)]),
                FusedStep::new(FusedOp::Binary(BinaryOp::Ge), &[Step(2), Input(0)]),
            ],
        )
        .unwrap();
        let s = k.source();
        assert!(
            s.contains("const f16 t0 = binary_arith<f16>(2u, v0, v1, i, err);"),
            "{s}"
        );
        assert!(
            s.contains("const f16 t1 = binary_arith<f16>(0u, t0, v2, i, err);"),
            "{s}"
        );
        assert!(s.contains("const f16 t2 = unary_elem<f16>(1u, t1);"), "{s}");
        assert!(
            s.contains("const b8 t3 = binary_compare<f16>(13u, t2, v0);"),
            "{s}"
        );
        assert!(s.contains("((b8*)out)[i] = t3;"), "{s}");
        assert!(s.contains("const f16 v2 = ((const f16*)p2)[elem_offset(m2, i)];"));
        assert!(s.contains("GRID_LOOP(i, n)"));
        assert_eq!(k.output(), ElemType::Bool);
        assert!(!k.checks_values());
        // Complex abs is the real-typed norm; where picks typed branches.
        let k = FusedKernel::new(
            &[ElemType::C128, ElemType::Bool],
            vec![
                FusedStep::new(FusedOp::Unary(UnaryOp::Abs), &[Input(0)]),
                FusedStep::new(FusedOp::Where, &[Input(1), Step(0), Step(0)]),
            ],
        )
        .unwrap();
        assert!(k.source().contains("const f64 t0 = complex_abs<c128>(v0);"));
        assert!(
            k.source()
                .contains("const f64 t1 = where_elem<f64>(v1, t0, t0);")
        );
        // Integer division checks values; float division does not.
        let div = |e| {
            FusedKernel::new(
                &[e, e],
                vec![FusedStep::new(
                    FusedOp::Binary(BinaryOp::Div),
                    &[Input(0), Input(1)],
                )],
            )
            .unwrap()
        };
        assert!(div(ElemType::I32).checks_values());
        assert!(!div(ElemType::F32).checks_values());
        // Different chains, different entries; the same chain, the same one.
        assert_ne!(div(ElemType::I32).entry(), div(ElemType::I64).entry());
        assert_eq!(div(ElemType::I32).entry(), div(ElemType::I32).entry());
    }

    #[test]
    fn invalid_chains_are_refused_with_the_rule() {
        let err = |inputs: &[ElemType], steps: Vec<FusedStep>| {
            FusedKernel::new(inputs, steps).unwrap_err().to_string()
        };
        let f = ElemType::F32;
        assert!(err(&[f], vec![]).contains("no steps"));
        let neg = |o| FusedStep::new(FusedOp::Unary(UnaryOp::Neg), &[o]);
        assert!(err(&[f], vec![neg(Input(1))]).contains("reads input 1, but there are 1"));
        assert!(err(&[f], vec![neg(Step(0))]).contains("not an earlier step"));
        let bad_arity = FusedStep::new(FusedOp::Binary(BinaryOp::Add), &[Input(0)]);
        assert!(err(&[f], vec![bad_arity]).contains("has 1 operands but takes 2"));
        let mixed = FusedStep::new(FusedOp::Binary(BinaryOp::Add), &[Input(0), Input(1)]);
        assert!(err(&[f, ElemType::F64], vec![mixed]).contains("must have one type"));
        let rem_c = FusedStep::new(FusedOp::Binary(BinaryOp::Rem), &[Input(0), Input(0)]);
        assert!(err(&[ElemType::C64], vec![rem_c]).contains("not defined for complex64"));
        let exp_int = FusedStep::new(FusedOp::Unary(UnaryOp::Exp), &[Input(0)]);
        assert!(err(&[ElemType::I32], vec![exp_int]).contains("not defined"));
        let w = FusedStep::new(FusedOp::Where, &[Input(0), Input(0), Input(0)]);
        assert!(err(&[f], vec![w]).contains("condition is float32, not bool"));
        let w = FusedStep::new(FusedOp::Where, &[Input(0), Input(1), Input(2)]);
        assert!(err(&[ElemType::Bool, f, ElemType::F64], vec![w]).contains("branches are"));
        let many = vec![f; MAX_FUSED_INPUTS + 1];
        assert!(err(&many, vec![neg(Input(0))]).contains("at most 16"));
        let long: Vec<FusedStep> = (0..=MAX_FUSED_STEPS)
            .map(|j| neg(if j == 0 { Input(0) } else { Step(j - 1) }))
            .collect();
        assert!(err(&[f], long).contains("at most 256"));
    }

    fn any_op() -> impl proptest::strategy::Strategy<Value = FusedOp> {
        use proptest::prelude::*;
        prop_oneof![
            (0..BINARY.len()).prop_map(|i| FusedOp::Binary(BINARY[i])),
            (0..UNARY.len()).prop_map(|i| FusedOp::Unary(UNARY[i])),
            (0..ElemType::ALL.len()).prop_map(|i| FusedOp::Cast(ElemType::ALL[i])),
            Just(FusedOp::Where),
        ]
    }

    proptest::proptest! {
        /// Any chain, valid or not, is either refused with an error or
        /// accepted with consistent types and one source line per input
        /// and step; never a panic.
        #[test]
        fn arbitrary_chains_never_panic_and_valid_ones_are_consistent(
            inputs in proptest::collection::vec(0..ElemType::ALL.len(), 0..5),
            raw in proptest::collection::vec(
                (any_op(), proptest::collection::vec((proptest::bool::ANY, 0usize..8), 0..4)),
                0..8,
            ),
        ) {
            let inputs: Vec<ElemType> = inputs.into_iter().map(|i| ElemType::ALL[i]).collect();
            let steps: Vec<FusedStep> = raw
                .iter()
                .map(|(op, ops)| {
                    let ops: Vec<FusedOperand> = ops
                        .iter()
                        .map(|&(is_step, k)| if is_step { Step(k) } else { Input(k) })
                        .collect();
                    FusedStep::new(*op, &ops)
                })
                .collect();
            if let Ok(k) = FusedKernel::new(&inputs, steps.clone()) {
                proptest::prop_assert_eq!(k.step_types().len(), steps.len());
                proptest::prop_assert_eq!(k.output(), k.step_types()[steps.len() - 1]);
                let body_lines = k.source().lines().filter(|l| l.trim_start().starts_with("const ")).count();
                proptest::prop_assert_eq!(body_lines, inputs.len() + steps.len());
                for (j, step) in steps.iter().enumerate() {
                    proptest::prop_assert_eq!(step.operands.len(), step.op.arity());
                    for o in &step.operands {
                        match *o {
                            Input(i) => proptest::prop_assert!(i < inputs.len()),
                            Step(s) => proptest::prop_assert!(s < j),
                        }
                    }
                    if let FusedOp::Cast(to) = step.op {
                        proptest::prop_assert_eq!(k.step_types()[j], to);
                    }
                }
            }
        }
    }

    #[test]
    fn fused_ptx_is_cached_per_source_and_arch() {
        if !crate::kernels::nvrtc_or_skip() {
            return;
        }
        let k = FusedKernel::new(
            &[ElemType::U16, ElemType::U16],
            vec![
                FusedStep::new(FusedOp::Binary(BinaryOp::Maximum), &[Input(0), Input(1)]),
                FusedStep::new(FusedOp::Cast(ElemType::C64), &[Step(0)]),
            ],
        )
        .unwrap();
        let first = ptx(&k, "sm_80").unwrap();
        let again = ptx(&k, "sm_80").unwrap();
        assert!(
            std::sync::Arc::ptr_eq(&first, &again),
            "the second lookup hits memory"
        );
        let other = ptx(&k, "sm_90").unwrap();
        assert!(!std::sync::Arc::ptr_eq(&first, &other));
        assert!(first.contains(".target sm_80") && other.contains(".target sm_90"));
        assert!(first.contains(&format!(".entry {}(", k.entry())));
    }

    /// Compiles the every-op chain of every element type for sm_80 and
    /// sm_90 (and assembles it with `TENSORBRIDGE_PTXAS`, as the kernel
    /// file test does). Needs libnvrtc, not a GPU; skips without it unless
    /// `TENSORBRIDGE_EXPECT_NVRTC=1`.
    #[test]
    fn nvrtc_compiles_fused_chains_of_every_op_and_type_for_sm80_and_sm90() {
        if !crate::kernels::nvrtc_or_skip() {
            return;
        }
        let mut failures = Vec::new();
        let mut compiled = 0;
        for arch in ["sm_80", "sm_90"] {
            for d in ElemType::ALL {
                let (k, _) = every_op_chain(d);
                match crate::kernels::compile_source(k.entry(), k.full_source(), arch) {
                    Ok(ptx) => {
                        compiled += 1;
                        if !ptx.contains(&format!(".entry {}(", k.entry())) {
                            failures.push(format!("{d} for {arch}: no entry {}", k.entry()));
                        }
                        if let Some(e) = crate::kernels::assemble_with_ptxas(&ptx, arch, k.entry())
                        {
                            failures.push(e);
                        }
                    }
                    Err(e) => failures.push(format!("{d} for {arch}: {e}")),
                }
            }
        }
        println!("{compiled} fused chains compiled by NVRTC");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert_eq!(compiled, 2 * ElemType::ALL.len());
    }
}
