//! `rgb_to_grayscale` with core's weights and rounding.

use crate::kernels::IMAGE;
use crate::launch::{check_out, grid, launch, same_device};
use crate::layout::pack;
use crate::{CudaDevice, CudaError, DeviceBuffer, ElemType, Result, StridedLayout};

/// Core's `(to_unit, from_unit)` for an integer type: `(1 / MAX) as f32`
/// and `(MAX + 0.5) as f32`, computed in f64 first exactly as core does.
pub(crate) fn int_scales(elem: ElemType) -> (f32, f32) {
    let max = match elem {
        ElemType::U8 => f64::from(u8::MAX),
        ElemType::U16 => f64::from(u16::MAX),
        ElemType::U32 => f64::from(u32::MAX),
        ElemType::U64 => u64::MAX as f64,
        ElemType::I8 => f64::from(i8::MAX),
        ElemType::I16 => f64::from(i16::MAX),
        ElemType::I32 => f64::from(i32::MAX),
        ElemType::I64 => i64::MAX as f64,
        _ => return (0.0, 0.0),
    };
    ((1.0 / max) as f32, (max + 0.5) as f32)
}

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
        same_device(self, &[src, out])?;
        if elem == ElemType::Bool || elem.is_complex() {
            return Err(CudaError::Unsupported(format!(
                "rgb_to_grayscale: images must hold integers or floats, not {elem}"
            )));
        }
        self.check_elem(elem)?;
        let rank = layout.dims.len();
        if layout.dims.last() != Some(&3) {
            return Err(CudaError::InvalidArgument(format!(
                "rgb_to_grayscale: images of dims {:?} must have 3 channels (RGB) in the last dim",
                layout.dims
            )));
        }
        let n = layout.check("rgb_to_grayscale input", elem, src.len_bytes())? / 3;
        check_out("rgb_to_grayscale", out, elem, n)?;
        if n == 0 {
            return Ok(());
        }
        let pixels = StridedLayout {
            dims: &layout.dims[..rank - 1],
            strides: &layout.strides[..rank - 1],
            offset: layout.offset,
        };
        let pm = pack(&[pixels])?[0];
        let cstride = layout.strides[rank - 1] as i64;
        let (to_unit, from_unit) = int_scales(elem);
        let (sp, op, n) = (src.device_ptr(), out.device_ptr(), n as u64);
        let f = self.function(&IMAGE, &format!("gray_{}", elem.suffix()))?;
        // gray_T(Meta pm, i64 cstride, const T* src, T* out, u64 n, float to_unit, float from_unit)
        launch!(self, f, grid(n); &pm, &cstride, &sp, &op, &n, &to_unit, &from_unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_scales_match_core() {
        assert_eq!(
            int_scales(ElemType::U8),
            ((1.0f64 / 255.0) as f32, 255.5f32)
        );
        assert_eq!(int_scales(ElemType::I16).1, 32767.5f32);
        assert_eq!(int_scales(ElemType::U64).1, u64::MAX as f64 as f32);
        assert_eq!(int_scales(ElemType::F32), (0.0, 0.0));
    }
}
