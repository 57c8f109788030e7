// What the metadata cache learns from IMAP traffic: an incremental parser for one server response
// unit (as StreamFramer delivers it: line segments and literal body chunks, in order) that reads
// FETCH metadata (UID, FLAGS, RFC822.SIZE, INTERNALDATE, MODSEQ, ENVELOPE) and the other responses
// a cache tracker follows (EXISTS, EXPUNGE, VANISHED, SEARCH, status responses with UIDVALIDITY,
// UIDNEXT, HIGHESTMODSEQ, READ-WRITE/READ-ONLY). The client commands that change which mailbox
// those responses belong to are read by command_parser.h (peek_command, parse_mailbox_command).
// Pure. The parser never holds a literal body it does not need: bodies of other FETCH items are
// counted and dropped; what it keeps per unit is bounded by kMaxFetchMetadataBytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/imap/envelope.h"
#include "protocol/imap/response_parser.h"
#include "protocol/result.h"

namespace mb::protocol::imap {

// Bytes of FETCH item values one response unit may keep (the raw ENVELOPE, FLAGS, dates…).
// Items past it are skipped and reported in FetchData::dropped_items.
inline constexpr std::size_t kMaxFetchMetadataBytes = 64 * 1024;
// Numbers in one SEARCH response and ranges in one VANISHED response.
inline constexpr std::size_t kMaxSetEntries = 1 << 20;

struct FetchData {
    std::uint32_t sequence = 0;
    std::optional<std::uint32_t> uid;
    std::optional<std::vector<std::string>> flags;  // as sent, e.g. "\Seen", "$Junk"
    std::optional<std::uint64_t> rfc822_size;
    std::optional<std::string> internal_date;  // the quoted date-time, unquoted
    std::optional<std::uint64_t> modseq;
    std::optional<Envelope> envelope;         // unless the parser was told to keep it raw only
    std::optional<std::string> raw_envelope;  // the exact bytes of the ENVELOPE list
    // Names of wanted items that were present but not usable (over the size bound or malformed).
    std::vector<std::string> dropped_items;
};

struct Exists {
    std::uint32_t count = 0;
};

struct Expunge {
    std::uint32_t sequence = 0;
};

struct UidRange {
    std::uint32_t first = 0;  // first <= last
    std::uint32_t last = 0;
    bool operator==(const UidRange&) const = default;
};

struct Vanished {
    bool earlier = false;
    std::vector<UidRange> uids;
};

struct SearchResult {
    std::vector<std::uint32_t> numbers;   // sequence numbers, or UIDs after UID SEARCH
    std::optional<std::uint64_t> modseq;  // CONDSTORE "(MODSEQ n)"
};

// A tagged or untagged OK/NO/BAD/BYE/PREAUTH with the response code the cache cares about.
struct StatusResponse {
    std::string tag;  // empty when untagged
    ResponseStatus status = ResponseStatus::None;
    std::string code;  // upper-case code name, e.g. "UIDVALIDITY"; empty if none
    std::optional<std::uint64_t> code_number;  // UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ argument
};

// Anything else (LIST, CAPABILITY, continuation requests…) is `std::monostate`.
using ResponseUnit = std::variant<std::monostate, FetchData, Exists, Expunge, Vanished,
                                  SearchResult, StatusResponse>;

// Feed one response unit: every LineSegment's bytes to segment(), every LiteralBody chunk to
// literal(), then call finish() for the result; the parser is then ready for the next unit.
// An error stops the reading of the unit; later input up to finish() is ignored.
class ResponseUnitParser {
  public:
    // RawOnly keeps an ENVELOPE as its bytes (a parenthesized list, balanced) without reading its
    // fields: for consumers that read them later, or never (the cache skips unchanged ones).
    enum class EnvelopeReading { Parse, RawOnly };

    explicit ResponseUnitParser(std::size_t max_kept = kMaxFetchMetadataBytes,
                                EnvelopeReading envelopes = EnvelopeReading::Parse)
        : max_kept_(max_kept), envelopes_(envelopes) {}

    void segment(std::string_view bytes);  // CRLF and any literal announcement included
    void literal(std::string_view chunk);
    Result<ResponseUnit> finish();

  private:
    enum class State { Start, ItemName, ItemValue, Literal, AfterList, Other, Single, Failed };

    void start(std::string_view line);
    void scan(std::string_view text);
    std::size_t scan_item_name(std::string_view text, std::size_t pos);
    std::size_t scan_value(std::string_view text, std::size_t pos);
    void begin_literal(std::string_view text, std::size_t pos);
    void keep(std::string_view bytes);
    void end_value();
    void fail(std::string reason);

    std::size_t max_kept_;
    EnvelopeReading envelopes_;
    State state_ = State::Start;
    State after_literal_ = State::ItemValue;
    std::string error_;
    std::string single_line_;  // a non-FETCH response line, read at finish()
    FetchData fetch_;
    std::string item_;       // upper-case name of the FETCH item being read
    bool keeping_ = false;   // the item's value is wanted and within the bound
    std::string value_;      // raw bytes of the wanted value
    std::size_t kept_ = 0;   // bytes kept for this unit
    std::size_t depth_ = 0;  // parentheses open in the current value
    bool value_started_ = false;
    std::uint64_t literal_left_ = 0;
};

// Convenience for whole units held in memory (tests, fuzzing): frames `unit` with StreamFramer
// and feeds the parser. Fails unless `unit` is exactly one complete response.
Result<ResponseUnit> parse_response_unit(std::string_view unit,
                                         std::size_t max_kept = kMaxFetchMetadataBytes);

// Parses a uid-set ("1:3,7,9:8") into ranges; "*" is not allowed in responses.
Result<std::vector<UidRange>> parse_uid_set(std::string_view text);

}  // namespace mb::protocol::imap
