#include "generate/generate.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/error.h"
#include "model/decoder.h"

namespace mg {

void validate_generate_config(const GenerateConfig & c, const ModelConfig & model) {
    validate_sampler_config(c.sampler);
    if (c.max_tokens < 1 || c.max_tokens > 1000000)
        MG_THROW_HINT("--max_tokens must be in [1, 1000000] (got " + std::to_string(c.max_tokens) + ")", "");
    if (c.passes < 0 || c.passes > 64)
        MG_THROW_HINT("--passes must be in [0, 64] (got " + std::to_string(c.passes) + ")",
                      "0 uses the model's training mean");
    if (!model.recurrent() && c.passes > 1)
        MG_THROW_HINT("this model was trained without recursion (max_passes 1), so it runs exactly one pass",
                      "drop --passes, or train a model with --max_passes above 1");
    if (c.adaptive && !(c.kl_threshold > 0.0f))
        MG_THROW_HINT("--kl_threshold must be positive", "1e-3 stops once the distribution barely moves");
    for (auto & s : c.stop)
        if (s.empty()) MG_THROW("a stop string cannot be empty");
}

// Streams text as it becomes final. A tail that could still grow into a stop string is held
// back until the next token decides it. passes_ runs beside text: the passes of each byte.
class StopFilter {
public:
    StopFilter(const std::vector<std::string> & stop, const TokenCallback & cb) : stop_(stop), cb_(cb) {}
    std::string text;
    // Returns false when a stop string was found (text is then cut before it).
    bool push(const std::string & piece, int passes) {
        text += piece;
        passes_.resize(text.size(), uint8_t(passes));
        size_t longest = 0;
        for (auto & s : stop_) longest = std::max(longest, s.size());
        size_t from = emitted_ > longest ? emitted_ - longest : 0;
        size_t cut = std::string::npos;
        for (auto & s : stop_) cut = std::min(cut, text.find(s, from));
        if (cut != std::string::npos) {
            text.resize(cut);
            passes_.resize(cut);
            flush();
            return false;
        }
        size_t hold = 0;
        for (auto & s : stop_)
            for (size_t k = std::min(s.size() - 1, text.size()); k > hold; k--)
                if (text.compare(text.size() - k, k, s, 0, k) == 0) {
                    hold = k;
                    break;
                }
        emit(text.size() - hold);
        return true;
    }
    void flush() { emit(text.size()); }
    bool cancelled = false;

private:
    void emit(size_t upto) {
        if (upto <= emitted_) return;
        if (cb_ && !cancelled) {
            std::vector<uint8_t> passes(passes_.begin() + emitted_, passes_.begin() + upto);
            if (!cb_(text.substr(emitted_, upto - emitted_), passes)) cancelled = true;
        }
        emitted_ = upto;
    }
    const std::vector<std::string> & stop_;
    const TokenCallback & cb_;
    std::vector<uint8_t> passes_;  // (text.size()) the passes of the step that chose each byte's token
    size_t emitted_ = 0;
};

// chat: the reply ends at a special token. Plain continuation masks the specials instead:
// plain text has no turns, and a model that never saw them should not stop on a stray draw.
static GenerateResult run(const GPT & model, const Tokenizer & tokenizer, std::vector<int> history,
                          const GenerateConfig & cfg, const TokenCallback & on_text, bool chat, int trimmed_turns = 0) {
    validate_generate_config(cfg, model.config);
    auto t0 = std::chrono::steady_clock::now();
    const ModelConfig & mc = model.config;
    const int passes = cfg.passes > 0 ? cfg.passes : mc.default_passes();
    const float kl = cfg.adaptive ? cfg.kl_threshold : 0.0f;
    Decoder decoder(model, passes, cfg.weights);
    Sampler sampler(cfg.sampler);
    GenerateResult res;
    res.prompt_tokens = int(history.size());
    res.trimmed_turns = trimmed_turns;
    const int nl = tokenizer.id_of('\n');
    const bool by_line = cfg.line_sequences && !chat && nl >= 0;
    if (by_line && (history.empty() || history.front() != nl)) {
        history.insert(history.begin(), nl);  // a line is read from the line end before it, as trained
    } else if (history.empty()) {  // condition on a line start, or on an end of turn for a vocab without one
        history.push_back(nl >= 0 ? nl : TOKEN_END_OF_TURN);
    }

    // Feeds history[i]. When the context is full the cache restarts from the last half of it:
    // learned positions cannot shift, so the kept tokens are fed again. By line, a line end
    // restarts it alone: the next line is read from position 0.
    auto feed = [&](size_t i, int * used) {
        if (by_line && history[i] == nl) {
            decoder.reset();
        } else if (decoder.length() == decoder.capacity()) {
            decoder.reset();
            size_t keep = std::max(1, decoder.capacity() / 2) - 1;
            for (size_t j = i - std::min(i, keep); j < i; j++) decoder.feed(history[j], passes, kl);
        }
        return decoder.feed(history[i], passes, kl, used);
    };
    int used = 0;
    long passes_sum = 0, passes_count = 0;
    const float * logits = nullptr;
    for (size_t i = 0; i < history.size(); i++) logits = feed(i, &used);
    passes_sum += used, passes_count++;

    StopFilter filter(cfg.stop, on_text);
    res.stop_reason = "max_tokens";
    std::vector<float> masked(mc.vocab_size);
    while (res.tokens < cfg.max_tokens) {
        if (!chat) {
            std::copy(logits, logits + mc.vocab_size, masked.begin());
            std::fill(masked.begin(), masked.begin() + NUM_SPECIAL_TOKENS, -INFINITY);
            logits = masked.data();
        }
        int next = sampler.sample(logits, mc.vocab_size, history);
        if (next < NUM_SPECIAL_TOKENS) {  // an end of turn, or the start of another speaker's turn
            res.stop_reason = "end_of_turn";
            break;
        }
        history.push_back(next);
        res.tokens++;
        if (!filter.push(tokenizer.token_text(next), used)) {  // used: the passes behind these logits
            res.stop_reason = "stop_string";
            break;
        }
        if (filter.cancelled) {
            res.stop_reason = "cancelled";
            break;
        }
        if (res.tokens == cfg.max_tokens) break;
        logits = feed(history.size() - 1, &used);
        passes_sum += used, passes_count++;
    }
    filter.flush();
    res.text = filter.text;
    res.mean_passes = double(passes_sum) / double(passes_count);
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    res.tokens_per_sec = res.tokens / std::max(res.seconds, 1e-9);
    return res;
}

GenerateResult generate(const GPT & model, const Tokenizer & tokenizer, const std::string & prompt,
                        const GenerateConfig & config, const TokenCallback & on_text) {
    return run(model, tokenizer, tokenizer.encode(prompt, false), config, on_text, false);
}

std::vector<int> chat_prompt(const Tokenizer & tokenizer, const std::vector<ChatTurn> & history, int max_seq_len,
                             int * dropped_turns) {
    MG_CHECK(!history.empty() && history.back().role == ChatRole::User,
             "a chat reply needs a history that ends with a user message");
    const int budget = max_seq_len - std::max(1, max_seq_len / 4);  // the rest is room for the reply
    std::vector<std::vector<int>> turns;
    for (auto & t : history) {
        std::vector<int> ids = {t.role == ChatRole::User ? TOKEN_USER : TOKEN_ASSISTANT};
        std::vector<int> body = tokenizer.encode(t.text, false, "message");
        ids.insert(ids.end(), body.begin(), body.end());
        ids.push_back(TOKEN_END_OF_TURN);
        turns.push_back(std::move(ids));
    }
    turns.back().push_back(TOKEN_ASSISTANT);
    // newest first, while whole turns fit
    size_t first = turns.size() - 1;
    size_t total = turns.back().size();
    while (first > 0 && total + turns[first - 1].size() <= size_t(budget)) total += turns[--first].size();
    if (dropped_turns) *dropped_turns = int(first);
    std::vector<int> ids;
    for (size_t i = first; i < turns.size(); i++) ids.insert(ids.end(), turns[i].begin(), turns[i].end());
    if (ids.size() > size_t(budget)) {
        // the last user turn alone is too long: keep its role token and its end
        std::vector<int> tail(ids.end() - (budget - 1), ids.end());
        ids = {TOKEN_USER};
        ids.insert(ids.end(), tail.begin(), tail.end());
    }
    return ids;
}

GenerateResult chat_reply(const GPT & model, const Tokenizer & tokenizer, const std::vector<ChatTurn> & history,
                          const GenerateConfig & config, const TokenCallback & on_text) {
    int dropped = 0;
    std::vector<int> prompt = chat_prompt(tokenizer, history, model.config.max_seq_len, &dropped);
    return run(model, tokenizer, prompt, config, on_text, true, dropped);
}

}  // namespace mg
