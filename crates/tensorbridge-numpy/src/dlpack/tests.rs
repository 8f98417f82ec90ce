//! Round trips, ownership (every deleter runs exactly once) and validation.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dlpark::ManagedTensorBase;
use dlpark::ffi::{DLDataTypeCode, DLDeviceType};
use dlpark::metadata::Dynamic;
use proptest::prelude::*;
use tensorbridge_core::{Complex, DType, ForeignOwner, Tensor, bf16, f16, s};

use super::*;

/// Bytes whose drops are counted: a leak leaves the count at 0, a double
/// free makes it 2 (or crashes first).
struct Counted {
    bytes: Vec<u8>,
    drops: Arc<AtomicUsize>,
}

impl AsRef<[u8]> for Counted {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

fn counted(bytes: Vec<u8>) -> (ForeignOwner, Arc<AtomicUsize>) {
    let drops = Arc::new(AtomicUsize::new(0));
    let owner: ForeignOwner = Arc::new(Counted {
        bytes,
        drops: Arc::clone(&drops),
    });
    (owner, drops)
}

#[test]
fn export_keeps_the_buffer_alive_and_releases_it_once() {
    let (owner, drops) = counted((0u8..12).collect());
    let t = Tensor::from_host_bytes(owner, 0, DType::U8, [3, 4]).unwrap();
    let managed = to_dlpack(&t).unwrap();
    let legacy = to_dlpack_legacy(&t.slice(s![1..]).unwrap()).unwrap();
    drop(t);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        0,
        "the exports hold the buffer"
    );
    {
        let dl = legacy.validate().unwrap();
        assert_eq!(dl.shape(), [2, 4]);
        // SAFETY: the export is alive and describes 8 contiguous u8s.
        let bytes = unsafe { std::slice::from_raw_parts(dl.data_ptr().cast::<u8>(), 8) };
        assert_eq!(bytes, [4, 5, 6, 7, 8, 9, 10, 11]);
    }
    drop(managed);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    // A C consumer calls the deleter through the raw pointer, once.
    let raw = legacy.into_raw();
    // SAFETY: `raw` came from `into_raw`; its deleter is called exactly once.
    unsafe {
        let deleter = (*raw).deleter().expect("exports carry a deleter");
        deleter(raw);
    }
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

/// A producer's tensor over `data` (whose drop is counted with the context),
/// with the descriptor fields as given.
fn foreign<M: ManagedTensorBase>(
    data: Vec<u8>,
    shape: Vec<i64>,
    strides: Vec<i64>,
    dtype: DLDataType,
    byte_offset: u64,
) -> (dlpark::Managed<M>, Arc<AtomicUsize>) {
    foreign_on(DLDevice::CPU, data, shape, strides, dtype, byte_offset)
}

/// [`foreign`] with the descriptor claiming to live on `device`.
fn foreign_on<M: ManagedTensorBase>(
    device: DLDevice,
    data: Vec<u8>,
    shape: Vec<i64>,
    strides: Vec<i64>,
    dtype: DLDataType,
    byte_offset: u64,
) -> (dlpark::Managed<M>, Arc<AtomicUsize>) {
    let (owner, drops) = counted(data);
    let ptr = (*owner).as_ref().as_ptr();
    let mut init = Dynamic::new(shape, strides)
        .initialize_as::<M>(Box::new(owner))
        .unwrap();
    init.set_data(ptr.cast_mut().cast())
        .set_device(device)
        .set_dtype(dtype)
        .set_byte_offset(byte_offset);
    // SAFETY: the context owns the bytes `ptr` points into; every test
    // describes at most those bytes (DLPack cannot tell an importer how
    // long the allocation is), or expects an error before any read.
    (unsafe { init.finish() }, drops)
}

#[test]
fn import_reads_in_place_and_releases_once_after_the_last_view() {
    let values = [1.5f32, -2.0, 3.25, 4.0, 5.0, 6.5];
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_ne_bytes()).collect();
    let (managed, drops) = foreign::<DLManagedTensorVersioned>(
        bytes,
        vec![2, 3],
        vec![3, 1],
        to_dl_dtype(DType::F32),
        0,
    );
    let data = managed.validate().unwrap().data_ptr();
    let t = from_dlpack(managed).unwrap();
    assert_eq!(t.view::<f32>().unwrap().as_ptr().cast(), data, "no copy");
    assert_eq!(t.to_vec::<f32>().unwrap(), values);
    let col = t.slice(s![.., 2]).unwrap();
    drop(t);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        0,
        "the view holds the producer's bytes"
    );
    assert_eq!(col.to_vec::<f32>().unwrap(), [3.25, 6.5]);
    drop(col);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn import_releases_once_on_every_error() {
    /// shape, strides, dtype, byte offset, expected message.
    type Case = (Vec<i64>, Vec<i64>, DLDataType, u64, &'static str);
    let cases: Vec<Case> = vec![
        (
            vec![2],
            vec![1],
            DLDataType::new(DLDataTypeCode::FLOAT, 32, 2),
            0,
            "lanes 2",
        ),
        (
            vec![2],
            vec![1],
            DLDataType::scalar(DLDataTypeCode::OPAQUEHANDLE, 64),
            0,
            "code 3",
        ),
        (
            vec![2, 2],
            vec![4, 1],
            to_dl_dtype(DType::U8),
            0,
            "compact layout",
        ),
        (
            vec![2],
            vec![1],
            to_dl_dtype(DType::F32),
            1,
            "not aligned for float32",
        ),
        (vec![3], vec![1], to_dl_dtype(DType::Bool), 0, "not 0 or 1"),
    ];
    for (shape, strides, dtype, offset, message) in cases {
        let (managed, drops) =
            foreign::<DLManagedTensor>(vec![0, 1, 2, 3, 4, 5, 6, 7], shape, strides, dtype, offset);
        let e = from_dlpack(managed).unwrap_err();
        assert!(e.to_string().contains(message), "{message}: {e}");
        assert_eq!(drops.load(Ordering::SeqCst), 1, "{message}");
    }
}

#[test]
fn import_refuses_device_memory_null_data_and_overflow() {
    let (managed, drops) = foreign::<DLManagedTensorVersioned>(
        vec![0; 8],
        vec![2],
        vec![1],
        to_dl_dtype(DType::F32),
        0,
    );
    // SAFETY: only descriptor fields are changed; the bytes are never read.
    unsafe {
        (*managed.as_ptr()).tensor_mut().device = DLDevice {
            device_type: DLDeviceType::VULKAN,
            device_id: 0,
        }
    };
    let e = from_dlpack(managed).unwrap_err();
    assert!(e.to_string().contains("device type 7 (id 0)"), "{e}");
    assert_eq!(drops.load(Ordering::SeqCst), 1);

    let (managed, drops) = foreign::<DLManagedTensorVersioned>(
        vec![0; 8],
        vec![2],
        vec![1],
        to_dl_dtype(DType::F32),
        0,
    );
    // SAFETY: as above.
    unsafe { (*managed.as_ptr()).tensor_mut().data = std::ptr::null_mut() };
    let e = from_dlpack(managed).unwrap_err();
    assert!(
        e.to_string()
            .contains("data is null for shape [2] of float32"),
        "{e}"
    );
    assert_eq!(drops.load(Ordering::SeqCst), 1);

    let (managed, _) = foreign::<DLManagedTensorVersioned>(
        vec![0; 8],
        vec![2],
        vec![1],
        to_dl_dtype(DType::F32),
        0,
    );
    // SAFETY: as above; the address is checked before it could be used.
    unsafe { (*managed.as_ptr()).tensor_mut().byte_offset = u64::MAX - 4 };
    let e = from_dlpack(managed).unwrap_err();
    assert!(e.to_string().contains("overflow"), "{e}");

    // A null pointer is fine when there are no elements.
    let (managed, _) = foreign::<DLManagedTensorVersioned>(
        vec![],
        vec![0, 3],
        vec![3, 1],
        to_dl_dtype(DType::I64),
        0,
    );
    // SAFETY: as above.
    unsafe { (*managed.as_ptr()).tensor_mut().data = std::ptr::null_mut() };
    assert_eq!(from_dlpack(managed).unwrap().dims(), [0, 3]);

    // Negative dims are refused (by DLPack's own validation or ours).
    let (managed, _) = foreign::<DLManagedTensorVersioned>(
        vec![0; 8],
        vec![2],
        vec![1],
        to_dl_dtype(DType::U8),
        0,
    );
    // SAFETY: as above; the shape storage holds one i64.
    unsafe { *(*managed.as_ptr()).tensor_mut().shape = -3 };
    assert!(from_dlpack(managed).is_err());
}

#[test]
fn every_dtype_round_trips_without_a_copy() {
    let tensors = [
        Tensor::from([true, false, true]),
        Tensor::from([0u8, 255]),
        Tensor::from([1u16, 65535]),
        Tensor::from([7u32, 4_000_000_000]),
        Tensor::from([1u64, u64::MAX]),
        Tensor::from([-128i8, 127]),
        Tensor::from([-3i16, 300]),
        Tensor::from([-70000i32, 5]),
        Tensor::from([i64::MIN, 9]),
        Tensor::from([f16::from_f32(1.5), f16::from_f32(-0.25)]),
        Tensor::from([bf16::from_f32(3.0), bf16::from_f32(-2.5)]),
        Tensor::from([1.25f32, f32::INFINITY]),
        Tensor::from([1e300f64, -0.5]),
        Tensor::from([Complex::new(1.0f32, -2.0), Complex::new(0.5, 4.0)]),
        Tensor::from([Complex::new(1e-300f64, 2.0)]),
    ];
    for t in tensors {
        let managed = to_dlpack(&t).unwrap();
        assert_eq!(
            from_dl_dtype(managed.validate().unwrap().dtype()).unwrap(),
            t.dtype()
        );
        let back = from_dlpack(managed).unwrap();
        assert_eq!(back.dtype(), t.dtype());
        assert_eq!(back.dims(), t.dims());
        // Same values (Debug prints every element) from the same bytes.
        assert_eq!(format!("{back:?}"), format!("{t:?}"));
        assert!(
            !back.shares_buffer_with(&t),
            "a new handle over the exported bytes"
        );
    }
}

#[test]
fn reversed_views_export_as_copies_and_device_tensors_are_refused() {
    let t = Tensor::from([1i32, 2, 3]);
    let r = t.slice(s![..;-1]).unwrap();
    let managed = to_dlpack(&r).unwrap();
    assert_eq!(managed.validate().unwrap().strides(), Some(&[1i64][..]));
    assert_eq!(
        from_dlpack(managed).unwrap().to_vec::<i32>().unwrap(),
        [3, 2, 1]
    );
    // Broadcast views keep their zero strides.
    let b = t.broadcast_to([2, 3]).unwrap();
    let managed = to_dlpack(&b).unwrap();
    assert_eq!(managed.validate().unwrap().strides(), Some(&[0i64, 1][..]));
    assert_eq!(
        managed.validate().unwrap().device().device_type,
        DLDeviceType::CPU
    );
}

proptest! {
    /// Any permutation of a C-order tensor goes out and comes back as the
    /// same view of the same bytes.
    #[test]
    fn transposed_views_round_trip(dims in prop::collection::vec(1usize..5, 0..5), seed in any::<u64>()) {
        let numel: usize = dims.iter().product();
        let values: Vec<i32> = (0..numel as i32).collect();
        let t = Tensor::from_vec(values, dims.clone()).unwrap();
        let mut perm: Vec<usize> = (0..dims.len()).collect();
        let mut state = seed;
        for i in (1..perm.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            perm.swap(i, (state >> 33) as usize % (i + 1));
        }
        let v = t.transpose(&perm).unwrap();
        let back = from_dlpack(to_dlpack(&v).unwrap()).unwrap();
        prop_assert_eq!(back.dims(), v.dims());
        prop_assert_eq!(back.to_vec::<i32>().unwrap(), v.to_vec::<i32>().unwrap());
        prop_assert_eq!(back.view::<i32>().unwrap().as_ptr(), v.view::<i32>().unwrap().as_ptr());
    }
}

/// Whether CUDA GPU `n` can hold tensors here; when it cannot, a printed
/// skip line (a failure under `TENSORBRIDGE_EXPECT_CUDA=1`, for GPU 0).
fn gpu_or_skip(n: usize) -> bool {
    match tensorbridge_core::Device::Cuda(n).check_available() {
        Ok(()) => true,
        Err(e) => {
            let expect = std::env::var("TENSORBRIDGE_EXPECT_CUDA").is_ok_and(|v| v.trim() == "1");
            assert!(
                !(expect && n == 0 && cfg!(feature = "cuda")),
                "TENSORBRIDGE_EXPECT_CUDA=1 but no CUDA device: {e}"
            );
            println!("SKIPPED: cuda:{n} is not usable ({e})");
            false
        }
    }
}

#[test]
fn cuda_descriptors_of_a_missing_gpu_are_unavailable_and_released_once() {
    // GPU 7 (absent on any test machine) and GPU 0 (absent without a GPU
    // or without the `cuda` feature): DeviceUnavailable, never a crash and
    // never a read of the (host) data pointer.
    for id in [7, 0] {
        if id == 0 && cfg!(feature = "cuda") && tensorbridge_core::Device::Cuda(0).is_available() {
            continue;
        }
        let (managed, drops) = foreign_on::<DLManagedTensorVersioned>(
            DLDevice::cuda(id),
            vec![0u8; 16],
            vec![2, 2],
            vec![2, 1],
            to_dl_dtype(DType::F32),
            0,
        );
        let e = from_dlpack(managed).unwrap_err();
        assert!(
            matches!(
                e,
                tensorbridge_core::Error::DeviceUnavailable {
                    device: tensorbridge_core::Device::Cuda(d),
                    ..
                } if d == id as usize
            ),
            "{e:?}"
        );
        assert_eq!(drops.load(Ordering::SeqCst), 1, "the deleter runs once");
        let (legacy, drops) = foreign_on::<DLManagedTensor>(
            DLDevice::cuda(id),
            vec![0u8; 4],
            vec![4],
            vec![1],
            to_dl_dtype(DType::U8),
            0,
        );
        assert!(matches!(
            from_dlpack(legacy).unwrap_err(),
            tensorbridge_core::Error::DeviceUnavailable { .. }
        ));
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }
    // Managed memory and negative ids are refused by rule, on any machine.
    for (device, rule) in [
        (
            DLDevice {
                device_type: dlpark::ffi::DLDeviceType::CUDAMANAGED,
                device_id: 0,
            },
            "kDLCUDAManaged = 13",
        ),
        (DLDevice::cuda(-2), "CUDA device id -2 is negative"),
    ] {
        let (managed, drops) = foreign_on::<DLManagedTensorVersioned>(
            device,
            vec![0u8; 4],
            vec![4],
            vec![1],
            to_dl_dtype(DType::U8),
            0,
        );
        let e = from_dlpack(managed).unwrap_err();
        assert!(e.to_string().contains(rule), "{e}");
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }
}

#[test]
fn a_host_address_claiming_to_be_on_a_present_gpu_is_refused() {
    if !cfg!(feature = "cuda") || !gpu_or_skip(0) {
        return;
    }
    // The driver does not know pageable host memory as device memory.
    let (managed, drops) = foreign_on::<DLManagedTensorVersioned>(
        DLDevice::cuda(0),
        vec![0u8; 64],
        vec![16],
        vec![1],
        to_dl_dtype(DType::F32),
        0,
    );
    let e = from_dlpack(managed).unwrap_err();
    assert!(e.to_string().contains("wrap_foreign"), "{e}");
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[cfg(feature = "cuda")]
#[test]
fn device_tensors_round_trip_through_dlpack_in_place() {
    use tensorbridge_core::Device;
    if !gpu_or_skip(0) {
        return;
    }
    let host = Tensor::from_vec((0..24i32).collect(), [4, 6]).unwrap();
    let t = host.to_device(Device::Cuda(0)).unwrap();
    for (what, v) in [
        ("whole", t.clone()),
        ("transposed", t.t().unwrap()),
        ("rows", t.slice(s![1..3, ..]).unwrap()),
        ("reversed", t.slice(s![..;-1, ..]).unwrap()),
    ] {
        let managed = to_dlpack(&v).unwrap();
        {
            let dl = managed.validate().unwrap();
            assert_eq!(dl.device(), DLDevice::cuda(0), "{what}");
            if what != "reversed" {
                assert_eq!(dl.data_ptr() as u64, v.cuda_data_ptr().unwrap(), "{what}");
                let strides: Vec<i64> = v.layout().strides().iter().map(|&s| s as i64).collect();
                assert_eq!(dl.strides(), Some(&strides[..]), "{what}");
            }
        }
        let back = from_dlpack(managed).unwrap();
        assert_eq!(back.device(), Device::Cuda(0), "{what}");
        assert_eq!(
            back.to_vec::<i32>().unwrap(),
            v.to_vec::<i32>().unwrap(),
            "{what}"
        );
        if what == "whole" || what == "transposed" {
            assert_eq!(
                back.cuda_data_ptr().unwrap(),
                v.cuda_data_ptr().unwrap(),
                "{what}: no copy"
            );
        }
    }
    // The export keeps the buffer alive after every tensor handle is gone.
    let legacy = to_dlpack_legacy(&t.slice(s![2.., ..]).unwrap()).unwrap();
    drop(t);
    let back = from_dlpack(legacy).unwrap();
    assert_eq!(back.to_vec::<i32>().unwrap(), (12..24).collect::<Vec<_>>());
    // A consumer on the legacy default stream; stream 0 is refused.
    let g = host.to_device(Device::Cuda(0)).unwrap();
    // SAFETY: 1 is the legacy default stream.
    assert!(unsafe { to_dlpack_for_stream(&g, Some(1)) }.is_ok());
    // SAFETY: 0 is refused before it is used.
    let e = unsafe { to_dlpack_for_stream(&g, Some(0)) }
        .err()
        .expect("stream 0 is refused");
    assert!(e.to_string().contains("stream 0"), "{e}");
}
