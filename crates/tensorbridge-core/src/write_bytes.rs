//! [`Tensor::write_c_order`]: a tensor's elements streamed to a writer as
//! raw bytes, with bounded host memory whatever the tensor's size or device.

use std::io::Write;

use crate::element::Element;
use crate::storage::map_cpu_storage;
use crate::{Error, Result, Tensor, s};

/// At most this many bytes of a strided host view are gathered at a time.
const BLOCK_BYTES: usize = 8 << 20;

impl Tensor {
    /// Writes the elements in C order to `w` as raw native-endian bytes
    /// (bool as one byte, 0 or 1; complex as real then imaginary part): the
    /// data section of a `.npy` file.
    ///
    /// Host memory stays bounded: a contiguous host tensor is written in
    /// place; a strided host view is gathered in blocks of at most 8 MiB; a
    /// device tensor streams through the backend's fixed pinned staging
    /// buffers (only the elements of its view cross the bus).
    ///
    /// **Errors**: [`Error::Io`] when `w` fails (with its `io::Error`);
    /// [`Error::Symbolic`] for a graph tensor.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from([[1u16, 2], [3, 4]]).t()?;
    /// let mut bytes = Vec::new();
    /// t.write_c_order(&mut bytes)?;
    /// assert_eq!(bytes, [1u16, 3, 2, 4].map(u16::to_ne_bytes).concat());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn write_c_order(&self, w: &mut dyn Write) -> Result<()> {
        const OP: &str = "write_c_order";
        if let Some(symbol) = self.symbol() {
            return Err(symbol.no_value(OP));
        }
        if self.numel() == 0 {
            return Ok(());
        }
        #[cfg(feature = "cuda")]
        if self.cuda_storage().is_some() {
            return crate::cuda::write_c_order(self, w);
        }
        let storage = self.cpu_storage(OP)?;
        if let Some(range) = self.layout().contiguous_range() {
            return map_cpu_storage!(storage, v => write_all(w, &v[range]));
        }
        // Blocks of whole rows of the first axis (a rank-0 tensor is
        // contiguous, so the rank is at least 1 here).
        let rows = self.dims()[0];
        let row_bytes = (self.numel() / rows.max(1)).saturating_mul(self.dtype().size_in_bytes());
        let per_block = (BLOCK_BYTES / row_bytes.max(1)).max(1);
        let mut start = 0;
        while start < rows {
            let end = rows.min(start + per_block);
            let block = self.slice(s![start..end])?;
            let storage = block.cpu_storage(OP)?;
            map_cpu_storage!(storage, v => write_all(w, &crate::copy::gather(v, block.layout())?))?;
            start = end;
        }
        Ok(())
    }
}

/// The bytes of `data` to `w`.
fn write_all<T: Element>(w: &mut dyn Write, data: &[T]) -> Result<()> {
    w.write_all(bytes_of(data)).map_err(|source| Error::Io {
        context: "write_c_order: writing the elements".into(),
        source,
    })
}

/// The bytes of host elements.
fn bytes_of<T: Element>(data: &[T]) -> &[u8] {
    crate::bytes::as_bytes(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    /// A writer that accepts `room` bytes, then fails.
    struct Full {
        room: usize,
    }

    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::StorageFull,
                    "disk full",
                ));
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failing_writer_is_an_io_error_with_its_source() {
        let t = Tensor::from_vec((0..100i32).collect(), [10, 10]).unwrap();
        for view in [t.clone(), t.t().unwrap()] {
            match view.write_c_order(&mut Full { room: 17 }).unwrap_err() {
                Error::Io { context, source } => {
                    assert!(context.contains("write_c_order"), "{context}");
                    assert_eq!(source.kind(), std::io::ErrorKind::StorageFull);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn empty_tensors_write_nothing_and_bools_are_bytes() {
        let mut out = Vec::new();
        Tensor::zeros([0, 3], DType::F64)
            .unwrap()
            .write_c_order(&mut out)
            .unwrap();
        assert!(out.is_empty());
        Tensor::from([true, false, true])
            .write_c_order(&mut out)
            .unwrap();
        assert_eq!(out, [1, 0, 1]);
    }

    #[test]
    fn large_strided_views_are_written_in_blocks_with_the_same_bytes() {
        // 2 MiB rows of u8 viewed every other column: several blocks.
        let rows = 12;
        let t = Tensor::from_vec(
            (0..rows * (2 << 20)).map(|i| i as u8).collect(),
            [rows, 2 << 20],
        )
        .unwrap();
        let v = t.slice(crate::s![.., ..;2]).unwrap();
        let mut out = Vec::new();
        v.write_c_order(&mut out).unwrap();
        assert_eq!(out, v.to_vec::<u8>().unwrap());
    }

    #[test]
    fn a_symbolic_tensor_has_no_bytes() {
        let g = crate::graph::Graph::new();
        let p = g.placeholder(DType::F32, &[Some(2)]);
        let e = p.write_c_order(&mut Vec::new()).unwrap_err();
        assert!(matches!(e, Error::Symbolic { .. }), "{e:?}");
    }
}
