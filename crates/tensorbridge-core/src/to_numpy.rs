//! [`ToNumpy`]: converting whole structures of tensors in one call, like a
//! model's tuple of outputs.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};

use crate::{DynArray, Result, Tensor};

/// Structures of tensors that convert into the same structure of owned
/// arrays in one call: tensors, tuples (up to 12), `Vec`s, arrays, `Option`s,
/// maps, references to any of these, and any nesting of them.
///
/// The first error stops the conversion and is returned.
///
/// Device tensors are copied to the host one after the other on the GPU's
/// one stream: the first copy waits for the work queued before it, the
/// others only for their own bytes.
///
/// ```
/// use tensorbridge_core::{DType, Tensor, ToNumpy};
///
/// // A model with two heads: tuple(t.numpy() for t in outputs), in one call.
/// let outputs = (Tensor::from([10, 20, 30]), Tensor::from([[0.1, 0.2], [0.3, 0.4]]));
/// let (classes, boxes) = outputs.numpy()?;
/// assert_eq!(classes.dtype(), DType::I32);
/// assert_eq!(boxes.shape(), [2, 2]);
///
/// let batch = vec![Some(Tensor::from([1u8])), None];
/// let arrays = batch.numpy()?;
/// assert!(arrays[0].is_some() && arrays[1].is_none());
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub trait ToNumpy {
    /// The same structure with every tensor replaced by a [`DynArray`].
    type Output;

    /// Copies every tensor of the structure into an owned array.
    ///
    /// **Errors**: the first error of [`Tensor::numpy`] among the tensors.
    fn numpy(&self) -> Result<Self::Output>;
}

impl ToNumpy for Tensor {
    type Output = DynArray;
    fn numpy(&self) -> Result<DynArray> {
        Tensor::numpy(self)
    }
}

impl<T: ToNumpy + ?Sized> ToNumpy for &T {
    type Output = T::Output;
    fn numpy(&self) -> Result<T::Output> {
        (**self).numpy()
    }
}

impl<T: ToNumpy> ToNumpy for [T] {
    type Output = Vec<T::Output>;
    fn numpy(&self) -> Result<Self::Output> {
        self.iter().map(ToNumpy::numpy).collect()
    }
}

impl<T: ToNumpy> ToNumpy for Vec<T> {
    type Output = Vec<T::Output>;
    fn numpy(&self) -> Result<Self::Output> {
        self.as_slice().numpy()
    }
}

impl<T: ToNumpy, const N: usize> ToNumpy for [T; N] {
    type Output = [T::Output; N];
    fn numpy(&self) -> Result<Self::Output> {
        let converted: Vec<T::Output> = self.as_slice().numpy()?;
        Ok(converted
            .try_into()
            .unwrap_or_else(|_| unreachable!("N in, N out")))
    }
}

impl<T: ToNumpy> ToNumpy for Option<T> {
    type Output = Option<T::Output>;
    fn numpy(&self) -> Result<Self::Output> {
        self.as_ref().map(ToNumpy::numpy).transpose()
    }
}

impl<K: Clone + Eq + Hash, V: ToNumpy, S: BuildHasher + Clone> ToNumpy for HashMap<K, V, S> {
    type Output = HashMap<K, V::Output, S>;
    fn numpy(&self) -> Result<Self::Output> {
        let mut out = HashMap::with_capacity_and_hasher(self.len(), self.hasher().clone());
        for (k, v) in self {
            out.insert(k.clone(), v.numpy()?);
        }
        Ok(out)
    }
}

impl<K: Clone + Ord, V: ToNumpy> ToNumpy for BTreeMap<K, V> {
    type Output = BTreeMap<K, V::Output>;
    fn numpy(&self) -> Result<Self::Output> {
        self.iter()
            .map(|(k, v)| Ok((k.clone(), v.numpy()?)))
            .collect()
    }
}

macro_rules! tuple_to_numpy {
    ($($name:ident)+) => {
        impl<$($name: ToNumpy),+> ToNumpy for ($($name,)+) {
            type Output = ($($name::Output,)+);
            #[allow(non_snake_case, reason = "the type parameters name the fields")]
            fn numpy(&self) -> Result<Self::Output> {
                let ($($name,)+) = self;
                Ok(($($name.numpy()?,)+))
            }
        }
    };
}
tuple_to_numpy!(A);
tuple_to_numpy!(A B);
tuple_to_numpy!(A B C);
tuple_to_numpy!(A B C D);
tuple_to_numpy!(A B C D E);
tuple_to_numpy!(A B C D E F);
tuple_to_numpy!(A B C D E F G);
tuple_to_numpy!(A B C D E F G H);
tuple_to_numpy!(A B C D E F G H I);
tuple_to_numpy!(A B C D E F G H I J);
tuple_to_numpy!(A B C D E F G H I J K);
tuple_to_numpy!(A B C D E F G H I J K L);
