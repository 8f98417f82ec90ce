// CUDA stand-ins for compiling the kernels as host C++ (g++ >= 12, C++20):
// builtins, bit casts, atomics (under a lock), and `emu_launch`, which runs
// a kernel body on real threads with a barrier for __syncthreads.
#include <cmath>
#include <cstring>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
using std::isnan; using std::fabs; using std::sqrt; using std::exp; using std::log; using std::sin; using std::cos; using std::tanh;
using std::floor; using std::ceil; using std::rint; using std::fmod; using std::pow; using std::fmin; using std::fmax; using std::trunc;
using std::isinf; using std::isfinite; using std::signbit;
using std::hypot; using std::atan2; using std::sinh; using std::cosh; using std::copysign;
#define __global__
#define __device__
#define __forceinline__ inline
#define __align__(n) __attribute__((aligned(n)))
#define __shared__ static
struct Dim3 { unsigned x, y, z; };
#include <barrier>
#include <thread>
#include <vector>
#include <functional>
#ifdef HOSTCUDA_MODULE
// A module of the host CUDA driver (hostcuda/): the driver's scheduler
// sets the indices of the thread it runs and switches threads at
// __syncthreads.
struct HcState { Dim3 threadIdx, blockIdx, blockDim, gridDim; void (*sync)(); };
extern HcState hc_state;
#define threadIdx (hc_state.threadIdx)
#define blockIdx (hc_state.blockIdx)
#define blockDim (hc_state.blockDim)
#define gridDim (hc_state.gridDim)
inline void __syncthreads() { hc_state.sync(); }
#else
static Dim3 blockIdx{0,0,0}, blockDim{1,1,1}, gridDim{1,1,1};
static thread_local Dim3 threadIdx{0,0,0};
static std::barrier<>* g_barrier = nullptr;
inline void __syncthreads() { if (g_barrier) g_barrier->arrive_and_wait(); }
// Runs a kernel body on `blocks` x `threads` emulated threads (blocks one after another).
inline void emu_launch(unsigned blocks, unsigned threads, std::function<void()> body) {
    gridDim = Dim3{blocks, 1, 1}; blockDim = Dim3{threads, 1, 1};
    for (unsigned b = 0; b < blocks; ++b) {
        blockIdx = Dim3{b, 0, 0};
        std::barrier<> bar(threads);
        g_barrier = &bar;
        std::vector<std::thread> ts;
        for (unsigned t = 0; t < threads; ++t) ts.emplace_back([t, &body] { threadIdx = Dim3{t, 0, 0}; body(); });
        for (auto& t : ts) t.join();
        g_barrier = nullptr;
    }
}
#endif
inline unsigned __float_as_uint(float f){unsigned u; memcpy(&u,&f,4); return u;}
inline float __uint_as_float(unsigned u){float f; memcpy(&f,&u,4); return f;}
inline int __float_as_int(float f){int u; memcpy(&u,&f,4); return u;}
inline float __int_as_float(int u){float f; memcpy(&f,&u,4); return f;}
inline long long __double_as_longlong(double d){long long u; memcpy(&u,&d,8); return u;}
inline double __longlong_as_double(long long u){double d; memcpy(&d,&u,8); return d;}
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b){return (unsigned long long)(((unsigned __int128)a*b)>>64);}
inline int __clzll(long long x){return x==0?64:__builtin_clzll((unsigned long long)x);}
inline float sqrtf(float x){return std::sqrt(x);}
#include <mutex>
static std::mutex g_atomic;
template<typename T> T atomicMin(T* p, T v){std::lock_guard<std::mutex> l(g_atomic); T o=*p; if(v<o)*p=v; return o;}
template<typename T> T atomicOr(T* p, T v){std::lock_guard<std::mutex> l(g_atomic); T o=*p; *p=o|v; return o;}
template<typename T> T atomicMax(T* p, T v){std::lock_guard<std::mutex> l(g_atomic); T o=*p; if(v>o)*p=v; return o;}
template<typename T, typename U> T atomicAdd(T* p, U v){std::lock_guard<std::mutex> l(g_atomic); T o=*p; *p=o+(T)v; return o;}
