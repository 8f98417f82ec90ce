//! Random tensors with core's generator: Philox4x32-10 with the same
//! stream mapping and the same conversions as core's `random.rs`, so a seed
//! gives the same values on the GPU as on the CPU, to the bit.
//!
//! The parameters are derived here exactly as core derives them (mean and
//! std as f32 for the narrow floats, the smallest/largest representable
//! bounds of uniform floats, the integer range), with core's checks.

use half::{bf16, f16};

use crate::kernels::RANDOM;
use crate::launch::{grid, launch, same_device};
use crate::ops::Distribution;
use crate::{CudaDevice, CudaError, DeviceBuffer, ElemType, Result};

/// What a launch needs, derived from a distribution and a type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Plan {
    /// `normal_{f16,bf16,f32}` with f32 parameters, 4 per block.
    NormalNarrow { mean: f32, std: f32 },
    /// `normal_f64`, 2 per block.
    NormalF64 { mean: f64, std: f64 },
    /// `uniform_{f16,bf16,f32}`, 4 per block.
    UniformNarrow {
        minval: f64,
        scale: f64,
        lo: f64,
        hi: f64,
    },
    /// `uniform_f64`, 2 per block.
    UniformF64 { minval: f64, scale: f64, hi: f64 },
    /// `uniform_int64_T`: range <= 2^32, 2 per block.
    Int64 { lo: u64, range: u64 },
    /// `uniform_int128_T`: wider 64-bit ranges, 1 per block (`full`: 2^64).
    Int128 { lo: u64, range: u64, full: bool },
}

fn invalid(msg: String) -> CudaError {
    CudaError::InvalidArgument(msg)
}

fn check_finite(name: &str, v: f64) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(invalid(format!("{name} = {v} must be finite")))
    }
}

/// The finite maximum of a float type, as f64.
fn float_max(elem: ElemType) -> f64 {
    match elem {
        ElemType::F16 => f16::MAX.to_f64(),
        ElemType::BF16 => bf16::MAX.to_f64(),
        ElemType::F32 => f64::from(f32::MAX),
        _ => f64::MAX,
    }
}

fn check_in_range(elem: ElemType, name: &str, v: f64) -> Result<()> {
    let max = float_max(elem);
    if v.abs() > max {
        return Err(invalid(format!(
            "{name} = {v} is outside the finite range of {elem} (±{max})"
        )));
    }
    Ok(())
}

/// `x` rounded to `elem` (f16, bf16 or f32) and back, as core's `from_f64`.
fn round_to(elem: ElemType, x: f64) -> f64 {
    match elem {
        ElemType::F16 => f16::from_f64(x).to_f64(),
        ElemType::BF16 => bf16::from_f64(x).to_f64(),
        _ => f64::from(x as f32),
    }
}

/// The next representable value of `elem` above (`up`) or below `x`
/// (which is representable).
fn step(elem: ElemType, x: f64, up: bool) -> f64 {
    fn half_up(bits: u16) -> u16 {
        if bits & 0x7fff == 0 {
            1
        } else if bits & 0x8000 == 0 {
            bits + 1
        } else {
            bits - 1
        }
    }
    let sign = if up { 1.0 } else { -1.0 };
    match elem {
        ElemType::F16 => sign * f16::from_bits(half_up(f16::from_f64(sign * x).to_bits())).to_f64(),
        ElemType::BF16 => {
            sign * bf16::from_bits(half_up(bf16::from_f64(sign * x).to_bits())).to_f64()
        }
        _ => {
            let v = x as f32;
            f64::from(if up { v.next_up() } else { v.next_down() })
        }
    }
}

/// Derives the kernel parameters for `dist` over `elem`, refusing what core
/// refuses.
pub(crate) fn plan(dist: Distribution, elem: ElemType) -> Result<Plan> {
    match dist {
        Distribution::Normal { mean, std } => {
            if !elem.is_float() {
                return Err(CudaError::Unsupported(format!(
                    "normal draws float16, bfloat16, float32 or float64, not {elem}"
                )));
            }
            check_finite("mean", mean)?;
            check_finite("std", std)?;
            if std < 0.0 {
                return Err(invalid(format!("std = {std} must be >= 0")));
            }
            if elem == ElemType::F64 {
                return Ok(Plan::NormalF64 { mean, std });
            }
            check_in_range(elem, "mean", mean)?;
            check_in_range(elem, "std", std)?;
            Ok(Plan::NormalNarrow {
                mean: mean as f32,
                std: std as f32,
            })
        }
        Distribution::Uniform { low, high } => {
            if elem == ElemType::Bool || elem.is_complex() {
                return Err(CudaError::Unsupported(format!(
                    "uniform draws integers or floats, not {elem}"
                )));
            }
            check_finite("minval", low)?;
            check_finite("maxval", high)?;
            if low >= high {
                return Err(invalid(format!(
                    "minval = {low} must be < maxval = {high}: the interval [minval, maxval) is empty"
                )));
            }
            if elem == ElemType::F64 {
                let scale = high - low;
                if !scale.is_finite() {
                    return Err(invalid(format!(
                        "maxval - minval = {high} - ({low}) overflows float64"
                    )));
                }
                return Ok(Plan::UniformF64 {
                    minval: low,
                    scale,
                    hi: high.next_down(),
                });
            }
            if elem.is_float() {
                check_in_range(elem, "minval", low)?;
                check_in_range(elem, "maxval", high)?;
                let mut lo = round_to(elem, low);
                if lo < low {
                    lo = step(elem, lo, true);
                }
                let mut hi = round_to(elem, high);
                if hi >= high {
                    hi = step(elem, hi, false);
                }
                if lo > hi {
                    return Err(invalid(format!(
                        "no {elem} value lies in [minval, maxval) = [{low}, {high})"
                    )));
                }
                return Ok(Plan::UniformNarrow {
                    minval: low,
                    scale: high - low,
                    lo,
                    hi,
                });
            }
            let (min, max): (i128, i128) = match elem {
                ElemType::U8 => (0, u8::MAX.into()),
                ElemType::U16 => (0, u16::MAX.into()),
                ElemType::U32 => (0, u32::MAX.into()),
                ElemType::U64 => (0, u64::MAX.into()),
                ElemType::I8 => (i8::MIN.into(), i8::MAX.into()),
                ElemType::I16 => (i16::MIN.into(), i16::MAX.into()),
                ElemType::I32 => (i32::MIN.into(), i32::MAX.into()),
                _ => (i64::MIN.into(), i64::MAX.into()),
            };
            for (name, v) in [("minval", low), ("maxval", high)] {
                if v.fract() != 0.0 {
                    return Err(invalid(format!(
                        "{name} = {v} must be a whole number for dtype {elem}"
                    )));
                }
            }
            let in_range = |v: f64| v >= min as f64 && v <= (max + 1) as f64;
            if !in_range(low) || !in_range(high) {
                return Err(invalid(format!(
                    "the bounds minval = {low}, maxval = {high} are out of range for dtype {elem}: \
                     they must satisfy {min} <= minval < maxval <= {}",
                    max + 1
                )));
            }
            let (lo, hi) = (low as i128, high as i128);
            let range = (hi - lo) as u128;
            Ok(if range <= 1 << 32 {
                Plan::Int64 {
                    lo: lo as u64,
                    range: range as u64,
                }
            } else {
                Plan::Int128 {
                    lo: lo as u64,
                    range: range as u64,
                    full: range == 1 << 64,
                }
            })
        }
    }
}

impl CudaDevice {
    /// Fills `out` (`len_bytes / elem size` elements, C order) with draws
    /// from `dist`, element `i` taking its bits from Philox block
    /// `first_block + i / k` (lane `i % k`, `k` as in core's table) under
    /// `key` (`[seed mod 2^32, seed / 2^32]`). Compiled without fused
    /// multiply-add and with core's own log/sin/cos polynomials, so the
    /// values equal core's bit for bit (NaN cannot occur).
    ///
    /// **Errors**: [`CudaError::InvalidArgument`] for parameters core
    /// refuses (non-finite, `std < 0`, `low >= high`, bounds outside the
    /// type, no value of the type in `[low, high)`, fractional integer
    /// bounds) or an output that is not a whole number of elements;
    /// [`CudaError::Unsupported`] for bool, complex, and integer normals.
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
        same_device(self, &[out])?;
        let plan = plan(dist, elem)?;
        self.check_elem(elem)?;
        let size = elem.size_bytes();
        if out.len_bytes() % size != 0 {
            return Err(invalid(format!(
                "random: a buffer of {} bytes is not a whole number of {elem} elements",
                out.len_bytes()
            )));
        }
        let n = (out.len_bytes() / size) as u64;
        if n == 0 {
            return Ok(());
        }
        let (op, k0, k1, fb) = (out.device_ptr(), key[0], key[1], first_block);
        let sfx = elem.suffix();
        match plan {
            Plan::NormalNarrow { mean, std } => {
                let f = self.function(&RANDOM, &format!("normal_{sfx}"))?;
                // normal_T(T* out, u64 n, u32 k0, u32 k1, u64 first_block, float mean, float std)
                launch!(self, f, grid(n.div_ceil(4)); &op, &n, &k0, &k1, &fb, &mean, &std)
            }
            Plan::NormalF64 { mean, std } => {
                let f = self.function(&RANDOM, "normal_f64")?;
                // normal_f64(double* out, u64 n, u32 k0, u32 k1, u64 first_block, double mean, double std)
                launch!(self, f, grid(n.div_ceil(2)); &op, &n, &k0, &k1, &fb, &mean, &std)
            }
            Plan::UniformNarrow {
                minval,
                scale,
                lo,
                hi,
            } => {
                let f = self.function(&RANDOM, &format!("uniform_{sfx}"))?;
                // uniform_T(T* out, u64 n, u32 k0, u32 k1, u64 fb, double minval, double scale, double lo, double hi)
                launch!(self, f, grid(n.div_ceil(4)); &op, &n, &k0, &k1, &fb, &minval, &scale, &lo, &hi)
            }
            Plan::UniformF64 { minval, scale, hi } => {
                let f = self.function(&RANDOM, "uniform_f64")?;
                // uniform_f64(double* out, u64 n, u32 k0, u32 k1, u64 fb, double minval, double scale, double hi)
                launch!(self, f, grid(n.div_ceil(2)); &op, &n, &k0, &k1, &fb, &minval, &scale, &hi)
            }
            Plan::Int64 { lo, range } => {
                let f = self.function(&RANDOM, &format!("uniform_int64_{sfx}"))?;
                // uniform_int64_T(T* out, u64 n, u32 k0, u32 k1, u64 fb, u64 lo, u64 range)
                launch!(self, f, grid(n.div_ceil(2)); &op, &n, &k0, &k1, &fb, &lo, &range)
            }
            Plan::Int128 { lo, range, full } => {
                let full = u32::from(full);
                let f = self.function(&RANDOM, &format!("uniform_int128_{sfx}"))?;
                // uniform_int128_T(T* out, u64 n, u32 k0, u32 k1, u64 fb, u64 lo, u64 range, u32 full)
                launch!(self, f, grid(n); &op, &n, &k0, &k1, &fb, &lo, &range, &full)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_uniform_bounds_are_the_representable_ones() {
        // [0.1, 0.2) in f16: lo is the first f16 >= 0.1, hi the last < 0.2.
        let Plan::UniformNarrow { lo, hi, .. } = plan(
            Distribution::Uniform {
                low: 0.1,
                high: 0.2,
            },
            ElemType::F16,
        )
        .unwrap() else {
            panic!("narrow plan expected")
        };
        assert!(lo >= 0.1 && f16::from_f64(lo).to_f64() == lo);
        assert!(step(ElemType::F16, lo, false) < 0.1);
        assert!(hi < 0.2 && step(ElemType::F16, hi, true) >= 0.2);
        // Exactly representable bounds: lo stays, hi steps down.
        let Plan::UniformNarrow { lo, hi, .. } = plan(
            Distribution::Uniform {
                low: 0.0,
                high: 1.0,
            },
            ElemType::F32,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(lo, 0.0);
        assert_eq!(hi, f64::from(1.0f32.next_down()));
        assert_eq!(step(ElemType::BF16, 0.0, true), bf16::from_bits(1).to_f64());
        assert_eq!(
            step(ElemType::F16, -1.0, true),
            -f16::from_bits(0x3bff).to_f64()
        );
    }

    #[test]
    fn integer_ranges_pick_the_draw_width() {
        assert_eq!(
            plan(
                Distribution::Uniform {
                    low: -3.0,
                    high: 5.0
                },
                ElemType::I8
            )
            .unwrap(),
            Plan::Int64 {
                lo: (-3i64) as u64,
                range: 8
            }
        );
        assert_eq!(
            plan(
                Distribution::Uniform {
                    low: 0.0,
                    high: 4294967296.0
                },
                ElemType::U64
            )
            .unwrap(),
            Plan::Int64 {
                lo: 0,
                range: 1 << 32
            }
        );
        assert_eq!(
            plan(
                Distribution::Uniform {
                    low: 0.0,
                    high: 4294967297.0
                },
                ElemType::U64
            )
            .unwrap(),
            Plan::Int128 {
                lo: 0,
                range: (1 << 32) + 1,
                full: false
            }
        );
        let full = plan(
            Distribution::Uniform {
                low: -9223372036854775808.0,
                high: 9223372036854775808.0,
            },
            ElemType::I64,
        )
        .unwrap();
        assert_eq!(
            full,
            Plan::Int128 {
                lo: i64::MIN as u64,
                range: 0,
                full: true
            }
        );
    }

    #[test]
    fn core_rejections_are_mirrored() {
        let n = |mean, std| Distribution::Normal { mean, std };
        let u = |low, high| Distribution::Uniform { low, high };
        assert!(
            plan(n(0.0, -1.0), ElemType::F32)
                .unwrap_err()
                .to_string()
                .contains("std")
        );
        assert!(plan(n(f64::NAN, 1.0), ElemType::F32).is_err());
        assert!(
            plan(n(1e6, 1.0), ElemType::F16)
                .unwrap_err()
                .to_string()
                .contains("float16")
        );
        assert!(matches!(
            plan(n(0.0, 1.0), ElemType::I32),
            Err(CudaError::Unsupported(_))
        ));
        assert!(
            plan(u(1.0, 1.0), ElemType::F32)
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        assert!(
            plan(u(0.5, 3.0), ElemType::I32)
                .unwrap_err()
                .to_string()
                .contains("whole")
        );
        assert!(
            plan(u(0.0, 257.0), ElemType::U8)
                .unwrap_err()
                .to_string()
                .contains("out of range")
        );
        assert!(plan(u(0.0, 256.0), ElemType::U8).is_ok());
        assert!(
            plan(u(-f64::MAX, f64::MAX), ElemType::F64)
                .unwrap_err()
                .to_string()
                .contains("overflows")
        );
        assert!(
            plan(u(1.0 + 1e-4, 1.0 + 2e-4), ElemType::F16)
                .unwrap_err()
                .to_string()
                .contains("no float16")
        );
        assert!(matches!(
            plan(u(0.0, 1.0), ElemType::C64),
            Err(CudaError::Unsupported(_))
        ));
    }
}
