#include "base/sha256.h"

// SHA256_* is deprecated in OpenSSL 3 in favour of EVP, but EVP's first
// digest reads openssl.cnf and initialises the provider machinery: 1.5-7 ms
// of every process's start-up here, against 0.08 ms for the same SHA-256
// through SHA256_*. Start-up is on the execute path (`kiln run`). And
// the kiln executable links libcrypto.a: SHA256_* pulls in the digest
// alone, EVP the provider machinery (100 pages of relocated tables).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "base/files.h"

namespace kiln::base {

namespace {

std::array<uint8_t, 32> digest_of(const void* data, size_t size) {
  static_assert(SHA256_DIGEST_LENGTH == 32);
  std::array<uint8_t, 32> digest;
  SHA256_CTX context;
  SHA256_Init(&context);
  SHA256_Update(&context, data, size);
  SHA256_Final(digest.data(), &context);
  return digest;
}

}  // namespace

std::array<uint8_t, 32> sha256(std::string_view text) { return digest_of(text.data(), text.size()); }

std::string sha256_hex(std::span<const uint8_t> bytes) {
  const std::array<uint8_t, 32> digest = digest_of(bytes.data(), bytes.size());
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : digest) {
    out += digits[byte >> 4];
    out += digits[byte & 15];
  }
  return out;
}

std::string sha256_hex(std::string_view text) {
  return sha256_hex({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

std::string sha256_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return {};
  return sha256_hex(std::string_view(*text));
}

}  // namespace kiln::base
