// Throwaway PKI for the net tests: a CA, a server certificate for "localhost" and 127.0.0.1
// signed by it, and an unrelated CA, all EC P-256, written as PEM files into a temp directory
// that the TestPki object owns and removes.
#pragma once

#include <filesystem>

namespace mb::net::testing {

struct TestPki {
    std::filesystem::path dir;
    std::filesystem::path ca_cert;
    std::filesystem::path server_cert;  // SAN: DNS:localhost, IP:127.0.0.1; valid 30 days
    std::filesystem::path server_key;
    std::filesystem::path other_ca_cert;
    std::filesystem::path other_key;  // does not match server_cert

    TestPki();
    ~TestPki();
    TestPki(const TestPki&) = delete;
    TestPki& operator=(const TestPki&) = delete;
};

// One PKI per test binary (generating keys is the slow part).
const TestPki& test_pki();

}  // namespace mb::net::testing
