//! Foreign device memory (DLPack imports), the stream hand-off, and
//! downloads waited on together.
#![expect(
    unsafe_code,
    reason = "wrap_foreign and make_stream_wait are unsafe: raw device pointers and stream handles"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tensorbridge_cuda::{
    DownloadItem, ElemType, LEGACY_DEFAULT_STREAM, PER_THREAD_DEFAULT_STREAM, StridedLayout,
};

use crate::common;

/// Counts its drops; holds the real allocation it stands for.
struct Owner {
    _mem: tensorbridge_cuda::DeviceBuffer,
    drops: Arc<AtomicUsize>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn foreign_memory_is_read_in_place_and_released_once() {
    let dev = gpu!();
    let mem = dev.upload(&[10, 11, 12, 13, 14, 15]).unwrap();
    let ptr = mem.device_ptr();
    let drops = Arc::new(AtomicUsize::new(0));
    let owner = Owner {
        _mem: mem,
        drops: Arc::clone(&drops),
    };
    // SAFETY: the owner holds the 6 bytes until it is dropped.
    let buf = unsafe { dev.wrap_foreign(ptr + 2, 4, Box::new(owner)) }.unwrap();
    assert!(buf.is_foreign());
    assert_eq!(buf.device_ptr(), ptr + 2);
    let mut out = [0u8; 4];
    dev.download(&buf, ElemType::U8, StridedLayout::new(&[4], &[1]), &mut out)
        .unwrap();
    assert_eq!(out, [12, 13, 14, 15]);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(buf);
    assert_eq!(drops.load(Ordering::SeqCst), 1, "the owner is dropped once");
}

#[test]
fn foreign_addresses_are_checked_with_the_driver() {
    let dev = gpu!();
    let drops = Arc::new(AtomicUsize::new(0));
    let make = || Owner {
        _mem: dev.alloc(0).unwrap(),
        drops: Arc::clone(&drops),
    };
    // SAFETY: every call is refused before the memory would be used.
    unsafe {
        assert!(dev.wrap_foreign(0, 4, Box::new(make())).is_err());
        let host = [0u8; 64];
        let e = dev
            .wrap_foreign(host.as_ptr() as u64, 64, Box::new(make()))
            .unwrap_err();
        assert!(e.to_string().contains("wrap_foreign"), "{e}");
    }
    assert_eq!(
        drops.load(Ordering::SeqCst),
        2,
        "refused owners are dropped"
    );
}

#[test]
fn other_streams_can_be_made_to_wait() {
    let dev = gpu!();
    // SAFETY: the default streams always exist.
    unsafe {
        dev.make_stream_wait(LEGACY_DEFAULT_STREAM).unwrap();
        dev.make_stream_wait(PER_THREAD_DEFAULT_STREAM).unwrap();
        assert!(dev.make_stream_wait(0).is_err());
        dev.wait_for_stream(LEGACY_DEFAULT_STREAM).unwrap();
        assert!(dev.wait_for_stream(0).is_err());
        // Our own stream, handed over as another library would.
        dev.make_stream_wait(dev.stream_handle()).unwrap();
    }
    assert!(dev.stream_handle() > PER_THREAD_DEFAULT_STREAM);
    dev.synchronize_context().unwrap();
}

#[test]
fn downloads_queued_together_are_waited_on_once() {
    let dev = gpu!();
    let a = Arc::new(
        dev.upload(&(0u8..=255).cycle().take(3 << 20).collect::<Vec<_>>())
            .unwrap(),
    );
    let b = Arc::new(dev.upload(&[1, 2, 3, 4, 5, 6]).unwrap());
    let pa = dev
        .download_async(
            Arc::clone(&a),
            ElemType::U8,
            StridedLayout::new(&[3 << 20], &[1]),
        )
        .unwrap();
    // Column 1 of a 2x3 matrix: a strided view.
    let col = StridedLayout {
        dims: &[2],
        strides: &[3],
        offset: 1,
    };
    let pb = dev.download_async(b, ElemType::U8, col).unwrap();
    assert_eq!((pa.len_bytes(), pb.len_bytes()), (3 << 20, 2));
    dev.synchronize().unwrap();
    assert!(pa.is_ready() && pb.is_ready());
    let mut x = vec![0u8; 3 << 20];
    let mut y = [0u8; 2];
    pa.wait_into(&mut x).unwrap();
    pb.wait_into(&mut y).unwrap();
    assert!(x.iter().enumerate().all(|(i, &v)| v == (i % 256) as u8));
    assert_eq!(y, [2, 5]);
}

#[test]
fn many_downloads_share_staging_and_one_wait() {
    let dev = gpu!();
    let pattern =
        |n: usize, k: usize| -> Vec<u8> { (0..n).map(|i| ((i * 7 + k) % 251) as u8).collect() };
    // Five 3 MiB views (packed two to a staging buffer), one 9 MiB view
    // (the pipelined path), a strided view, an empty one.
    let sizes = [3 << 20, 3 << 20, 3 << 20, 3 << 20, 3 << 20, 9 << 20];
    let hosts: Vec<Vec<u8>> = sizes
        .iter()
        .enumerate()
        .map(|(k, &n)| pattern(n, k))
        .collect();
    let bufs: Vec<_> = hosts.iter().map(|h| dev.upload(h).unwrap()).collect();
    let grid = dev.upload(&(0u8..24).collect::<Vec<_>>()).unwrap();
    let mut outs: Vec<Vec<u8>> = sizes.iter().map(|&n| vec![0u8; n]).collect();
    let mut col = [0u8; 4];
    let mut empty: [u8; 0] = [];
    let dims: Vec<[usize; 1]> = sizes.iter().map(|&n| [n]).collect();
    let mut items: Vec<DownloadItem<'_, '_>> = bufs
        .iter()
        .zip(outs.iter_mut())
        .zip(&dims)
        .map(|((b, o), d)| DownloadItem {
            src: b,
            elem: ElemType::U8,
            layout: StridedLayout::new(d, &[1]),
            dst: o,
        })
        .collect();
    // Column 2 of a 4x6 matrix.
    items.push(DownloadItem {
        src: &grid,
        elem: ElemType::U8,
        layout: StridedLayout {
            dims: &[4],
            strides: &[6],
            offset: 2,
        },
        dst: &mut col,
    });
    items.push(DownloadItem {
        src: &grid,
        elem: ElemType::U8,
        layout: StridedLayout::new(&[0], &[1]),
        dst: &mut empty,
    });
    dev.download_many(&mut items).unwrap();
    drop(items);
    for (k, (o, h)) in outs.iter().zip(&hosts).enumerate() {
        assert!(o == h, "view {k}");
    }
    assert_eq!(col, [2, 8, 14, 20]);
    // A destination of the wrong length is refused before anything runs.
    let mut short = [9u8; 3];
    let e = dev
        .download_many(&mut [DownloadItem {
            src: &grid,
            elem: ElemType::U8,
            layout: StridedLayout::new(&[4], &[1]),
            dst: &mut short,
        }])
        .unwrap_err();
    assert!(e.to_string().contains("download_many"), "{e}");
    assert_eq!(short, [9, 9, 9]);
}
