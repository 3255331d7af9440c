// Text generation and chat on top of the Decoder and the Sampler.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "generate/sampler.h"
#include "model/decoder.h"
#include "model/gpt.h"
#include "tokenizer/tokenizer.h"

namespace mg {

struct GenerateConfig {
    SamplerConfig sampler;
    int max_tokens = 200;
    std::vector<std::string> stop;  // generation ends before the first occurrence of any of these
    int passes = 0;                 // recursion passes per token; 0 = the model's training mean
    bool adaptive = false;          // stop passes early once the output distribution settles
    float kl_threshold = 1e-3f;     // adaptive: KL(p_i || p_{i-1}) below this stops the passes
    // Weight precision while decoding. fp16 halves the bytes each token reads (generation is
    // bound by memory bandwidth); the logits move by about 0.1% of their scale. fp32: exact.
    DecodeWeights weights = DecodeWeights::fp16;
    // The model learned each line as its own sequence (TrainConfig::line_sequences): continuing
    // text, every line starts from a fresh context after its line end, as in training, instead
    // of reading the lines before it at positions it never saw. Chat replies are not affected.
    bool line_sequences = false;
};

struct GenerateResult {
    std::string text;          // the generated text (stop string excluded)
    int tokens = 0;            // tokens generated
    int prompt_tokens = 0;
    double mean_passes = 0;    // passes per step that chose a token (the end of turn's included)
    std::string stop_reason;   // "max_tokens", "stop_string", "end_of_turn" or "cancelled"
    double seconds = 0;
    double tokens_per_sec = 0;
    int trimmed_turns = 0;     // chat: the oldest turns left out so the history fits the context
};

// Called with each piece of text as it becomes final, and the recursion passes behind each of its
// bytes (passes.size() == piece.size()): a byte has the passes of the step that chose its token.
// The prompt's passes are not in it. Return false to cancel.
using TokenCallback = std::function<bool(const std::string & piece, const std::vector<uint8_t> & passes)>;

void validate_generate_config(const GenerateConfig & config, const ModelConfig & model);

GenerateResult generate(const GPT & model, const Tokenizer & tokenizer, const std::string & prompt,
                        const GenerateConfig & config, const TokenCallback & on_text = nullptr);

enum class ChatRole { User, Assistant };
struct ChatTurn {
    ChatRole role;
    std::string text;
};

// The chat template: <|user|>text<|eot|><|assistant|>text<|eot|>...<|assistant|>
// Oldest turns are dropped until the prompt plus room for the reply (a quarter of the context)
// fits max_seq_len; a last user turn longer than that keeps its end. dropped_turns reports it.
std::vector<int> chat_prompt(const Tokenizer & tokenizer, const std::vector<ChatTurn> & history, int max_seq_len,
                             int * dropped_turns = nullptr);

// Generates the assistant's next turn for a history that ends with a user turn.
GenerateResult chat_reply(const GPT & model, const Tokenizer & tokenizer, const std::vector<ChatTurn> & history,
                          const GenerateConfig & config, const TokenCallback & on_text = nullptr);

}  // namespace mg
