// libnvrtc.so.13 emulated on the host ("hostcuda"): a "compile" turns the
// source into a shared object of host-compiled kernels (compile_module.py,
// next to this library, with g++) and its "PTX" names that object for the
// host driver (driver.cpp). Objects are cached by the source's hash in
// HOSTCUDA_CACHE (default: a `modules` folder next to this library).
// Compile errors come back as NVRTC_ERROR_COMPILATION with g++'s messages
// as the log.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <string>
#include <sys/stat.h>
#include <atomic>
#include <functional>
#include <thread>
#include <unistd.h>

typedef int nvrtcResult;
enum { NVRTC_SUCCESS = 0, NVRTC_ERROR_INVALID_INPUT = 3, NVRTC_ERROR_INVALID_PROGRAM = 4,
       NVRTC_ERROR_COMPILATION = 6 };

namespace {
struct Program { std::string source, name, ptx, log; };

std::string library_dir() {
    Dl_info info;
    dladdr((void*)&library_dir, &info);
    std::string path = info.dli_fname;
    return path.substr(0, path.rfind('/'));
}

uint64_t fnv1a(const std::string& s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : s) { h ^= c; h *= 0x100000001b3ull; }
    return h;
}

bool exists(const std::string& p) { struct stat st; return stat(p.c_str(), &st) == 0; }

std::string read_all(const std::string& p) {
    std::string out;
    if (FILE* f = fopen(p.c_str(), "rb")) {
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
        fclose(f);
    }
    return out;
}
}  // namespace

extern "C" {

// A version no real NVRTC has, so cached PTX of the two never mixes.
nvrtcResult nvrtcVersion(int* major, int* minor) { *major = 13; *minor = 9000; return NVRTC_SUCCESS; }
const char* nvrtcGetErrorString(nvrtcResult r) {
    return r == NVRTC_SUCCESS ? "NVRTC_SUCCESS" : r == NVRTC_ERROR_COMPILATION ? "NVRTC_ERROR_COMPILATION"
                                                                               : "NVRTC_ERROR_INVALID_INPUT";
}
nvrtcResult nvrtcCreateProgram(void** prog, const char* src, const char* name, int headers,
                               const char* const*, const char* const*) {
    if (!prog || !src || headers != 0) return NVRTC_ERROR_INVALID_INPUT;
    *prog = new Program{src, name ? name : "default_program", "", ""};
    return NVRTC_SUCCESS;
}
nvrtcResult nvrtcDestroyProgram(void** prog) {
    if (!prog || !*prog) return NVRTC_ERROR_INVALID_PROGRAM;
    delete (Program*)*prog;
    *prog = nullptr;
    return NVRTC_SUCCESS;
}
nvrtcResult nvrtcCompileProgram(void* prog, int, const char* const*) {
    Program* p = (Program*)prog;
    if (!p) return NVRTC_ERROR_INVALID_PROGRAM;
    std::string dir = library_dir();
    const char* env = getenv("HOSTCUDA_CACHE");
    std::string cache = env && *env ? env : dir + "/modules";
    mkdir(cache.c_str(), 0755);
    char key[32];
    snprintf(key, sizeof key, "%016llx", (unsigned long long)fnv1a(p->source));
    std::string so = cache + "/" + key + ".so";
    if (!exists(so) || !exists(so + ".entries")) {
        // Unique per process, thread and call: two threads may compile the
        // same source at once (the object is renamed into place atomically).
        static std::atomic<unsigned long> calls{0};
        std::string src = cache + "/" + key + "." + std::to_string(getpid()) + "." +
                          std::to_string(calls++) + "." +
                          std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id())) + ".cu";
        if (FILE* f = fopen(src.c_str(), "wb")) {
            fwrite(p->source.data(), 1, p->source.size(), f);
            fclose(f);
        } else {
            p->log = "hostcuda: cannot write " + src;
            return NVRTC_ERROR_COMPILATION;
        }
        std::string log = src + ".log";
        std::string cmd = "python3 '" + dir + "/compile_module.py' '" + src + "' '" + so + "' 2> '" + log + "'";
        int status = system(cmd.c_str());
        p->log = read_all(log);
        unlink(src.c_str());
        unlink(log.c_str());
        if (status != 0) return NVRTC_ERROR_COMPILATION;
    }
    p->ptx = "// hostcuda: host-compiled kernels of " + p->name + "\n// so " + so + "\n";
    std::string entries = read_all(so + ".entries");
    size_t at = 0;
    while (at < entries.size()) {
        size_t end = entries.find('\n', at);
        p->ptx += ".entry " + entries.substr(at, end - at) + "\n";
        at = end + 1;
    }
    return NVRTC_SUCCESS;
}
nvrtcResult nvrtcGetPTXSize(void* prog, size_t* n) { *n = ((Program*)prog)->ptx.size() + 1; return NVRTC_SUCCESS; }
nvrtcResult nvrtcGetPTX(void* prog, char* out) {
    memcpy(out, ((Program*)prog)->ptx.c_str(), ((Program*)prog)->ptx.size() + 1);
    return NVRTC_SUCCESS;
}
nvrtcResult nvrtcGetProgramLogSize(void* prog, size_t* n) { *n = ((Program*)prog)->log.size() + 1; return NVRTC_SUCCESS; }
nvrtcResult nvrtcGetProgramLog(void* prog, char* out) {
    memcpy(out, ((Program*)prog)->log.c_str(), ((Program*)prog)->log.size() + 1);
    return NVRTC_SUCCESS;
}

}  // extern "C"
