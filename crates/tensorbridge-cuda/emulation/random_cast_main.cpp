#include "all_host.cpp"
// Writes raw outputs for the Rust comparison.
static void dump(const char* name, const void* p, size_t bytes) {
    FILE* f = fopen(name, "wb"); fwrite(p, 1, bytes, f); fclose(f);
}
int main() {
    const u64 n = 4099;
    static float f32o[4099]; static double f64o[4099]; static f16 h[4099]; static bf16 b[4099];
    static i16 i16o[4099]; static u64 u64o[4099]; static i64 i64o[4099]; static u8 u8o[4099];
    gridDim.x = 1; blockDim.x = 1;
    normal_f32(f32o, n, 42, 0, 0, 0.5f, 2.0f); dump("normal_f32.bin", f32o, sizeof f32o);
    normal_f64(f64o, n, 42, 0, 0, 0.5, 2.0); dump("normal_f64.bin", f64o, sizeof f64o);
    normal_f16(h, n, 42, 0, 0, 0.5f, 2.0f); dump("normal_f16.bin", h, sizeof h);
    normal_bf16(b, n, 42, 0, 0, 0.5f, 2.0f); dump("normal_bf16.bin", b, sizeof b);
    uniform_f32(f32o, n, 42, 0, 0, -2.0, 5.0, -2.0, (double)std::nextafter(3.0f, 0.0f)); dump("uniform_f32.bin", f32o, sizeof f32o);
    uniform_f64(f64o, n, 42, 0, 0, 0.0, 1.0, std::nextafter(1.0, 0.0)); dump("uniform_f64.bin", f64o, sizeof f64o);
    uniform_int64_i16(i16o, n, 42, 0, 0, (u64)(i64)-10, 20); dump("uniform_i16.bin", i16o, sizeof i16o);
    uniform_int128_u64(u64o, n, 42, 0, 0, 0, 0, 1); dump("uniform_u64.bin", u64o, sizeof u64o);
    uniform_int128_i64(i64o, n, 42, 0, 0, 0, 3ull << 40, 0); dump("uniform_i64.bin", i64o, sizeof i64o);
    uniform_int64_u8(u8o, n, 42, 0, 0, 0, 256); dump("uniform_u8.bin", u8o, sizeof u8o);
    // casts: every f64 of a grid to every type, and every i64 of a grid.
    static double fv[] = {0.0, -0.0, -2.9, 2.9, 300.0, -5.0, 1e20, -1e20, 65519.0, 65520.0, 0.1, 1.0/3.0,
                          1e-8, -1e-40, 3.4e38, 3.5e38, 255.5, -128.5, 2147483647.5, 9.3e18, 1.8446744073709552e19,
                          NAN, INFINITY, -INFINITY, 1.00048828125, 1.000732421875, 0.00006103515625, 5.9604644775390625e-8};
    static i64 iv[] = {0, 1, -1, 255, 256, -129, 65535, 16777217, -16777219, (1ll<<53)+1, -(1ll<<40)-3,
                       9223372036854775807ll, -9223372036854775807ll-1, 2049, 4097, 1234567891011ll};
    const u64 nf = sizeof fv / 8, ni = sizeof iv / 8;
    Meta m; memset(&m, 0, sizeof m); m.rank = 1; m.contiguous = 1; m.dims[0] = 1; m.strides[0] = 1;
    static unsigned char out[16 * 64];
    FILE* fo = fopen("casts.bin", "wb");
    for (u32 to = 0; to < 15; ++to) {
        static const u64 sizes[15] = {1,1,2,4,8,1,2,4,8,2,2,4,8,8,16};
        cast_from_f64(m, fv, to, out, 0); // no-op: n = 0
        for (u64 i = 0; i < nf; ++i) { cast_from_f64(m, fv + i, to, out, 1); fwrite(out, 1, sizes[to], fo); }
        for (u64 i = 0; i < nf; ++i) { float x = (float)fv[i]; cast_from_f32(m, &x, to, out, 1); fwrite(out, 1, sizes[to], fo); }
        for (u64 i = 0; i < ni; ++i) { cast_from_i64(m, iv + i, to, out, 1); fwrite(out, 1, sizes[to], fo); }
        for (u64 i = 0; i < ni; ++i) { u64 x = (u64)iv[i]; cast_from_u64(m, &x, to, out, 1); fwrite(out, 1, sizes[to], fo); }
    }
    fclose(fo);
    return 0;
}
