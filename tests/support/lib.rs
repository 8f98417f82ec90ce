//! Shared helpers of the test suites: running a test on every device, a
//! naive n-dimensional reference array that the suites compare tensors
//! with, and element comparison that sees NaN and -0.0.

use std::fmt::Debug;

pub mod counting_alloc;
pub mod npy_corpus;

use tensorbridge::strategies::ViewOp;
use tensorbridge::{Device, SliceArg};

/// Runs `f` once for every device of [`tensorbridge::devices`], inside a
/// [`Device::scope`] of that device (so the fallible constructors,
/// `Tensor::from_vec`, `Tensor::new`, `Tensor::zeros`, ..., make their
/// tensors there), and prints `SKIPPED: cuda:0 not available (<reason>)` when
/// the first GPU is not among them: a missing device is reported, never a
/// silent pass.
///
/// **Panics** when the GPU is missing and the environment variable
/// `TENSORBRIDGE_EXPECT_CUDA` is `1` (see [`expect_cuda`]): on a machine that
/// should have a GPU, a skip is a failure.
pub fn for_each_device(mut f: impl FnMut(Device)) {
    let available = tensorbridge::devices();
    for &device in &available {
        let _scope = device.scope();
        f(device);
    }
    let gpu = Device::Cuda(0);
    if !available.contains(&gpu) {
        skip_device(gpu);
    }
}

/// The tensor of `data` (anything [`tensorbridge::Tensor::new`] takes: nested
/// arrays, a `Vec`, a scalar) on the device of the current scope: inside
/// [`for_each_device`], the device under test. The device-generic suites
/// build their inputs with it where a CPU-only suite would write
/// `Tensor::from`.
///
/// **Panics** when the current device cannot hold tensors (for_each_device
/// only runs on available ones).
#[track_caller]
pub fn here(data: impl Into<tensorbridge::Tensor>) -> tensorbridge::Tensor {
    let device = Device::current();
    let t = tensorbridge::Tensor::new(data)
        .unwrap_or_else(|e| panic!("making a tensor on {device}: {e}"));
    assert_eq!(t.device(), device, "Tensor::new follows the device scope");
    t
}

/// Whether `TENSORBRIDGE_EXPECT_CUDA=1` is set: the run must find a CUDA GPU,
/// and every skip for a missing one fails the test.
pub fn expect_cuda() -> bool {
    std::env::var("TENSORBRIDGE_EXPECT_CUDA").is_ok_and(|v| v.trim() == "1")
}

/// Reports that `device` is not available: a printed `SKIPPED` line with the
/// reason, or a panic under `TENSORBRIDGE_EXPECT_CUDA=1`.
pub fn skip_device(device: Device) {
    let reason = match device.check_available() {
        Ok(()) => "available, but not listed by devices()".to_owned(),
        Err(e) => e.to_string(),
    };
    assert!(
        !expect_cuda(),
        "TENSORBRIDGE_EXPECT_CUDA=1 but {device} is not available: {reason}"
    );
    println!("SKIPPED: {device} not available ({reason})");
}

/// The first CUDA GPU when it is available; otherwise reports the skip
/// ([`skip_device`]: a printed line, or a panic under
/// `TENSORBRIDGE_EXPECT_CUDA=1`) and returns `None`.
pub fn cuda_or_skip() -> Option<Device> {
    let gpu = Device::Cuda(0);
    if gpu.is_available() {
        Some(gpu)
    } else {
        skip_device(gpu);
        None
    }
}

/// Whether two element sequences are the same, bit for bit as far as
/// `Debug` shows: NaN equals NaN, and -0.0 differs from 0.0.
pub fn same<T: Debug>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| format!("{x:?}") == format!("{y:?}"))
}

/// A naive n-dimensional array: dims and elements in C order. Every
/// operation computes each output element from its multi-index, straight
/// from NumPy's documented semantics, with no strides anywhere; it is the
/// reference the suites hold tensors to.
#[derive(Debug, Clone, PartialEq)]
pub struct Naive<T> {
    /// The dims.
    pub dims: Vec<usize>,
    /// The elements in C order.
    pub data: Vec<T>,
}

/// The multi-indices of `dims` in C order (the last axis fastest).
pub fn indices(dims: &[usize]) -> Vec<Vec<usize>> {
    let numel: usize = dims.iter().product();
    let mut out = Vec::with_capacity(numel);
    for mut flat in 0..numel {
        let mut idx = vec![0; dims.len()];
        for a in (0..dims.len()).rev() {
            idx[a] = flat % dims[a];
            flat /= dims[a];
        }
        out.push(idx);
    }
    out
}

/// The positions NumPy's `start:stop:step` takes on an axis of size `n`,
/// enumerated one by one (negative bounds count from the end, out-of-range
/// bounds are clamped, a negative step walks down from `start`).
pub fn range_positions(
    start: Option<isize>,
    stop: Option<isize>,
    step: isize,
    n: usize,
) -> Vec<usize> {
    assert_ne!(step, 0);
    let n = n as i128;
    let wrap = |v: isize| {
        let v = v as i128;
        if v < 0 { v + n } else { v }
    };
    let mut out = Vec::new();
    if step > 0 {
        let mut i = start.map_or(0, |s| wrap(s).clamp(0, n));
        let stop = stop.map_or(n, |s| wrap(s).clamp(0, n));
        while i < stop {
            out.push(i as usize);
            i += step as i128;
        }
    } else {
        let mut i = start.map_or(n - 1, |s| wrap(s).clamp(-1, n - 1));
        let stop = stop.map_or(-1, |s| wrap(s).clamp(-1, n - 1));
        while i > stop {
            out.push(i as usize);
            i += step as i128;
        }
    }
    out
}

/// Whether `source` broadcasts to `target` by NumPy's rule: aligned from
/// the right, every dim of `source` equals the target's or is 1, and the
/// target has at least as many dims.
pub fn broadcastable(source: &[usize], target: &[usize]) -> bool {
    target.len() >= source.len()
        && source
            .iter()
            .rev()
            .zip(target.iter().rev())
            .all(|(&s, &t)| s == t || s == 1)
}

impl<T: Clone> Naive<T> {
    /// The array of `data` (C order) with `dims`.
    pub fn new(data: Vec<T>, dims: &[usize]) -> Self {
        assert_eq!(data.len(), dims.iter().product::<usize>());
        Naive {
            dims: dims.to_vec(),
            data,
        }
    }

    /// The element at a multi-index.
    pub fn at(&self, idx: &[usize]) -> T {
        let flat = idx
            .iter()
            .zip(&self.dims)
            .fold(0, |acc, (&i, &d)| acc * d + i);
        self.data[flat].clone()
    }

    /// The array of `dims` whose element at `idx` is `f(idx)`.
    pub fn from_fn(dims: &[usize], f: impl FnMut(&[usize]) -> T) -> Self {
        let mut f = f;
        let data = indices(dims).iter().map(|i| f(i)).collect();
        Naive {
            dims: dims.to_vec(),
            data,
        }
    }

    /// NumPy basic indexing (`a[args]`); axes not named are taken whole.
    /// Panics on arguments NumPy rejects.
    pub fn slice(&self, args: &[SliceArg]) -> Self {
        // For each output axis: the source axis and the positions it takes,
        // or None for a new axis. Integer indices fix a source axis.
        let mut axes: Vec<Option<(usize, Vec<usize>)>> = Vec::new();
        let mut fixed: Vec<Option<usize>> = vec![None; self.dims.len()];
        let mut src = 0;
        for arg in args {
            match *arg {
                SliceArg::NewAxis => axes.push(None),
                SliceArg::Index(i) => {
                    let n = self.dims[src] as isize;
                    let pos = if i < 0 { i + n } else { i };
                    assert!((0..n).contains(&pos), "index {i} out of range {n}");
                    fixed[src] = Some(pos as usize);
                    src += 1;
                }
                SliceArg::Range { start, stop, step } => {
                    let taken = range_positions(start, stop, step, self.dims[src]);
                    axes.push(Some((src, taken)));
                    src += 1;
                }
            }
        }
        for a in src..self.dims.len() {
            axes.push(Some((a, (0..self.dims[a]).collect())));
        }
        let dims: Vec<usize> = axes
            .iter()
            .map(|a| a.as_ref().map_or(1, |(_, taken)| taken.len()))
            .collect();
        Naive::from_fn(&dims, |out| {
            let mut idx: Vec<usize> = fixed.iter().map(|f| f.unwrap_or(0)).collect();
            for (k, axis) in axes.iter().enumerate() {
                if let Some((a, taken)) = axis {
                    idx[*a] = taken[out[k]];
                }
            }
            self.at(&idx)
        })
    }

    /// Axes permuted: axis `k` of the result is axis `perm[k]`.
    pub fn transpose(&self, perm: &[usize]) -> Self {
        let dims: Vec<usize> = perm.iter().map(|&p| self.dims[p]).collect();
        Naive::from_fn(&dims, |out| {
            let mut idx = vec![0; perm.len()];
            for (k, &p) in perm.iter().enumerate() {
                idx[p] = out[k];
            }
            self.at(&idx)
        })
    }

    /// Broadcast to `target` by NumPy's rule; `None` when the rule forbids it.
    pub fn broadcast_to(&self, target: &[usize]) -> Option<Self> {
        if !broadcastable(&self.dims, target) {
            return None;
        }
        let lead = target.len() - self.dims.len();
        Some(Naive::from_fn(target, |out| {
            let idx: Vec<usize> = self
                .dims
                .iter()
                .enumerate()
                .map(|(a, &d)| if d == 1 { 0 } else { out[lead + a] })
                .collect();
            self.at(&idx)
        }))
    }

    /// The same elements in C order with other dims (`None`: inferred).
    pub fn reshape(&self, spec: &[Option<usize>]) -> Self {
        let known: usize = spec.iter().flatten().product();
        let dims: Vec<usize> = spec
            .iter()
            .map(|d| d.unwrap_or_else(|| self.data.len() / known))
            .collect();
        Naive::new(self.data.clone(), &dims)
    }

    /// A size-1 axis inserted at `axis` (negative counts from the end of the
    /// result).
    pub fn expand_dims(&self, axis: isize) -> Self {
        let rank = self.dims.len() as isize + 1;
        let at = if axis < 0 { axis + rank } else { axis } as usize;
        let mut dims = self.dims.clone();
        dims.insert(at, 1);
        Naive::new(self.data.clone(), &dims)
    }

    /// The size-1 axes named (all of them for `None`) dropped.
    pub fn squeeze(&self, axes: Option<&[isize]>) -> Self {
        let rank = self.dims.len() as isize;
        let dims: Vec<usize> = (0..self.dims.len())
            .filter(|&a| match axes {
                None => self.dims[a] != 1,
                Some(axes) => !axes
                    .iter()
                    .any(|&x| (if x < 0 { x + rank } else { x }) as usize == a),
            })
            .map(|a| self.dims[a])
            .collect();
        Naive::new(self.data.clone(), &dims)
    }

    /// The result of a view operation.
    pub fn apply(&self, op: &ViewOp) -> Self {
        match op {
            ViewOp::Slice(args) => self.slice(args),
            ViewOp::Transpose(perm) => self.transpose(perm),
            ViewOp::BroadcastTo(dims) => self
                .broadcast_to(dims)
                .unwrap_or_else(|| panic!("{:?} does not broadcast to {dims:?}", self.dims)),
            ViewOp::ExpandDims(axis) => self.expand_dims(*axis),
            ViewOp::Squeeze => self.squeeze(None),
            ViewOp::SqueezeAxes(axes) => self.squeeze(Some(axes)),
            ViewOp::Reshape(spec) => self.reshape(spec),
        }
    }

    /// As an ndarray array, for comparing with `view()` and `to_array()`.
    pub fn to_array(&self) -> ndarray::ArrayD<T> {
        ndarray::ArrayD::from_shape_vec(self.dims.clone(), self.data.clone())
            .expect("data holds exactly the elements of dims")
    }
}

/// A reference for where a view's elements sit: a [`Naive`] array of
/// buffer positions, replaying view operations the way NumPy does (no
/// element moves; a reshape copies into a fresh buffer only when no
/// strides can show the elements in the new shape).
#[derive(Debug, Clone)]
pub struct Positions {
    /// The buffer position of each element.
    pub naive: Naive<usize>,
    /// Whether a copy was made along the way (the elements left the
    /// base buffer).
    pub copied: bool,
}

impl Positions {
    /// The positions of a fresh C-order buffer of `dims`.
    pub fn new(dims: &[usize]) -> Self {
        let n = dims.iter().product();
        Positions {
            naive: Naive::new((0..n).collect(), dims),
            copied: false,
        }
    }

    /// The positions after `op`.
    pub fn apply(&self, op: &ViewOp) -> Self {
        let naive = self.naive.apply(op);
        if matches!(op, ViewOp::Reshape(_)) && !is_strided(&naive) {
            return Positions {
                naive: Naive::new((0..naive.data.len()).collect(), &naive.dims),
                copied: true,
            };
        }
        Positions {
            naive,
            copied: self.copied,
        }
    }

    /// Whether the elements sit in C order with no gaps: NumPy's
    /// C-contiguity (an array with no elements is contiguous).
    pub fn is_contiguous(&self) -> bool {
        let p = &self.naive.data;
        p.iter().enumerate().all(|(k, &x)| x == p[0] + k)
    }
}

/// Whether positions `p` are `p0 + sum(index[a] * stride[a])` for some
/// (possibly negative or zero) strides: whether a strided view can show them.
pub fn is_strided(p: &Naive<usize>) -> bool {
    if p.data.is_empty() {
        return true;
    }
    let rank = p.dims.len();
    let origin = p.data[0] as i128;
    let strides: Vec<i128> = (0..rank)
        .map(|a| {
            if p.dims[a] < 2 {
                return 0;
            }
            let mut unit = vec![0; rank];
            unit[a] = 1;
            p.at(&unit) as i128 - origin
        })
        .collect();
    indices(&p.dims).iter().all(|idx| {
        let expect = origin
            + idx
                .iter()
                .zip(&strides)
                .map(|(&i, &s)| i as i128 * s)
                .sum::<i128>();
        p.at(idx) as i128 == expect
    })
}

/// Every element of `t` widened to `Complex<f64>`, in C order: one exact
/// common type for comparing tensors of any dtype (every dtype but U64/I64
/// beyond 2^53 converts exactly).
pub fn as_c128(t: &tensorbridge::Tensor) -> Vec<num_complex::Complex<f64>> {
    t.cast(tensorbridge::DType::C128)
        .and_then(|c| c.to_vec::<num_complex::Complex<f64>>())
        .unwrap_or_else(|e| panic!("widening a {} tensor to c128: {e}", t.dtype()))
}

/// Runs the property `check` once per device of [`for_each_device`] (inside
/// that device's scope), stopping at the first failure and returning it, so
/// a proptest body can run on every device and still shrink.
pub fn on_each_device<E>(mut check: impl FnMut(Device) -> Result<(), E>) -> Result<(), E> {
    let mut outcome = Ok(());
    for_each_device(|device| {
        if outcome.is_ok() {
            outcome = check(device);
        }
    });
    outcome
}

/// The tensor of a view chain, built from its base moved to `device` (so
/// every view operation runs on that device's tensor).
pub fn chain_on<T: tensorbridge::Element>(
    chain: &tensorbridge::strategies::ViewChain<T>,
    device: Device,
) -> tensorbridge::Tensor {
    let base = chain
        .base()
        .to_device(device)
        .expect("the device was listed as available");
    chain
        .ops
        .iter()
        .try_fold(base, |t, op| op.apply(&t))
        .expect("the chains of the strategies are valid")
}

/// A sparse tensor with the parts of `st` moved to `device` (for the
/// properties whose strategies build on the host).
pub fn sparse_on(
    st: &tensorbridge::sparse::SparseTensor,
    device: Device,
) -> tensorbridge::sparse::SparseTensor {
    let moved = tensorbridge::sparse::SparseTensor::new(
        st.indices()
            .to_device(device)
            .expect("the device is available"),
        st.values()
            .to_device(device)
            .expect("the device is available"),
        st.dense_shape().clone(),
    )
    .expect("the parts of a valid sparse tensor stay valid on any device");
    assert_eq!(moved.device(), device);
    moved
}

/// The most two results of a float transcendental function (exp, log, sin,
/// pow, tanh, ...) may differ between devices, in units in the last place
/// of the dtype: CUDA's math library is within 2 ulps of the exact value
/// for most of them, Rust's `std` within 1, so a GPU and the CPU may
/// differ by up to this many.
pub const TRANSCENDENTAL_ULPS: u64 = 4;

/// The distance in units in the last place (of a float with
/// `bits_of_precision` significant bits: 11 for f16, 8 for bf16, 24 for
/// f32, 53 for f64) between `a` and `b`, both widened exactly to f64: 0
/// when equal or both NaN, `u64::MAX` when only one is finite or NaN.
pub fn ulps(a: f64, b: f64, bits_of_precision: u32) -> u64 {
    if a == b || (a.is_nan() && b.is_nan()) {
        return 0;
    }
    if !a.is_finite() || !b.is_finite() {
        return u64::MAX;
    }
    // One ulp of the larger magnitude, at the dtype's precision.
    let m = a.abs().max(b.abs());
    let exp = if m == 0.0 {
        -1074
    } else {
        m.log2().floor() as i32
    };
    let ulp = 2f64.powi(exp - (bits_of_precision as i32 - 1));
    ((a - b).abs() / ulp).ceil() as u64
}

/// Whether `got` matches the reference `want` element by element: bit for
/// bit (as [`same`]) on the CPU, within [`TRANSCENDENTAL_ULPS`] ulps of
/// f64 on any other device (for transcendental functions, whose last bit
/// the device's math library decides).
pub fn close_on(device: Device, got: &[f64], want: &[f64]) -> bool {
    if device == Device::Cpu {
        return same(got, want);
    }
    got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(&g, &w)| ulps(g, w, 53) <= TRANSCENDENTAL_ULPS)
}
