// Throwaway PKI for the net tests: see test_certificates.h.
#include "test_certificates.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace mb::net::testing {

namespace {

EVP_PKEY* make_key() {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    if (key == nullptr) throw std::runtime_error("EVP_EC_gen failed");
    return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr) throw std::runtime_error("X509V3_EXT_conf_nid failed");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

// issuer == nullptr: self-signed CA.
X509* make_cert(const char* common_name, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                long serial, const char* san) {
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 30L * 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
    X509* signer = issuer ? issuer : cert;
    X509_set_issuer_name(cert, X509_get_subject_name(signer));
    if (issuer == nullptr) {
        add_extension(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
        add_extension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
        add_extension(cert, cert, NID_subject_key_identifier, "hash");
    } else {
        add_extension(cert, signer, NID_basic_constraints, "critical,CA:FALSE");
        add_extension(cert, signer, NID_key_usage, "critical,digitalSignature");
        add_extension(cert, signer, NID_ext_key_usage, "serverAuth");
        add_extension(cert, signer, NID_subject_alt_name, san);
        add_extension(cert, signer, NID_authority_key_identifier, "keyid:always");
    }
    if (X509_sign(cert, issuer_key, EVP_sha256()) == 0)
        throw std::runtime_error("X509_sign failed");
    return cert;
}

void write_cert(const std::filesystem::path& path, X509* cert) {
    FILE* file = std::fopen(path.c_str(), "w");
    PEM_write_X509(file, cert);
    std::fclose(file);
}

void write_key(const std::filesystem::path& path, EVP_PKEY* key) {
    FILE* file = std::fopen(path.c_str(), "w");
    PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(file);
}

}  // namespace

TestPki::TestPki() {
    char pattern[] = "/tmp/mb-net-pki-XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = pattern;
    ca_cert = dir / "ca.pem";
    server_cert = dir / "server.pem";
    server_key = dir / "server.key";
    other_ca_cert = dir / "other-ca.pem";
    other_key = dir / "other.key";

    EVP_PKEY* ca_key = make_key();
    EVP_PKEY* server_key_pair = make_key();
    EVP_PKEY* other_key_pair = make_key();
    X509* ca = make_cert("mailbridge test CA", ca_key, nullptr, ca_key, 1, nullptr);
    X509* server =
        make_cert("localhost", server_key_pair, ca, ca_key, 2, "DNS:localhost,IP:127.0.0.1");
    X509* other_ca =
        make_cert("unrelated test CA", other_key_pair, nullptr, other_key_pair, 3, nullptr);
    write_cert(ca_cert, ca);
    write_cert(server_cert, server);
    write_key(server_key, server_key_pair);
    write_cert(other_ca_cert, other_ca);
    write_key(other_key, other_key_pair);
    X509_free(ca);
    X509_free(server);
    X509_free(other_ca);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(server_key_pair);
    EVP_PKEY_free(other_key_pair);
}

TestPki::~TestPki() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

const TestPki& test_pki() {
    static TestPki pki;
    return pki;
}

}  // namespace mb::net::testing
