//! Device tensors and other libraries' device memory (DLPack): a tensor
//! over a backend buffer, and the device address of a tensor's elements.

use tensorbridge_cuda::{DeviceBuffer, ElemType, ReduceOp, StridedLayout};

use super::{CudaStorage, backend, check_available, map_err};
use crate::dtype::with_dtype;
use crate::{DType, Device, Error, Layout, Result, Shape, Tensor};

impl Tensor {
    /// A C-order device tensor of `dtype` and `shape` over the first bytes
    /// of `buffer`, without a copy; the tensor owns the buffer. This is how
    /// a DLPack import of another library's GPU memory becomes a tensor:
    /// the buffer comes from [`tensorbridge_cuda::CudaDevice::wrap_foreign`]
    /// and its owner calls the producer's deleter when the tensor and all
    /// its views are gone. For bool, the bytes are checked on the device to
    /// be 0 or 1 (one reduction and a one-byte download).
    ///
    /// **Errors**: [`Error::InvalidArgument`] when the buffer holds fewer
    /// bytes than the shape needs, when its address is not aligned for the
    /// dtype, or when a bool byte is neither 0 nor 1;
    /// [`Error::ShapeOverflow`] for a shape whose byte size overflows;
    /// [`Error::DeviceUnavailable`] when the buffer's GPU cannot hold
    /// tensors here.
    ///
    /// ```
    /// use tensorbridge_core::{DType, Tensor};
    ///
    /// if let Ok(dev) = tensorbridge_cuda::CudaDevice::get(0) {
    ///     let bytes: Vec<u8> = [1i32, 2].iter().flat_map(|v| v.to_ne_bytes()).collect();
    ///     let buf = dev.upload(&bytes).expect("upload");
    ///     let t = Tensor::from_cuda_buffer(buf, DType::I32, [2])?;
    ///     assert_eq!(t.to_vec::<i32>()?, [1, 2]);
    ///     let odd = dev.upload(&[0u8; 7]).expect("upload");
    ///     assert!(Tensor::from_cuda_buffer(odd, DType::I32, [1]).is_err()); // not whole elements
    /// }
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn from_cuda_buffer(
        buffer: DeviceBuffer,
        dtype: DType,
        shape: impl Into<Shape>,
    ) -> Result<Tensor> {
        const OP: &str = "from_cuda_buffer";
        let shape = shape.into();
        let ordinal = buffer.device().ordinal();
        let device = Device::Cuda(ordinal);
        check_available(ordinal)?;
        shape.checked_numel(OP, dtype)?;
        let needed = shape.checked_byte_size(OP, dtype)?;
        check_fits(
            OP,
            buffer.len_bytes(),
            buffer.device_ptr(),
            needed,
            dtype,
            &shape,
        )?;
        if dtype == DType::Bool && needed > 0 {
            let dev = backend(device)?;
            let mut out = dev.alloc(1).map_err(|e| map_err(OP, device, e))?;
            let n = [needed];
            let layout = StridedLayout::new(&n, &[1]);
            dev.reduce(ReduceOp::Max, ElemType::U8, &buffer, layout, 1, &mut out)
                .map_err(|e| map_err(OP, device, e))?;
            let mut max = [0u8];
            dev.download(&out, ElemType::U8, StridedLayout::new(&[], &[]), &mut max)
                .map_err(|e| map_err(OP, device, e))?;
            if max[0] > 1 {
                return Err(Error::invalid(
                    OP,
                    format!("a bool byte is {}, not 0 or 1", max[0]),
                ));
            }
        }
        Ok(Tensor::from_cuda_storage(
            CudaStorage::new(buffer, dtype, ordinal),
            Layout::contiguous(shape),
        ))
    }

    /// The device address of the tensor's first element (element `[0, 0,
    /// ...]` of its layout, the buffer's address plus the layout's offset)
    /// for a tensor on a CUDA GPU. With [`Tensor::layout`]'s strides this
    /// describes the tensor to another library (DLPack's `data`); the
    /// address stays valid while this tensor, or a clone of it, lives.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for a host tensor (its
    /// elements are reached through [`Tensor::view`]); the error of a
    /// symbolic tensor.
    ///
    /// ```
    /// use tensorbridge_core::{Device, Tensor};
    ///
    /// assert!(Tensor::from([1, 2]).cuda_data_ptr().is_err());
    /// if let Ok(g) = Tensor::from([1u8, 2, 3]).to_device(Device::Cuda(0)) {
    ///     let tail = g.slice(tensorbridge_core::s![1..])?;
    ///     assert_eq!(tail.cuda_data_ptr()?, g.cuda_data_ptr()? + 1);
    /// }
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn cuda_data_ptr(&self) -> Result<u64> {
        const OP: &str = "cuda_data_ptr";
        let storage = super::transfer::device_storage(self, OP)?;
        let size = storage.dtype().size_in_bytes();
        let offset = if self.numel() == 0 {
            0
        } else {
            self.layout().offset()
        };
        let bytes = offset
            .checked_mul(size)
            .and_then(|b| u64::try_from(b).ok())
            .and_then(|b| storage.buffer().device_ptr().checked_add(b))
            .ok_or_else(|| {
                Error::invalid(OP, format!("offset {offset} overflows the address space"))
            })?;
        Ok(bytes)
    }
}

/// Checks that `len` bytes at device address `ptr` hold `needed` bytes of
/// `dtype` elements at an aligned address.
fn check_fits(
    op: &'static str,
    len: usize,
    ptr: u64,
    needed: usize,
    dtype: DType,
    shape: &Shape,
) -> Result<()> {
    if len % dtype.size_in_bytes() != 0 {
        return Err(Error::invalid(
            op,
            format!(
                "the device buffer's {len} bytes are not whole {dtype} elements ({} bytes each)",
                dtype.size_in_bytes()
            ),
        ));
    }
    if needed > len {
        return Err(Error::invalid(
            op,
            format!("shape {shape} of {dtype} needs {needed} bytes, the device buffer has {len}"),
        ));
    }
    let align = with_dtype!(dtype, T => align_of::<T>()) as u64;
    if needed > 0 && ptr % align != 0 {
        return Err(Error::invalid(
            op,
            format!(
                "device address {ptr:#x} is not aligned for {dtype} (alignment {align}); copy \
                 the memory instead"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_must_hold_the_shape_at_an_aligned_address() {
        let shape = Shape::from([2, 3]);
        assert!(check_fits("t", 24, 0x1000, 24, DType::F32, &shape).is_ok());
        let e = check_fits("t", 20, 0x1000, 24, DType::F32, &shape).unwrap_err();
        assert!(
            e.to_string()
                .contains("needs 24 bytes, the device buffer has 20"),
            "{e}"
        );
        let e = check_fits("t", 24, 0x1002, 24, DType::F32, &shape).unwrap_err();
        assert!(
            e.to_string()
                .contains("not aligned for float32 (alignment 4)"),
            "{e}"
        );
        // One-byte elements sit anywhere; an empty tensor needs no address.
        assert!(check_fits("t", 6, 0x1003, 6, DType::U8, &shape).is_ok());
        let e = check_fits("t", 26, 0x1000, 24, DType::F32, &shape).unwrap_err();
        assert!(
            e.to_string().contains("26 bytes are not whole float32"),
            "{e}"
        );
        assert!(check_fits("t", 0, 0x3, 0, DType::F64, &Shape::from([0])).is_ok());
    }
}
