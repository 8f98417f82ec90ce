//! Discovery, the caching allocator and transfers.

use std::sync::Arc;

use tensorbridge_cuda::{CudaError, CudaStatus, ElemType, StridedLayout, probe};

use crate::common::{self, bytes, down, from_bytes, strides, up, view};

#[test]
fn probe_and_device_info_agree() {
    let dev = gpu!();
    assert!(matches!(probe(), CudaStatus::Available { nvrtc: true, .. }));
    assert!(tensorbridge_cuda::device_count() >= 1);
    assert!(!dev.name().is_empty());
    assert!(dev.compute_capability() >= (7, 5));
    let (free, total) = dev.mem_info().unwrap();
    assert!(free <= total && total > 0);
    assert!(Arc::ptr_eq(
        &dev,
        &tensorbridge_cuda::CudaDevice::get(0).unwrap()
    ));
}

#[test]
fn uploads_and_downloads_round_trip_at_every_size() {
    let dev = gpu!();
    // Empty, tiny, direct-copy sized, just past the direct limit, and
    // several staging buffers (the double-buffered pipeline).
    for n in [0usize, 1, 3, 1000, (256 << 10) + 1, 2 * (8 << 20) + 3] {
        let host: Vec<u8> = (0..n).map(|i| (i * 31 % 251) as u8).collect();
        let buf = dev.upload(&host).unwrap();
        assert_eq!(buf.len_bytes(), n);
        let mut back = vec![0xAAu8; n];
        dev.download(
            &buf,
            ElemType::U8,
            StridedLayout::new(&[n], &[1]),
            &mut back,
        )
        .unwrap();
        assert!(back == host, "round trip of {n} bytes");
    }
}

#[test]
fn strided_downloads_copy_exactly_the_view() {
    let dev = gpu!();
    let dims = [4usize, 5, 6];
    let data: Vec<i32> = (0..120).map(|i| i * 7 - 300).collect();
    let buf = up(&dev, &data);
    let cases: Vec<(Vec<usize>, Vec<isize>, usize)> = vec![
        (vec![6, 5, 4], vec![1, 6, 30], 0),  // full transpose
        (vec![4, 5, 6], vec![30, 6, -1], 5), // last axis reversed
        (vec![2, 3], vec![60, 2], 13),       // a sparse slice
        (vec![3, 4], vec![0, 1], 10),        // broadcast rows
        (vec![], vec![], 77),                // a scalar
        (vec![4, 0, 6], vec![30, 6, 1], 0),  // empty
        (dims.to_vec(), strides(&dims), 0),  // contiguous
    ];
    for (d, s, off) in cases {
        let layout = StridedLayout {
            dims: &d,
            strides: &s,
            offset: off,
        };
        let want = view(&data, &d, &s, off);
        let mut host = vec![0u8; want.len() * 4];
        dev.download(&buf, ElemType::I32, layout, &mut host)
            .unwrap();
        assert_eq!(
            from_bytes::<i32>(&host),
            want,
            "dims {d:?} strides {s:?} offset {off}"
        );
        // The same through the writer and the async handle.
        let mut w = Vec::new();
        dev.download_to_writer(&buf, ElemType::I32, layout, &mut w)
            .unwrap();
        assert_eq!(w, host);
    }
}

#[test]
fn large_strided_views_stream_in_chunks() {
    let dev = gpu!();
    // 2048 x 1536 u32 (12 MiB) transposed: more than one staging chunk.
    let (r, c) = (2048usize, 1536usize);
    let data: Vec<u32> = (0..(r * c) as u32)
        .map(|i| i.wrapping_mul(2_654_435_761))
        .collect();
    let buf = Arc::new(up(&dev, &data));
    let (d, s) = ([c, r], [1isize, c as isize]);
    let layout = StridedLayout::new(&d, &s);
    let want = bytes(&view(&data, &d, &s, 0));
    let mut host = vec![0u8; want.len()];
    dev.download(&buf, ElemType::U32, layout, &mut host)
        .unwrap();
    assert!(host == want);
    let mut w = Vec::new();
    dev.download_to_writer(&buf, ElemType::U32, layout, &mut w)
        .unwrap();
    assert!(w == want);
    let pending = dev
        .download_async(Arc::clone(&buf), ElemType::U32, layout)
        .unwrap();
    let got = pending.wait().unwrap();
    assert!(got == want);
    let contiguous = dev
        .download_async(buf, ElemType::U32, StridedLayout::new(&[r * c], &[1]))
        .unwrap();
    while !contiguous.is_ready() {
        std::thread::yield_now();
    }
    assert!(contiguous.wait().unwrap() == bytes(&data));
}

#[test]
fn bad_layouts_and_lengths_are_errors() {
    let dev = gpu!();
    let buf = dev.upload(&[0u8; 16]).unwrap();
    let mut host = vec![0u8; 8];
    // Past the end.
    let e = dev
        .download(
            &buf,
            ElemType::U32,
            StridedLayout {
                dims: &[2],
                strides: &[1],
                offset: 3,
            },
            &mut host,
        )
        .unwrap_err();
    assert!(matches!(e, CudaError::InvalidArgument(_)), "{e}");
    // Negative reach.
    let e = dev
        .download(
            &buf,
            ElemType::U32,
            StridedLayout {
                dims: &[2],
                strides: &[-1],
                offset: 0,
            },
            &mut host,
        )
        .unwrap_err();
    assert!(e.to_string().contains("-1"), "{e}");
    // Wrong destination length.
    let e = dev
        .download(
            &buf,
            ElemType::U32,
            StridedLayout::new(&[3], &[1]),
            &mut host,
        )
        .unwrap_err();
    assert!(e.to_string().contains("12"), "{e}");
    // Rank over the maximum.
    let dims = [1usize; 13];
    let st = [1isize; 13];
    let mut one = vec![0u8; 1];
    let e = dev
        .download(&buf, ElemType::U8, StridedLayout::new(&dims, &st), &mut one)
        .unwrap_err();
    assert!(e.to_string().contains("rank 13"), "{e}");
    // A failing writer.
    struct Broken;
    impl std::io::Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let e = dev
        .download_to_writer(
            &buf,
            ElemType::U8,
            StridedLayout::new(&[16], &[1]),
            &mut Broken,
        )
        .unwrap_err();
    assert!(e.to_string().contains("disk full"), "{e}");
}

#[test]
fn the_allocator_reuses_blocks_and_releases_its_cache() {
    let dev = gpu!();
    let _cache = common::CACHE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    // A size no other test uses (bucket 778240), so parallel tests do not
    // take the block in between.
    let a = dev.alloc(777_777).unwrap();
    let ptr = a.device_ptr();
    drop(a);
    assert!(dev.cached_bytes() >= 778_240);
    // Same bucket: the cached block comes back.
    let b = dev.alloc(778_000).unwrap();
    assert_eq!(b.device_ptr(), ptr);
    drop(b);
    let released = dev.release_cache().unwrap();
    assert!(released >= 778_240);
    assert_eq!(dev.alloc(0).unwrap().device_ptr(), 0);
}

/// Out of memory with blocks in the cache: the allocator gives the cache
/// back and the retry succeeds (two blocks of 60% of the free memory cannot
/// both exist; the second is of another size, so the cached first cannot
/// serve it).
#[test]
fn an_allocation_that_fits_once_the_cache_is_released_succeeds() {
    let dev = gpu!();
    let _cache = common::CACHE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    dev.release_cache().unwrap();
    let (free, _) = dev.mem_info().unwrap();
    let big = free / 10 * 6;
    drop(dev.alloc(big).unwrap());
    assert!(dev.cached_bytes() >= big, "the block went to the cache");
    let other = dev.alloc(big + big / 8).unwrap();
    assert!(
        dev.cached_bytes() < big,
        "the cache was given back for the retry"
    );
    assert_eq!(other.len_bytes(), big + big / 8);
    drop(other);
    dev.release_cache().unwrap();
}

#[test]
fn impossible_allocations_are_out_of_memory() {
    let dev = gpu!();
    // The retry releases the cache.
    let _cache = common::CACHE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let (_, total) = dev.mem_info().unwrap();
    let want = total.saturating_mul(4);
    match dev.alloc(want) {
        Err(CudaError::OutOfMemory { requested, free }) => {
            assert_eq!(requested, want);
            assert!(free <= total);
        }
        other => panic!("expected OutOfMemory, got {other:?}"),
    }
    // The device still works afterwards.
    let b = up(&dev, &[1u16, 2, 3]);
    assert_eq!(down::<u16>(&dev, &b, 3), [1, 2, 3]);
    assert!(matches!(
        dev.alloc(usize::MAX - 10),
        Err(CudaError::InvalidArgument(_))
    ));
}

#[test]
fn zeroed_and_filled_buffers() {
    let dev = gpu!();
    let z = dev.alloc_zeroed(1001).unwrap();
    assert!(down::<u8>(&dev, &z, 1001).iter().all(|&x| x == 0));
    let mut b = dev.alloc(8 * 5).unwrap();
    dev.fill(ElemType::F64, &mut b, &1.25f64.to_ne_bytes())
        .unwrap();
    assert_eq!(down::<f64>(&dev, &b, 5), [1.25; 5]);
    dev.fill(ElemType::U16, &mut b, &0x1234u16.to_ne_bytes())
        .unwrap();
    assert_eq!(down::<u16>(&dev, &b, 20), [0x1234; 20]);
    dev.fill(ElemType::U8, &mut b, &[9]).unwrap();
    assert_eq!(down::<u8>(&dev, &b, 40), [9; 40]);
    let mut c = dev.alloc(16 * 3).unwrap();
    let v = common::C128(1.5, -2.0);
    dev.fill(ElemType::C128, &mut c, &bytes(&[v])).unwrap();
    assert_eq!(down::<common::C128>(&dev, &c, 3), [v; 3]);
    assert!(dev.fill(ElemType::F32, &mut c, &[1, 2]).is_err());
    let mut odd = dev.alloc(6).unwrap();
    assert!(dev.fill(ElemType::F32, &mut odd, &[0; 4]).is_err());
}

#[test]
fn strided_copies_write_any_destination_view() {
    let dev = gpu!();
    let data: Vec<u16> = (0..12).collect();
    let src = up(&dev, &data);
    // Transpose [3, 4] -> [4, 3] contiguous.
    let mut dst = dev.alloc(24).unwrap();
    let (d, s) = ([4usize, 3], [1isize, 4]);
    dev.copy_strided(
        ElemType::U16,
        &src,
        StridedLayout::new(&d, &s),
        &mut dst,
        StridedLayout::new(&d, &strides(&d)),
    )
    .unwrap();
    assert_eq!(down::<u16>(&dev, &dst, 12), view(&data, &d, &s, 0));
    // Write a [3] vector into column 1 of a zeroed [3, 5] matrix.
    let mut m = dev.alloc_zeroed(30).unwrap();
    let col = StridedLayout {
        dims: &[3],
        strides: &[5],
        offset: 1,
    };
    dev.copy_strided(
        ElemType::U16,
        &src,
        StridedLayout::new(&[3], &[1]),
        &mut m,
        col,
    )
    .unwrap();
    let got = down::<u16>(&dev, &m, 15);
    assert_eq!(got, [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0]);
    // Mismatched dims.
    let e = dev
        .copy_strided(
            ElemType::U16,
            &src,
            StridedLayout::new(&[3], &[1]),
            &mut m,
            StridedLayout::new(&[4], &[1]),
        )
        .unwrap_err();
    assert!(matches!(e, CudaError::InvalidArgument(_)));
}

#[test]
fn a_pending_download_dropped_unwaited_is_safe() {
    let dev = gpu!();
    let data: Vec<u8> = (0..(4 << 20)).map(|i| (i % 253) as u8).collect();
    let buf = Arc::new(dev.upload(&data).unwrap());
    for _ in 0..4 {
        let p = dev
            .download_async(
                Arc::clone(&buf),
                ElemType::U8,
                StridedLayout::new(&[data.len()], &[1]),
            )
            .unwrap();
        drop(p);
    }
    let p = dev
        .download_async(buf, ElemType::U8, StridedLayout::new(&[data.len()], &[1]))
        .unwrap();
    assert!(p.wait().unwrap() == data);
}

/// `copy_to_device` to the same device is a device copy of the range; a
/// range past the buffer is refused before anything is allocated.
#[test]
fn copies_to_a_device_take_exactly_their_range() {
    let dev = gpu!();
    let src = up(&dev, &[10u8, 11, 12, 13, 14, 15]);
    let copy = dev.copy_to_device(&src, 2, 3, &dev).unwrap();
    assert_eq!(copy.len_bytes(), 3);
    assert_eq!(down::<u8>(&dev, &copy, 3), [12, 13, 14]);
    assert_eq!(dev.copy_to_device(&src, 6, 0, &dev).unwrap().len_bytes(), 0);
    for (offset, bytes) in [(4, 3), (7, 0), (usize::MAX, 2)] {
        let e = dev.copy_to_device(&src, offset, bytes, &dev).unwrap_err();
        assert!(
            matches!(&e, CudaError::InvalidArgument(m) if m.contains("run past a buffer of 6 bytes")),
            "{e}"
        );
    }
}
