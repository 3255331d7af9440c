// The checkpoint reader's fuzz target (issue 8, item 16). fuzz-checkpoint.cpp holds the entry
// point, LLVMFuzzerTestOneInput: it parses an input with checkpoint_read and, when the reader
// accepts it, builds the model and runs what a user would (forwards at the default and the most
// passes, then one training step, resumed from the file's state when it has one), so a bad
// config the reader lets through crashes under the sanitizers instead of passing quietly.
// fuzz-driver.cpp is a seeded mutation loop around it; under libFuzzer (build-libfuzzer.sh) the
// same entry point runs on libFuzzer's own mutations.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size);

namespace mgfuzz {

// Valid checkpoints of tiny models to start from: recursive with training state, plain
// weights-only, plain with training state at step 0. Their training state was recorded on
// fuzz_tokens(), so a resumed step can run.
std::vector<std::string> seed_checkpoints();
const std::vector<int> & fuzz_tokens();

struct Outcome {
    size_t accepted = 0, trained = 0, skipped_large = 0;  // inputs the reader accepted, of them trained a step, too large to
};
Outcome & outcome();

}  // namespace mgfuzz
