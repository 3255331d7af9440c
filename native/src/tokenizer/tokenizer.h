// Tokenizer: characters (Unicode code points from UTF-8) to ids, built from the training text.
// Ids 0..2 are reserved for the chat format; the characters follow in code-point order, so the
// same text always yields the same vocabulary.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mg {

enum SpecialToken : int {
    TOKEN_END_OF_TURN = 0,  // <|eot|>
    TOKEN_USER = 1,         // <|user|>
    TOKEN_ASSISTANT = 2,    // <|assistant|>
    NUM_SPECIAL_TOKENS = 3,
};

// Decodes UTF-8 into code points; throws mg::error naming the byte offset of invalid input.
std::vector<uint32_t> utf8_decode(const std::string & text, const char * what = "text");
void utf8_append(std::string & out, uint32_t cp);

class Tokenizer {
public:
    Tokenizer() = default;
    explicit Tokenizer(std::vector<uint32_t> chars);  // sorted unique code points

    // Builds the vocabulary from a corpus. The literal markers <|eot|>, <|user|> and
    // <|assistant|> in a corpus are the special tokens, so chat transcripts can be trained on.
    static Tokenizer from_text(const std::string & text);
    // Printable ASCII plus newline and tab: the vocabulary of a model made without data.
    static Tokenizer ascii();

    // allow_special: recognise the literal markers (training data). Prompts pass false, so a
    // user cannot forge a speaker role. A character outside the vocabulary throws mg::error.
    std::vector<int> encode(const std::string & text, bool allow_special, const char * what = "prompt") const;
    std::string decode(const std::vector<int> & ids) const;
    std::string token_text(int id) const;  // the text one id stands for ("" for specials)
    int vocab_size() const { return NUM_SPECIAL_TOKENS + int(chars_.size()); }
    const std::vector<uint32_t> & chars() const { return chars_; }
    int id_of(uint32_t cp) const;  // -1 when absent

    static const char * special_marker(int id);

private:
    std::vector<uint32_t> chars_;
};

}  // namespace mg
