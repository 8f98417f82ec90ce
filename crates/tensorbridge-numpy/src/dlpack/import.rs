//! DLPack managed tensor → tensor over the same bytes, zero-copy; and the
//! strided host buffers it rests on.

use std::sync::Arc;

use dlpark::{AllocationDeleter, ManagedTensorBase};
use tensorbridge_core::{DType, Device, ForeignOwner, Result, Tensor};

use super::device::from_dl_device;
use super::{from_dl_dtype, invalid};

const OP: &str = "from_dlpack";

/// The bytes of an imported DLPack tensor: read in place, released through
/// the producer's deleter (exactly once: when this owner, which every view
/// of the tensor shares, is dropped).
struct DlpackBytes {
    ptr: *const u8,
    len: usize,
    _deleter: AllocationDeleter,
}

// SAFETY: the bytes are only ever read through `&[u8]`, and the deleter that
// keeps them alive is itself `Send + Sync` (DLPack deleters may run on any
// thread); the raw pointer is what stops the auto traits, not any
// thread-affine state.
unsafe impl Send for DlpackBytes {}
// SAFETY: as above: shared access only reads.
unsafe impl Sync for DlpackBytes {}

impl AsRef<[u8]> for DlpackBytes {
    fn as_ref(&self) -> &[u8] {
        if self.len == 0 {
            // Empty, at an address aligned for every element type.
            // SAFETY: a dangling, non-null, aligned pointer is valid for 0 bytes.
            return unsafe {
                std::slice::from_raw_parts(std::ptr::NonNull::<u128>::dangling().as_ptr().cast(), 0)
            };
        }
        // SAFETY: `from_dlpack` checked that `ptr` is non-null and that the
        // producer's tensor spans exactly `len` bytes from it (compact
        // strides, checked arithmetic); the producer keeps them alive until
        // its deleter runs, which happens only when `self` is dropped.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// A DLPack managed tensor (either ABI) as a tensor over the same bytes,
/// without a copy. The tensor takes ownership: the producer's deleter runs
/// exactly once, when the tensor and every view of it are gone.
///
/// The layout may be C order or any permutation of a compact layout (for
/// example NumPy's Fortran order or a transposed array): the tensor gets the
/// same strides. Gapped, overlapping, broadcast (zero) and negative strides
/// are refused; ask the producer for a contiguous copy
/// (`np.ascontiguousarray`).
///
/// A `kDLCUDA` tensor (feature `cuda`) becomes a tensor on that GPU over
/// the producer's device memory, with the same rules: the buffer is
/// foreign (never cached by tensorbridge's allocator) and the deleter runs
/// once, after the GPU's stream has finished every use of the memory. The
/// producer must have made the bytes ready for tensorbridge's stream (the
/// Python module passes it as `__dlpack__(stream=...)`). Bool bytes are
/// checked on the device.
///
/// The tensor never writes to the bytes; if the producer does (a writable
/// NumPy array written after the import), the tensor sees it.
///
/// **Errors** ([`tensorbridge_core::Error::InvalidArgument`] unless said
/// otherwise): [`tensorbridge_core::Error::DeviceUnavailable`] for a CUDA
/// tensor when that GPU cannot be used here (no driver, no such device,
/// or a build without the `cuda` feature); a descriptor DLPack itself calls malformed (negative dims, a
/// rank that is negative or too large, an element count or byte size that
/// overflows); a device other than host or CUDA memory; a dtype with `lanes != 1`
/// or without a tensorbridge dtype; a null data pointer with a nonzero
/// size; a byte offset or byte span that overflows; strides that are not a
/// permutation of a compact layout; a data address not aligned for the
/// dtype; bool bytes other than 0 and 1; a device address the CUDA driver
/// does not place on the named GPU; `kDLCUDAManaged` memory. The producer's deleter runs on
/// every error path too.
///
/// ```
/// use tensorbridge_core::Tensor;
/// use tensorbridge_numpy::dlpack::{from_dlpack, to_dlpack_legacy};
///
/// let t = Tensor::from([[1i64, 2], [3, 4]]).t()?;    // a transposed view
/// let back = from_dlpack(to_dlpack_legacy(&t)?)?;     // the same view, same bytes
/// assert_eq!(back.to_vec::<i64>()?, [1, 3, 2, 4]);
/// assert_eq!(back.layout().strides(), [1, 2]);
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn from_dlpack<M: ManagedTensorBase>(managed: dlpark::Managed<M>) -> Result<Tensor> {
    let (device, dl_dtype, shape, strides, byte_offset, data) = {
        let t = managed
            .validate()
            .map_err(|e| invalid(OP, format!("malformed DLPack tensor: {e}")))?;
        (
            t.device(),
            t.dtype(),
            t.shape().to_vec(),
            t.strides().map(<[i64]>::to_vec),
            t.byte_offset(),
            t.data_ptr(),
        )
    };
    let device = from_dl_device(device)?;
    // A GPU this process cannot use: DeviceUnavailable, before anything
    // else is looked at (the deleter runs as `managed` drops).
    device.check_available()?;
    let dtype = from_dl_dtype(dl_dtype)?;
    let dims = shape
        .iter()
        .map(|&d| usize::try_from(d))
        .collect::<std::result::Result<Vec<usize>, _>>()
        .map_err(|_| invalid(OP, format!("shape {shape:?} has a negative dim")))?;
    let strides = strides
        .map(|s| {
            s.iter()
                .map(|&x| isize::try_from(x))
                .collect::<std::result::Result<Vec<isize>, _>>()
                .map_err(|_| invalid(OP, format!("strides {s:?} do not fit isize")))
        })
        .transpose()?;
    let plan = Plan::new(&dims, strides.as_deref())?;
    let numel = plan.numel(dtype)?;
    let len = numel.checked_mul(dtype.size_in_bytes()).ok_or_else(|| {
        invalid(
            OP,
            format!("shape {dims:?} of {dtype} overflows a byte size"),
        )
    })?;
    let byte_offset = usize::try_from(byte_offset)
        .map_err(|_| invalid(OP, format!("byte_offset {byte_offset} does not fit usize")))?;
    let ptr = if len == 0 {
        std::ptr::null()
    } else {
        if data.is_null() {
            return Err(invalid(
                OP,
                format!("data is null for shape {dims:?} of {dtype} ({numel} elements)"),
            ));
        }
        let start = (data as usize).checked_add(byte_offset);
        match start.and_then(|s| s.checked_add(len)) {
            Some(_) => data.cast::<u8>().wrapping_add(byte_offset),
            None => {
                return Err(invalid(
                    OP,
                    format!(
                        "data address {data:p} + byte_offset {byte_offset} + {len} bytes \
                         overflows the address space"
                    ),
                ));
            }
        }
    };
    if let Device::Cuda(n) = device {
        return cuda_import(n, ptr as u64, len, managed.into_deleter(), plan, dtype);
    }
    let owner: ForeignOwner = Arc::new(DlpackBytes {
        ptr,
        len,
        _deleter: managed.into_deleter(),
    });
    plan.build(owner, 0, dtype)
}

/// The tensor over `len` bytes of GPU `n`'s memory at `ptr` that the
/// producer's `deleter` releases: a foreign device buffer (never cached by
/// the allocator; the deleter runs once, after the GPU's stream is done
/// with the memory), arranged as `plan` says.
#[cfg(feature = "cuda")]
fn cuda_import(
    n: usize,
    ptr: u64,
    len: usize,
    deleter: dlpark::AllocationDeleter,
    plan: Plan,
    dtype: DType,
) -> Result<Tensor> {
    let device = Device::Cuda(n);
    let dev = tensorbridge_cuda::CudaDevice::get(n).map_err(|e| {
        tensorbridge_core::Error::DeviceUnavailable {
            device,
            reason: e.to_string(),
        }
    })?;
    // SAFETY: the DLPack producer guarantees that `ptr` addresses the
    // tensor's bytes in device memory of GPU `n` (checked above to span
    // exactly `len` bytes of a compact layout, and asked of the driver by
    // `wrap_foreign`), valid and unchanged until its deleter runs, which
    // the buffer calls by dropping `deleter` when the last view is gone.
    let buffer = unsafe { dev.wrap_foreign(ptr, len, Box::new(deleter)) }.map_err(|e| match e {
        tensorbridge_cuda::CudaError::InvalidArgument(what) => invalid(OP, what),
        other => tensorbridge_core::Error::DeviceUnavailable {
            device,
            reason: other.to_string(),
        },
    })?;
    let t = Tensor::from_cuda_buffer(buffer, dtype, plan.memory_dims)?;
    match plan.perm {
        None => Ok(t),
        Some(perm) => t.transpose(&perm),
    }
}

/// Without the `cuda` feature no DLPack device maps to a GPU.
#[cfg(not(feature = "cuda"))]
fn cuda_import(
    n: usize,
    _ptr: u64,
    _len: usize,
    _deleter: dlpark::AllocationDeleter,
    _plan: Plan,
    _dtype: DType,
) -> Result<Tensor> {
    Err(tensorbridge_core::Error::DeviceUnavailable {
        device: Device::Cuda(n),
        reason: "built without tensorbridge-numpy's `cuda` feature".into(),
    })
}

/// A tensor over a strided host buffer someone else owns: `dims` with
/// `strides` in elements (`None`: C order) from `owner.as_ref()[offset..]`,
/// read in place. The strides must be a permutation of a compact layout (C
/// order, Fortran order, any transpose); the tensor gets the same strides.
///
/// **Errors**: [`tensorbridge_core::Error::InvalidArgument`] for strides of
/// another length than `dims`, for gapped, overlapping, zero or negative
/// strides, and the errors of [`Tensor::from_host_bytes`] (too few bytes,
/// misaligned, invalid bool bytes, overflowing shape).
///
/// ```
/// use std::sync::Arc;
/// use tensorbridge_core::DType;
/// use tensorbridge_numpy::dlpack::from_strided_host_bytes;
///
/// // Fortran order: [[0, 2, 4], [1, 3, 5]] stored column by column.
/// let bytes: Vec<u8> = (0..6).collect();
/// let t = from_strided_host_bytes(Arc::new(bytes), 0, DType::U8, &[2, 3], Some(&[1, 2]))?;
/// assert_eq!(t.to_vec::<u8>()?, [0, 2, 4, 1, 3, 5]);
/// let gapped = from_strided_host_bytes(Arc::new(vec![0u8; 8]), 0, DType::U8, &[2, 2], Some(&[4, 2]));
/// assert!(gapped.is_err());
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn from_strided_host_bytes(
    owner: ForeignOwner,
    offset: usize,
    dtype: DType,
    dims: &[usize],
    strides: Option<&[isize]>,
) -> Result<Tensor> {
    Plan::new(dims, strides)?.build(owner, offset, dtype)
}

/// How a compact strided layout is made from a C-order tensor: the dims in
/// memory order, and the transpose back to the caller's axis order.
#[derive(Debug, PartialEq)]
struct Plan {
    /// The dims from the outermost (largest stride) to the innermost axis.
    memory_dims: Vec<usize>,
    /// `perm[j]`: the memory-order axis that is axis `j` of the result;
    /// `None` when the layout is C order already.
    perm: Option<Vec<usize>>,
}

impl Plan {
    fn new(dims: &[usize], strides: Option<&[isize]>) -> Result<Plan> {
        let c_order = Plan {
            memory_dims: dims.to_vec(),
            perm: None,
        };
        let Some(strides) = strides else {
            return Ok(c_order);
        };
        if strides.len() != dims.len() {
            return Err(invalid(
                OP,
                format!(
                    "strides {strides:?} have {} entries for shape {dims:?} of rank {}",
                    strides.len(),
                    dims.len()
                ),
            ));
        }
        // An empty tensor addresses nothing: any strides will do.
        if dims.contains(&0) {
            return Ok(c_order);
        }
        // Memory order: size-1 axes (whose stride is never used) first,
        // then the others from the largest stride to the smallest.
        let mut order: Vec<usize> = (0..dims.len()).collect();
        order.sort_by_key(|&a| (dims[a] != 1, std::cmp::Reverse(strides[a])));
        let mut expected: isize = 1;
        for &a in order.iter().rev().filter(|&&a| dims[a] != 1) {
            if strides[a] != expected {
                return Err(invalid(
                    OP,
                    format!(
                        "strides {strides:?} (in elements) for shape {dims:?} are not a \
                         permutation of a compact layout (axis {a} has stride {}, {expected} was \
                         expected): gapped, overlapping, broadcast and negative strides cannot \
                         be shared; make the array contiguous first (np.ascontiguousarray)",
                        strides[a]
                    ),
                ));
            }
            expected = isize::try_from(dims[a])
                .ok()
                .and_then(|d| expected.checked_mul(d))
                .ok_or_else(|| {
                    invalid(OP, format!("shape {dims:?} overflows the address space"))
                })?;
        }
        let mut perm = vec![0; dims.len()];
        for (memory_axis, &a) in order.iter().enumerate() {
            perm[a] = memory_axis;
        }
        let identity = perm.iter().enumerate().all(|(j, &p)| j == p);
        // C order up to the placement of size-1 axes is C order.
        let c_compact = order
            .iter()
            .filter(|&&a| dims[a] != 1)
            .zip(order.iter().filter(|&&a| dims[a] != 1).skip(1))
            .all(|(x, y)| x < y);
        if identity || c_compact {
            return Ok(c_order);
        }
        Ok(Plan {
            memory_dims: order.iter().map(|&a| dims[a]).collect(),
            perm: Some(perm),
        })
    }

    /// The element count, checked.
    fn numel(&self, dtype: DType) -> Result<usize> {
        self.memory_dims
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .ok_or_else(|| {
                invalid(
                    OP,
                    format!("shape {:?} of {dtype} overflows", self.memory_dims),
                )
            })
    }

    fn build(self, owner: ForeignOwner, offset: usize, dtype: DType) -> Result<Tensor> {
        let t = Tensor::from_host_bytes(owner, offset, dtype, self.memory_dims)?;
        match self.perm {
            None => Ok(t),
            Some(perm) => t.transpose(&perm),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_c_fortran_and_permuted_layouts() {
        let c = Plan::new(&[2, 3], Some(&[3, 1])).unwrap();
        assert_eq!(c.perm, None);
        let f = Plan::new(&[2, 3], Some(&[1, 2])).unwrap();
        assert_eq!(f.memory_dims, [3, 2]);
        assert_eq!(f.perm, Some(vec![1, 0]));
        // [2, 3, 4] stored as axes (2, 0, 1): strides 3, 1, 6.
        let p = Plan::new(&[2, 3, 4], Some(&[3, 1, 6])).unwrap();
        assert_eq!(p.memory_dims, [4, 2, 3]);
        assert_eq!(p.perm, Some(vec![1, 2, 0]));
        // Size-1 axes may carry any stride.
        assert_eq!(Plan::new(&[1, 3], Some(&[99, 1])).unwrap().perm, None);
        assert_eq!(Plan::new(&[3, 1], Some(&[1, -7])).unwrap().perm, None);
        // Empty tensors: strides do not matter.
        assert_eq!(Plan::new(&[0, 3], Some(&[-5, 0])).unwrap().perm, None);
    }

    #[test]
    fn refuses_gaps_overlaps_broadcasts_and_reversals() {
        for (dims, strides) in [
            (&[2usize, 2][..], &[4isize, 1][..]), // gap between rows
            (&[2, 2], &[4, 2]),                   // every other element
            (&[2, 2], &[1, 1]),                   // overlapping
            (&[2, 2], &[0, 1]),                   // broadcast
            (&[3], &[-1]),                        // reversed
        ] {
            let e = Plan::new(dims, Some(strides)).unwrap_err();
            assert!(
                e.to_string()
                    .contains("not a permutation of a compact layout"),
                "{e}"
            );
        }
        let e = Plan::new(&[2, 2], Some(&[2])).unwrap_err();
        assert!(
            e.to_string().contains("have 1 entries for shape [2, 2]"),
            "{e}"
        );
        let e = Plan::new(&[usize::MAX / 2, 4], Some(&[4, 1])).unwrap_err();
        assert!(e.to_string().contains("overflows"), "{e}");
    }

    #[test]
    fn strided_bytes_become_views_with_the_same_strides() {
        // [2, 3, 4] with memory order (2, 0, 1): element [i, j, k] at k*6 + i*3 + j.
        let bytes: Vec<u8> = (0..24).collect();
        let t =
            from_strided_host_bytes(Arc::new(bytes), 0, DType::U8, &[2, 3, 4], Some(&[3, 1, 6]))
                .unwrap();
        assert_eq!(t.dims(), [2, 3, 4]);
        assert_eq!(t.layout().strides(), [3, 1, 6]);
        let v = t.to_vec::<u8>().unwrap();
        for i in 0..2 {
            for j in 0..3 {
                for k in 0..4 {
                    assert_eq!(v[i * 12 + j * 4 + k] as usize, k * 6 + i * 3 + j);
                }
            }
        }
    }
}
