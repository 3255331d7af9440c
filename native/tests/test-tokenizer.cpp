// Tokenizer: UTF-8 decoding, vocabulary building, specials, and out-of-vocabulary prompts.
#include "test-util.h"
#include "tokenizer/tokenizer.h"

using namespace mg;

int main() {
    Tokenizer t = Tokenizer::from_text("héllo wörld, user a<b|c>d\n<|user|>hi<|eot|><|assistant|>yo<|eot|>");
    // specials occupy 0..2; characters follow in code-point order
    EXPECT(t.vocab_size() == NUM_SPECIAL_TOKENS + int(t.chars().size()));
    EXPECT(t.id_of('\n') == NUM_SPECIAL_TOKENS);
    EXPECT(t.id_of(U'ö') > t.id_of('w') && t.id_of('w') > t.id_of('a'));
    EXPECT(t.id_of('|') > 0 && t.id_of('<') > 0);  // seen outside a marker, so ordinary characters too
    // round trip with multi-byte characters
    std::string s = "wörld héllo";
    EXPECT(t.decode(t.encode(s, false)) == s);
    // training data recognises markers; prompts do not
    std::vector<int> with = t.encode("<|user|>hi<|eot|>", true);
    EXPECT(with.size() == 4 && with[0] == TOKEN_USER && with[3] == TOKEN_END_OF_TURN);
    std::vector<int> without = t.encode("<|user|>", false);
    EXPECT(without.size() == 8);
    for (int id : without) EXPECT(id >= NUM_SPECIAL_TOKENS);
    EXPECT(t.decode(with) == "hi");  // specials decode to nothing
    // an unknown character is a clear error naming it, never a wrong id
    EXPECT_ERROR(t.encode("hello?", false), "'?' (U+003F)");
    EXPECT_ERROR(t.encode("h€", false), "never saw in training");
    EXPECT_ERROR(t.encode("\x01", false), "U+0001");
    // invalid UTF-8 names the byte
    EXPECT_ERROR(utf8_decode("ab\xff"), "byte offset 2");
    EXPECT_ERROR(utf8_decode("\xc3"), "not valid UTF-8");                 // truncated sequence
    EXPECT_ERROR(utf8_decode("\xc0\xaf"), "not valid UTF-8");             // overlong
    EXPECT_ERROR(utf8_decode("\xed\xa0\x80"), "not valid UTF-8");         // surrogate
    EXPECT(utf8_decode("\xf0\x9f\x98\x80").at(0) == 0x1F600);             // 4-byte emoji
    std::string e;
    utf8_append(e, 0x1F600);
    EXPECT(e == "\xf0\x9f\x98\x80");
    // vocabularies are deterministic and must be sorted
    EXPECT(Tokenizer::from_text("cab").chars() == Tokenizer::from_text("abc").chars());
    EXPECT_ERROR(Tokenizer(std::vector<uint32_t>{'b', 'a'}), "sorted");
    EXPECT(Tokenizer::ascii().id_of('~') > 0 && Tokenizer::ascii().id_of(U'é') < 0);
    return mgtest::finish("test-tokenizer");
}
