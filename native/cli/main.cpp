// microgpt: the command-line face of the engine.
#include <omp.h>

#include <cstdio>
#include <new>

#include "cli/commands.h"
#include "core/error.h"
#include "core/omp-wait.h"
#include "kernels/dispatch.h"

int main(int argc, char ** argv) {
    using namespace mg;
    prefer_short_spin_waits(argv);
    CliOptions o;
    try {
        o = parse_args(argc, argv);
    } catch (const UsageError & e) {
        std::fprintf(stderr, "error: %s\n%s\n", e.what(), usage_line().c_str());
        return 2;
    }
    if (o.threads > 0) omp_set_num_threads(o.threads);
    try {
        switch (o.mode) {
            case CliMode::Help: std::fputs(help_text().c_str(), stdout); return 0;
            case CliMode::Version:
                std::printf("microgpt %s (kernels: %s, threads: %d)\n", MG_VERSION, MG_KERNELS_ISA, omp_get_max_threads());
                return 0;
            case CliMode::Train: return cmd_train(o);
            case CliMode::Generate: return cmd_generate(o);
            case CliMode::Chat: return cmd_chat(o);
            case CliMode::Eval: return cmd_eval(o);
            case CliMode::Info: return cmd_info(o);
            case CliMode::Demo: return cmd_demo(o);
        }
    } catch (const UsageError & e) {
        std::fprintf(stderr, "error: %s\n%s\n", e.what(), usage_line().c_str());
        return 2;
    } catch (const error & e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        if (e.code == errc::kBadRequest) {  // the command line asked for what cannot be done
            std::fprintf(stderr, "%s\n", usage_line().c_str());
            return 2;
        }
        return 1;
    } catch (const std::bad_alloc &) {
        std::fprintf(stderr, "error: out of memory\nHINT: use a smaller preset, batch size or sequence length\n");
        return 1;
    } catch (const std::exception & e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
