//! `rgb_to_grayscale` with core's weights and rounding.

use crate::elementwise::not_built;
use crate::{CudaDevice, DeviceBuffer, ElemType, Result, StridedLayout};

impl CudaDevice {
    /// `out[p] = 0.2989 r + 0.5870 g + 0.1140 b` for each pixel of `layout`
    /// (`[..., 3]`, any strides); `out` is C-order `[..., 1]` of `elem`.
    /// Integer images are scaled to `[0, 1]` and back exactly as core does.
    ///
    /// **Errors**: [`CudaError::InvalidArgument`](crate::CudaError::InvalidArgument)
    /// when the last dim is not 3 or the layout does not fit; bool and
    /// complex are [`CudaError::Unsupported`](crate::CudaError::Unsupported).
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, ElemType, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let px = dev.upload(&[255, 255, 255])?;
    ///     let mut out = dev.alloc(1)?;
    ///     dev.rgb_to_grayscale(ElemType::U8, &px, StridedLayout::new(&[1, 3], &[3, 1]), &mut out)?;
    ///     let mut host = [0u8; 1];
    ///     dev.download(&out, ElemType::U8, StridedLayout::new(&[1], &[1]), &mut host)?;
    ///     assert_eq!(host, [255]);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn rgb_to_grayscale(
        &self,
        elem: ElemType,
        src: &DeviceBuffer,
        layout: StridedLayout<'_>,
        out: &mut DeviceBuffer,
    ) -> Result<()> {
        let _ = (elem, src, layout, out);
        Err(not_built("rgb_to_grayscale"))
    }
}
