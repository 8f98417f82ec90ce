//! The [`ragged!`](crate::ragged) macro: `tf.ragged.constant` for literals.

/// A [`RaggedTensor`](crate::RaggedTensor) from a nested list literal, like
/// `tf.ragged.constant([[1, 2, 3], [4, 5], [6]])`.
///
/// Every level of brackets below the outermost becomes a ragged dim (two to
/// four levels in all). The literal becomes nested `Vec`s, so the element
/// type is inferred as for `vec!` (`i32` for plain integer literals) and a
/// literal of inconsistent depth does not compile. Rows may be empty as
/// long as some row fixes the element type.
///
/// The tensor is made on the host whatever the device scope, as
/// `Tensor::from` is; move it with
/// [`RaggedTensor::to_device`](crate::RaggedTensor::to_device), or use
/// [`RaggedTensor::from_nested`](crate::RaggedTensor::from_nested), which
/// follows the scope.
///
/// **Panics**: only when memory for the values cannot be allocated (as
/// `vec!` does); use [`RaggedTensor::from_nested`](crate::RaggedTensor::from_nested)
/// for a `Result`.
///
/// ```
/// use tensorbridge_ragged::ragged;
///
/// let rt = ragged![[1, 2, 3], [4, 5], [6]];
/// assert_eq!(rt.to_string(), "<tf.RaggedTensor [[1, 2, 3], [4, 5], [6]]>");
/// let rt = ragged![[[1.5f32, 2.0], []], [[3.0]]];
/// assert_eq!((rt.ragged_rank(), rt.nvals()), (2, 3));
/// let rt = ragged![[], [7i64]];
/// assert_eq!(rt.row_splits().to_vec::<i64>()?, [0, 0, 1]);
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
#[macro_export]
macro_rules! ragged {
    ($([$($row:tt)*]),+ $(,)?) => {
        $crate::RaggedTensor::from_nested_on_host(
            ::std::vec![$($crate::__ragged_vec!([$($row)*])),+]
        )
        .expect("ragged!: the values of a literal could not be allocated")
    };
}

/// Turns one bracketed level of a [`ragged!`] literal into nested `vec!`s.
#[doc(hidden)]
#[macro_export]
macro_rules! __ragged_vec {
    ([$([$($inner:tt)*]),+ $(,)?]) => {
        ::std::vec![$($crate::__ragged_vec!([$($inner)*])),+]
    };
    ([$($x:expr),* $(,)?]) => {
        ::std::vec![$($x),*]
    };
}
