// Runs the generated fused kernels (fused_cases.cpp, written by `refgen
// fgen`) on their inputs: a column `a` broadcast along the rows, a row `b`
// broadcast along the columns, a bool matrix `c` read transposed; the
// output is C-order [la, lb]. 3 blocks of 4 threads exercise the
// grid-stride loop.
#include "all_host.cpp"
#include <vector>
#include <string>
#include <fstream>
#include <sstream>
typedef void (*CaseFn)(Meta*, const void**, void*, u64, u64*);
#include "fused_cases.cpp"
static const u64 sizes[15] = {1,1,2,4,8,1,2,4,8,2,2,4,8,8,16};
static std::vector<char> load(const std::string& p) { std::ifstream f(p, std::ios::binary); return std::vector<char>((std::istreambuf_iterator<char>(f)), {}); }
static Meta meta2(u64 d0, u64 d1, i64 s0, i64 s1) {
    Meta m; memset(&m, 0, sizeof m);
    m.rank = 2; m.contiguous = 0; m.offset = 0;
    m.dims[0] = d0; m.dims[1] = d1; m.strides[0] = s0; m.strides[1] = s1;
    return m;
}
int main() {
    std::ifstream man("fused/manifest");
    std::string line;
    int n_cases = 0, flagged = 0;
    while (std::getline(man, line)) {
        std::istringstream s(line);
        int idx, od; u64 la, lb; std::string prefix;
        s >> idx >> la >> lb >> od >> prefix;
        auto a = load(prefix + ".a"), b = load(prefix + ".b"), c = load(prefix + ".c");
        Meta m[3] = {meta2(la, lb, 1, 0), meta2(la, lb, 0, 1), meta2(la, lb, 1, (i64)la)};
        const void* p[3] = {a.data(), b.data(), c.data()};
        u64 n = la * lb;
        std::vector<char> out(n * sizes[od] + 16);
        u64 err = U64_MAX;
        emu_launch(3, 4, [&] { fused_cases[idx](m, p, out.data(), n, &err); });
        if (err != U64_MAX) { printf("%s: error flag at %llu\n", line.c_str(), err); ++flagged; }
        std::ofstream o(prefix + ".got", std::ios::binary);
        o.write(out.data(), n * sizes[od]);
        ++n_cases;
    }
    printf("%d fused cases run\n", n_cases);
    return flagged ? 1 : 0;
}
