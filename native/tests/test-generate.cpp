// Inference: the KV-cache decoder against the full forward, adaptive depth, the sampler, stop
// strings, chat prompts and generation past the context length.
#include <omp.h>

#include <algorithm>
#include <cmath>

#include "autograd/tape.h"
#include "generate/generate.h"
#include "model/decoder.h"
#include "test-util.h"

using namespace mg;

static void build(GPT & m, const Tokenizer & tok, bool recurrent) {
    ModelConfig c;
    c.vocab_size = tok.vocab_size();
    c.embed_dim = 24, c.num_layers = 3, c.num_heads = 3, c.max_seq_len = 12, c.hidden_dim = 40;
    c.prelude_layers = 1, c.coda_layers = 1;
    c.max_passes = recurrent ? 4 : 1, c.mean_passes = recurrent ? 2 : 1, c.backprop_passes = recurrent ? 2 : 1;
    gpt_build(m, c);
    gpt_init_weights(m, 11);
    Rng rng(3);  // larger weights than init, so logits differ visibly between positions and passes
    for (auto & p : m.params) p += 0.1f * rng.normal();
}

// The decoder's logits at every position equal the full causal forward's.
static void check_decoder_parity(bool recurrent, int passes) {
    Tokenizer tok = Tokenizer::ascii();
    GPT m;
    build(m, tok, recurrent);
    std::vector<int> ids = tok.encode("Hello, Pi 5!", false);  // 12 tokens = max_seq_len
    Tape tape;
    tape.recording = false;
    PassPlan plan;
    plan.passes = passes;
    Tensor * full = gpt_forward(m, tape, ids.data(), 1, int(ids.size()), plan);
    Decoder dec(m, passes);
    double maxdiff = 0;
    for (size_t t = 0; t < ids.size(); t++) {
        const float * z = dec.feed(ids[t], passes, 0.0f);
        for (int v = 0; v < m.config.vocab_size; v++)
            maxdiff = std::max(maxdiff, double(std::fabs(z[v] - full->data[t * m.config.vocab_size + v])));
    }
    std::printf("  decoder vs full forward (%s, passes %d): maxdiff %.3g\n", recurrent ? "recursive" : "plain", passes,
                maxdiff);
    EXPECT(maxdiff < 1e-4);
}

// A model big enough that the decoder splits a token over its threads (C 64, 4 layers, 4 heads).
static void build_wide(GPT & m, const Tokenizer & tok) {
    ModelConfig c;
    c.vocab_size = tok.vocab_size();
    c.embed_dim = 64, c.num_layers = 4, c.num_heads = 4, c.max_seq_len = 16, c.hidden_dim = 256;
    c.prelude_layers = 1, c.coda_layers = 1, c.max_passes = 3, c.mean_passes = 2, c.backprop_passes = 2;
    gpt_build(m, c);
    gpt_init_weights(m, 5);
    Rng rng(9);
    for (auto & p : m.params) p += 0.05f * rng.normal();
}

// All logits of feeding ids at `passes` (adaptive when kl > 0), with the decoder built at `threads`.
static std::vector<float> decode_all(const GPT & m, const std::vector<int> & ids, int passes, float kl,
                                     DecodeWeights w, int threads, int * used_threads) {
    omp_set_num_threads(threads);
    Decoder dec(m, passes, w);
    omp_set_num_threads(2);
    *used_threads = dec.threads();
    std::vector<float> out;
    for (int id : ids) {
        const float * z = dec.feed(id, passes, kl);
        out.insert(out.end(), z, z + m.config.vocab_size);
    }
    return out;
}

// The threaded decoder: the same bits at 1 and 2 threads (each output row and head is one
// thread's, summed in one order), the full forward's logits, and fp16 weights within tolerance.
static void check_threaded_decoder() {
    Tokenizer tok = Tokenizer::ascii();
    GPT m;
    build_wide(m, tok);
    std::vector<int> ids = tok.encode("Threads on a Pi.", false);  // 16 tokens = max_seq_len
    Tape tape;
    tape.recording = false;
    PassPlan plan;
    plan.passes = 3;
    Tensor * full = gpt_forward(m, tape, ids.data(), 1, int(ids.size()), plan);
    int th1 = 0, th2 = 0;
    for (DecodeWeights w : {DecodeWeights::fp32, DecodeWeights::fp16})
        for (float kl : {0.0f, 1e-4f}) {
            std::vector<float> one = decode_all(m, ids, 3, kl, w, 1, &th1), two = decode_all(m, ids, 3, kl, w, 2, &th2);
            EXPECT_MSG(th1 == 1 && (omp_get_num_procs() < 2 || th2 == 2), "the decoder ran on %d and %d threads", th1, th2);
            EXPECT_MSG(one == two, "%s decoder%s: 1 and 2 threads differ", decode_weights_name(w), kl > 0 ? " (adaptive)" : "");
        }
    int th = 0;
    std::vector<float> z32 = decode_all(m, ids, 3, 0.0f, DecodeWeights::fp32, 2, &th);
    std::vector<float> z16 = decode_all(m, ids, 3, 0.0f, DecodeWeights::fp16, 2, &th);
    double d32 = 0, d16 = 0, zmax = 0;
    for (size_t i = 0; i < z32.size(); i++) {
        d32 = std::max(d32, double(std::fabs(z32[i] - full->data[i])));
        d16 = std::max(d16, double(std::fabs(z16[i] - z32[i])));
        zmax = std::max(zmax, double(std::fabs(z32[i])));
    }
    std::printf("  threaded decoder (%d threads) vs full forward: maxdiff %.3g; fp16 weights vs fp32: maxdiff %.3g "
                "(%.2g of the largest logit)\n", th, d32, d16, d16 / zmax);
    EXPECT(d32 < 1e-4);
    // fp16 rounds each weight by at most 2^-11 relative; through 8 layer applications (prelude,
    // 3 passes of 2 core layers, coda) the logits stay within 1% of their scale
    EXPECT(d16 > 0 && d16 < 1e-2 * zmax);
}

int main() {
    check_threaded_decoder();
    check_decoder_parity(false, 1);
    check_decoder_parity(true, 1);
    check_decoder_parity(true, 3);

    Tokenizer tok = Tokenizer::ascii();
    GPT m;
    build(m, tok, true);

    // more passes than training's max are allowed at inference; a plain model refuses them
    {
        GenerateConfig g;
        g.passes = 6;
        g.max_tokens = 5;
        EXPECT(generate(m, tok, "ab", g).tokens == 5);
        GPT plain;
        build(plain, tok, false);
        EXPECT_ERROR(generate(plain, tok, "ab", g), "without recursion");
    }
    // a model of lines as sequences reads each line from a fresh context after its line end: the
    // lines before it, and whether the prompt starts with one, change nothing; a plain one reads them
    {
        GenerateConfig g;
        g.max_tokens = 24;
        g.sampler.temperature = 0;  // greedy: the same context gives the same text
        g.weights = DecodeWeights::fp32;
        g.line_sequences = true;
        const std::string ab = generate(m, tok, "ab", g).text;
        EXPECT(generate(m, tok, "qq\nab", g).text == ab && generate(m, tok, "\nab", g).text == ab);
        EXPECT(generate(m, tok, "xyz\n", g).text == generate(m, tok, "", g).text);  // a line end restarts the context
        g.line_sequences = false;
        EXPECT_MSG(generate(m, tok, "qq\nab", g).text != generate(m, tok, "\nab", g).text,
                   "the lines before make no difference without line_sequences either: the test cannot tell");
    }
    // adaptive depth: a loose threshold stops early, a tight one runs every pass
    {
        GenerateConfig g;
        g.passes = 8;
        g.adaptive = true;
        g.max_tokens = 20;
        g.kl_threshold = 1e9f;
        GenerateResult loose = generate(m, tok, "abc", g);
        g.kl_threshold = 1e-30f;
        GenerateResult tight = generate(m, tok, "abc", g);
        std::printf("  adaptive mean passes: loose %.2f, tight %.2f\n", loose.mean_passes, tight.mean_passes);
        EXPECT(std::fabs(loose.mean_passes - 2.0) < 1e-9);  // the earliest possible stop compares passes 1 and 2
        EXPECT(std::fabs(tight.mean_passes - 8.0) < 1e-9);
    }
    // the passes of each streamed byte: the passes of the step that chose its token, so one per
    // byte, all equal to `passes` unless adaptive, and (the step that chose the first token being
    // the prompt's last) their mean is mean_passes whenever no end of turn was drawn
    {
        auto streamed = [&](GenerateConfig g, const std::string & prompt, std::vector<uint8_t> & passes) {
            std::string text;
            GenerateResult r = generate(m, tok, prompt, g, [&](const std::string & p, const std::vector<uint8_t> & q) {
                text += p;
                passes.insert(passes.end(), q.begin(), q.end());
                return true;
            });
            EXPECT(text == r.text && passes.size() == text.size() && int(text.size()) == r.tokens);  // ASCII: a byte a token
            return r;
        };
        GenerateConfig g;
        g.max_tokens = 40;
        g.passes = 3;
        std::vector<uint8_t> fixed;
        streamed(g, "ab", fixed);
        EXPECT(!fixed.empty() && std::all_of(fixed.begin(), fixed.end(), [](uint8_t p) { return p == 3; }));
        g.passes = 8, g.adaptive = true, g.kl_threshold = 2e-3f;
        std::vector<uint8_t> adaptive;
        GenerateResult r = streamed(g, "ab", adaptive);
        double sum = 0;
        for (uint8_t p : adaptive) sum += p;
        std::printf("  adaptive passes per character: mean %.2f (result %.2f), %d..%d\n", sum / double(adaptive.size()),
                    r.mean_passes, *std::min_element(adaptive.begin(), adaptive.end()),
                    *std::max_element(adaptive.begin(), adaptive.end()));
        EXPECT(std::all_of(adaptive.begin(), adaptive.end(), [](uint8_t p) { return p >= 1 && p <= 8; }));
        EXPECT(r.stop_reason == "max_tokens" && std::fabs(sum / double(adaptive.size()) - r.mean_passes) < 1e-9);
    }
    // sampler: greedy, top-k 1 and a tiny top-p all pick the argmax; the penalty demotes repeats
    {
        std::vector<float> z = {0.1f, 2.0f, 1.9f, -1.0f};
        SamplerConfig sc;
        sc.repetition_penalty = 1.0f;
        sc.temperature = 0;
        EXPECT(Sampler(sc).sample(z.data(), 4, {}) == 1);
        sc.temperature = 1, sc.top_k = 1;
        EXPECT(Sampler(sc).sample(z.data(), 4, {}) == 1);
        sc.top_k = 0, sc.top_p = 0.01f;
        EXPECT(Sampler(sc).sample(z.data(), 4, {}) == 1);
        sc.temperature = 0, sc.repetition_penalty = 1.5f;
        EXPECT(Sampler(sc).sample(z.data(), 4, {1}) == 2);
        // top-k 2 never draws outside the two likeliest
        sc.temperature = 5, sc.top_k = 2, sc.top_p = 1, sc.repetition_penalty = 1;
        Sampler s(sc);
        int counts[4] = {};
        for (int i = 0; i < 2000; i++) counts[s.sample(z.data(), 4, {})]++;
        EXPECT(counts[0] == 0 && counts[3] == 0 && counts[1] > 600 && counts[2] > 600);
        sc.top_p = 0;
        EXPECT_ERROR(Sampler{sc}, "--top_p");
    }
    // seeds: the same seed repeats, another differs
    {
        GenerateConfig g;
        g.max_tokens = 40;
        g.sampler.temperature = 1.5f;
        std::string a = generate(m, tok, "x", g).text, b = generate(m, tok, "x", g).text;
        g.sampler.seed = 7;
        std::string c = generate(m, tok, "x", g).text;
        EXPECT(a == b && a != c);
    }
    // stop strings: the text ends before the stop, and the stream never shows any part of it
    {
        GenerateConfig g;
        g.max_tokens = 200;
        g.sampler.temperature = 2.0f;
        g.sampler.top_k = 0;
        g.sampler.top_p = 1;
        std::string full = generate(m, tok, "", g).text;
        EXPECT(full.size() == 200);
        std::string stop = full.substr(50, 3);
        size_t first = full.find(stop);
        g.stop = {stop};
        std::string streamed;
        std::vector<uint8_t> streamed_passes;
        GenerateResult r = generate(m, tok, "", g, [&](const std::string & p, const std::vector<uint8_t> & passes) {
            streamed += p;
            streamed_passes.insert(streamed_passes.end(), passes.begin(), passes.end());
            return true;
        });
        EXPECT(r.stop_reason == "stop_string" && r.text == full.substr(0, first) && streamed == r.text);
        EXPECT(streamed_passes.size() == streamed.size());  // held-back and cut bytes took their passes along
        // cancelling from the callback stops generation
        g.stop.clear();
        int calls = 0;
        GenerateResult c = generate(m, tok, "", g, [&](const std::string &, const std::vector<uint8_t> &) { return ++calls < 5; });
        EXPECT(c.stop_reason == "cancelled" && c.tokens == 5);
    }
    // generating far past max_seq_len (12) keeps going by re-feeding the recent context
    {
        GenerateConfig g;
        g.max_tokens = 100;
        g.passes = 2;
        EXPECT(generate(m, tok, std::string(30, 'a'), g).tokens == 100);
    }
    // chat: template, and oldest turns dropped to fit (budget: 12 - 12/4 = 9 tokens)
    {
        std::vector<ChatTurn> h = {{ChatRole::User, "hi"}, {ChatRole::Assistant, "yo"}, {ChatRole::User, "ok"}};
        int dropped = -1;
        std::vector<int> p = chat_prompt(tok, h, 64, &dropped);
        std::vector<int> expect = {TOKEN_USER};
        for (int id : tok.encode("hi", false)) expect.push_back(id);
        expect.push_back(TOKEN_END_OF_TURN);
        expect.push_back(TOKEN_ASSISTANT);
        for (int id : tok.encode("yo", false)) expect.push_back(id);
        expect.push_back(TOKEN_END_OF_TURN);
        expect.push_back(TOKEN_USER);
        for (int id : tok.encode("ok", false)) expect.push_back(id);
        expect.push_back(TOKEN_END_OF_TURN);
        expect.push_back(TOKEN_ASSISTANT);
        EXPECT(p == expect && dropped == 0);
        p = chat_prompt(tok, h, 12, &dropped);
        EXPECT(dropped == 1 && p.size() == 9 && p[0] == TOKEN_ASSISTANT && p[4] == TOKEN_USER);
        h.push_back({ChatRole::Assistant, "fine"});
        h.push_back({ChatRole::User, "a very long message"});
        p = chat_prompt(tok, h, 12, &dropped);
        EXPECT(p.size() == 9 && p[0] == TOKEN_USER && p.back() == TOKEN_ASSISTANT);
        EXPECT_ERROR(chat_prompt(tok, {{ChatRole::User, "caf\xc3\xa9"}}, 12), "never saw");
        GenerateConfig g;
        g.max_tokens = 30;
        GenerateResult r = chat_reply(m, tok, h, g);
        EXPECT(r.tokens <= 30 && (r.stop_reason == "max_tokens" || r.stop_reason == "end_of_turn"));
        EXPECT(r.trimmed_turns == 4);  // only the last user turn (its end) fits the 9 tokens
        EXPECT(chat_reply(m, tok, {{ChatRole::User, "hi"}}, g).trimmed_turns == 0);
        EXPECT(generate(m, tok, "hi", g).trimmed_turns == 0);
    }
    return mgtest::finish("test-generate");
}
