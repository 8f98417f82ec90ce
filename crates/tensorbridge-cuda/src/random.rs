//! Random tensors with core's generator: Philox4x32-10 with the same
//! stream mapping and the same conversions as core's `random.rs`, so a seed
//! gives the same values on the GPU as on the CPU.

use crate::elementwise::not_built;
use crate::ops::Distribution;
use crate::{CudaDevice, DeviceBuffer, ElemType, Result};

impl CudaDevice {
    /// Fills `out` (`len_bytes / elem size` elements, C order) with draws
    /// from `dist`, element `i` taking its bits from Philox block
    /// `first_block + i / k` (lane `i % k`, `k` as in core's table) under
    /// `key` (`[seed mod 2^32, seed / 2^32]`). Compiled without fused
    /// multiply-add and with core's own log/sin/cos polynomials, so the
    /// values equal core's bit for bit.
    ///
    /// **Errors**: [`CudaError::InvalidArgument`](crate::CudaError::InvalidArgument)
    /// for parameters core refuses (non-finite, `std < 0`, `low >= high`,
    /// bounds outside the type, no value of the type in `[low, high)`);
    /// [`CudaError::Unsupported`](crate::CudaError::Unsupported) for bool,
    /// complex, and integer normals.
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, Distribution, ElemType};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let mut out = dev.alloc(4 * 1000)?;
    ///     let d = Distribution::Normal { mean: 0.0, std: 1.0 };
    ///     dev.random(d, ElemType::F32, [42, 0], 0, &mut out)?;
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn random(
        &self,
        dist: Distribution,
        elem: ElemType,
        key: [u32; 2],
        first_block: u64,
        out: &mut DeviceBuffer,
    ) -> Result<()> {
        let _ = (dist, elem, key, first_block, out);
        Err(not_built("random"))
    }
}
