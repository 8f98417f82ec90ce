//! GPU runtime tests of tensorbridge-cuda: every kernel against a host
//! reference. Each test prints a skip line when no CUDA device is present
//! and fails when `TENSORBRIDGE_EXPECT_CUDA=1` (the GPU machine's setting).
//! Run them there with `--test-threads=1` if a deliberate fault is ever
//! added (none is: every error here is found before or by a kernel flag).

#[macro_use]
mod common;
mod foreign;
mod fused;
mod index;
mod memory;
mod ops;
mod random;

#[test]
fn handles_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<tensorbridge_cuda::CudaDevice>();
    check::<tensorbridge_cuda::DeviceBuffer>();
    check::<tensorbridge_cuda::PendingDownload>();
    fn unwind_safe<T: std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    unwind_safe::<tensorbridge_cuda::DeviceBuffer>();
}

#[test]
fn a_missing_ordinal_is_unavailable_never_a_panic() {
    let e = tensorbridge_cuda::CudaDevice::get(1 << 20).unwrap_err();
    assert!(
        matches!(e, tensorbridge_cuda::CudaError::Unavailable(_)),
        "{e}"
    );
    assert!(!e.to_string().is_empty());
}
