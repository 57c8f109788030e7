// Tests for LoginGuard: growing blocks per address and per login, forgetting after a quiet period,
// and the caps on early upstream dials.
#include "bridge/session/login_guard.h"

#include <gtest/gtest.h>

namespace mb::session {
namespace {

using namespace std::chrono_literals;
using Clock = LoginGuard::Clock;

TEST(LoginGuard, AddressOfStripsThePortAndKeysIpv6ByItsSlash64) {
    EXPECT_EQ(LoginGuard::address_of("127.0.0.1:5000"), "127.0.0.1");
    EXPECT_EQ(LoginGuard::address_of("[2001:db8:1:2:3:4:5:6]:993"), "2001:db8:1:2::/64");
    EXPECT_EQ(LoginGuard::address_of("[2001:db8:1:2::9]:993"), "2001:db8:1:2::/64");
    EXPECT_EQ(LoginGuard::address_of("[::1]:143"), "::1");
    // An IPv4 client of a "::" listener is its IPv4 address, not one /64 for every IPv4 client.
    EXPECT_EQ(LoginGuard::address_of("[::ffff:192.0.2.7]:5000"), "192.0.2.7");
    EXPECT_EQ(LoginGuard::address_of("[not-an-address]:1"), "not-an-address");
    EXPECT_EQ(LoginGuard::address_of("unknown address"), "unknown address");
}

TEST(LoginGuard, AWrongPasswordBlocksTheAddressForADoublingDelay) {
    LoginGuard guard;
    const auto t0 = Clock::now();
    EXPECT_FALSE(guard.blocked("10.0.0.1", "alice", t0));
    guard.failed("10.0.0.1", "alice", t0);
    auto refusal = guard.blocked("10.0.0.1", "alice", t0 + 500ms);
    ASSERT_TRUE(refusal);
    EXPECT_TRUE(refusal->by_address);
    EXPECT_EQ(refusal->remaining, 500ms);
    EXPECT_FALSE(guard.blocked("10.0.0.1", "alice", t0 + 1s));
    // Another address is not blocked by it, for this login either (the login's block starts later).
    EXPECT_FALSE(guard.blocked("10.0.0.2", "alice", t0 + 500ms));
    guard.failed("10.0.0.1", "alice", t0 + 1s);
    EXPECT_EQ(guard.blocked("10.0.0.1", "bob", t0 + 1s)->remaining, 2s);
    guard.failed("10.0.0.1", "alice", t0 + 3s);
    EXPECT_EQ(guard.blocked("10.0.0.1", "bob", t0 + 3s)->remaining, 4s);
    for (int i = 0; i < 20; ++i) guard.failed("10.0.0.1", "x", t0 + 10s);
    EXPECT_EQ(guard.blocked("10.0.0.1", "bob", t0 + 10s)->remaining, 30s);
}

TEST(LoginGuard, ALoginCollectingFailuresFromManyAddressesIsBlocked) {
    LoginGuard guard;
    const auto t0 = Clock::now();
    guard.failed("10.0.0.1", "Alice@Example.com", t0);
    guard.failed("10.0.0.2", "alice@example.com", t0);
    guard.failed("10.0.0.3", "alice@example.com", t0);
    EXPECT_FALSE(guard.blocked("10.0.0.9", "alice@example.com", t0));
    guard.failed("10.0.0.4", "alice@example.com", t0);
    auto refusal = guard.blocked("10.0.0.9", "ALICE@example.com", t0);
    ASSERT_TRUE(refusal);
    EXPECT_FALSE(refusal->by_address);
    EXPECT_EQ(refusal->remaining, 1s);
    guard.succeeded("alice@example.com");
    EXPECT_FALSE(guard.blocked("10.0.0.9", "alice@example.com", t0));
    // A success forgets the login's failures, never the address's.
    EXPECT_TRUE(guard.blocked("10.0.0.4", "alice@example.com", t0));
}

TEST(LoginGuard, AQuietPeriodForgetsEverything) {
    LoginGuard guard({.forget_after = 60s});
    const auto t0 = Clock::now();
    for (int i = 0; i < 10; ++i) guard.failed("10.0.0.1", "alice", t0);
    EXPECT_EQ(guard.blocked("10.0.0.1", "alice", t0)->remaining, 30s);
    EXPECT_FALSE(guard.blocked("10.0.0.1", "alice", t0 + 61s));
    EXPECT_EQ(guard.tracked_keys(), 0u);
    guard.failed("10.0.0.1", "alice", t0 + 61s);
    EXPECT_EQ(guard.blocked("10.0.0.1", "alice", t0 + 61s)->remaining, 1s);
}

TEST(LoginGuard, TrackedKeysAreBounded) {
    LoginGuard guard({.max_keys = 100});
    const auto t0 = Clock::now();
    for (int i = 0; i < 1000; ++i)
        guard.failed("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250), "alice",
                     t0 + std::chrono::milliseconds(i));
    EXPECT_LE(guard.tracked_keys(), 100u);
    EXPECT_TRUE(guard.blocked("10.0.3.249", "nobody", t0 + 999ms));
}

TEST(LoginGuard, EarlyDialsAreCappedInAllPerAddressAndAfterFailures) {
    LoginGuard guard({.early_dials_total = 3, .early_dials_per_address = 2});
    const auto t0 = Clock::now();
    auto a1 = guard.early_dial("10.0.0.1", t0);
    auto a2 = guard.early_dial("10.0.0.1", t0);
    EXPECT_TRUE(a1 && a2);
    EXPECT_FALSE(guard.early_dial("10.0.0.1", t0));
    auto b1 = guard.early_dial("10.0.0.2", t0);
    EXPECT_TRUE(b1);
    EXPECT_FALSE(guard.early_dial("10.0.0.3", t0));
    EXPECT_EQ(guard.early_dials(), 3);
    a1.reset();
    EXPECT_EQ(guard.early_dials(), 2);
    EXPECT_TRUE(guard.early_dial("10.0.0.3", t0));
    guard.failed("10.0.0.4", "alice", t0);
    b1.reset();
    EXPECT_FALSE(guard.early_dial("10.0.0.4", t0 + 5s)) << "an address with recent failures";
}

TEST(LoginGuard, AnAddressWithFailuresGetsOneCheckAtATime) {
    LoginGuard guard;
    const auto t0 = Clock::now();
    // A clean address may check many passwords at once (clients behind one address).
    auto a = guard.start_check("10.0.0.1");
    auto b = guard.start_check("10.0.0.1");
    EXPECT_FALSE(guard.blocked("10.0.0.1", "alice", t0));
    a.reset();
    b.reset();
    guard.failed("10.0.0.1", "alice", t0);
    auto first = guard.start_check("10.0.0.1");  // after the block ended
    auto refusal = guard.blocked("10.0.0.1", "alice", t0 + 2s);
    ASSERT_TRUE(refusal);
    EXPECT_TRUE(refusal->by_address);
    first.reset();
    EXPECT_FALSE(guard.blocked("10.0.0.1", "alice", t0 + 2s));
}

TEST(LoginGuard, TicketsOutliveTheirGuardSafely) {
    std::unique_ptr<LoginGuard::DialTicket> ticket;
    std::unique_ptr<LoginGuard::CheckTicket> check;
    {
        LoginGuard guard;
        ticket = guard.early_dial("10.0.0.1", Clock::now());
        check = guard.start_check("10.0.0.1");
        ASSERT_TRUE(ticket);
    }
    ticket.reset();  // must not touch the destroyed guard
    check.reset();
}

}  // namespace
}  // namespace mb::session
