#include "all_host.cpp"
#include <fstream>
#include <sstream>
#include <string>
typedef void (*RedFn)(u32, Meta, Meta, const void*, void*, u64, u64, u64, void*, u32);
typedef void (*ArgFn)(u32, Meta, i64, const void*, i64*, u64, u64);
typedef void (*ScanFn)(u32, u32, u32, Meta, i64, const void*, void*, u64, u64);
#define P(T, NAME) (void*)reduce_sum_##NAME,
static void* sums[15] = { nullptr, FOR_NUMERIC_TYPES(P) };
#undef P
#define P(T, NAME) (void*)reduce_ext_##NAME,
static void* exts[15] = { (void*)reduce_ext_bool, FOR_REAL_TYPES(P) nullptr, nullptr };
#undef P
#define P(T, NAME) (void*)reduce_truth_##NAME,
static void* truths[15] = { FOR_ALL_TYPES(P) };
#undef P
#define P(T, NAME) (void*)arg_##NAME,
static void* args_[15] = { (void*)arg_bool, FOR_REAL_TYPES(P) nullptr, nullptr };
#undef P
#define P(T, NAME) (void*)scan_##NAME,
static void* scans[15] = { nullptr, FOR_NUMERIC_TYPES(P) };
static const u64 sizes[15] = {1,1,2,4,8,1,2,4,8,2,2,4,8,8,16};
static std::vector<char> load(const std::string& p) { std::ifstream f(p, std::ios::binary); return std::vector<char>((std::istreambuf_iterator<char>(f)), {}); }
static Meta meta(std::vector<u64> dims, std::vector<i64> strides) {
    Meta m; memset(&m, 0, sizeof m); m.rank = dims.size(); m.contiguous = 0;
    for (size_t i = 0; i < dims.size(); ++i) { m.dims[i] = dims[i]; m.strides[i] = strides[i]; }
    if (dims.empty()) m.contiguous = 1;
    return m;
}
int main() {
    std::ifstream man("red/manifest");
    std::string line; int cases = 0;
    while (std::getline(man, line)) {
        std::istringstream s(line);
        std::string kind, ain, pre; int dc, code, tr, od; u64 r, c;
        s >> kind >> dc >> code >> r >> c >> tr >> od >> ain >> pre;
        auto a = load(ain);
        std::vector<char> out(r * c * 16 + 16);
        u64 nout = 0;
        if (kind == "R") {
            Meta km, rm; u64 rl;
            if (tr == 0) { km = meta({r}, {(i64)c}); rm = meta({c}, {1}); nout = r; rl = c; }
            else if (tr == 1) { km = meta({c}, {1}); rm = meta({r}, {(i64)c}); nout = c; rl = r; }
            else { km = meta({}, {}); rm = meta({r, c}, {(i64)c, 1}); nout = 1; rl = r * c; }
            void* f = code <= 2 ? sums[dc] : code <= 4 ? exts[dc] : truths[dc];
            // One pass, as src/reduce.rs launches most reductions.
            emu_launch(nout < 3 ? nout : 3, 8, [&] { ((RedFn)f)(code, km, rm, a.data(), out.data(), nout, rl, 1, nullptr, 0); });
            // Two passes with the range split into 3 parts (as for few long
            // reductions): the result must not change.
            u64 parts = rl < 3 ? rl : 3;
            std::vector<char> partial(nout * parts * 16), out2(out.size());
            emu_launch(4, 8, [&] { ((RedFn)f)(code, km, rm, a.data(), out2.data(), nout, rl, parts, partial.data(), 1); });
            emu_launch(2, 8, [&] { ((RedFn)f)(code, km, rm, a.data(), out2.data(), nout, rl, parts, partial.data(), 2); });
            std::ofstream o2(pre + ".got2", std::ios::binary);
            o2.write(out2.data(), nout * sizes[od]);
        } else if (kind == "A") {
            Meta km; i64 st; u64 rl;
            if (tr == 0) { km = meta({r}, {(i64)c}); st = 1; nout = r; rl = c; }
            else { km = meta({c}, {1}); st = c; nout = c; rl = r; }
            emu_launch(nout < 3 ? nout : 3, 8, [&] { ((ArgFn)args_[dc])(code, km, st, a.data(), (i64*)out.data(), nout, rl); });
        } else {
            Meta km; i64 st; u64 rows, len;
            if (tr == 0) { km = meta({r}, {(i64)c}); st = 1; rows = r; len = c; }
            else { km = meta({c}, {1}); st = c; rows = c; len = r; }
            nout = rows * len;
            u32 prod = code >> 2, excl = (code >> 1) & 1, rev = code & 1;
            emu_launch(2, 8, [&] { ((ScanFn)scans[dc])(prod, excl, rev, km, st, a.data(), out.data(), rows, len); });
        }
        std::ofstream o(pre + ".got", std::ios::binary);
        o.write(out.data(), nout * sizes[od]);
        ++cases;
    }
    printf("%d cases run\n", cases);
}
