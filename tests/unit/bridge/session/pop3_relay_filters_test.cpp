// Tests for the POP3 relay filters: byte-exact relay of pipelined multi-line answers (with
// dot-stuffed lines that look like commands or terminators), and CAPA answers rewritten.
#include "bridge/session/pop3_relay_filters.h"

#include <gtest/gtest.h>

#include <string>

namespace {

struct Relayed {
    std::string to_upstream;
    std::string to_client;
};

Relayed run(std::string_view commands, std::string_view answers, size_t chunk) {
    mb::session::Pop3RelayFilters filters;
    Relayed out;
    for (size_t i = 0; i < commands.size(); i += chunk)
        filters.from_client(commands.substr(i, chunk), out.to_upstream);
    for (size_t i = 0; i < answers.size(); i += chunk)
        filters.from_upstream(answers.substr(i, chunk), out.to_client);
    return out;
}

TEST(Pop3RelayFilters, RelaysPipelinedAnswersUnchangedAtEverySplit) {
    std::string commands = "STAT\r\nRETR 1\r\nLIST\r\nUIDL 1\r\nQUIT\r\n";
    std::string answers =
        "+OK 2 300\r\n"
        "+OK message follows\r\nSubject: x\r\n\r\n..CAPA\r\n.. \r\nbody\r\n.\r\n"
        "+OK 2 messages\r\n1 120\r\n2 180\r\n.\r\n"
        "+OK 1 uid-1\r\n"
        "+OK bye\r\n";
    for (size_t chunk = 1; chunk <= answers.size(); ++chunk) {
        auto out = run(commands, answers, chunk);
        ASSERT_EQ(out.to_upstream, commands) << chunk;
        ASSERT_EQ(out.to_client, answers) << chunk;
    }
}

TEST(Pop3RelayFilters, RewritesCapaAnswersOnly) {
    std::string commands = "CAPA\r\nNOOP\r\n";
    std::string answers =
        "+OK capabilities\r\nTOP\r\nUIDL\r\nSTLS\r\nSASL PLAIN XOAUTH2\r\nPIPELINING\r\n.\r\n"
        "+OK\r\n";
    for (size_t chunk : {1u, 7u, 200u}) {
        auto out = run(commands, answers, chunk);
        EXPECT_NE(out.to_client.find("UIDL\r\n"), std::string::npos);
        EXPECT_NE(out.to_client.find("PIPELINING\r\n"), std::string::npos);
        EXPECT_EQ(out.to_client.find("STLS"), std::string::npos) << out.to_client;
        EXPECT_EQ(out.to_client.find("SASL"), std::string::npos) << out.to_client;
        EXPECT_TRUE(out.to_client.ends_with(".\r\n+OK\r\n")) << out.to_client;
    }
}

TEST(Pop3RelayFilters, RemembersQuit) {
    mb::session::Pop3RelayFilters filters;
    std::string out;
    filters.from_client("STAT\r\n", out);
    EXPECT_FALSE(filters.client_quit());
    filters.from_client("quit\r\n", out);
    EXPECT_TRUE(filters.client_quit());
}

}  // namespace
