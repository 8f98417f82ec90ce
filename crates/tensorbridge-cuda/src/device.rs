//! [`CudaDevice`]: one per ordinal, made on first use and kept for the
//! life of the process (a `static`, never dropped: drops during process
//! teardown can fail inside the driver). Event tracking is disabled and all
//! work goes to one stream, so every operation is ordered after the ones
//! before it and a freed block may be reused at once (stream-ordered frees).
#![expect(
    unsafe_code,
    reason = "disabling cudarc's event tracking is an unsafe fn; raw device pointers for copies"
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use cudarc::driver::{CudaContext, CudaModule, CudaStream};

use crate::alloc::Allocator;
use crate::error::DriverContext;
use crate::pinned::PinnedPool;
use crate::probe::{CudaStatus, probe};
use crate::{CudaError, Result};

/// One CUDA device: its context, its stream, its caching allocator, its
/// pinned staging buffers and its compiled kernels.
///
/// ```
/// use tensorbridge_cuda::CudaDevice;
///
/// match CudaDevice::get(0) {
///     Ok(dev) => println!("{} sm_{}{}", dev.name(), dev.compute_capability().0, dev.compute_capability().1),
///     Err(e) => println!("no GPU: {e}"),
/// }
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
pub struct CudaDevice {
    ordinal: usize,
    pub(crate) ctx: Arc<CudaContext>,
    pub(crate) stream: Arc<CudaStream>,
    name: String,
    cc: (u32, u32),
    pub(crate) allocator: Allocator,
    pub(crate) pinned: PinnedPool,
    pub(crate) modules: Mutex<HashMap<&'static str, Arc<CudaModule>>>,
    pub(crate) functions: Mutex<HashMap<String, cudarc::driver::CudaFunction>>,
    pub(crate) blas: OnceLock<std::result::Result<Mutex<cudarc::cublas::CudaBlas>, CudaError>>,
}

impl std::fmt::Debug for CudaDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CudaDevice")
            .field("ordinal", &self.ordinal)
            .field("name", &self.name)
            .field("compute_capability", &self.cc)
            .finish_non_exhaustive()
    }
}

type Slot = OnceLock<std::result::Result<Arc<CudaDevice>, CudaError>>;

fn slots(count: usize) -> &'static [Slot] {
    static SLOTS: OnceLock<Vec<Slot>> = OnceLock::new();
    SLOTS.get_or_init(|| (0..count).map(|_| OnceLock::new()).collect())
}

impl CudaDevice {
    /// The device `ordinal`, initialised on first use (context, stream,
    /// event tracking off) and shared afterwards.
    ///
    /// **Errors**: [`CudaError::Unavailable`] with the reason when CUDA is
    /// not usable or `ordinal` is past the last device; a driver error from
    /// initialisation (remembered: later calls return it again).
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, CudaError};
    ///
    /// assert!(matches!(CudaDevice::get(1 << 20), Err(CudaError::Unavailable(_))));
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn get(ordinal: usize) -> Result<Arc<CudaDevice>> {
        let status = probe();
        let count = match &status {
            CudaStatus::Available {
                devices,
                nvrtc: true,
                ..
            } => *devices,
            other => return Err(CudaError::Unavailable(other.reason())),
        };
        if ordinal >= count {
            return Err(CudaError::Unavailable(format!(
                "CUDA device {ordinal} does not exist: the driver reports {count} device(s)"
            )));
        }
        slots(count)[ordinal]
            .get_or_init(|| CudaDevice::init(ordinal).map(Arc::new))
            .clone()
    }

    fn init(ordinal: usize) -> Result<CudaDevice> {
        let ctx = CudaContext::new(ordinal).ctx("creating the CUDA context")?;
        // SAFETY: called right after the context is made, before any
        // allocation or stream exists; all work of this device then goes to
        // one stream, so no cross-stream ordering is lost.
        unsafe { ctx.disable_event_tracking() };
        let stream = ctx.new_stream().ctx("creating the CUDA stream")?;
        let name = ctx.name().ctx("reading the device name")?;
        let (major, minor) = ctx
            .compute_capability()
            .ctx("reading the compute capability")?;
        Ok(CudaDevice {
            ordinal,
            ctx,
            stream,
            name,
            cc: (major.max(0) as u32, minor.max(0) as u32),
            allocator: Allocator::default(),
            pinned: PinnedPool::default(),
            modules: Mutex::new(HashMap::new()),
            functions: Mutex::new(HashMap::new()),
            blas: OnceLock::new(),
        })
    }

    /// The ordinal this device was opened with.
    ///
    /// ```
    /// use tensorbridge_cuda::CudaDevice;
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     assert_eq!(dev.ordinal(), 0);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn ordinal(&self) -> usize {
        self.ordinal
    }

    /// The device's name (e.g. `"NVIDIA H100 80GB HBM3"`).
    ///
    /// ```
    /// use tensorbridge_cuda::CudaDevice;
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     assert!(!dev.name().is_empty());
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// `(major, minor)` compute capability, e.g. `(9, 0)` for an H100.
    ///
    /// ```
    /// use tensorbridge_cuda::CudaDevice;
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     assert!(dev.compute_capability().0 >= 5);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn compute_capability(&self) -> (u32, u32) {
        self.cc
    }

    /// `(free, total)` device memory in bytes, as the driver reports it
    /// (blocks cached by the allocator count as used).
    ///
    /// ```
    /// use tensorbridge_cuda::CudaDevice;
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let (free, total) = dev.mem_info()?;
    ///     assert!(free <= total);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn mem_info(&self) -> Result<(usize, usize)> {
        self.ctx.mem_get_info().ctx("cuMemGetInfo")
    }

    /// Waits for all work queued on this device, then reports any error
    /// recorded by an earlier asynchronous call.
    ///
    /// ```
    /// use tensorbridge_cuda::CudaDevice;
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     dev.synchronize()?;
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn synchronize(&self) -> Result<()> {
        self.stream.synchronize().ctx("synchronizing the stream")?;
        self.ctx
            .check_err()
            .ctx("an earlier asynchronous operation")
    }

    /// The shared handle of this device (every device lives in its static
    /// slot, so the lookup cannot fail).
    pub(crate) fn arc(&self) -> Arc<CudaDevice> {
        let slot = slots(0)
            .get(self.ordinal)
            .and_then(|s| s.get())
            .and_then(|r| r.as_ref().ok())
            .expect("a CudaDevice exists only inside its static slot");
        Arc::clone(slot)
    }

    /// Binds this device's context to the calling thread (for cuBLAS
    /// calls, which do not bind by themselves).
    pub(crate) fn bind(&self) -> Result<()> {
        self.ctx.bind_to_thread().ctx("binding the CUDA context")
    }

    /// Whether arithmetic kernels of `elem` can run here (bf16 needs
    /// sm_80). Pure data movement (copies, gathers, where, scatter without
    /// add, downloads) moves bf16 bits on any device.
    pub(crate) fn check_elem(&self, elem: crate::ElemType) -> Result<()> {
        if elem == crate::ElemType::BF16 && self.cc.0 < 8 {
            return Err(CudaError::Unsupported(format!(
                "bfloat16 kernels need compute capability 8.0 or newer; device {} ({}) has {}.{}",
                self.ordinal, self.name, self.cc.0, self.cc.1
            )));
        }
        Ok(())
    }
}
