// String form selection and rendering.
#include "protocol/imap/string_quoting.h"

#include "protocol/imap/syntax.h"

namespace mb::protocol::imap {

namespace {
constexpr std::size_t kMaxQuotedLength = 1024;
}

StringForm choose_string_form(std::string_view value, bool atom_allowed) {
    bool atom = atom_allowed && !value.empty() && !iequals(value, "NIL");
    bool quotable = value.size() <= kMaxQuotedLength;
    for (char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if (!is_astring_char(c)) atom = false;
        if (c >= 0x80 || !is_quotable(c)) quotable = false;
    }
    if (atom) return StringForm::Atom;
    return quotable ? StringForm::Quoted : StringForm::Literal;
}

std::string quoted_string(std::string_view value) {
    std::string out;
    out.reserve(value.size() + 2);
    out.push_back('"');
    for (char c : value) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

std::string literal_string(std::string_view value, bool non_sync) {
    std::string out = "{" + std::to_string(value.size()) + (non_sync ? "+}\r\n" : "}\r\n");
    out.append(value);
    return out;
}

std::string encode_string(std::string_view value, bool atom_allowed, bool non_sync_literal) {
    switch (choose_string_form(value, atom_allowed)) {
        case StringForm::Atom:
            return std::string(value);
        case StringForm::Quoted:
            return quoted_string(value);
        case StringForm::Literal:
            break;
    }
    return literal_string(value, non_sync_literal);
}

}  // namespace mb::protocol::imap
