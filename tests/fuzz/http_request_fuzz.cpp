// Fuzz target for the HTTP request-head parser: any input parses without crashing, within its
// limits, and gives the same outcome whole and split in two at an input-chosen point.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "protocol/http/http_request_parser.h"

namespace {

using mb::protocol::http::Done;
using mb::protocol::http::kMaxRequestHeadBytes;
using mb::protocol::http::kMaxRequestHeaders;
using mb::protocol::http::kMaxRequestTargetBytes;
using mb::protocol::http::ParseError;
using mb::protocol::http::ParseResult;
using mb::protocol::http::RequestParser;

// Parses every request in `input`, split at `split`; returns a digest of the outcomes.
std::uint64_t parse_stream(std::string_view input, std::size_t split) {
    std::uint64_t digest = 1469598103934665603ULL;
    auto mix = [&](std::uint64_t v) { digest = (digest ^ v) * 1099511628211ULL; };
    RequestParser parser;
    std::string_view pieces[2] = {input.substr(0, split), input.substr(split)};
    std::size_t offset = 0;
    for (std::string_view piece : pieces) {
        while (true) {
            ParseResult result = parser.feed(piece);
            if (auto* done = std::get_if<Done>(&result)) {
                if (done->consumed == 0 || done->consumed > piece.size()) std::abort();
                if (done->request.target.size() > kMaxRequestTargetBytes) std::abort();
                if (done->request.headers.size() > kMaxRequestHeaders) std::abort();
                mix(offset + done->consumed);
                mix(done->request.headers.size());
                for (char c : done->request.target) mix(static_cast<unsigned char>(c));
                offset += done->consumed;
                piece.remove_prefix(done->consumed);
                continue;
            }
            if (auto* error = std::get_if<ParseError>(&result)) {
                if (error->reason.empty()) std::abort();
                mix(static_cast<std::uint64_t>(error->status));
                return digest;
            }
            offset += piece.size();
            break;
        }
    }
    return digest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > 4 * kMaxRequestHeadBytes) return 0;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::size_t split = size == 0 ? 0 : (static_cast<std::size_t>(data[0]) * 131) % size;
    if (parse_stream(input, 0) != parse_stream(input, split)) std::abort();
    return 0;
}
