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
    ///     // Without a CUDA backend, creation says so instead of silently
    ///     // falling back to the CPU.
    ///     assert!(Tensor::zeros([2], DType::F32).is_err());
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
    pub fn is_available(self) -> bool {
        self.check_available().is_ok()
    }

    /// `Ok` when the device can hold tensors, else the reason it cannot.
    pub(crate) fn check_available(self) -> Result<()> {
        match self {
            Device::Cpu => Ok(()),
            Device::Cuda(_) => Err(Error::DeviceUnavailable {
                device: self,
                reason: "this build of tensorbridge has no CUDA backend yet; tensors can only \
                         live on the CPU (use Device::Cpu, or leave the device scope)"
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

/// Every device tensors can be made on in this build and on this machine;
/// the CPU always comes first.
///
/// ```
/// assert_eq!(tensorbridge_core::devices()[0], tensorbridge_core::Device::Cpu);
/// ```
pub fn devices() -> Vec<Device> {
    vec![Device::Cpu]
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
