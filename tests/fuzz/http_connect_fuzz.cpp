// Fuzz target for the CONNECT response-head parser: any input parses without crashing, stays
// within its limits, and gives the same outcome (state, end offset, status, headers, reuse)
// whole and split in two at an input-chosen point.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/http/response_head_parser.h"

namespace {

using namespace mb::protocol::http;

struct Outcome {
    ResponseState state = ResponseState::need_more;
    std::size_t end = 0;
    int status = 0;
    std::size_t headers = 0;
    std::string first_value;
    bool reusable = false;
    bool operator==(const Outcome&) const = default;
};

Outcome parse(std::string_view input, std::size_t split) {
    ResponseHeadParser parser;
    Outcome out;
    std::size_t offset = 0;
    for (std::string_view piece : {input.substr(0, split), input.substr(split)}) {
        auto progress = parser.feed(piece);
        if (progress.consumed > piece.size()) std::abort();
        out.state = progress.state;
        if (progress.state == ResponseState::need_more) {
            if (progress.consumed != piece.size()) std::abort();
            offset += piece.size();
            continue;
        }
        if (progress.state == ResponseState::done) {
            const auto& head = parser.head();
            out.end = offset + progress.consumed;
            out.status = head.status;
            out.headers = head.headers.size();
            if (head.status < 200 || head.status > 599) std::abort();
            if (head.headers.size() > kMaxResponseHeaders) std::abort();
            if (!head.headers.empty()) out.first_value = head.headers.front().value;
            out.reusable = parser.reusable();
        } else if (parser.error().empty()) {
            std::abort();
        }
        break;
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t split = data[0] % size;
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    const Outcome whole = parse(input, input.size());
    if (!(parse(input, std::min(split, input.size())) == whole)) std::abort();
    return 0;
}
