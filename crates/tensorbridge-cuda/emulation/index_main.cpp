// Runs the index kernels (gather, padding, pad_segments, scatter_nd,
// segment_sum), rgb_to_grayscale and the integer/complex matmul on the
// cases of idx/manifest, orchestrated as src/index.rs, image.rs and
// matmul.rs do, and writes each output next to core's (`.got`).
#include "all_host.cpp"
#include <fstream>
#include <sstream>
#include <string>
static std::vector<char> load(const std::string& p) { std::ifstream f(p, std::ios::binary); return std::vector<char>((std::istreambuf_iterator<char>(f)), {}); }
static void save(const std::string& want, const void* p, size_t n) {
    std::string got = want.substr(0, want.size() - 5) + ".got";
    std::ofstream o(got, std::ios::binary); o.write((const char*)p, n);
}
static Meta meta(std::vector<u64> dims, std::vector<i64> strides, u64 offset = 0) {
    Meta m; memset(&m, 0, sizeof m); m.rank = dims.size(); m.offset = offset;
    for (size_t i = 0; i < dims.size(); ++i) { m.dims[i] = dims[i]; m.strides[i] = strides[i]; }
    return m;
}
static const u64 sizes[15] = {1,1,2,4,8,1,2,4,8,2,2,4,8,8,16};
static const u64 acc_sizes[15] = {4,4,4,4,8,4,4,4,8,4,4,4,8,8,16};
#define P(T, NAME) (void*)scatter_add_##NAME,
static void* sc_add[15] = { nullptr, FOR_NUMERIC_TYPES(P) };
#undef P
#define P(T, NAME) (void*)scatter_finish_##NAME,
static void* sc_fin[15] = { nullptr, FOR_NUMERIC_TYPES(P) };
#undef P
#define P(T, NAME) (void*)segment_add_##NAME,
static void* seg_add[15] = { nullptr, FOR_NUMERIC_TYPES(P) };
#undef P
#define P(T, NAME) (void*)segment_finish_##NAME,
static void* seg_fin[15] = { nullptr, FOR_NUMERIC_TYPES(P) };
#undef P
#define P(T, NAME) (void*)gray_##NAME,
static void* grays[15] = { nullptr, FOR_REAL_TYPES(P) nullptr, nullptr };
#undef P
static void* lasts[17] = {};
static void* mms[15] = { nullptr, (void*)matmul_u8, (void*)matmul_u16, (void*)matmul_u32, (void*)matmul_u64,
    (void*)matmul_i8, (void*)matmul_i16, (void*)matmul_i32, (void*)matmul_i64, nullptr, nullptr, nullptr, nullptr,
    (void*)matmul_c64, (void*)matmul_c128 };
typedef void (*LastFn)(const void*, u32, u32, Meta, const u32*, const void*, void*, u64, u64);
typedef void (*DirectFn)(const void*, u32, u32, Meta, const void*, void*, u64, u64);
typedef void (*WriteFn)(const void*, u32, u32, Meta, const void*, void*, u64, u64);
static void* writes[17] = {};
static void* directs[15] = {};
typedef void (*AddFn)(const void*, u32, u32, Meta, const void*, void*, u64, u64);
typedef void (*FinFn)(const u32*, void*, const void*, u64, u64);
typedef void (*SegAddFn)(Meta, const void*, const void*, u32, void*, u64, u64);
typedef void (*SegFinFn)(const void*, void*, u64);
typedef void (*GrayFn)(Meta, i64, const void*, void*, u64, float, float);
typedef void (*MmFn)(MatDesc, const void*, MatDesc, const void*, void*, u64, u64, u64, u64);
int main() {
    lasts[1] = (void*)scatter_last_b1; lasts[2] = (void*)scatter_last_b2; lasts[4] = (void*)scatter_last_b4;
    lasts[8] = (void*)scatter_last_b8; lasts[16] = (void*)scatter_last_b16;
    writes[1] = (void*)scatter_write_b1; writes[2] = (void*)scatter_write_b2; writes[4] = (void*)scatter_write_b4;
    writes[8] = (void*)scatter_write_b8; writes[16] = (void*)scatter_write_b16;
    directs[3] = (void*)scatter_add_direct_u32; directs[7] = (void*)scatter_add_direct_i32;
    directs[4] = (void*)scatter_add_direct_u64; directs[8] = (void*)scatter_add_direct_i64;
    directs[11] = (void*)scatter_add_direct_f32; directs[12] = (void*)scatter_add_direct_f64;
    directs[13] = (void*)scatter_add_direct_c64; directs[14] = (void*)scatter_add_direct_c128;
    std::ifstream man("idx/manifest");
    std::string line; int cases = 0;
    while (std::getline(man, line)) {
        std::istringstream s(line);
        std::string kind; s >> kind;
        if (kind == "G") {
            u32 axis, wide; u64 nidx; std::string pp, ip, wp; s >> axis >> wide >> nidx >> pp >> ip >> wp;
            auto p = load(pp); auto idx = load(ip);
            std::vector<u64> dims = {4, 5, 3}; dims[axis] = nidx;
            u64 total = dims[0] * dims[1] * dims[2], inner = 1;
            for (u32 a = axis + 1; a < 3; ++a) inner *= dims[a];
            std::vector<i32> out(total);
            gather_b4(meta(dims, {15, 3, 1}), axis, idx.data(), wide, (const u32*)p.data(), nullptr, (u32*)out.data(), total, inner);
            save(wp, out.data(), total * 4);
        } else if (kind == "P") {
            std::string pp, ip, fp, wp; s >> pp >> ip >> fp >> wp;
            auto p = load(pp); auto idx = load(ip); auto f = load(fp);
            std::vector<float> out(15);
            gather_b4(meta({5, 3}, {3, 1}), 0, idx.data(), 1, (const u32*)p.data(), (const u32*)f.data(), (u32*)out.data(), 15, 3);
            save(wp, out.data(), 60);
        } else if (kind == "D") {
            std::string vp, sp, fp, wp; s >> vp >> sp >> fp >> wp;
            auto v = load(vp); auto sp_ = load(sp); auto f = load(fp);
            std::vector<double> out(24);
            Meta vm = meta({12}, {1}); vm.contiguous = 1;
            pad_b8(vm, (const u64*)v.data(), sp_.data(), 0, (const u64*)f.data(), (u64*)out.data(), 24, 3, 2);
            save(wp, out.data(), 24 * 8);
        } else if (kind == "S") {
            int dc, mc; std::string ip, up, fp, wp; s >> dc >> mc >> ip >> up >> fp >> wp;
            auto idx = load(ip); auto ups = load(up); auto fill = load(fp);
            u64 sz = sizes[dc], total = 24, inner = 2, n = 6; u32 k = 2;
            std::vector<char> out(total * sz);
            for (u64 e = 0; e < total; ++e) memcpy(out.data() + e * sz, fill.data(), sz);
            Meta dm = meta({3, 4}, {0, 0});
            // As scatter_nd in src/index.rs: direct atomic adds; distinct
            // positions written at once; otherwise the owner table.
            bool direct = dc == 3 || dc == 7 || dc == 4 || dc == 8 || dc == 11 || dc == 12 || dc == 13 || dc == 14;
            bool done = false;
            if (mc == 2 && direct) {
                ((DirectFn)directs[dc])(idx.data(), 1, k, dm, ups.data(), out.data(), n * inner, inner);
                done = true;
            } else if (mc != 2) {
                std::vector<u32> bits(1, 0); u64 err = U64_MAX;
                scatter_mark(idx.data(), 1, n, k, dm, bits.data(), &err);
                if (err == U64_MAX) {
                    ((WriteFn)writes[sz])(idx.data(), 1, k, dm, ups.data(), out.data(), n * inner, inner);
                    done = true;
                }
            }
            if (!done) {
                std::vector<u32> owner(12, 0);
                scatter_claim(idx.data(), 1, n, k, dm, owner.data(), mc == 2 ? 2 : 1);
                if (mc != 2) {
                    ((LastFn)lasts[sz])(idx.data(), 1, k, dm, owner.data(), ups.data(), out.data(), n * inner, inner);
                } else {
                    std::vector<char> acc(total * acc_sizes[dc], 0);
                    ((AddFn)sc_add[dc])(idx.data(), 1, k, dm, ups.data(), acc.data(), n * inner, inner);
                    ((FinFn)sc_fin[dc])(owner.data(), out.data(), acc.data(), total, inner);
                }
            }
            save(wp, out.data(), out.size());
        } else if (kind == "M") {
            int dc; std::string dp, ip, wp; s >> dc >> dp >> ip >> wp;
            auto data = load(dp); auto ids = load(ip);
            u64 total = 12;
            std::vector<char> acc(total * acc_sizes[dc], 0), out(total * sizes[dc]);
            Meta dm = meta({15}, {1}); dm.contiguous = 1;
            ((SegAddFn)seg_add[dc])(dm, data.data(), ids.data(), 0, acc.data(), 15, 3);
            ((SegFinFn)seg_fin[dc])(acc.data(), out.data(), total);
            save(wp, out.data(), out.size());
        } else if (kind == "Y") {
            int dc; std::string pp, wp; s >> dc >> pp >> wp;
            auto img = load(pp);
            static const double maxes[15] = {0, 255.0, 65535.0, 4294967295.0, 18446744073709551615.0, 127.0, 32767.0, 2147483647.0, 9223372036854775807.0};
            float to_unit = 0, from_unit = 0;
            if (dc >= 1 && dc <= 8) { to_unit = (float)(1.0 / maxes[dc]); from_unit = (float)(maxes[dc] + 0.5); }
            std::vector<char> out(8 * sizes[dc]);
            ((GrayFn)grays[dc])(meta({8}, {3}), 1, img.data(), out.data(), 8, to_unit, from_unit);
            save(wp, out.data(), out.size());
        } else if (kind == "X") {
            int dc; std::string ap, bp, wp; s >> dc >> ap >> bp >> wp;
            auto a = load(ap); auto b = load(bp);
            std::vector<char> out(2 * 3 * 5 * sizes[dc]);
            MatDesc ad{0, 12, 4, 1}, bd{0, 20, 5, 1};
            // One 16x16 block per batch entry, as the launch in matmul.rs.
            gridDim = Dim3{1, 1, 2}; blockDim = Dim3{16, 16, 1};
            for (unsigned z = 0; z < 2; ++z) {
                blockIdx = Dim3{0, 0, z};
                std::barrier<> bar(256); g_barrier = &bar;
                std::vector<std::thread> ts;
                for (unsigned t = 0; t < 256; ++t)
                    ts.emplace_back([&, t] { threadIdx = Dim3{t % 16, t / 16, 0};
                        ((MmFn)mms[dc])(ad, a.data(), bd, b.data(), out.data(), 2, 3, 5, 4); });
                for (auto& t : ts) t.join();
                g_barrier = nullptr;
            }
            save(wp, out.data(), out.size());
        }
        ++cases;
    }
    printf("%d index cases run\n", cases);
}
