//! [`ToNumpy`]: converting whole structures of tensors in one call, like a
//! model's tuple of outputs.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};

use crate::{DynArray, Result, Tensor};

/// The tensors of one conversion, in the order [`ToNumpy::start`] met them.
#[doc(hidden)]
#[derive(Default)]
pub struct Batch {
    slots: Vec<Slot>,
    #[cfg(feature = "cuda")]
    downloads: crate::cuda::DownloadBatch,
}

enum Slot {
    /// A host tensor's array, made at once.
    Ready(DynArray),
    /// A device tensor's download, by its index in the download batch.
    #[cfg(feature = "cuda")]
    Device(usize),
}

impl Batch {
    fn push(&mut self, t: &Tensor) -> Result<()> {
        #[cfg(feature = "cuda")]
        if t.cuda_storage().is_some() {
            let i = self.downloads.start(t)?;
            self.slots.push(Slot::Device(i));
            return Ok(());
        }
        self.slots.push(Slot::Ready(Tensor::numpy(t)?));
        Ok(())
    }

    /// Waits for every download and returns the arrays in order.
    fn finish(self) -> Result<Arrays> {
        #[cfg(feature = "cuda")]
        let mut device: Vec<Option<DynArray>> =
            self.downloads.finish()?.into_iter().map(Some).collect();
        let arrays = self
            .slots
            .into_iter()
            .map(|slot| match slot {
                Slot::Ready(a) => a,
                #[cfg(feature = "cuda")]
                Slot::Device(i) => device[i].take().expect("each download fills one slot"),
            })
            .collect::<Vec<_>>();
        Ok(Arrays(arrays.into_iter()))
    }
}

/// The converted arrays, handed out in the order of [`Batch`].
#[doc(hidden)]
pub struct Arrays(std::vec::IntoIter<DynArray>);

impl Arrays {
    pub(crate) fn next(&mut self) -> DynArray {
        self.0
            .next()
            .expect("assemble visits the tensors start visited, in the same order")
    }
}

/// Structures of tensors that convert into the same structure of owned
/// arrays in one call: tensors, tuples (up to 12), `Vec`s, arrays, `Option`s,
/// maps, references to any of these, and any nesting of them.
///
/// The first error stops the conversion and is returned.
///
/// Device tensors sync once: host tensors are copied as the structure is
/// walked; then the downloads of every device tensor of a GPU are queued
/// together (small views packed into pooled pinned staging buffers,
/// strided ones gathered on the device first), the GPU is synchronized
/// once, and the bytes are copied straight into the arrays' buffers.
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

    /// Converts the host tensors and queues the downloads of the device
    /// tensors of the structure, in a fixed order. The default queues
    /// nothing: such a value converts itself in [`ToNumpy::assemble`].
    #[doc(hidden)]
    fn start(&self, batch: &mut Batch) -> Result<()> {
        let _ = batch;
        Ok(())
    }

    /// Builds the output from the arrays, visiting the tensors in the
    /// order of [`ToNumpy::start`]. The default is [`ToNumpy::numpy`].
    #[doc(hidden)]
    fn assemble(&self, arrays: &mut Arrays) -> Result<Self::Output> {
        let _ = arrays;
        self.numpy()
    }
}

/// Converts a structure in two passes: queue every download, wait once
/// per GPU, build the output.
fn convert<T: ToNumpy + ?Sized>(x: &T) -> Result<T::Output> {
    let mut batch = Batch::default();
    x.start(&mut batch)?;
    let mut arrays = batch.finish()?;
    x.assemble(&mut arrays)
}

impl ToNumpy for Tensor {
    type Output = DynArray;
    fn numpy(&self) -> Result<DynArray> {
        Tensor::numpy(self)
    }
    fn start(&self, batch: &mut Batch) -> Result<()> {
        batch.push(self)
    }
    fn assemble(&self, arrays: &mut Arrays) -> Result<DynArray> {
        Ok(arrays.next())
    }
}

impl<T: ToNumpy + ?Sized> ToNumpy for &T {
    type Output = T::Output;
    fn numpy(&self) -> Result<Self::Output> {
        convert(self)
    }
    fn start(&self, batch: &mut Batch) -> Result<()> {
        (**self).start(batch)
    }
    fn assemble(&self, arrays: &mut Arrays) -> Result<T::Output> {
        (**self).assemble(arrays)
    }
}

impl<T: ToNumpy> ToNumpy for [T] {
    type Output = Vec<T::Output>;
    fn numpy(&self) -> Result<Self::Output> {
        convert(self)
    }
    fn start(&self, batch: &mut Batch) -> Result<()> {
        self.iter().try_for_each(|x| x.start(batch))
    }
    fn assemble(&self, arrays: &mut Arrays) -> Result<Self::Output> {
        self.iter().map(|x| x.assemble(arrays)).collect()
    }
}

impl<T: ToNumpy> ToNumpy for Vec<T> {
    type Output = Vec<T::Output>;
    fn numpy(&self) -> Result<Self::Output> {
        convert(self)
    }
    fn start(&self, batch: &mut Batch) -> Result<()> {
        self.as_slice().start(batch)
    }
    fn assemble(&self, arrays: &mut Arrays) -> Result<Self::Output> {
        self.as_slice().assemble(arrays)
    }
}

impl<T: ToNumpy, const N: usize> ToNumpy for [T; N] {
    type Output = [T::Output; N];
    fn numpy(&self) -> Result<Self::Output> {
        convert(self)
    }
    fn start(&self, batch: &mut Batch) -> Result<()> {
        self.as_slice().start(batch)
    }
    fn assemble(&self, arrays: &mut Arrays) -> Result<Self::Output> {
        let v: Vec<T::Output> = self.as_slice().assemble(arrays)?;
        Ok(v.try_into().unwrap_or_else(|_| unreachable!("N in, N out")))
    }
}

impl<T: ToNumpy> ToNumpy for Option<T> {
    type Output = Option<T::Output>;
    fn numpy(&self) -> Result<Self::Output> {
        convert(self)
    }
    fn start(&self, batch: &mut Batch) -> Result<()> {
        self.as_ref().map_or(Ok(()), |x| x.start(batch))
    }
    fn assemble(&self, arrays: &mut Arrays) -> Result<Self::Output> {
        self.as_ref().map(|x| x.assemble(arrays)).transpose()
    }
}

impl<K: Clone + Eq + Hash, V: ToNumpy, S: BuildHasher + Clone> ToNumpy for HashMap<K, V, S> {
    type Output = HashMap<K, V::Output, S>;
    fn numpy(&self) -> Result<Self::Output> {
        convert(self)
    }
    fn start(&self, batch: &mut Batch) -> Result<()> {
        self.values().try_for_each(|v| v.start(batch))
    }
    fn assemble(&self, arrays: &mut Arrays) -> Result<Self::Output> {
        // An unchanged map iterates in the same order every time.
        let mut out = HashMap::with_capacity_and_hasher(self.len(), self.hasher().clone());
        for (k, v) in self {
            out.insert(k.clone(), v.assemble(arrays)?);
        }
        Ok(out)
    }
}

impl<K: Clone + Ord, V: ToNumpy> ToNumpy for BTreeMap<K, V> {
    type Output = BTreeMap<K, V::Output>;
    fn numpy(&self) -> Result<Self::Output> {
        convert(self)
    }
    fn start(&self, batch: &mut Batch) -> Result<()> {
        self.values().try_for_each(|v| v.start(batch))
    }
    fn assemble(&self, arrays: &mut Arrays) -> Result<Self::Output> {
        self.iter()
            .map(|(k, v)| Ok((k.clone(), v.assemble(arrays)?)))
            .collect()
    }
}

macro_rules! tuple_to_numpy {
    ($($name:ident)+) => {
        impl<$($name: ToNumpy),+> ToNumpy for ($($name,)+) {
            type Output = ($($name::Output,)+);
            fn numpy(&self) -> Result<Self::Output> {
                convert(self)
            }
            #[allow(non_snake_case, reason = "the type parameters name the fields")]
            fn start(&self, batch: &mut Batch) -> Result<()> {
                let ($($name,)+) = self;
                $($name.start(batch)?;)+
                Ok(())
            }
            #[allow(non_snake_case, reason = "the type parameters name the fields")]
            fn assemble(&self, arrays: &mut Arrays) -> Result<Self::Output> {
                let ($($name,)+) = self;
                Ok(($($name.assemble(arrays)?,)+))
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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use proptest::prelude::*;

    use super::ToNumpy;
    use crate::{DType, Tensor};

    fn tensor(seed: u8, len: usize, wide: bool) -> Tensor {
        if wide {
            Tensor::from_vec(
                (0..len).map(|i| i as f64 + f64::from(seed)).collect(),
                [len],
            )
            .unwrap()
        } else {
            Tensor::from_vec(
                (0..len).map(|i| (i as u8).wrapping_add(seed)).collect(),
                [len],
            )
            .unwrap()
        }
    }

    proptest! {
        /// Converting a structure in one call gives, at every place, the
        /// array of the tensor at that place (the two passes of the batch
        /// visit the tensors in the same order, in maps too).
        #[test]
        fn every_place_gets_its_own_tensors_array(
            items in proptest::collection::vec(
                proptest::option::of((any::<u8>(), 0usize..6, any::<bool>())),
                0..8,
            ),
        ) {
            let list: Vec<Option<Tensor>> = items
                .iter()
                .map(|o| o.map(|(seed, len, wide)| tensor(seed, len, wide)))
                .collect();
            let want: Vec<Option<crate::DynArray>> = list
                .iter()
                .map(|o| o.as_ref().map(|t| Tensor::numpy(t).unwrap()))
                .collect();
            prop_assert_eq!(list.numpy().unwrap(), want.clone());
            let hashed: HashMap<usize, Option<Tensor>> = list.iter().cloned().enumerate().collect();
            let arrays = hashed.numpy().unwrap();
            for (i, w) in want.iter().enumerate() {
                prop_assert_eq!(&arrays[&i], w);
            }
            let ordered: BTreeMap<usize, Option<Tensor>> = list.iter().cloned().enumerate().collect();
            let arrays = ordered.numpy().unwrap();
            prop_assert_eq!(arrays.into_values().collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn the_first_error_stops_the_conversion() {
        let sym = crate::graph::Graph::new().placeholder(DType::F32, &[Some(2)]);
        let e = (Tensor::from([1u8]), sym).numpy().unwrap_err();
        assert!(e.to_string().contains("is symbolic"), "{e}");
    }
}
