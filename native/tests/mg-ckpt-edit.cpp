// mg-ckpt-edit: crafts a checkpoint for test-cli.sh (see checkpoint-craft.h): edits fields, then
// recomputes the checksum so that only the reader's field checks can refuse the result.
//   mg-ckpt-edit <in> <out> <op>...
//   ops: overflow-config | conf <i> <int> | trst <i> <int> | vocab <i> <code point> | weight <i> <float|nan|inf>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "checkpoint-craft.h"

int main(int argc, char ** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: mg-ckpt-edit <in> <out> <op>...\n");
        return 2;
    }
    std::string f = mgcraft::read_file(argv[1]);
    try {
        for (int i = 3; i < argc; i++) {
            const std::string op = argv[i];
            auto arg = [&](int k) -> const char * {
                if (i + k >= argc) throw std::runtime_error(op + " needs more arguments");
                return argv[i + k];
            };
            if (op == "overflow-config") {
                std::printf("weights section sized for the wrapped count: %llu\n",
                            (unsigned long long)mgcraft::craft_overflow_config(f));
            } else if (op == "conf") {
                mgcraft::put<int32_t>(f, mgcraft::conf_field(f, std::atoi(arg(1))), int32_t(std::atol(arg(2))));
                i += 2;
            } else if (op == "trst") {
                mgcraft::put<int32_t>(f, mgcraft::trst_int(f, std::atoi(arg(1))), int32_t(std::atol(arg(2))));
                i += 2;
            } else if (op == "vocab") {
                mgcraft::put<uint32_t>(f, mgcraft::vocab_char(f, size_t(std::atol(arg(1)))), uint32_t(std::strtoul(arg(2), nullptr, 0)));
                i += 2;
            } else if (op == "weight") {
                const std::string v = arg(2);
                float x = v == "nan" ? std::nanf("") : v == "inf" ? INFINITY : std::strtof(v.c_str(), nullptr);
                mgcraft::put<float>(f, mgcraft::weight(f, size_t(std::atol(arg(1)))), x);
                i += 2;
            } else {
                throw std::runtime_error("unknown op " + op);
            }
        }
    } catch (const std::exception & e) {
        std::fprintf(stderr, "mg-ckpt-edit: %s\n", e.what());
        return 2;
    }
    mgcraft::reseal(f);
    mgcraft::write_file(argv[2], f);
    return 0;
}
