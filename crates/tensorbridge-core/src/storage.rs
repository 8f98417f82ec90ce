//! Where a tensor's elements live: typed buffers, one variant per dtype.

use half::{bf16, f16};
use num_complex::Complex;

pub(crate) use crate::foreign::ForeignSlice;
use crate::{DType, Device};

/// A host buffer of one element type: usually a plain `Vec` of it, so it can
/// move into an ndarray array without a copy; or read-only bytes owned by
/// something else (a memory-mapped file, later a DLPack or NumPy buffer),
/// kept alive by their owner and read in place.
///
/// `pub` only so the sealed `Element` plumbing can name it; the module is
/// private, so no user can.
#[derive(Debug, Clone)]
pub enum HostBuffer<T> {
    /// A buffer tensorbridge allocated and owns.
    Owned(Vec<T>),
    /// Bytes owned by someone else, read in place.
    Foreign(ForeignSlice<T>),
}

impl<T> std::ops::Deref for HostBuffer<T> {
    type Target = [T];

    #[inline]
    fn deref(&self) -> &[T] {
        match self {
            HostBuffer::Owned(v) => v,
            HostBuffer::Foreign(f) => f.as_slice(),
        }
    }
}

impl<T: PartialEq> PartialEq for HostBuffer<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T> From<Vec<T>> for HostBuffer<T> {
    #[inline]
    fn from(v: Vec<T>) -> Self {
        HostBuffer::Owned(v)
    }
}

impl<T: crate::Element> HostBuffer<T> {
    /// The elements as an owned `Vec`: the buffer itself when it is owned, a
    /// copy of a foreign buffer otherwise.
    pub(crate) fn into_vec(self) -> crate::Result<Vec<T>> {
        match self {
            HostBuffer::Owned(v) => Ok(v),
            HostBuffer::Foreign(f) => crate::copy::copy_slice(f.as_slice()),
        }
    }
}

/// A host buffer: one typed [`HostBuffer`] per dtype.
///
/// `pub` only so the sealed `Element` plumbing can name it; the module is
/// private, so no user can.
#[derive(Debug, Clone, PartialEq)]
pub enum CpuStorage {
    Bool(HostBuffer<bool>),
    U8(HostBuffer<u8>),
    U16(HostBuffer<u16>),
    U32(HostBuffer<u32>),
    U64(HostBuffer<u64>),
    I8(HostBuffer<i8>),
    I16(HostBuffer<i16>),
    I32(HostBuffer<i32>),
    I64(HostBuffer<i64>),
    F16(HostBuffer<f16>),
    BF16(HostBuffer<bf16>),
    F32(HostBuffer<f32>),
    F64(HostBuffer<f64>),
    C64(HostBuffer<Complex<f32>>),
    C128(HostBuffer<Complex<f64>>),
}

/// Runs `$body` with `$v` bound to the typed [`HostBuffer`] inside a [`CpuStorage`]
/// (by value, reference or mutable reference, as `$storage` is given).
macro_rules! map_cpu_storage {
    ($storage:expr, $v:ident => $body:expr) => {
        match $storage {
            $crate::storage::CpuStorage::Bool($v) => $body,
            $crate::storage::CpuStorage::U8($v) => $body,
            $crate::storage::CpuStorage::U16($v) => $body,
            $crate::storage::CpuStorage::U32($v) => $body,
            $crate::storage::CpuStorage::U64($v) => $body,
            $crate::storage::CpuStorage::I8($v) => $body,
            $crate::storage::CpuStorage::I16($v) => $body,
            $crate::storage::CpuStorage::I32($v) => $body,
            $crate::storage::CpuStorage::I64($v) => $body,
            $crate::storage::CpuStorage::F16($v) => $body,
            $crate::storage::CpuStorage::BF16($v) => $body,
            $crate::storage::CpuStorage::F32($v) => $body,
            $crate::storage::CpuStorage::F64($v) => $body,
            $crate::storage::CpuStorage::C64($v) => $body,
            $crate::storage::CpuStorage::C128($v) => $body,
        }
    };
}
pub(crate) use map_cpu_storage;

impl CpuStorage {
    /// Hands an owned buffer to the allocator's reuse pool (it keeps large
    /// ones, frees the rest); leaves this storage empty.
    fn recycle(&mut self) {
        map_cpu_storage!(self, buffer => {
            if let HostBuffer::Owned(v) = buffer {
                crate::alloc::recycle(std::mem::take(v));
            }
        })
    }

    /// The dtype of the elements.
    pub(crate) fn dtype(&self) -> DType {
        match self {
            CpuStorage::Bool(_) => DType::Bool,
            CpuStorage::U8(_) => DType::U8,
            CpuStorage::U16(_) => DType::U16,
            CpuStorage::U32(_) => DType::U32,
            CpuStorage::U64(_) => DType::U64,
            CpuStorage::I8(_) => DType::I8,
            CpuStorage::I16(_) => DType::I16,
            CpuStorage::I32(_) => DType::I32,
            CpuStorage::I64(_) => DType::I64,
            CpuStorage::F16(_) => DType::F16,
            CpuStorage::BF16(_) => DType::BF16,
            CpuStorage::F32(_) => DType::F32,
            CpuStorage::F64(_) => DType::F64,
            CpuStorage::C64(_) => DType::C64,
            CpuStorage::C128(_) => DType::C128,
        }
    }

    /// The number of elements in the buffer.
    pub(crate) fn len(&self) -> usize {
        map_cpu_storage!(self, v => v.len())
    }
}

/// A tensor's buffer, on the device that holds it: host memory, or (with
/// the `cuda` feature) the memory of a CUDA GPU.
#[derive(Debug)]
pub(crate) enum Storage {
    Cpu(CpuStorage),
    #[cfg(feature = "cuda")]
    Cuda(crate::cuda::CudaStorage),
}

impl Drop for Storage {
    fn drop(&mut self) {
        match self {
            Storage::Cpu(cpu) => cpu.recycle(),
            // The backend's buffer goes back to its caching allocator.
            #[cfg(feature = "cuda")]
            Storage::Cuda(_) => {}
        }
    }
}

impl Storage {
    /// The host buffer, moved out (the storage left behind is empty); `None`
    /// for a device buffer.
    pub(crate) fn into_cpu(mut self) -> Option<CpuStorage> {
        match &mut self {
            Storage::Cpu(cpu) => Some(std::mem::replace(
                cpu,
                CpuStorage::Bool(HostBuffer::Owned(Vec::new())),
            )),
            #[cfg(feature = "cuda")]
            Storage::Cuda(_) => None,
        }
    }

    /// Where the bytes are.
    pub(crate) fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => s.device(),
        }
    }

    /// The dtype of the elements.
    pub(crate) fn dtype(&self) -> DType {
        match self {
            Storage::Cpu(s) => s.dtype(),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => s.dtype(),
        }
    }
}
