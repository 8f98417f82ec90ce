#include "all_host.cpp"
#include <vector>
#include <string>
#include <fstream>
#include <sstream>
typedef void (*BinFn)(u32, Meta, const void*, Meta, const void*, void*, u64, u64*);
typedef void (*UnFn)(u32, Meta, const void*, void*, u64);
#define B(T, NAME) (BinFn)(void*)binary_##NAME,
#define UN(T, NAME) (UnFn)(void*)unary_##NAME,
static BinFn bins[] = { FOR_ALL_TYPES(B) };
static UnFn uns[] = { FOR_ALL_TYPES(UN) };
static const u64 sizes[15] = {1,1,2,4,8,1,2,4,8,2,2,4,8,8,16};
static std::vector<char> load(const std::string& p) { std::ifstream f(p, std::ios::binary); return std::vector<char>((std::istreambuf_iterator<char>(f)), {}); }
int main() {
    std::ifstream man("ops/manifest");
    std::string line;
    Meta m; memset(&m, 0, sizeof m); m.rank = 1; m.contiguous = 1;
    int n_cases = 0;
    while (std::getline(man, line)) {
        std::istringstream s(line);
        std::string kind, prefix; int dc, code, od; u64 n;
        s >> kind >> dc >> code >> n >> od >> prefix;
        m.dims[0] = n;
        auto a = load(prefix + ".a");
        std::vector<char> out(n * sizes[od] + 16);
        u64 err = U64_MAX;
        if (kind == "B") {
            auto b = load(prefix + ".b");
            bins[dc](code, m, a.data(), m, b.data(), out.data(), n, &err);
        } else {
            uns[dc](code, m, a.data(), out.data(), n);
        }
        if (err != U64_MAX) printf("%s: error flag at %llu\n", line.c_str(), err);
        std::ofstream o(prefix + ".got", std::ios::binary);
        o.write(out.data(), n * sizes[od]);
        ++n_cases;
    }
    printf("%d cases run\n", n_cases);
}
