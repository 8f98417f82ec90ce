// libcuda.so.1 emulated on the host ("hostcuda"): the slice of the CUDA
// driver API that cudarc calls for tensorbridge-cuda, so that every GPU
// test runs on a CPU-only machine against the real orchestration code in
// src/ (launch arguments, grids, multi-kernel algorithms, transfers, the
// allocator, streams and events).
//
// The model:
// - Devices: HOSTCUDA_DEVICES (default 1) devices of compute capability
//   HOSTCUDA_CC (default "9.0") with HOSTCUDA_MEMORY bytes each (default
//   4 GiB); one primary context per device.
// - Device memory is host memory with a PROT_NONE guard page on both
//   sides (a kernel or copy that runs past a buffer by a page faults), filled
//   with 0xA5 when allocated (code that assumes zeroed memory fails; past
//   64 MiB only the first and last MiB). Every copy and memset is checked
//   against the live allocations.
// - Each stream is an in-order queue that runs only when the host waits
//   for it (a stream or event synchronize or query, a copy into pageable
//   host memory; a context synchronize or synchronous free runs them all);
//   an event is a position in a stream and a wait on it a real dependency.
//   Work nothing waits for stays queued, so a host read or another stream
//   that forgets to wait sees stale data, as it could on a GPU, but always.
//   Copies from pageable memory snapshot their source at the call, as the
//   real driver stages it.
// - Modules come from the host NVRTC (nvrtc.cpp): their "PTX" names a
//   shared object of host-compiled kernels. A launch runs the grid block by
//   block; the threads of a block are cooperative contexts that switch at
//   __syncthreads (a block whose thread 0 never waits runs its threads one
//   after another, and a later __syncthreads there aborts: divergent).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <dlfcn.h>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>
#include <vector>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
enum {
    CUDA_SUCCESS = 0, CUDA_ERROR_INVALID_VALUE = 1, CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_INITIALIZED = 3, CUDA_ERROR_INVALID_DEVICE = 101, CUDA_ERROR_INVALID_IMAGE = 200,
    CUDA_ERROR_INVALID_CONTEXT = 201, CUDA_ERROR_INVALID_HANDLE = 400, CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_NOT_READY = 600, CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
    CUDA_ERROR_INVALID_PTX = 218, CUDA_ERROR_NOT_SUPPORTED = 801, CUDA_ERROR_UNKNOWN = 999,
};

namespace {

struct Dim3 { unsigned x, y, z; };
struct HcState { Dim3 threadIdx, blockIdx, blockDim, gridDim; void (*sync)(); };
struct HcKernel { const char* name; void (*run)(void**); unsigned arity; const unsigned* sizes; };

bool trace() {
    static bool on = getenv("HOSTCUDA_TRACE") != nullptr;
    return on;
}

[[noreturn]] void fatal(const char* what) {
    fprintf(stderr, "hostcuda: %s\n", what);
    fflush(stderr);
    abort();
}

size_t env_size(const char* name, size_t fallback) {
    const char* v = getenv(name);
    return v && *v ? strtoull(v, nullptr, 10) : fallback;
}

int device_count() { return (int)env_size("HOSTCUDA_DEVICES", 1); }
size_t device_memory() { return env_size("HOSTCUDA_MEMORY", size_t(4) << 30); }
void compute_capability(int* major, int* minor) {
    const char* v = getenv("HOSTCUDA_CC");
    *major = 9; *minor = 0;
    if (v && *v) sscanf(v, "%d.%d", major, minor);
}

struct Context { int device; };
Context* contexts() {
    static Context* all = [] {
        auto* c = new Context[device_count() > 0 ? device_count() : 1];
        for (int i = 0; i < device_count(); ++i) c[i].device = i;
        return c;
    }();
    return all;
}
thread_local Context* current = nullptr;
bool initialised = false;

// ---- memory -------------------------------------------------------------------------
struct Allocation { size_t size; int device; bool host; void* map; size_t map_len; bool freeing; };
std::mutex mem_lock;
std::map<uintptr_t, Allocation> allocations;  // by start address
std::vector<size_t>& used_per_device() {
    static std::vector<size_t> used(device_count() > 0 ? device_count() : 1, 0);
    return used;
}

const size_t PAGE = 4096;

// The allocation holding [p, p + len), if any.
const Allocation* find(uintptr_t p, size_t len, uintptr_t* start) {
    auto it = allocations.upper_bound(p);
    if (it == allocations.begin()) return nullptr;
    --it;
    if (p < it->first || p - it->first > it->second.size || len > it->second.size - (p - it->first))
        return nullptr;
    // A buffer queued for freeing is no longer usable.
    if (it->second.freeing) return nullptr;
    *start = it->first;
    return &it->second;
}

bool is_device_range(CUdeviceptr p, size_t len) {
    std::lock_guard<std::mutex> l(mem_lock);
    uintptr_t s;
    const Allocation* a = find(p, len, &s);
    return a && !a->host;
}

bool is_pinned_range(const void* p, size_t len) {
    std::lock_guard<std::mutex> l(mem_lock);
    uintptr_t s;
    const Allocation* a = find((uintptr_t)p, len, &s);
    return a && a->host;
}

// A buffer of `size` bytes ending 256-aligned right before a guard page.
CUresult allocate(size_t size, int device, bool host, uintptr_t* out) {
    // Far beyond any memory: refused before any size arithmetic can wrap.
    if (size > (size_t(1) << 48)) return CUDA_ERROR_OUT_OF_MEMORY;
    size_t body = ((size ? size : 1) + 255) / 256 * 256;
    size_t pages = (body + PAGE - 1) / PAGE * PAGE;
    std::lock_guard<std::mutex> l(mem_lock);
    auto& used = used_per_device();
    if (!host && (size > device_memory() || used[device] > device_memory() - size))
        return CUDA_ERROR_OUT_OF_MEMORY;
    size_t len = pages + 2 * PAGE;
    void* map = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) return CUDA_ERROR_OUT_OF_MEMORY;
    mprotect(map, PAGE, PROT_NONE);
    mprotect((char*)map + PAGE + pages, PAGE, PROT_NONE);
    uintptr_t start = (uintptr_t)map + PAGE + pages - body;
    // Garbage where code may wrongly expect zeros: all of a buffer up to
    // 64 MiB, the first and last MiB of a larger one (untouched pages of
    // a huge allocation cost no memory).
    const size_t WHOLE = 64 << 20, EDGE = 1 << 20;
    if (body <= WHOLE) {
        memset((void*)start, 0xA5, body);
    } else {
        memset((void*)start, 0xA5, EDGE);
        memset((void*)(start + body - EDGE), 0xA5, EDGE);
    }
    allocations[start] = Allocation{size, device, host, map, len, false};
    if (!host) used[device] += size;
    *out = start;
    return CUDA_SUCCESS;
}

CUresult release(uintptr_t p, bool host) {
    std::lock_guard<std::mutex> l(mem_lock);
    auto it = allocations.find(p);
    if (it == allocations.end() || it->second.host != host) return CUDA_ERROR_INVALID_VALUE;
    if (!host) used_per_device()[it->second.device] -= it->second.size;
    munmap(it->second.map, it->second.map_len);
    allocations.erase(it);
    return CUDA_SUCCESS;
}

// ---- streams ------------------------------------------------------------------------
// Each stream is its own in-order queue. An event is a position in one
// stream; waiting on it is a dependency in another. Work runs only when
// the host waits: a stream sync runs that stream (and, first, what it
// waits for), a context sync runs every stream. Work on a stream that
// nothing waits for stays queued, so a missing wait shows as stale data.
struct Stream;
struct Op {
    std::function<void()> fn;
    Stream* after = nullptr;  // a wait: run `after` up to `position` first
    unsigned long long position = 0;
};
struct Stream {
    std::deque<Op> ops;
    unsigned long long enqueued = 0, executed = 0;
};
std::recursive_mutex queue_lock;  // held while queued work runs
Stream legacy_stream;             // the null stream and the special handles 1 and 2
std::vector<Stream*> streams{&legacy_stream};
CUresult sticky_error = CUDA_SUCCESS;

Stream* stream_of(void* handle) {
    return (uintptr_t)handle <= 2 ? &legacy_stream : (Stream*)handle;
}

void enqueue(void* stream, std::function<void()> fn) {
    std::lock_guard<std::recursive_mutex> l(queue_lock);
    Stream* st = stream_of(stream);
    st->ops.push_back(Op{std::move(fn), nullptr, 0});
    st->enqueued++;
}

// Runs `st` until `position` operations of it have run.
void run_until(Stream* st, unsigned long long position) {
    std::lock_guard<std::recursive_mutex> l(queue_lock);
    while (st->executed < position) {
        Op op = std::move(st->ops.front());
        st->ops.pop_front();
        if (op.after) run_until(op.after, op.position);
        else op.fn();
        st->executed++;
    }
}

void sync_stream(void* stream) {
    std::lock_guard<std::recursive_mutex> l(queue_lock);
    Stream* st = stream_of(stream);
    run_until(st, st->enqueued);
}

// Every stream, until all are empty.
void flush() {
    std::lock_guard<std::recursive_mutex> l(queue_lock);
    for (bool again = true; again;) {
        again = false;
        for (Stream* st : streams)
            if (st->executed < st->enqueued) {
                run_until(st, st->enqueued);
                again = true;
            }
    }
}

// ---- kernels ------------------------------------------------------------------------
struct Module { void* handle; HcState* state; std::string path; int device; };
struct Function { const HcKernel* kernel; Module* module; };

const size_t STACK = 256 * 1024;
struct Fiber { ucontext_t ctx; void* stack; bool done; bool waiting; };
std::vector<Fiber> fibers;
ucontext_t scheduler;
HcState* running_state = nullptr;
const HcKernel* running_kernel = nullptr;
void** running_params = nullptr;
unsigned running_thread = 0;
bool direct_mode = false;
unsigned probe_thread = 0;

void fiber_sync() {
    if (direct_mode) {
        fprintf(stderr, "hostcuda: kernel %s: __syncthreads reached by thread %u but not by thread %u "
                        "(divergent barrier)\n", running_kernel->name, running_thread, probe_thread);
        abort();
    }
    Fiber& f = fibers[running_thread];
    f.waiting = true;
    swapcontext(&f.ctx, &scheduler);
}

void fiber_main() {
    running_kernel->run(running_params);
    fibers[running_thread].done = true;
}

void set_thread(unsigned t, const Dim3& block) {
    running_thread = t;
    running_state->threadIdx = Dim3{t % block.x, (t / block.x) % block.y, t / (block.x * block.y)};
}

// Blocks run so far: every other block that waits at barriers runs its
// threads in reverse order, so a missing __syncthreads shows whichever
// thread (lower or higher) wrote what another reads.
unsigned long long blocks_run = 0;

// Runs one block: thread 0 on a fiber; if it finished without waiting,
// the others directly; else every thread as a fiber, round by round.
void run_block(unsigned threads, const Dim3& block) {
    bool reverse = (blocks_run++ & 1) != 0;
    auto nth = [&](unsigned i) { return reverse ? threads - 1 - i : i; };
    if (fibers.size() < threads) {
        size_t old = fibers.size();
        fibers.resize(threads);
        for (size_t i = old; i < threads; ++i) {
            // A guard page below each stack: an overflow faults instead of
            // writing into the next thread's stack.
            void* map = mmap(nullptr, STACK + PAGE, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (map == MAP_FAILED) fatal("cannot map a thread stack");
            mprotect(map, PAGE, PROT_NONE);
            fibers[i].stack = (char*)map + PAGE;
        }
    }
    auto start = [&](unsigned t) {
        Fiber& f = fibers[t];
        f.done = false;
        f.waiting = false;
        getcontext(&f.ctx);
        f.ctx.uc_stack.ss_sp = f.stack;
        f.ctx.uc_stack.ss_size = STACK;
        f.ctx.uc_link = &scheduler;
        makecontext(&f.ctx, fiber_main, 0);
        set_thread(t, block);
        swapcontext(&scheduler, &f.ctx);
    };
    // The first thread of this block's order runs first, on a fiber.
    direct_mode = false;
    probe_thread = nth(0);
    start(probe_thread);
    if (fibers[probe_thread].done) {
        // It never waited: no barriers; the others run one after another,
        // in this block's order (shared data written without a barrier
        // is then read before it is written, in one order or the other).
        direct_mode = true;
        for (unsigned i = 1; i < threads; ++i) {
            set_thread(nth(i), block);
            running_kernel->run(running_params);
        }
        direct_mode = false;
        return;
    }
    // It waits at its first barrier; the others reach theirs in this
    // block's order, then every round follows that order.
    for (unsigned i = 1; i < threads; ++i) start(nth(i));
    for (;;) {
        bool all_done = true;
        for (unsigned i = 0; i < threads; ++i) {
            unsigned t = nth(i);
            Fiber& f = fibers[t];
            if (f.done) continue;
            all_done = false;
            if (!f.waiting) fatal("a thread neither finished nor waited");
            f.waiting = false;
            set_thread(t, block);
            swapcontext(&scheduler, &f.ctx);
        }
        if (all_done) return;
        // Threads that finished while others wait at a barrier: CUDA lets
        // exited threads out of later barriers, so the rest go on.
    }
}

void run_grid(Function* fn, Dim3 grid, Dim3 block, std::vector<unsigned char>* args,
              std::vector<size_t>* offsets) {
    std::vector<void*> params(offsets->size());
    for (size_t i = 0; i < offsets->size(); ++i) params[i] = args->data() + (*offsets)[i];
    HcState* st = fn->module->state;
    st->gridDim = grid;
    st->blockDim = block;
    st->sync = fiber_sync;
    running_state = st;
    running_kernel = fn->kernel;
    running_params = params.data();
    unsigned threads = block.x * block.y * block.z;
    for (unsigned z = 0; z < grid.z; ++z)
        for (unsigned y = 0; y < grid.y; ++y)
            for (unsigned x = 0; x < grid.x; ++x) {
                st->blockIdx = Dim3{x, y, z};
                run_block(threads, block);
            }
}

}  // namespace

extern "C" {

CUresult cuInit(unsigned) { initialised = true; return CUDA_SUCCESS; }
CUresult cuDriverGetVersion(int* v) { *v = 13000; return CUDA_SUCCESS; }
CUresult cuDeviceGetCount(int* n) {
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    *n = device_count();
    return CUDA_SUCCESS;
}
CUresult cuDeviceGet(CUdevice* d, int ordinal) {
    if (ordinal < 0 || ordinal >= device_count()) return CUDA_ERROR_INVALID_DEVICE;
    *d = ordinal;
    return CUDA_SUCCESS;
}
CUresult cuDeviceGetName(char* name, int len, CUdevice d) {
    if (d < 0 || d >= device_count()) return CUDA_ERROR_INVALID_DEVICE;
    snprintf(name, len, "hostcuda %d (CPU emulation)", d);
    return CUDA_SUCCESS;
}
CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice) { *bytes = device_memory(); return CUDA_SUCCESS; }
CUresult cuDeviceGetAttribute(int* v, int attr, CUdevice d) {
    if (d < 0 || d >= device_count()) return CUDA_ERROR_INVALID_DEVICE;
    int major, minor;
    compute_capability(&major, &minor);
    switch (attr) {
        case 1: *v = 1024; break;                          // max threads per block
        case 2: case 3: *v = 1024; break;                  // max block dim x, y
        case 4: *v = 64; break;                            // max block dim z
        case 5: *v = 2147483647; break;                    // max grid dim x
        case 6: case 7: *v = 65535; break;                 // max grid dim y, z
        case 8: *v = 49152; break;                         // shared memory per block
        case 10: *v = 32; break;                           // warp size
        case 16: *v = 132; break;                          // multiprocessors
        case 75: *v = major; break;
        case 76: *v = minor; break;
        case 115: *v = 1; break;                           // memory pools
        default: *v = 0;
    }
    return CUDA_SUCCESS;
}
CUresult cuDevicePrimaryCtxRetain(void** ctx, CUdevice d) {
    if (d < 0 || d >= device_count()) return CUDA_ERROR_INVALID_DEVICE;
    *ctx = &contexts()[d];
    return CUDA_SUCCESS;
}
CUresult cuDevicePrimaryCtxRelease_v2(CUdevice) { return CUDA_SUCCESS; }
CUresult cuCtxSetCurrent(void* ctx) { current = (Context*)ctx; return CUDA_SUCCESS; }
CUresult cuCtxGetCurrent(void** ctx) { *ctx = current; return CUDA_SUCCESS; }
CUresult cuCtxPushCurrent_v2(void* ctx) { current = (Context*)ctx; return CUDA_SUCCESS; }
CUresult cuCtxPopCurrent_v2(void** ctx) { if (ctx) *ctx = current; return CUDA_SUCCESS; }
CUresult cuCtxGetDevice(CUdevice* d) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    *d = current->device;
    return CUDA_SUCCESS;
}
CUresult cuCtxSynchronize() { flush(); return sticky_error; }

CUresult cuGetErrorName(CUresult e, const char** s) {
    switch (e) {
        case CUDA_SUCCESS: *s = "CUDA_SUCCESS"; break;
        case CUDA_ERROR_INVALID_VALUE: *s = "CUDA_ERROR_INVALID_VALUE"; break;
        case CUDA_ERROR_OUT_OF_MEMORY: *s = "CUDA_ERROR_OUT_OF_MEMORY"; break;
        default: *s = "CUDA_ERROR_UNKNOWN";
    }
    return CUDA_SUCCESS;
}
CUresult cuGetErrorString(CUresult e, const char** s) { return cuGetErrorName(e, s); }

// ---- streams and events ----
CUresult cuStreamCreate(void** s, unsigned) {
    std::lock_guard<std::recursive_mutex> l(queue_lock);
    Stream* st = new Stream();
    streams.push_back(st);
    *s = st;
    return CUDA_SUCCESS;
}
CUresult cuStreamCreateWithPriority(void** s, unsigned flags, int) { return cuStreamCreate(s, flags); }
// Its queued work still completes (here, at once), as the driver finishes it.
CUresult cuStreamDestroy_v2(void* s) {
    std::lock_guard<std::recursive_mutex> l(queue_lock);
    Stream* st = stream_of(s);
    if (st == &legacy_stream) return CUDA_ERROR_INVALID_HANDLE;
    run_until(st, st->enqueued);
    streams.erase(std::find(streams.begin(), streams.end(), st));
    delete st;
    return CUDA_SUCCESS;
}
CUresult cuStreamSynchronize(void* s) { sync_stream(s); return sticky_error; }
CUresult cuStreamQuery(void* s) { sync_stream(s); return CUDA_SUCCESS; }
struct Event { Stream* stream = nullptr; unsigned long long position = 0; };
CUresult cuEventCreate(void** e, unsigned) { *e = new Event(); return CUDA_SUCCESS; }
// Nothing queued refers to an event (a wait copies its stream and position).
CUresult cuEventDestroy_v2(void* e) { delete (Event*)e; return CUDA_SUCCESS; }
CUresult cuEventRecord(void* e, void* s) {
    std::lock_guard<std::recursive_mutex> l(queue_lock);
    Event* ev = (Event*)e;
    ev->stream = stream_of(s);
    ev->position = ev->stream->enqueued;
    return CUDA_SUCCESS;
}
CUresult cuEventRecordWithFlags(void* e, void* s, unsigned) { return cuEventRecord(e, s); }
CUresult cuEventSynchronize(void* e) {
    Event* ev = (Event*)e;
    if (ev->stream) run_until(ev->stream, ev->position);
    return sticky_error;
}
CUresult cuEventQuery(void* e) { cuEventSynchronize(e); return CUDA_SUCCESS; }
CUresult cuEventElapsedTime(float* ms, void* a, void* b) {
    cuEventSynchronize(a);
    cuEventSynchronize(b);
    *ms = 0;
    return CUDA_SUCCESS;
}
CUresult cuEventElapsedTime_v2(float* ms, void* a, void* b) { return cuEventElapsedTime(ms, a, b); }
CUresult cuStreamWaitEvent(void* s, void* e, unsigned) {
    std::lock_guard<std::recursive_mutex> l(queue_lock);
    Event* ev = (Event*)e;
    if (!ev->stream) return CUDA_SUCCESS;  // never recorded: nothing to wait for
    Stream* st = stream_of(s);
    st->ops.push_back(Op{nullptr, ev->stream, ev->position});
    st->enqueued++;
    return CUDA_SUCCESS;
}
CUresult cuLaunchHostFunc(void* s, void (*fn)(void*), void* data) {
    enqueue(s, [fn, data] { fn(data); });
    return CUDA_SUCCESS;
}

// ---- memory ----
CUresult cuMemGetInfo_v2(size_t* free, size_t* total) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    std::lock_guard<std::mutex> l(mem_lock);
    *total = device_memory();
    *free = *total - used_per_device()[current->device];
    return CUDA_SUCCESS;
}
CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t size) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    uintptr_t out;
    CUresult r = allocate(size, current->device, false, &out);
    if (r == CUDA_SUCCESS) *p = out;
    if (trace()) fprintf(stderr, "hostcuda: cuMemAlloc %zu -> %d\n", size, r);
    return r;
}
CUresult cuMemAllocAsync(CUdeviceptr* p, size_t size, void*) { return cuMemAlloc_v2(p, size); }
CUresult cuMemFree_v2(CUdeviceptr p) { flush(); return release(p, false); }
CUresult cuMemFreeAsync(CUdeviceptr p, void* s) {
    {
        // Marked at once: a second free, or any use, of the buffer fails.
        std::lock_guard<std::mutex> l(mem_lock);
        auto it = allocations.find(p);
        if (it == allocations.end() || it->second.host || it->second.freeing) return CUDA_ERROR_INVALID_VALUE;
        it->second.freeing = true;
    }
    enqueue(s, [p] {
        if (release(p, false) != CUDA_SUCCESS) fatal("a queued free found its buffer gone");
    });
    return CUDA_SUCCESS;
}
CUresult cuMemHostAlloc(void** p, size_t size, unsigned) {
    uintptr_t out;
    CUresult r = allocate(size, 0, true, &out);
    if (r == CUDA_SUCCESS) *p = (void*)out;
    return r;
}
CUresult cuMemAllocHost_v2(void** p, size_t size) { return cuMemHostAlloc(p, size, 0); }
CUresult cuMemFreeHost(void* p) { flush(); return release((uintptr_t)p, true); }

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t n, void* s) {
    if (n == 0) return CUDA_SUCCESS;
    if (!is_device_range(dst, n)) return CUDA_ERROR_INVALID_VALUE;
    if (is_pinned_range(src, n)) {
        enqueue(s, [dst, src, n] { memcpy((void*)dst, src, n); });
    } else {
        auto copy = std::make_shared<std::vector<unsigned char>>((const unsigned char*)src,
                                                                 (const unsigned char*)src + n);
        enqueue(s, [dst, copy] { memcpy((void*)dst, copy->data(), copy->size()); });
    }
    return CUDA_SUCCESS;
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t n) {
    CUresult r = cuMemcpyHtoDAsync_v2(dst, src, n, nullptr);
    flush();
    return r;
}
CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t n, void* s) {
    if (n == 0) return CUDA_SUCCESS;
    if (!is_device_range(src, n)) return CUDA_ERROR_INVALID_VALUE;
    enqueue(s, [dst, src, n] { memcpy(dst, (const void*)src, n); });
    // Into pageable memory the call returns once the copy is done.
    if (!is_pinned_range(dst, n)) sync_stream(s);
    return CUDA_SUCCESS;
}
CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t n) {
    CUresult r = cuMemcpyDtoHAsync_v2(dst, src, n, nullptr);
    flush();
    return r;
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, void* s) {
    if (n == 0) return CUDA_SUCCESS;
    if (!is_device_range(dst, n) || !is_device_range(src, n)) return CUDA_ERROR_INVALID_VALUE;
    enqueue(s, [dst, src, n] { memmove((void*)dst, (const void*)src, n); });
    return CUDA_SUCCESS;
}
CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n) {
    CUresult r = cuMemcpyDtoDAsync_v2(dst, src, n, nullptr);
    flush();
    return r;
}
// Between two devices' memory (both checked, each against its context's
// device): one queue, so the copy is in order with both devices' work.
CUresult cuMemcpyPeerAsync(CUdeviceptr dst, void* dst_ctx, CUdeviceptr src, void* src_ctx, size_t n,
                           void* s) {
    if (n == 0) return CUDA_SUCCESS;
    auto on = [](CUdeviceptr p, size_t len, void* ctx) {
        std::lock_guard<std::mutex> l(mem_lock);
        uintptr_t s;
        const Allocation* a = find(p, len, &s);
        return a && !a->host && ctx && a->device == ((Context*)ctx)->device;
    };
    if (!on(dst, n, dst_ctx) || !on(src, n, src_ctx)) return CUDA_ERROR_INVALID_VALUE;
    enqueue(s, [dst, src, n] { memmove((void*)dst, (const void*)src, n); });
    return CUDA_SUCCESS;
}
CUresult cuMemcpyPeer(CUdeviceptr dst, void* dst_ctx, CUdeviceptr src, void* src_ctx, size_t n) {
    CUresult r = cuMemcpyPeerAsync(dst, dst_ctx, src, src_ctx, n, nullptr);
    flush();
    return r;
}
CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char v, size_t n, void* s) {
    if (n == 0) return CUDA_SUCCESS;
    if (!is_device_range(dst, n)) return CUDA_ERROR_INVALID_VALUE;
    enqueue(s, [dst, v, n] { memset((void*)dst, v, n); });
    return CUDA_SUCCESS;
}
CUresult cuMemsetD8_v2(CUdeviceptr dst, unsigned char v, size_t n) {
    CUresult r = cuMemsetD8Async(dst, v, n, nullptr);
    flush();
    return r;
}
CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned v, size_t n, void* s) {
    if (n == 0) return CUDA_SUCCESS;
    if (n > SIZE_MAX / 4 || !is_device_range(dst, n * 4)) return CUDA_ERROR_INVALID_VALUE;
    enqueue(s, [dst, v, n] { for (size_t i = 0; i < n; ++i) ((unsigned*)dst)[i] = v; });
    return CUDA_SUCCESS;
}

// CU_POINTER_ATTRIBUTE_MEMORY_TYPE (2), DEVICE_ORDINAL (9), RANGE_START_ADDR
// (11), RANGE_SIZE (12).
CUresult cuPointerGetAttribute(void* data, int attr, CUdeviceptr p) {
    std::lock_guard<std::mutex> l(mem_lock);
    uintptr_t start;
    const Allocation* a = find(p, 0, &start);
    if (!a) return CUDA_ERROR_INVALID_VALUE;
    switch (attr) {
        case 2: *(unsigned*)data = a->host ? 1 : 2; break;
        case 9: *(int*)data = a->device; break;
        case 11: *(CUdeviceptr*)data = start; break;
        case 12: *(size_t*)data = a->size; break;
        default: return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}

// ---- modules and launches ----
// The host NVRTC's "PTX": a comment line, then "// so <path>".
CUresult cuModuleLoadData(void** module, const void* image) {
    const char* text = (const char*)image;
    const char* tag = strstr(text, "\n// so ");
    if (strncmp(text, "// hostcuda", 11) != 0 || !tag) return CUDA_ERROR_INVALID_PTX;
    std::string path(tag + 7, strcspn(tag + 7, "\n"));
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "hostcuda: dlopen %s: %s\n", path.c_str(), dlerror());
        return CUDA_ERROR_INVALID_IMAGE;
    }
    auto state = (HcState * (*)()) dlsym(h, "hc_state_ptr");
    if (!state || !dlsym(h, "hc_kernels")) return CUDA_ERROR_INVALID_IMAGE;
    *module = new Module{h, state(), path, current ? current->device : 0};
    return CUDA_SUCCESS;
}
CUresult cuModuleLoadDataEx(void** m, const void* image, unsigned, void*, void*) {
    return cuModuleLoadData(m, image);
}
CUresult cuModuleUnload(void* m) {
    flush();
    // The shared object stays loaded: functions of it may still be cached.
    delete (Module*)m;
    return CUDA_SUCCESS;
}
CUresult cuModuleGetFunction(void** f, void* m, const char* name) {
    Module* mod = (Module*)m;
    auto table = (const HcKernel*)dlsym(mod->handle, "hc_kernels");
    for (const HcKernel* k = table; k->name; ++k)
        if (strcmp(k->name, name) == 0) {
            *f = new Function{k, new Module(*mod)};
            return CUDA_SUCCESS;
        }
    return CUDA_ERROR_NOT_FOUND;
}
CUresult cuFuncGetAttribute(int* v, int, void*) { *v = 0; return CUDA_SUCCESS; }
CUresult cuFuncSetAttribute(void*, int, int) { return CUDA_SUCCESS; }
CUresult cuFuncSetCacheConfig(void*, int) { return CUDA_SUCCESS; }

CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                        unsigned bz, unsigned shared, void* stream, void** params, void** extra) {
    Function* fn = (Function*)f;
    if (!fn || extra) return CUDA_ERROR_INVALID_VALUE;
    unsigned long long threads = (unsigned long long)bx * by * bz;
    if (gx == 0 || gy == 0 || gz == 0 || threads == 0 || gx > 2147483647u || gy > 65535 || gz > 65535 ||
        threads > 1024 ||
        bz > 64 || shared > 49152) {
        fprintf(stderr, "hostcuda: launch of %s with grid (%u, %u, %u), block (%u, %u, %u), %u B shared: "
                        "out of the device's limits\n", fn->kernel->name, gx, gy, gz, bx, by, bz, shared);
        return CUDA_ERROR_INVALID_VALUE;
    }
    // A pointer argument into another GPU's memory would fault there (peer
    // access is never enabled): refused at the launch.
    for (unsigned i = 0; i < fn->kernel->arity; ++i) {
        if (fn->kernel->sizes[i] != 8) continue;
        uint64_t v;
        memcpy(&v, params[i], 8);
        std::lock_guard<std::mutex> l(mem_lock);
        uintptr_t start;
        const Allocation* a = find(v, 0, &start);
        if (a && !a->host && a->device != fn->module->device) {
            fprintf(stderr, "hostcuda: launch of %s on device %d: argument %u points into device %d's "
                            "memory\n", fn->kernel->name, fn->module->device, i, a->device);
            return CUDA_ERROR_INVALID_VALUE;
        }
    }
    // Arguments are copied at the launch, as the driver does.
    auto args = std::make_shared<std::vector<unsigned char>>();
    auto offsets = std::make_shared<std::vector<size_t>>();
    for (unsigned i = 0; i < fn->kernel->arity; ++i) {
        size_t size = fn->kernel->sizes[i];
        size_t at = (args->size() + 15) / 16 * 16;
        args->resize(at + size);
        memcpy(args->data() + at, params[i], size);
        offsets->push_back(at);
    }
    if (trace())
        fprintf(stderr, "hostcuda: launch %s grid %u block %u\n", fn->kernel->name, gx, bx);
    Dim3 grid{gx, gy, gz}, block{bx, by, bz};
    enqueue(stream, [fn, grid, block, args, offsets] { run_grid(fn, grid, block, args.get(), offsets.get()); });
    return CUDA_SUCCESS;
}

}  // extern "C"
