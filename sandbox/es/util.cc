// Small helpers shared by the twin's source files (internal.h).

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>
#include <chrono>
#include <cstdio>

#include "engine/core/http.h"
#include "sandbox/es/internal.h"

namespace crosslink::sandbox::es {

std::optional<std::string> Base64Decode(std::string_view text) {
  std::string in(text);
  while (!in.empty() && std::isspace(static_cast<unsigned char>(in.back()))) in.pop_back();
  if (in.empty()) return std::nullopt;
  while (in.size() % 4 != 0) in.push_back('=');
  return http::Base64Decode(in);
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}

std::string RandomToken(size_t bytes) {
  std::string text = Base64Encode(RandomBytes(bytes));
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!text.empty() && text.back() == '=') text.pop_back();
  return text;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<int64_t> ParseTimeValueMillis(std::string_view text) {
  if (text == "-1") return -1;
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 15) return std::nullopt;
  int64_t n = std::stoll(std::string(text.substr(0, digits)));
  std::string_view unit = text.substr(digits);
  if (unit == "d") return n * 86400000;
  if (unit == "h") return n * 3600000;
  if (unit == "m") return n * 60000;
  if (unit == "s") return n * 1000;
  if (unit == "ms") return n;
  if (unit == "micros") return n / 1000;
  if (unit == "nanos") return n / 1000000;
  return std::nullopt;
}

std::vector<std::string> SplitString(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = text.find(sep, start);
    out.emplace_back(text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

std::string JoinStrings(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

int64_t EpochMillis(Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.WallNow().time_since_epoch()).count();
}

}  // namespace crosslink::sandbox::es
