//! Getting the elements out: borrowed views, owned arrays, vectors, scalars,
//! dtype-erased arrays, and dtype casts.
//!
//! The names follow Rust's conventions: `view` borrows (O(1), no copy),
//! `to_*` copies, `into_*` consumes (moving the buffer out when it can). No
//! conversion ever changes the dtype: asking for another element type than
//! the tensor holds is [`Error::DTypeMismatch`]; [`Tensor::cast`] converts
//! explicitly.

use ndarray::{ArrayD, ArrayViewD, IxDyn};

use crate::element::{Element, private::Sealed};
use crate::storage::{CpuStorage, map_cpu_storage};
use crate::{DType, DynArray, Error, Result, Tensor, copy, dtype::with_dtype, host_view};

impl Tensor {
    /// A zero-copy ndarray view of the elements, for any layout (negative and
    /// zero strides included). O(1) whatever the size.
    ///
    /// **Errors**: [`Error::DTypeMismatch`] when `T` is not the tensor's
    /// element type; [`Error::NotOnHost`] for a device tensor (use
    /// [`Tensor::to_array`], which copies to the host).
    ///
    /// ```
    /// use tensorbridge_core::{s, Tensor};
    ///
    /// let t = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// let v = t.view::<f32>()?;
    /// assert_eq!(v[[1, 0]], 3.0);
    /// let r = t.slice(s![..;-1])?;            // reversed rows, still no copy
    /// assert_eq!(r.view::<f32>()?[[0, 1]], 4.0);
    /// assert!(t.view::<f64>().is_err());      // never a silent cast
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn view<T: Element>(&self) -> Result<ArrayViewD<'_, T>> {
        let data = self.host_slice::<T>("view")?;
        Ok(host_view::strided_view(data, self.layout()))
    }

    /// An owned copy of the elements as a standard-layout (C order) ndarray
    /// array, like `t.numpy()`. Large copies run on all cores into a buffer
    /// allocated with huge pages.
    ///
    /// A device tensor is copied to the host (TensorFlow's `.numpy()` of a
    /// GPU tensor): only the elements of its view cross the bus (a strided
    /// view is gathered on the device first), through pinned staging,
    /// chunked and pipelined. [`Tensor::to_array_async`] starts the same copy
    /// without waiting for it.
    ///
    /// **Errors**: [`Error::DTypeMismatch`] when `T` is not the tensor's
    /// element type; [`Error::OutOfMemory`] when the copy cannot be allocated.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from([[1, 2], [4, 8]]);
    /// let a = t.t()?.to_array::<i32>()?;
    /// assert_eq!(a, ndarray::arr2(&[[1, 4], [2, 8]]).into_dyn());
    /// assert!(a.is_standard_layout());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn to_array<T: Element>(&self) -> Result<ArrayD<T>> {
        let data = self.gather_host::<T>("to_array")?;
        Ok(standard_array(self.dims(), data))
    }

    /// The elements as an owned ndarray array, moving the buffer out without
    /// a copy when this is the only handle on it and its elements are
    /// contiguous from its start; otherwise a copy, as [`Tensor::to_array`].
    ///
    /// **Errors**: as [`Tensor::to_array`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let data = vec![1.0f64, 2.0, 3.0, 4.0];
    /// let ptr = data.as_ptr();
    /// let a = Tensor::from_vec(data, [2, 2])?.into_array::<f64>()?;
    /// assert_eq!(a.as_ptr(), ptr); // the same buffer
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn into_array<T: Element>(self) -> Result<ArrayD<T>> {
        #[cfg(feature = "cuda")]
        if self.cuda_storage().is_some() {
            return Ok(standard_array(self.dims(), self.gather_host("into_array")?));
        }
        self.host_slice::<T>("into_array")?;
        let movable = self.is_contiguous() && (self.numel() == 0 || self.layout().offset() == 0);
        if !movable {
            return Ok(standard_array(self.dims(), self.gather_host("into_array")?));
        }
        let dims = self.dims().to_vec();
        let numel = self.numel();
        match self.try_into_unique_storage() {
            Ok((storage, _)) => {
                let storage = storage.into_cpu().expect("a host tensor has host storage");
                // A foreign buffer (a memory map, ...) is copied here: only a
                // `Vec` tensorbridge allocated can move into the array.
                let mut data = T::from_storage(storage)
                    .expect("dtype was checked above")
                    .into_vec()?;
                data.truncate(numel);
                Ok(standard_array(&dims, data))
            }
            Err(shared) => Ok(standard_array(&dims, shared.gather_host("into_array")?)),
        }
    }

    /// The elements in C order as a `Vec` (a copy).
    ///
    /// **Errors**: as [`Tensor::to_array`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// assert_eq!(Tensor::from([[1u8, 2], [3, 4]]).t()?.to_vec::<u8>()?, [1, 3, 2, 4]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        self.gather_host("to_vec")
    }

    /// The one element of a tensor with exactly one element (any rank).
    ///
    /// **Errors**: [`Error::InvalidArgument`] when the tensor has another
    /// number of elements; [`Error::DTypeMismatch`] for the wrong `T`.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// assert_eq!(Tensor::from([[2.5f32]]).to_scalar::<f32>()?, 2.5);
    /// assert!(Tensor::from([1, 2]).to_scalar::<i32>().is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn to_scalar<T: Element>(&self) -> Result<T> {
        #[cfg(feature = "cuda")]
        if self.cuda_storage().is_some() {
            self.check_one_element()?;
            return Ok(self.gather_host::<T>("to_scalar")?[0]);
        }
        let data = self.host_slice::<T>("to_scalar")?;
        self.check_one_element()?;
        Ok(data[self.layout().offset()])
    }

    /// `Ok` when the tensor has exactly one element, for `to_scalar`.
    fn check_one_element(&self) -> Result<()> {
        if self.numel() != 1 {
            return Err(Error::invalid(
                "to_scalar",
                format!(
                    "a tensor of shape {} has {} elements; to_scalar needs exactly one",
                    self.shape(),
                    self.numel()
                ),
            ));
        }
        Ok(())
    }

    /// An owned copy as a dtype-erased array ([`DynArray`]), like
    /// `t.numpy()` when the element type is not known statically.
    ///
    /// A device tensor is copied to the host, as [`Tensor::to_array`] does.
    ///
    /// **Errors**: [`Error::OutOfMemory`].
    ///
    /// ```
    /// use tensorbridge_core::{DType, Tensor};
    ///
    /// let a = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]).numpy()?;
    /// assert_eq!(a.dtype(), DType::F32);
    /// assert_eq!(a.shape(), [2, 2]);
    /// assert_eq!(a.view_typed::<f32>()?[[1, 1]], 4.0);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn numpy(&self) -> Result<DynArray> {
        with_dtype!(self.dtype(), T => Ok(T::into_dyn(self.to_array::<T>()?)))
    }

    /// The elements converted to `dtype` (`tf.cast`), in a new C-order tensor.
    /// The rules, exact to the last bit:
    ///
    /// - float → int truncates toward zero and saturates; NaN → 0;
    /// - int → int wraps (two's complement), as NumPy and TensorFlow do;
    /// - → f16/bf16 rounds to nearest even, overflow → ±inf, rounded once
    ///   from the exact source value;
    /// - int/float → bool is `!= 0` (NaN → `true`); bool → number is 0 or 1;
    /// - real → complex has a zero imaginary part; complex → bool is `!= 0`.
    ///
    /// Casting to the tensor's own dtype returns the same handle.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for complex → real numbers,
    /// which would drop the imaginary part silently: take the part you mean
    /// with [`Tensor::real`] or [`Tensor::imag`]. [`Error::OutOfMemory`].
    ///
    /// ```
    /// use tensorbridge_core::{DType, Tensor};
    ///
    /// let t = Tensor::from([-1.7f32, 2.5, f32::NAN, 1e10]);
    /// assert_eq!(t.cast(DType::I32)?.to_vec::<i32>()?, [-1, 2, 0, i32::MAX]);
    /// assert_eq!(Tensor::from([300i32, -1]).cast(DType::U8)?.to_vec::<u8>()?, [44, 255]);
    /// assert!(Tensor::from([num_complex::Complex::new(1.0f32, 2.0)]).cast(DType::F32).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn cast(&self, dtype: DType) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(crate::graph::Op::Cast(dtype), self);
        let from = self.dtype();
        if from == dtype {
            return Ok(self.clone());
        }
        if from.is_complex() && !dtype.is_complex() && dtype != DType::Bool {
            return Err(Error::invalid(
                "cast",
                format!(
                    "casting {from} to {dtype} would drop the imaginary part; take the part you \
                     mean with .real() or .imag() first"
                ),
            ));
        }
        #[cfg(feature = "cuda")]
        if self.cuda_storage().is_some() {
            return crate::cuda::cast(self, dtype);
        }
        let storage = self.cpu_storage("cast")?;
        let out: CpuStorage = map_cpu_storage!(storage, src => {
            with_dtype!(dtype, D => D::into_storage(copy::map_to_vec(src, self.layout(), |x| {
                D::from_repr(x.to_repr())
            })?))
        });
        Ok(Tensor::from_cpu_storage(out, self.shape().clone()))
    }

    /// The real part (`tf.math.real`): f32 for c64, f64 for c128; a real
    /// tensor is returned as it is.
    ///
    /// ```
    /// use num_complex::Complex;
    /// use tensorbridge_core::Tensor;
    ///
    /// let z = Tensor::from([Complex::new(1.0f64, 2.0), Complex::new(3.0, -4.0)]);
    /// assert_eq!(z.real()?.to_vec::<f64>()?, [1.0, 3.0]);
    /// assert_eq!(z.imag()?.to_vec::<f64>()?, [2.0, -4.0]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn real(&self) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(crate::graph::Op::Real, self);
        self.complex_part("real", |re, _| re)
    }

    /// The imaginary part (`tf.math.imag`): f32 for c64, f64 for c128; zeros
    /// for a real tensor.
    pub fn imag(&self) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(crate::graph::Op::Imag, self);
        if !self.dtype().is_complex() {
            // Zeros where `self` lives, whatever the current scope.
            let _here = self.device().scope();
            return Tensor::zeros(self.shape(), self.dtype());
        }
        self.complex_part("imag", |_, im| im)
    }

    fn complex_part(&self, op: &'static str, part: fn(f64, f64) -> f64) -> Result<Tensor> {
        #[cfg(feature = "cuda")]
        if self.cuda_storage().is_some() {
            return crate::cuda::complex_part(self, op == "real");
        }
        let storage = self.cpu_storage(op)?;
        let out = match storage {
            CpuStorage::C64(v) => f32::into_storage(copy::map_to_vec(v, self.layout(), |z| {
                part(z.re as f64, z.im as f64) as f32
            })?),
            CpuStorage::C128(v) => {
                f64::into_storage(copy::map_to_vec(v, self.layout(), |z| part(z.re, z.im))?)
            }
            _ => return Ok(self.clone()),
        };
        Ok(Tensor::from_cpu_storage(out, self.shape().clone()))
    }

    /// The elements in C order in a fresh buffer, errors naming `op`.
    fn gather_host<T: Element>(&self, op: &'static str) -> Result<Vec<T>> {
        #[cfg(feature = "cuda")]
        if self.cuda_storage().is_some() {
            return crate::cuda::download_vec::<T>(self, op);
        }
        copy::gather(self.host_slice::<T>(op)?, self.layout())
    }

    /// The whole host buffer as `&[T]`, checking the device and the dtype.
    pub(crate) fn host_slice<T: Element>(&self, op: &'static str) -> Result<&[T]> {
        let storage = self.cpu_storage(op)?;
        T::storage_slice(storage).ok_or(Error::DTypeMismatch {
            op,
            expected: T::DTYPE,
            found: storage.dtype(),
        })
    }
}

/// A C-order array over `data`, which holds exactly the elements of `dims`.
fn standard_array<T>(dims: &[usize], data: Vec<T>) -> ArrayD<T> {
    ArrayD::from_shape_vec(IxDyn(dims), data)
        .expect("the buffer holds exactly the elements of the shape")
}
