//! Making tensors: from Rust data (`tf.constant`), from ndarray arrays, and
//! the filled and ranged constructors (`zeros`, `ones`, `full`, `arange`,
//! `linspace`, `eye`).
//!
//! The fallible constructors make the tensor on [`Device::current`] (the
//! innermost [`Device::scope`]), like TensorFlow ops under `tf.device`. The
//! infallible `From` conversions and [`Tensor::scalar`] always build on the
//! host; [`Tensor::new`] is their scope-following form.

use ndarray::{ArrayBase, Data, Dimension};

use crate::cast::Repr;
use crate::element::{Element, private::Sealed};
use crate::layout::Layout;
use crate::{DType, Device, Error, Result, Shape, Tensor, alloc, copy, dtype::with_dtype};

impl Tensor {
    /// A tensor over `data` in C order with the given shape, taking the
    /// buffer without a copy.
    ///
    /// **Errors**: [`Error::ShapeMismatch`] when `shape` does not hold exactly
    /// `data.len()` elements; [`Error::ShapeOverflow`] for a shape too large
    /// to count; [`Error::DeviceUnavailable`] under a scope of an unusable
    /// device.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from_vec(vec![1u8, 2, 3, 4, 5, 6], [2, 3])?;
    /// assert_eq!(t.dims(), [2, 3]);
    /// assert!(Tensor::from_vec(vec![1u8, 2, 3], [2, 2]).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn from_vec<T: Element>(data: Vec<T>, shape: impl Into<Shape>) -> Result<Tensor> {
        let shape = shape.into();
        check_len("from_vec", &shape, T::DTYPE, data.len())?;
        Tensor::from_cpu_storage(T::into_storage(data), shape).on_current_device()
    }

    /// A tensor holding a copy of `data` in C order with the given shape.
    ///
    /// **Errors**: as [`Tensor::from_vec`], plus [`Error::OutOfMemory`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from_slice(&[1.5f64, 2.5], [2, 1])?;
    /// assert_eq!(t.to_vec::<f64>()?, [1.5, 2.5]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn from_slice<T: Element>(data: &[T], shape: impl Into<Shape>) -> Result<Tensor> {
        let shape = shape.into();
        check_len("from_slice", &shape, T::DTYPE, data.len())?;
        Tensor::from_cpu_storage(T::into_storage(copy::copy_slice(data)?), shape)
            .on_current_device()
    }

    /// A rank-0 tensor holding `value`, on the host.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let s = Tensor::scalar(7i64);
    /// assert_eq!(s.rank(), 0);
    /// assert_eq!(s.to_scalar::<i64>()?, 7);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn scalar<T: Element>(value: T) -> Tensor {
        Tensor::from_cpu_storage(T::into_storage(vec![value]), Shape::scalar())
    }

    /// `data` (anything that converts into a tensor: nested arrays, a `Vec`,
    /// a scalar) on the current device: `tf.constant` under `tf.device`.
    ///
    /// **Errors**: [`Error::DeviceUnavailable`] under a scope of an unusable
    /// device.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::new([[1, 2], [4, 8]])?;
    /// assert_eq!(t.dims(), [2, 2]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn new(data: impl Into<Tensor>) -> Result<Tensor> {
        data.into().on_current_device()
    }

    /// A tensor taking over an ndarray array. An owned array's buffer is
    /// taken as it is, in any layout (C, Fortran, reversed or offset strides),
    /// without a copy; a view or shared array is copied.
    ///
    /// **Errors**: [`Error::DeviceUnavailable`] under a scope of an unusable
    /// device; [`Error::OutOfMemory`] when a copy cannot be allocated.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let a = ndarray::Array2::<f32>::zeros((3, 4)).reversed_axes(); // Fortran order
    /// let ptr = a.as_ptr();
    /// let t = Tensor::from_array(a)?;
    /// assert_eq!(t.dims(), [4, 3]);
    /// assert_eq!(t.view::<f32>()?.as_ptr(), ptr); // no copy
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn from_array<T, S, D>(array: ArrayBase<S, D>) -> Result<Tensor>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
    {
        let owned = array.into_owned();
        let shape = Shape::from(owned.shape());
        let strides = owned.strides().to_vec();
        let (buffer, offset) = owned.into_raw_vec_and_offset();
        let layout = Layout::checked(
            "from_array",
            shape,
            strides,
            offset.unwrap_or(0),
            buffer.len(),
        )?;
        Tensor::from_cpu_storage_with_layout(T::into_storage(buffer), layout).on_current_device()
    }

    /// A tensor holding a copy of the elements of an ndarray array or view,
    /// in C order.
    ///
    /// **Errors**: as [`Tensor::from_array`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let a = ndarray::arr2(&[[1, 2], [3, 4]]);
    /// let t = Tensor::from_array_view(&a.t())?;
    /// assert_eq!(t.to_vec::<i32>()?, [1, 3, 2, 4]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn from_array_view<T, S, D>(array: &ArrayBase<S, D>) -> Result<Tensor>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
    {
        let shape = Shape::from(array.shape());
        let data = match array.as_slice() {
            Some(slice) => copy::copy_slice(slice)?,
            None => {
                let mut v = alloc::vec_with_capacity(array.len())?;
                v.extend(array.iter().copied());
                v
            }
        };
        Tensor::from_cpu_storage(T::into_storage(data), shape).on_current_device()
    }

    /// A tensor of zeros (`tf.zeros`). Large ones cost no writes at all: the
    /// pages come zeroed from the kernel.
    ///
    /// **Errors**: [`Error::ShapeOverflow`], [`Error::OutOfMemory`],
    /// [`Error::DeviceUnavailable`].
    ///
    /// ```
    /// use tensorbridge_core::{DType, Tensor};
    ///
    /// let z = Tensor::zeros([2, 3], DType::BF16)?;
    /// assert_eq!(z.to_vec::<half::bf16>()?, vec![half::bf16::ZERO; 6]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn zeros(shape: impl Into<Shape>, dtype: DType) -> Result<Tensor> {
        let shape = shape.into();
        let n = checked_count("zeros", &shape, dtype)?;
        Device::current().check_available()?;
        #[cfg(feature = "cuda")]
        if let device @ Device::Cuda(_) = Device::current() {
            return crate::cuda::zeros(device, shape, dtype);
        }
        let storage = with_dtype!(dtype, T => T::into_storage(alloc::zeroed_vec::<T>(n)?));
        Ok(Tensor::from_cpu_storage(storage, shape))
    }

    /// A tensor of ones (`tf.ones`; `true` for bool).
    ///
    /// **Errors**: as [`Tensor::zeros`].
    ///
    /// ```
    /// use tensorbridge_core::{DType, Tensor};
    ///
    /// assert_eq!(Tensor::ones([2], DType::C64)?.to_vec::<num_complex::Complex<f32>>()?,
    ///            [num_complex::Complex::new(1.0, 0.0); 2]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn ones(shape: impl Into<Shape>, dtype: DType) -> Result<Tensor> {
        with_dtype!(dtype, T => Tensor::full(shape, T::one()))
    }

    /// A tensor with every element `value` (`tf.fill`).
    ///
    /// **Errors**: as [`Tensor::zeros`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// assert_eq!(Tensor::full([3], 2.5f32)?.to_vec::<f32>()?, [2.5, 2.5, 2.5]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn full<T: Element>(shape: impl Into<Shape>, value: T) -> Result<Tensor> {
        let shape = shape.into();
        let n = checked_count("full", &shape, T::DTYPE)?;
        Device::current().check_available()?;
        #[cfg(feature = "cuda")]
        if let device @ Device::Cuda(_) = Device::current() {
            return crate::cuda::full(device, shape, value);
        }
        Ok(Tensor::from_cpu_storage(
            T::into_storage(copy::filled(n, value)?),
            shape,
        ))
    }

    /// A tensor of zeros with the shape, dtype and device of `self`
    /// (`tf.zeros_like`: the device scope does not move it).
    ///
    /// **Errors**: as [`Tensor::zeros`].
    ///
    /// ```
    /// use tensorbridge_core::{DType, Tensor};
    ///
    /// let z = Tensor::from([[1i16, 2], [3, 4]]).zeros_like()?;
    /// assert_eq!((z.dims(), z.dtype(), z.device()), (&[2, 2][..], DType::I16, tensorbridge_core::Device::Cpu));
    /// assert_eq!(z.to_vec::<i16>()?, [0, 0, 0, 0]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn zeros_like(&self) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(crate::graph::Op::ZerosLike, self);
        let _here = self.device().scope();
        Tensor::zeros(self.shape(), self.dtype())
    }

    /// The values `start, start + step, ...` below `stop` (above it for a
    /// negative step), like `np.arange` / `tf.range`. Integers are exact;
    /// floats are `start + i * step`, computed in f64 and rounded once.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for a zero or non-finite step,
    /// non-finite bounds, or a bool/complex dtype; [`Error::OutOfMemory`] for
    /// an absurd count.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// assert_eq!(Tensor::arange(0i32, 5, 2)?.to_vec::<i32>()?, [0, 2, 4]);
    /// assert_eq!(Tensor::arange(5i64, 0, -2)?.to_vec::<i64>()?, [5, 3, 1]);
    /// assert_eq!(Tensor::arange(0.0f32, 1.0, 0.25)?.to_vec::<f32>()?, [0.0, 0.25, 0.5, 0.75]);
    /// assert!(Tensor::arange(0, 5, 0).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn arange<T: Element>(start: T, stop: T, step: T) -> Result<Tensor> {
        const OP: &str = "arange";
        let values: Vec<T> = match (start.to_repr(), stop.to_repr(), step.to_repr()) {
            (Repr::Int(start), Repr::Int(stop), Repr::Int(step)) => {
                if step == 0 {
                    return Err(Error::invalid(OP, "step is 0; it must be non-zero"));
                }
                let span = if step > 0 { stop - start } else { start - stop };
                let n = if span > 0 {
                    (span + step.abs() - 1) / step.abs()
                } else {
                    0
                };
                let n = usize::try_from(n).map_err(|_| Error::invalid(OP, "count overflows"))?;
                let mut v = alloc::vec_with_capacity(n)?;
                v.extend((0..n).map(|i| T::from_repr(Repr::Int(start + i as i128 * step))));
                v
            }
            (Repr::Float(start), Repr::Float(stop), Repr::Float(step)) => {
                if !(start.is_finite() && stop.is_finite() && step.is_finite()) || step == 0.0 {
                    return Err(Error::invalid(
                        OP,
                        format!(
                            "start {start}, stop {stop} and step {step} must be finite and step \
                             non-zero"
                        ),
                    ));
                }
                let n = ((stop - start) / step).ceil().max(0.0);
                let n = if n >= usize::MAX as f64 {
                    usize::MAX
                } else {
                    n as usize
                };
                let mut v = alloc::vec_with_capacity(n)?;
                v.extend((0..n).map(|i| T::from_repr(Repr::Float(start + i as f64 * step))));
                v
            }
            _ => {
                return Err(Error::invalid(
                    OP,
                    format!("dtype {} is not a real number type", T::DTYPE),
                ));
            }
        };
        let n = values.len();
        Tensor::from_vec(values, [n])
    }

    /// `num` evenly spaced values from `start` to `stop`, both included, like
    /// `np.linspace` (integer dtypes round down, as NumPy 2 does).
    ///
    /// **Errors**: [`Error::InvalidArgument`] for a bool or complex dtype;
    /// [`Error::OutOfMemory`] for an absurd `num`.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// assert_eq!(Tensor::linspace(0.0f64, 1.0, 5)?.to_vec::<f64>()?, [0.0, 0.25, 0.5, 0.75, 1.0]);
    /// assert_eq!(Tensor::linspace(0i32, 10, 4)?.to_vec::<i32>()?, [0, 3, 6, 10]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn linspace<T: Element>(start: T, stop: T, num: usize) -> Result<Tensor> {
        let (integer, start, stop) = match (start.to_repr(), stop.to_repr()) {
            (Repr::Int(a), Repr::Int(b)) => (true, a as f64, b as f64),
            (Repr::Float(a), Repr::Float(b)) => (false, a, b),
            _ => {
                return Err(Error::invalid(
                    "linspace",
                    format!("dtype {} is not a real number type", T::DTYPE),
                ));
            }
        };
        let step = if num > 1 {
            (stop - start) / (num - 1) as f64
        } else {
            0.0
        };
        let value = |i: usize| {
            let x = if num > 1 && i == num - 1 {
                stop
            } else {
                start + i as f64 * step
            };
            T::from_repr(Repr::Float(if integer { x.floor() } else { x }))
        };
        let mut v = alloc::vec_with_capacity(num)?;
        v.extend((0..num).map(value));
        Tensor::from_vec(v, [num])
    }

    /// The `n`×`n` identity matrix (`tf.eye`).
    ///
    /// **Errors**: as [`Tensor::zeros`].
    ///
    /// ```
    /// use tensorbridge_core::{DType, Tensor};
    ///
    /// assert_eq!(Tensor::eye(2, DType::I8)?.to_vec::<i8>()?, [1, 0, 0, 1]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn eye(n: usize, dtype: DType) -> Result<Tensor> {
        let shape = Shape::from([n, n]);
        let count = checked_count("eye", &shape, dtype)?;
        Device::current().check_available()?;
        let storage = with_dtype!(dtype, T => {
            let mut v = alloc::zeroed_vec::<T>(count)?;
            for i in 0..n {
                v[i * n + i] = T::one();
            }
            T::into_storage(v)
        });
        Tensor::from_cpu_storage(storage, shape).on_current_device()
    }

    /// `self` moved to the device of the current scope.
    pub(crate) fn on_current_device(self) -> Result<Tensor> {
        let device = Device::current();
        if device == self.device() {
            Ok(self)
        } else {
            self.to_device(device)
        }
    }
}

/// The element count of `shape`, checked to fit in memory addresses as
/// `dtype` bytes.
fn checked_count(op: &'static str, shape: &Shape, dtype: DType) -> Result<usize> {
    shape.checked_byte_size(op, dtype)?;
    shape.checked_numel(op, dtype)
}

fn check_len(op: &'static str, shape: &Shape, dtype: DType, len: usize) -> Result<()> {
    let n = checked_count(op, shape, dtype)?;
    if n != len {
        return Err(Error::shape_mismatch(
            op,
            &[len],
            shape.dims(),
            format!("{len} elements cannot fill shape {shape}, which holds {n}"),
        ));
    }
    Ok(())
}

/// Nested Rust arrays (and plain elements, at rank 0) that convert into a
/// tensor: `Tensor::from([[1, 2], [3, 4]])`. Implemented for every
/// [`Element`] and for `[A; N]` of any `A` that implements it.
pub trait TensorLiteral {
    /// The element type at the bottom of the nesting.
    type Elem: Element;
    /// Appends the dims of the nesting, outermost first.
    fn push_dims(dims: &mut Vec<usize>);
    /// Appends the elements in C order.
    fn extend_into(&self, out: &mut Vec<Self::Elem>);
}

impl<T: Element> TensorLiteral for T {
    type Elem = T;
    fn push_dims(_: &mut Vec<usize>) {}
    fn extend_into(&self, out: &mut Vec<T>) {
        out.push(*self);
    }
}

impl<A: TensorLiteral, const N: usize> TensorLiteral for [A; N] {
    type Elem = A::Elem;
    fn push_dims(dims: &mut Vec<usize>) {
        dims.push(N);
        A::push_dims(dims);
    }
    fn extend_into(&self, out: &mut Vec<A::Elem>) {
        for a in self {
            a.extend_into(out);
        }
    }
}

/// `tf.constant` for nested arrays: a host tensor with the nesting's shape.
///
/// ```
/// use tensorbridge_core::Tensor;
///
/// let t = Tensor::from([[[1u16], [2]], [[3], [4]]]);
/// assert_eq!(t.dims(), [2, 2, 1]);
/// ```
impl<A: TensorLiteral, const N: usize> From<[A; N]> for Tensor {
    fn from(data: [A; N]) -> Tensor {
        let mut dims = Vec::new();
        <[A; N]>::push_dims(&mut dims);
        let mut values = Vec::with_capacity(dims.iter().product());
        data.extend_into(&mut values);
        Tensor::from_cpu_storage(A::Elem::into_storage(values), Shape::from(dims))
    }
}

/// A rank-0 host tensor.
impl<T: Element> From<T> for Tensor {
    fn from(value: T) -> Tensor {
        Tensor::scalar(value)
    }
}

/// A rank-1 host tensor taking the `Vec` without a copy.
impl<T: Element> From<Vec<T>> for Tensor {
    fn from(data: Vec<T>) -> Tensor {
        let n = data.len();
        Tensor::from_cpu_storage(T::into_storage(data), Shape::from([n]))
    }
}

/// A rank-1 host tensor holding a copy of the slice.
impl<T: Element> From<&[T]> for Tensor {
    fn from(data: &[T]) -> Tensor {
        Tensor::from(data.to_vec())
    }
}
