//! Image operations, following `tf.image`: [`rgb_to_grayscale`].
//!
//! ```
//! use tensorbridge_core::{image, random, DType};
//!
//! let batch = random::uniform([3, 256, 256, 3], 0.0, 1.0, DType::F32, Some(1))?;
//! let gray = image::rgb_to_grayscale(&batch)?;
//! assert_eq!(gray.dims(), [3, 256, 256, 1]);
//! # Ok::<(), tensorbridge_core::Error>(())
//! ```

use half::{bf16, f16};

use crate::element::{Element, private::Sealed};
use crate::storage::CpuStorage;
use crate::zip::ZipPlan;
use crate::{DType, Error, Result, Shape, SliceArg, Tensor, alloc};

/// The name errors carry.
const OP: &str = "image::rgb_to_grayscale";

/// TensorFlow's luma weights of red, green and blue (`tf.image.rgb_to_grayscale`).
const WEIGHTS: [f32; 3] = [0.2989, 0.5870, 0.1140];

/// The same weights as f64 literals, for f64 images.
const WEIGHTS_F64: [f64; 3] = [0.2989, 0.5870, 0.1140];

/// Inputs of at least this many bytes are converted on all cores.
#[cfg(feature = "parallel")]
const PARALLEL_MIN_BYTES: usize = 1 << 20;

/// Grayscale of an integer image of Rust type `$T`, through f32 as
/// `tf.image.convert_image_dtype` converts: `x * f32(1 / MAX)` in, and
/// `y * f32(MAX + 0.5)` truncated (saturating `as`) out.
macro_rules! gray_int {
    ($images:expr, $T:ty) => {{
        let to_unit = (1.0 / <$T>::MAX as f64) as f32;
        let from_unit = (<$T>::MAX as f64 + 0.5) as f32;
        <$T>::into_storage(map_pixels($images, move |r: $T, g: $T, b: $T| {
            let y = weigh(r as f32 * to_unit, g as f32 * to_unit, b as f32 * to_unit);
            (y * from_unit) as $T
        })?)
    }};
}

/// Converts RGB images to grayscale (`tf.image.rgb_to_grayscale`): the last
/// dim, of size 3, becomes a dim of size 1; any number of batch dims come
/// before it (rank ≥ 1). The result has the input's dtype.
///
/// The semantics are TensorFlow's:
///
/// - float images are weighted as `0.2989 r + 0.5870 g + 0.1140 b`, in f32
///   for f32, f16 and bf16 (rounded once at the end) and in f64 for f64
///   (TensorFlow rounds f64 images through float32 here; tensorbridge keeps
///   their precision);
/// - integer images (every signed and unsigned width) are converted as
///   `tf.image.convert_image_dtype` does: to f32 as `x * (1 / MAX)` where
///   `MAX` is the dtype's largest value (`255` for uint8, `127` for int8),
///   weighted in f32, then back as `trunc(y * (MAX + 0.5))`, saturated to
///   the dtype. So uint8 `(255, 0, 0)` becomes `trunc(0.2989 × 255.5) = 76`
///   and white stays `trunc(0.9999 × 255.5) = 255`.
///
/// Any layout works (strided, transposed, broadcast views); the output is
/// a fresh C-order tensor. Large images are converted on all cores.
///
/// **Errors**: [`Error::InvalidArgument`] for a rank-0 tensor or a last dim
/// other than 3 (naming the shape), and for bool and complex dtypes;
/// [`Error::OutOfMemory`]. A device tensor is converted on its device.
///
/// ```
/// use tensorbridge_core::{image, Tensor};
///
/// let px = Tensor::from([[255u8, 0, 0], [0, 255, 0], [255, 255, 255]]);
/// let gray = image::rgb_to_grayscale(&px)?;
/// assert_eq!(gray.dims(), [3, 1]);
/// assert_eq!(gray.to_vec::<u8>()?, [76, 149, 255]);
///
/// let f = Tensor::from([[1.0f32, 0.5, 0.0]]);
/// assert_eq!(image::rgb_to_grayscale(&f)?.to_vec::<f32>()?, [0.2989 + 0.5870 * 0.5]);
/// assert!(image::rgb_to_grayscale(&Tensor::from([1.0f32, 2.0])).is_err()); // 2 channels
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn rgb_to_grayscale(images: &Tensor) -> Result<Tensor> {
    crate::graph::record_if_symbolic!(crate::graph::Op::RgbToGrayscale, images);
    let dims = images.dims();
    if dims.last() != Some(&3) {
        let why = match dims.last() {
            None => "a rank-0 tensor has no channel dim".to_string(),
            Some(c) => format!("its last dim has size {c}"),
        };
        return Err(Error::invalid(
            OP,
            format!(
                "images of shape {} must have 3 channels (RGB) in the last dim, but {why}",
                images.shape()
            ),
        ));
    }
    let dtype = images.dtype();
    if dtype == DType::Bool || dtype.is_complex() {
        return Err(Error::invalid(
            OP,
            format!(
                "dtype {dtype} is not supported: images must hold integers or floats \
                 (.cast() them first)"
            ),
        ));
    }
    let mut out_dims = dims.to_vec();
    *out_dims.last_mut().expect("rank >= 1 was checked") = 1;
    #[cfg(feature = "cuda")]
    if images.cuda_storage().is_some() {
        return crate::cuda::rgb_to_grayscale(images, Shape::from(out_dims));
    }
    let storage: CpuStorage = match dtype {
        DType::F32 => f32::into_storage(map_pixels(images, weigh)?),
        DType::F64 => f64::into_storage(map_pixels(images, |r: f64, g: f64, b: f64| {
            r * WEIGHTS_F64[0] + g * WEIGHTS_F64[1] + b * WEIGHTS_F64[2]
        })?),
        DType::F16 => f16::into_storage(map_pixels(images, |r: f16, g: f16, b: f16| {
            f16::from_f32(weigh(r.to_f32(), g.to_f32(), b.to_f32()))
        })?),
        DType::BF16 => bf16::into_storage(map_pixels(images, |r: bf16, g: bf16, b: bf16| {
            bf16::from_f32(weigh(r.to_f32(), g.to_f32(), b.to_f32()))
        })?),
        DType::U8 => gray_int!(images, u8),
        DType::U16 => gray_int!(images, u16),
        DType::U32 => gray_int!(images, u32),
        DType::U64 => gray_int!(images, u64),
        DType::I8 => gray_int!(images, i8),
        DType::I16 => gray_int!(images, i16),
        DType::I32 => gray_int!(images, i32),
        DType::I64 => gray_int!(images, i64),
        DType::Bool | DType::C64 | DType::C128 => unreachable!("refused above"),
    };
    Ok(Tensor::from_cpu_storage(storage, Shape::from(out_dims)))
}

/// The weighted sum of one f32 pixel, in TensorFlow's order.
#[inline(always)]
fn weigh(r: f32, g: f32, b: f32) -> f32 {
    r * WEIGHTS[0] + g * WEIGHTS[1] + b * WEIGHTS[2]
}

/// Converts the pixels `first..first + out.len()` into `out`.
type PixelRun<'a, D> = Box<dyn Fn(usize, &mut [D]) + Sync + 'a>;

/// `f(r, g, b)` of every pixel of `images` (last dim 3), in C order of the
/// pixels.
fn map_pixels<S: Element, D: Element>(
    images: &Tensor,
    f: impl Fn(S, S, S) -> D + Sync,
) -> Result<Vec<D>> {
    let src = images.host_slice::<S>(OP)?;
    let layout = images.layout();
    let pixels = layout.numel() / 3;
    let mut out = alloc::zeroed_vec::<D>(pixels)?;
    if pixels == 0 {
        return Ok(out);
    }
    let run: PixelRun<'_, D> = match layout.contiguous_range() {
        Some(range) => {
            let src = &src[range];
            let f = &f;
            Box::new(move |start: usize, out: &mut [D]| {
                let px = &src[3 * start..3 * (start + out.len())];
                for (o, p) in out.iter_mut().zip(px.chunks_exact(3)) {
                    *o = f(p[0], p[1], p[2]);
                }
            })
        }
        None => {
            // The first channel of every pixel, walked as runs of equal stride.
            let rank = layout.dims().len();
            let mut first_channel = vec![SliceArg::FULL; rank];
            first_channel[rank - 1] = SliceArg::Index(0);
            let pixels_layout = layout.slice(&first_channel)?;
            let plan = ZipPlan::new([&pixels_layout]);
            let [step] = plan.inner_strides();
            let channel = layout.strides()[rank - 1];
            let f = &f;
            Box::new(move |start: usize, out: &mut [D]| {
                let count = out.len();
                let mut o = out.iter_mut();
                plan.for_each_run(start, count, |[first], n| {
                    for k in 0..n as isize {
                        let pos = first + k * step;
                        let at = |c: isize| src[(pos + c * channel) as usize];
                        *o.next().expect("one output per pixel") = f(at(0), at(1), at(2));
                    }
                });
            })
        }
    };
    #[cfg(feature = "parallel")]
    if layout.numel() * size_of::<S>() >= PARALLEL_MIN_BYTES {
        crate::random::par_output_chunks(&mut out, |start, chunk| run(start, chunk));
        return Ok(out);
    }
    run(0, &mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SliceArg;

    fn gray_u8(px: [u8; 3]) -> u8 {
        rgb_to_grayscale(&Tensor::from(px))
            .unwrap()
            .to_scalar::<u8>()
            .unwrap()
    }

    #[test]
    fn uint8_pixels_by_hand() {
        // x / 255 is 1.0 or 0.0 here (255 · f32(1/255) rounds to 1.0), so
        // y is a weight sum and the result trunc(y · 255.5):
        assert_eq!(gray_u8([255, 0, 0]), 76); // 0.2989 · 255.5 = 76.37
        assert_eq!(gray_u8([0, 255, 0]), 149); // 0.5870 · 255.5 = 149.98
        assert_eq!(gray_u8([0, 0, 255]), 29); // 0.1140 · 255.5 = 29.13
        assert_eq!(gray_u8([255, 255, 255]), 255); // 0.9999 · 255.5 = 255.47
        assert_eq!(gray_u8([0, 0, 0]), 0);
        // (100, 150, 200): (0.2989·100 + 0.5870·150 + 0.1140·200) / 255 · 255.5
        // = (29.89 + 88.05 + 22.8) / 255 · 255.5 = 140.74 · 1.00196 = 141.02
        assert_eq!(gray_u8([100, 150, 200]), 141);
    }

    #[test]
    fn signed_and_wide_integers() {
        // int8: MAX = 127. (127, 127, 127) → 0.9999 · 127.5 = 127.49 → 127;
        // (-128, -128, -128) → -128/127 · 0.9999 · 127.5 = -128.49 → -128.
        let t = Tensor::from([[127i8, 127, 127], [-128, -128, -128], [0, 127, 0]]);
        // (0, 127, 0) → 0.5870 · 127.5 = 74.84 → 74.
        assert_eq!(
            rgb_to_grayscale(&t).unwrap().to_vec::<i8>().unwrap(),
            [127, -128, 74]
        );
        // uint16 white: 0.9999 · 65535.5 = 65528.95 → 65528.
        let t = Tensor::from([u16::MAX; 3]);
        assert_eq!(
            rgb_to_grayscale(&t).unwrap().to_vec::<u16>().unwrap(),
            [65528]
        );
    }

    #[test]
    fn floats_are_weighted() {
        let t = Tensor::from([[1.0f32, 0.0, 0.0], [0.2, 0.4, 0.6]]);
        let g = rgb_to_grayscale(&t).unwrap().to_vec::<f32>().unwrap();
        assert_eq!(g[0], 0.2989);
        assert_eq!(g[1], 0.2f32 * 0.2989 + 0.4 * 0.5870 + 0.6 * 0.1140);
        let t = Tensor::from([0.5f64, 0.5, 0.5]);
        // 0.5 · 0.9999 in f64: within an ulp or two of 0.49995.
        let g = rgb_to_grayscale(&t).unwrap().to_vec::<f64>().unwrap();
        assert!((g[0] - 0.49995).abs() < 1e-16, "{g:?}");
        let t = Tensor::from([f16::ONE, f16::ONE, f16::ONE]);
        // 0.9999 in f32, rounded once to f16: 1.0 (f16 spacing below 1 is 2^-11).
        assert_eq!(
            rgb_to_grayscale(&t).unwrap().to_vec::<f16>().unwrap(),
            [f16::ONE]
        );
    }

    #[test]
    fn strided_inputs_match_their_copies() {
        let data: Vec<u16> = (0..4 * 5 * 3).map(|i| (i * 997 % 65536) as u16).collect();
        let t = Tensor::from_vec(data, [4, 5, 3]).unwrap();
        let views = [
            t.transpose(&[1, 0, 2]).unwrap(),
            t.slice([SliceArg::range(None, None, -1)]).unwrap(),
            t.slice([
                SliceArg::FULL,
                SliceArg::range(Some(1), None, 2),
                SliceArg::range(None, None, -1),
            ])
            .unwrap(),
        ];
        for v in views {
            let want = rgb_to_grayscale(&v.contiguous_copy().unwrap()).unwrap();
            let got = rgb_to_grayscale(&v).unwrap();
            assert_eq!(got.dims(), want.dims());
            assert_eq!(got.to_vec::<u16>().unwrap(), want.to_vec::<u16>().unwrap());
        }
    }

    #[test]
    fn bad_inputs_name_the_shape_or_dtype() {
        let e = rgb_to_grayscale(&Tensor::scalar(1.0f32)).unwrap_err();
        assert!(e.to_string().contains("shape []"), "{e}");
        let e = rgb_to_grayscale(&Tensor::zeros([2, 4], DType::F32).unwrap()).unwrap_err();
        assert!(
            e.to_string().contains("shape [2, 4]") && e.to_string().contains("size 4"),
            "{e}"
        );
        let e = rgb_to_grayscale(&Tensor::from([true, false, true])).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }) && e.to_string().contains("bool"));
    }
}
