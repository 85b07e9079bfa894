#include "sandbox/util.h"

#include <openssl/rand.h>

#include <cctype>
#include <charconv>
#include <cstdlib>

namespace crosslink::sandbox {

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::abort();  // no entropy: never hand out a predictable secret
  }
  return out;
}

std::string RandomString(size_t n, std::string_view alphabet) {
  // Rejection sampling: bytes at or above the largest multiple of the
  // alphabet size are drawn again, so every character is equally likely.
  const size_t size = alphabet.size();
  const size_t limit = 256 - 256 % size;
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    for (unsigned char b : RandomBytes(n - out.size() + 8)) {
      if (b >= limit) continue;
      out.push_back(alphabet[b % size]);
      if (out.size() == n) break;
    }
  }
  return out;
}

Version ParseVersion(std::string_view text) {
  Version v;
  int* fields[3] = {&v.major, &v.minor, &v.patch};
  size_t i = 0;
  for (int k = 0; k < 3 && i < text.size(); ++k) {
    int n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) n = n * 10 + (text[i++] - '0');
    *fields[k] = n;
    while (i < text.size() && text[i] != '.') ++i;  // "0-SNAPSHOT": the rest of the part
    if (i < text.size()) ++i;
  }
  return v;
}

std::optional<Version> ParseVersionStrict(std::string_view text) {
  Version v;
  int* fields[3] = {&v.major, &v.minor, &v.patch};
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int k = 0; k < 3; ++k) {
    if (k > 0) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
    if (p == end || !std::isdigit(static_cast<unsigned char>(*p))) return std::nullopt;
    auto [next, ec] = std::from_chars(p, end, *fields[k]);
    if (ec != std::errc()) return std::nullopt;  // out of range
    p = next;
  }
  if (p == end) return v;
  if (*p != '-' || p + 1 == end) return std::nullopt;
  for (++p; p != end; ++p) {
    if (!std::isalnum(static_cast<unsigned char>(*p)) && *p != '.' && *p != '-') return std::nullopt;
  }
  return v;
}

std::string EnvPrefix(std::string_view key) {
  std::string out;
  for (char c : key) out.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

}  // namespace crosslink::sandbox
