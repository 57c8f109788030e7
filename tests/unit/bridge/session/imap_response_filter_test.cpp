// Tests for the upstream→client IMAP relay filter: bytes pass unchanged except CAPABILITY lists,
// literals are never mistaken for responses, BYE is noticed, and any split gives the same output.
#include "bridge/session/imap_response_filter.h"

#include <gtest/gtest.h>

#include <string>

namespace {

std::string run(std::string_view input, size_t chunk, bool* saw_bye = nullptr) {
    mb::session::ImapResponseFilter filter([saw_bye] {
        if (saw_bye) *saw_bye = true;
    });
    std::string out;
    for (size_t i = 0; i < input.size(); i += chunk) filter(input.substr(i, chunk), out);
    return out;
}

TEST(ImapResponseFilter, PassesOrdinaryResponsesByteExactAtEverySplit) {
    std::string input =
        "* 1 FETCH (UID 7 BODY[] {23}\r\n* CAPABILITY COMPRESS\r\n)\r\n"
        "* 2 EXISTS\r\n"
        "a1 OK done\r\n";
    for (size_t chunk = 1; chunk <= input.size(); ++chunk)
        EXPECT_EQ(run(input, chunk), input) << "chunk " << chunk;
}

TEST(ImapResponseFilter, RewritesCapabilityListsOutsideLiterals) {
    std::string input = "* CAPABILITY IMAP4rev1 IDLE COMPRESS=DEFLATE STARTTLS AUTH=PLAIN MOVE\r\n";
    for (size_t chunk : {1u, 5u, 100u}) {
        std::string out = run(input, chunk);
        EXPECT_NE(out.find("IDLE"), std::string::npos);
        EXPECT_NE(out.find("MOVE"), std::string::npos);
        EXPECT_EQ(out.find("COMPRESS"), std::string::npos) << out;
        EXPECT_EQ(out.find("STARTTLS"), std::string::npos) << out;
        EXPECT_EQ(out.find("AUTH=PLAIN"), std::string::npos) << out;
    }
}

TEST(ImapResponseFilter, RewritesCapabilityResponseCodesOfStatusResponses) {
    for (std::string status : {"OK", "ok", "PREAUTH", "BYE"}) {
        std::string input = "* " + status + " [CAPABILITY IMAP4rev1 STARTTLS IDLE] hello\r\n";
        std::string out = run(input, 4);
        EXPECT_EQ(out, "* " + status + " [CAPABILITY IMAP4rev1 IDLE] hello\r\n");
    }
    // Numbered responses never carry a list; text that merely names it is left alone.
    for (std::string input :
         {"* 3 FETCH (FLAGS (CAPABILITY STARTTLS))\r\n", "* OK see [CAPABILITY STARTTLS]\r\n",
          "* LIST () \"/\" \"CAPABILITY STARTTLS\"\r\n"})
        EXPECT_EQ(run(input, 3), input);
}

TEST(ImapResponseFilter, NoticesByeOnlyAtAUnitStart) {
    bool saw_bye = false;
    run("* 1 FETCH (BODY[] {7}\r\n* BYE x)\r\n", 3, &saw_bye);
    EXPECT_FALSE(saw_bye);
    run("* BYE Logging out\r\n", 3, &saw_bye);
    EXPECT_TRUE(saw_bye);
}

TEST(ImapResponseFilter, FallsBackToPassThroughOnAnUnframableStream) {
    std::string huge(2 * 1024 * 1024, 'x');
    std::string input = "* " + huge + "\r\n* CAPABILITY COMPRESS=DEFLATE\r\n";
    std::string out = run(input, 65536);
    EXPECT_EQ(out.size(), input.size());
    EXPECT_EQ(out, input);
}

// Where a goodbye may go: only after what the client got ends a whole response.
TEST(ImapResponseFilter, KnowsWhetherTheClientIsBetweenResponses) {
    mb::session::ImapResponseFilter filter([] {});
    std::string out;
    EXPECT_TRUE(filter.client_at_boundary());
    filter("* 1 FETCH (FLAGS (\\Seen))\r\n* 2 FE", out);
    EXPECT_TRUE(filter.client_at_boundary());  // the partial line is held back
    EXPECT_EQ(out, "* 1 FETCH (FLAGS (\\Seen))\r\n");
    filter("TCH (BODY[] {10}\r\n01234", out);
    EXPECT_FALSE(filter.client_at_boundary());  // inside the literal
    filter("56789", out);
    EXPECT_FALSE(filter.client_at_boundary());  // the line after the literal is still due
    filter(")\r\n", out);
    EXPECT_TRUE(filter.client_at_boundary());
    filter("a1 OK done\r\n", out);
    EXPECT_TRUE(filter.client_at_boundary());
}

}  // namespace
