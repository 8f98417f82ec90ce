//! [`Device`]: where a tensor's bytes live, TensorFlow-style device names,
//! and the thread-local device scope (`with tf.device(...)`).

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use crate::{Error, Result};

/// A place tensors can live: the host, or a CUDA GPU by ordinal.
///
/// Parsed from the names TensorFlow, PyTorch and JAX users write, case
/// insensitively:
///
/// ```
/// use tensorbridge_core::Device;
///
/// assert_eq!("/GPU:1".parse::<Device>()?, Device::Cuda(1));
/// assert_eq!("/device:CPU:0".parse::<Device>()?, Device::Cpu);
/// assert_eq!("cuda".parse::<Device>()?, Device::Cuda(0));
/// assert_eq!(
///     "/job:localhost/replica:0/task:0/device:GPU:0".parse::<Device>()?,
///     Device::Cuda(0)
/// );
/// assert!("tpu:0".parse::<Device>().is_err());
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
///
/// `Device::Cuda(n)` always exists as a value; using it in a build without a
/// CUDA backend (or on a machine without that GPU) is
/// [`Error::DeviceUnavailable`], never a panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Device {
    /// Host memory.
    #[default]
    Cpu,
    /// The CUDA GPU with this ordinal.
    Cuda(usize),
}

impl Device {
    /// The device new tensors are made on in this thread: the innermost
    /// active [`Device::scope`], or the CPU.
    pub fn current() -> Device {
        CURRENT.with(Cell::get)
    }

    /// Makes `self` the device new tensors are created on in this thread
    /// until the returned guard is dropped, like `with tf.device(...)`.
    /// Scopes nest; dropping a guard restores the device before it.
    ///
    /// ```
    /// use tensorbridge_core::{Device, DType, Tensor};
    ///
    /// {
    ///     let _gpu = "/GPU:0".parse::<Device>()?.scope();
    ///     assert_eq!(Device::current(), Device::Cuda(0));
    ///     // On the GPU when there is one; without a usable GPU, creation
    ///     // says so instead of silently falling back to the CPU.
    ///     match Tensor::zeros([2], DType::F32) {
    ///         Ok(t) => assert_eq!(t.device(), Device::Cuda(0)),
    ///         Err(e) => assert!(!Device::Cuda(0).is_available(), "{e}"),
    ///     }
    /// }
    /// assert_eq!(Device::current(), Device::Cpu);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    #[must_use = "the scope ends when the guard is dropped; bind it: `let _g = device.scope();`"]
    pub fn scope(self) -> DeviceScope {
        let previous = CURRENT.with(|c| c.replace(self));
        DeviceScope {
            previous,
            _not_send: PhantomData,
        }
    }

    /// Whether tensors can be made on this device in this build and on this
    /// machine.
    ///
    /// ```
    /// use tensorbridge_core::Device;
    ///
    /// assert!(Device::Cpu.is_available());
    /// // True only with the `cuda` feature on a machine with a GPU.
    /// assert_eq!(Device::Cuda(0).is_available(), tensorbridge_core::devices().len() > 1);
    /// ```
    pub fn is_available(self) -> bool {
        self.check_available().is_ok()
    }

    /// `Ok` when the device can hold tensors, else
    /// [`Error::DeviceUnavailable`] with the reason: a build without the
    /// `cuda` feature, no NVIDIA driver, a stub driver, no GPU, an ordinal
    /// past the last GPU. Asking never panics, whatever the machine has.
    ///
    /// ```
    /// use tensorbridge_core::Device;
    ///
    /// assert!(Device::Cpu.check_available().is_ok());
    /// if let Err(e) = Device::Cuda(7).check_available() {
    ///     assert!(e.to_string().starts_with("device cuda:7 is unavailable: "));
    /// }
    /// ```
    pub fn check_available(self) -> Result<()> {
        match self {
            Device::Cpu => Ok(()),
            #[cfg(feature = "cuda")]
            Device::Cuda(ordinal) => crate::cuda::check_available(ordinal),
            #[cfg(not(feature = "cuda"))]
            Device::Cuda(_) => Err(Error::DeviceUnavailable {
                device: self,
                reason: "this build of tensorbridge has no CUDA backend; tensors can only \
                         live on the CPU (use Device::Cpu, or leave the device scope; build with \
                         the `cuda` feature for GPUs)"
                    .into(),
            }),
        }
    }

    /// TensorFlow's name for the device: `"/device:CPU:0"`, `"/device:GPU:1"`.
    pub fn tf_name(self) -> String {
        match self {
            Device::Cpu => "/device:CPU:0".into(),
            Device::Cuda(n) => format!("/device:GPU:{n}"),
        }
    }
}

/// Every device tensors can be made on in this build and on this machine
/// (`tf.config.list_physical_devices()`): the CPU first, then every CUDA GPU
/// the driver reports when the build has the `cuda` feature.
///
/// ```
/// use tensorbridge_core::{devices, Device};
///
/// let all = devices();
/// assert_eq!(all[0], Device::Cpu);
/// assert!(all[1..].iter().all(|d| d.is_available()));
/// ```
pub fn devices() -> Vec<Device> {
    #[cfg_attr(
        not(feature = "cuda"),
        expect(unused_mut, reason = "GPUs join with `cuda`")
    )]
    let mut all = vec![Device::Cpu];
    #[cfg(feature = "cuda")]
    all.extend(crate::cuda::devices());
    all
}

thread_local! {
    static CURRENT: Cell<Device> = const { Cell::new(Device::Cpu) };
}

/// The guard of a [`Device::scope`]: while it lives, new tensors in this
/// thread are made on its device. Not `Send`: a scope belongs to its thread.
#[derive(Debug)]
pub struct DeviceScope {
    previous: Device,
    _not_send: PhantomData<*const ()>,
}

impl Drop for DeviceScope {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.previous));
    }
}

/// `cpu` or `cuda:N`.
impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

impl FromStr for Device {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self> {
        let err = || Error::ParseDevice {
            input: input.to_owned(),
        };
        let lower = input.trim().to_ascii_lowercase();
        // A full TensorFlow name ("/job:.../device:GPU:0") names the device last.
        let name = match lower.rfind("device:") {
            Some(at) => &lower[at + "device:".len()..],
            None => lower.strip_prefix('/').unwrap_or(&lower),
        };
        let (kind, index) = match name.split_once(':') {
            Some((kind, index)) => {
                if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err());
                }
                (kind, index.parse::<usize>().map_err(|_| err())?)
            }
            None => (name, 0),
        };
        match kind {
            "cpu" if index == 0 => Ok(Device::Cpu),
            "gpu" | "cuda" => Ok(Device::Cuda(index)),
            _ => Err(err()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling() {
        for s in ["cpu", "CPU", "/CPU:0", "/device:CPU:0", "cpu:0", " cpu "] {
            assert_eq!(s.parse::<Device>().unwrap(), Device::Cpu, "{s}");
        }
        for (s, n) in [
            ("/GPU:0", 0),
            ("/device:GPU:1", 1),
            ("cuda:0", 0),
            ("GPU:0", 0),
            ("gpu", 0),
            ("CUDA:7", 7),
            ("/job:localhost/replica:0/task:0/device:GPU:3", 3),
        ] {
            assert_eq!(s.parse::<Device>().unwrap(), Device::Cuda(n), "{s}");
        }
    }

    #[test]
    fn rejects_anything_else() {
        for s in [
            "",
            "tpu:0",
            "cpu:1",
            "gpu:",
            "gpu:-1",
            "gpu:+1",
            "gpu:0:1",
            "cuda:99999999999999999999999",
            "/device:",
            "mps",
        ] {
            let e = s.parse::<Device>().unwrap_err();
            assert!(matches!(e, Error::ParseDevice { .. }), "{s}: {e}");
            assert!(e.to_string().contains(&format!("{s:?}")), "{e}");
        }
    }

    #[test]
    fn scopes_nest_and_restore() {
        assert_eq!(Device::current(), Device::Cpu);
        {
            let _a = Device::Cuda(1).scope();
            assert_eq!(Device::current(), Device::Cuda(1));
            {
                let _b = Device::Cpu.scope();
                assert_eq!(Device::current(), Device::Cpu);
            }
            assert_eq!(Device::current(), Device::Cuda(1));
        }
        assert_eq!(Device::current(), Device::Cpu);
    }

    #[test]
    #[cfg(not(feature = "cuda"))]
    fn cuda_is_unavailable_without_a_backend() {
        let e = Device::Cuda(0).check_available().unwrap_err();
        assert!(matches!(
            e,
            Error::DeviceUnavailable {
                device: Device::Cuda(0),
                ..
            }
        ));
        assert!(e.to_string().contains("cuda:0"));
        assert!(Device::Cpu.is_available());
    }
}
