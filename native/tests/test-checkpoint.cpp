// Checkpoints: round trip, every corruption case, and the atomic write under failure and kill.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "io/checkpoint.h"
#include "model/gpt.h"
#include "test-util.h"

using namespace mg;

static std::string tmpdir() {
    char tmpl[] = "/tmp/mg-test-ckpt-XXXXXX";
    return std::string(mkdtemp(tmpl));
}

static std::string read_all(const std::string & p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}
static void write_all(const std::string & p, const std::string & d) { std::ofstream(p, std::ios::binary) << d; }

static void make_model(GPT & m, Tokenizer & tok, int layers = 3, int embed = 16) {
    tok = Tokenizer::from_text("hello, wörld! <|user|>hi<|eot|>");
    ModelConfig c = mgtest::recursive_preset("micro");
    c.vocab_size = tok.vocab_size();
    c.embed_dim = embed, c.num_heads = 2, c.hidden_dim = embed + 8, c.max_seq_len = 8, c.num_layers = layers;
    c.prelude_layers = 1, c.coda_layers = 1, c.max_passes = 3, c.mean_passes = 1.5f, c.backprop_passes = 2;
    gpt_build(m, c);
    gpt_init_weights(m, 5);
}

int main() {
    std::string dir = tmpdir();
    GPT m;
    Tokenizer tok;
    make_model(m, tok);
    TrainState st;
    st.config.steps = 77;
    st.config.lr = 3e-4f;
    st.step = 12;
    st.rng = Rng(99);
    st.rng.next_u64();
    st.data_hash = 0xabcdef;
    st.data_tokens = 1234;
    st.m.assign(m.num_params, 0.5f);
    st.v.assign(m.num_params, 0.25f);
    st.m[3] = -1.0f;

    // round trip, with and without training state
    std::string path = dir + "/model.bin";
    checkpoint_save(path, m, tok, &st);
    {
        Checkpoint ck = checkpoint_load(path);
        EXPECT(ck.params == m.params);
        EXPECT(ck.config.embed_dim == 16 && ck.config.max_passes == 3 && ck.config.mean_passes == 1.5f);
        EXPECT(ck.tokenizer.chars() == tok.chars());
        EXPECT(ck.has_train_state);
        EXPECT(ck.train.step == 12 && ck.train.config.steps == 77 && ck.train.config.lr == 3e-4f);
        EXPECT(std::memcmp(ck.train.rng.s, st.rng.s, sizeof st.rng.s) == 0);
        EXPECT(ck.train.m == st.m && ck.train.v == st.v && ck.train.data_hash == 0xabcdef);
        GPT m2;
        gpt_from_checkpoint(m2, ck);
        EXPECT(m2.params == m.params && m2.wte.data == m2.params.data());
    }
    std::string weights_only = dir + "/weights.bin";
    checkpoint_save(weights_only, m, tok, nullptr);
    EXPECT(!checkpoint_load(weights_only).has_train_state);
    EXPECT(read_all(weights_only).size() < read_all(path).size());

    const std::string good = read_all(path);
    std::string bad = dir + "/bad.bin";
    // truncated at several points: inside the header, inside a section, just before the checksum
    for (size_t keep : {size_t(0), size_t(5), size_t(20), good.size() / 2, good.size() - 1}) {
        write_all(bad, good.substr(0, keep));
        EXPECT_ERROR(checkpoint_load(bad), keep < 8 ? "not a MicroGPT checkpoint" : "truncated");
    }
    // a flipped byte anywhere past the header is caught by the checksum
    for (size_t at : {size_t(30), good.size() / 3, good.size() - 20, good.size() - 3}) {
        std::string d = good;
        d[at] ^= 0x10;
        write_all(bad, d);
        EXPECT_ERROR(checkpoint_load(bad), "damaged");
    }
    {
        std::string d = good;
        d[0] = 'X';
        write_all(bad, d);
        EXPECT_ERROR(checkpoint_load(bad), "wrong magic");
        write_all(bad, "this is a text file, not a model at all");
        EXPECT_ERROR(checkpoint_load(bad), "wrong magic");
    }
    {
        std::string d = good;
        uint32_t v = kCheckpointVersion + 1;
        std::memcpy(&d[8], &v, 4);
        write_all(bad, d);
        EXPECT_ERROR(checkpoint_load(bad), "newer than this build");
    }
    {
        std::string d = good + "extra";
        write_all(bad, d);
        EXPECT_ERROR(checkpoint_load(bad), "unexpected bytes");
    }
    EXPECT_ERROR(checkpoint_load(dir + "/missing.bin"), "cannot open checkpoint");
    EXPECT_ERROR(checkpoint_load(dir), "");  // a folder: an error, not a crash

    // a failing write (file-size limit, like a full disk) leaves the old checkpoint intact
    {
        GPT big;
        Tokenizer tok2;
        make_model(big, tok2, 5);
        pid_t pid = fork();
        if (pid == 0) {
            signal(SIGXFSZ, SIG_IGN);
            struct rlimit lim = {4096, 4096};
            setrlimit(RLIMIT_FSIZE, &lim);
            try {
                checkpoint_save(path, big, tok2, &st);
                _exit(1);  // should have failed
            } catch (const error & e) {
                _exit(std::strstr(e.what(), "cannot write checkpoint") ? 0 : 2);
            }
        }
        int status = 0;
        waitpid(pid, &status, 0);
        EXPECT_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "save under a file-size limit must throw (status %d)", status);
        EXPECT(read_all(path) == good);
        EXPECT(read_all(dir + "/model.bin.tmp-" + std::to_string(pid)).empty());  // the temp file was removed
    }
    // a process killed mid-save never leaves a broken checkpoint at the target
    int killed_mid_save = 0;
    for (int trial = 0; trial < 6; trial++) {
        GPT big;
        Tokenizer tok2;
        make_model(big, tok2, 5, 256);  // ~20 MB with optimizer state: a save takes a while
        TrainState st2 = st;
        st2.m.assign(big.num_params, 1.0f);
        st2.v.assign(big.num_params, 1.0f);
        pid_t pid = fork();
        if (pid == 0) {
            for (;;) checkpoint_save(path, big, tok2, &st2);
        }
        usleep(20000 + trial * 15000);
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        std::string tmp = path + ".tmp-" + std::to_string(pid);
        if (!read_all(tmp).empty()) killed_mid_save++;
        std::remove(tmp.c_str());
        Checkpoint ck = checkpoint_load(path);  // throws (fails the test) if damaged
        EXPECT(ck.params.size() == m.num_params || ck.params.size() == big.num_params);
    }
    std::printf("  killed mid-save in %d of 6 trials; the target loaded every time\n", killed_mid_save);
    EXPECT(killed_mid_save > 0);
    // an unwritable destination is an error naming the folder problem
    EXPECT_ERROR(checkpoint_save(dir + "/no/such/dir/x.bin", m, tok, nullptr), "cannot create checkpoint");

    std::system(("rm -rf " + dir).c_str());
    return mgtest::finish("test-checkpoint");
}
