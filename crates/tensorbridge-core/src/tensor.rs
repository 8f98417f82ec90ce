//! [`Tensor`]: the cheap-to-clone, immutable n-dimensional array handle.

use std::sync::Arc;

use crate::storage::{CpuStorage, Storage};
use crate::{DType, Device, Error, Layout, Result, Shape};

/// An n-dimensional array of one [`DType`] on one [`Device`], like
/// `tf.Tensor`.
///
/// A `Tensor` is a handle: cloning it copies a pointer, never the elements.
/// It has value semantics: no operation changes a tensor's elements after it
/// is made, so views (slices, transposes, broadcasts, reshapes) share the
/// buffer freely and cost O(1).
///
/// ```
/// use tensorbridge_core::{DType, Tensor};
///
/// let t = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]); // tf.constant
/// assert_eq!(t.dims(), [2, 2]);
/// assert_eq!(t.dtype(), DType::F32);
/// let a = t.to_array::<f32>()?;                        // t.numpy()
/// assert_eq!(a, ndarray::arr2(&[[1.0, 2.0], [3.0, 4.0]]).into_dyn());
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Tensor(Arc<TensorInner>);

struct TensorInner {
    storage: Arc<Storage>,
    layout: Layout,
    /// The graph node a symbolic tensor stands for; `None` for an eager
    /// tensor. A symbolic tensor has an empty buffer and the layout of its
    /// inferred dims (unknown dims as 0); every access to its elements goes
    /// through [`Tensor::cpu_storage`], which refuses it.
    symbol: Option<Arc<crate::graph::Symbol>>,
}

impl Tensor {
    /// A tensor over a whole host buffer in C order. `shape` must already
    /// have been checked against the buffer's length.
    pub(crate) fn from_cpu_storage(storage: CpuStorage, shape: Shape) -> Tensor {
        debug_assert_eq!(shape.dims().iter().product::<usize>(), storage.len());
        Tensor(Arc::new(TensorInner {
            storage: Arc::new(Storage::Cpu(storage)),
            layout: Layout::contiguous(shape),
            symbol: None,
        }))
    }

    /// A tensor over a host buffer with a layout already checked against it.
    pub(crate) fn from_cpu_storage_with_layout(storage: CpuStorage, layout: Layout) -> Tensor {
        Tensor(Arc::new(TensorInner {
            storage: Arc::new(Storage::Cpu(storage)),
            layout,
            symbol: None,
        }))
    }

    /// Another view of this tensor's buffer.
    pub(crate) fn with_layout(&self, layout: Layout) -> Tensor {
        debug_assert!(
            self.0.symbol.is_none(),
            "views of symbolic tensors are graph nodes"
        );
        Tensor(Arc::new(TensorInner {
            storage: Arc::clone(&self.0.storage),
            layout,
            symbol: None,
        }))
    }

    /// The symbolic tensor of a graph node: an empty buffer of its dtype and
    /// the layout of its known dims (unknown ones as 0).
    pub(crate) fn from_symbol(symbol: crate::graph::Symbol) -> Tensor {
        let storage = crate::dtype::with_dtype!(symbol.spec.dtype, T => {
            <T as crate::element::private::Sealed>::into_storage(Vec::new())
        });
        let dims: Vec<usize> = symbol.spec.dims.iter().map(|d| d.unwrap_or(0)).collect();
        Tensor(Arc::new(TensorInner {
            storage: Arc::new(Storage::Cpu(storage)),
            layout: Layout::contiguous(Shape::from(dims)),
            symbol: Some(Arc::new(symbol)),
        }))
    }

    /// The graph node this tensor stands for, when it is symbolic.
    pub(crate) fn symbol(&self) -> Option<&crate::graph::Symbol> {
        self.0.symbol.as_deref()
    }

    pub(crate) fn storage(&self) -> &Storage {
        &self.0.storage
    }

    /// The buffer and layout, if this handle is the only one on the buffer.
    pub(crate) fn try_into_unique_storage(self) -> std::result::Result<(Storage, Layout), Tensor> {
        let inner = Arc::try_unwrap(self.0).map_err(Tensor)?;
        match Arc::try_unwrap(inner.storage) {
            Ok(storage) => Ok((storage, inner.layout)),
            Err(storage) => Err(Tensor(Arc::new(TensorInner {
                storage,
                layout: inner.layout,
                symbol: inner.symbol,
            }))),
        }
    }

    /// The host buffer, or [`Error::NotOnHost`] naming `op`.
    pub(crate) fn cpu_storage(&self, op: &'static str) -> Result<&CpuStorage> {
        if let Some(symbol) = self.symbol() {
            return Err(symbol.no_value(op));
        }
        let host: std::result::Result<&CpuStorage, Device> = match self.storage() {
            Storage::Cpu(s) => Ok(s),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => Err(s.device()),
        };
        host.map_err(|device| Error::NotOnHost { op, device })
    }

    /// A tensor over a device buffer with a layout already checked against it.
    #[cfg(feature = "cuda")]
    pub(crate) fn from_cuda_storage(storage: crate::cuda::CudaStorage, layout: Layout) -> Tensor {
        Tensor(Arc::new(TensorInner {
            storage: Arc::new(Storage::Cuda(storage)),
            layout,
            symbol: None,
        }))
    }

    /// The device buffer, when the tensor lives on a CUDA GPU.
    #[cfg(feature = "cuda")]
    pub(crate) fn cuda_storage(&self) -> Option<&crate::cuda::CudaStorage> {
        match self.storage() {
            Storage::Cuda(s) if self.symbol().is_none() => Some(s),
            _ => None,
        }
    }

    /// The shape.
    pub fn shape(&self) -> &Shape {
        self.0.layout.shape()
    }

    /// The dims (`tf.shape` as a slice).
    pub fn dims(&self) -> &[usize] {
        self.0.layout.dims()
    }

    /// The number of dims (0 for a scalar).
    pub fn rank(&self) -> usize {
        self.dims().len()
    }

    /// The number of elements (1 for a scalar).
    pub fn numel(&self) -> usize {
        self.0.layout.numel()
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.storage().dtype()
    }

    /// Where the bytes really are.
    pub fn device(&self) -> Device {
        self.storage().device()
    }

    /// The shape, strides and offset of the elements in the buffer.
    pub fn layout(&self) -> &Layout {
        &self.0.layout
    }

    /// Whether the elements are in C order with no gaps, so that they can be
    /// handed on as one slice.
    pub fn is_contiguous(&self) -> bool {
        self.0.layout.is_contiguous()
    }

    /// Whether `self` and `other` view the same buffer (a view of a tensor
    /// shares its buffer; a copy does not).
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from([1, 2, 3]);
    /// assert!(t.transpose(&[0])?.shares_buffer_with(&t));
    /// assert!(!t.contiguous_copy()?.shares_buffer_with(&t));
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn shares_buffer_with(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0.storage, &other.0.storage)
    }

    /// This tensor on `device`: the same handle when it is already there,
    /// otherwise a copy (host → device uploads through pinned staging;
    /// device → host copies only the elements of a strided view; device →
    /// another device goes through the host).
    ///
    /// **Errors**: [`Error::DeviceUnavailable`] when `device` cannot hold
    /// tensors in this build or on this machine (the reason says why);
    /// [`Error::OutOfMemory`] when the copy does not fit.
    ///
    /// ```
    /// use tensorbridge_core::{Device, Tensor};
    ///
    /// let t = Tensor::from([1.0f32, 2.0]);
    /// assert_eq!(t.to_device(Device::Cpu)?.device(), Device::Cpu);
    /// match t.to_device(Device::Cuda(0)) {
    ///     Ok(g) => assert_eq!(g.device(), Device::Cuda(0)), // a GPU and `--features cuda`
    ///     Err(e) => assert!(e.to_string().contains("cuda:0 is unavailable")),
    /// }
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn to_device(&self, device: Device) -> Result<Tensor> {
        device.check_available()?;
        if device == self.device() {
            return Ok(self.clone());
        }
        #[cfg(feature = "cuda")]
        {
            crate::cuda::to_device(self, device)
        }
        #[cfg(not(feature = "cuda"))]
        {
            // Only the CPU exists in this build; check_available refused the rest.
            Err(Error::DeviceUnavailable {
                device,
                reason: "no backend for this device".into(),
            })
        }
    }

    /// This tensor in host memory (`.cpu()`): the same handle for a host
    /// tensor, a copy of the elements (only those of its view) for a device
    /// tensor.
    ///
    /// **Errors**: as [`Tensor::to_device`].
    ///
    /// ```
    /// use tensorbridge_core::{Device, Tensor};
    ///
    /// let t = Tensor::from([1u8, 2]);
    /// assert_eq!(t.cpu()?.device(), Device::Cpu);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn cpu(&self) -> Result<Tensor> {
        self.to_device(Device::Cpu)
    }
}
