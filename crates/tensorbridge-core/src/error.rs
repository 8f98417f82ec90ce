//! The error type shared by every tensorbridge crate.

use crate::{DType, Device};

/// Everything that can go wrong in tensorbridge.
///
/// Each message names the operation, the argument, the rule that was broken
/// and the values involved, so that it can be acted on without a debugger:
///
/// ```
/// use tensorbridge_core::{Error, Tensor};
///
/// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], [3])?;
/// let err = t.reshape([2, 2]).unwrap_err();
/// assert!(matches!(err, Error::ShapeMismatch { .. }));
/// assert_eq!(
///     err.to_string(),
///     "reshape: cannot reshape a tensor of shape [3] (3 elements) into shape [2, 2] (4 elements)"
/// );
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two shapes that must agree do not.
    #[error("{op}: {msg}")]
    ShapeMismatch {
        /// The operation that failed.
        op: &'static str,
        /// The left-hand (or source) shape.
        lhs: Vec<usize>,
        /// The right-hand (or target) shape.
        rhs: Vec<usize>,
        /// What went wrong, naming both shapes.
        msg: String,
    },

    /// A tensor holds another dtype than the one asked for.
    #[error(
        "{op}: expected dtype {expected}, found {found}{hint}",
        hint = dtype_hint(*expected, *found)
    )]
    DTypeMismatch {
        /// The operation that failed.
        op: &'static str,
        /// The dtype the caller asked for.
        expected: DType,
        /// The dtype the tensor holds.
        found: DType,
    },

    /// An argument breaks a rule of the operation.
    #[error("{op}: {what}")]
    InvalidArgument {
        /// The operation that failed.
        op: &'static str,
        /// The argument, the rule and the values.
        what: String,
    },

    /// An index lies outside the axis it indexes.
    #[error(
        "{op}: {what} is out of bounds for axis {axis} with size {size}",
        what = match location {
            Some(at) => format!("{at} = {index}"),
            None => format!("index {index}"),
        }
    )]
    IndexOutOfBounds {
        /// The operation that failed.
        op: &'static str,
        /// The index as given (it may be negative).
        index: isize,
        /// The axis indexed.
        axis: usize,
        /// The size of that axis.
        size: usize,
        /// Where the index was read, when it came from a tensor of indices
        /// (`"indices[1, 0]"`, `"segment_ids[4]"`).
        location: Option<String>,
    },

    /// A shape whose element count or byte size does not fit in memory
    /// addresses at all.
    #[error("{op}: shape {dims:?} of {dtype} overflows: {what}")]
    ShapeOverflow {
        /// The operation that failed.
        op: &'static str,
        /// The dims as given.
        dims: Vec<usize>,
        /// The dtype whose byte size was computed.
        dtype: DType,
        /// Which quantity overflowed.
        what: &'static str,
    },

    /// The system refused (or would certainly refuse) an allocation.
    #[error(
        "out of memory: {requested_bytes} bytes requested{avail}",
        avail = match available_bytes {
            Some(a) => format!(", {a} bytes exist on this machine"),
            None => String::new(),
        }
    )]
    OutOfMemory {
        /// Bytes asked for.
        requested_bytes: usize,
        /// Bytes available, when known.
        available_bytes: Option<usize>,
    },

    /// A device was named that cannot be used here.
    #[error("device {device} is unavailable: {reason}")]
    DeviceUnavailable {
        /// The device asked for.
        device: Device,
        /// Why it cannot be used, and what to do instead.
        reason: String,
    },

    /// A device string could not be parsed.
    #[error(
        "cannot parse device {input:?}: expected \"cpu\", \"cuda\", \"gpu\" or a TensorFlow-style \
         name such as \"/CPU:0\", \"/device:GPU:1\", \"cuda:0\" or \"GPU:0\""
    )]
    ParseDevice {
        /// The string as given.
        input: String,
    },

    /// Host memory was asked for a tensor whose bytes live on a device.
    #[error(
        "{op}: the tensor lives on {device}; borrowing needs host memory. \
         Use to_array() (copies to the host) or cpu() first"
    )]
    NotOnHost {
        /// The operation that failed.
        op: &'static str,
        /// Where the tensor's bytes are.
        device: Device,
    },

    /// A symbolic (graph) tensor was asked for a value it does not have.
    #[error(
        "{op}: tensor {node} is symbolic (a node of a graph) and has no value yet. \
         Run it with Session::run(&[&t], feeds), or return it from the traced function \
         and convert the function's output"
    )]
    Symbolic {
        /// The operation that failed.
        op: &'static str,
        /// The node, as "name (op)".
        node: String,
    },

    /// Bytes that should follow a file format do not.
    #[error("{what}")]
    Format {
        /// What is wrong with the bytes, and where.
        what: String,
    },

    /// An I/O operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, and to which path.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// The result type of tensorbridge.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn dtype_hint(expected: DType, found: DType) -> String {
    if expected == found {
        String::new()
    } else {
        format!(
            "; tensorbridge never converts silently: call .cast(DType::{expected:?}) first if a conversion is meant"
        )
    }
}

impl Error {
    /// Shorthand for [`Error::InvalidArgument`].
    pub(crate) fn invalid(op: &'static str, what: impl Into<String>) -> Self {
        Error::InvalidArgument {
            op,
            what: what.into(),
        }
    }

    /// Shorthand for [`Error::ShapeMismatch`] with a message built by the caller.
    pub(crate) fn shape_mismatch(
        op: &'static str,
        lhs: &[usize],
        rhs: &[usize],
        msg: impl Into<String>,
    ) -> Self {
        Error::ShapeMismatch {
            op,
            lhs: lhs.to_vec(),
            rhs: rhs.to_vec(),
            msg: msg.into(),
        }
    }
}
