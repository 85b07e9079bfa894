#pragma once
// crosslink::sandbox_util: small helpers shared by the twins (es, cloud, self):
// random secrets and identifiers, Elasticsearch version comparison, and the
// environment-variable prefix of a configuration key.
//
// Thread-safe: every function is pure or uses OpenSSL's thread-safe CSPRNG.

#include <compare>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace crosslink::sandbox {

inline constexpr std::string_view kAlphanumeric =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// `n` bytes from OpenSSL's CSPRNG (aborts if it cannot be seeded).
std::string RandomBytes(size_t n);
// `n` characters drawn uniformly (no modulo bias) from `alphabet` with the
// CSPRNG: passwords, API keys, ids. `alphabet` must not be empty.
std::string RandomString(size_t n, std::string_view alphabet);

// "8.15.0", "8.14", "9.0.0-SNAPSHOT" -> {8, 15, 0}; missing or non-numeric
// parts are 0.
struct Version {
  int major = 0, minor = 0, patch = 0;
  bool AtLeast(int ma, int mi, int pa = 0) const {
    if (major != ma) return major > ma;
    if (minor != mi) return minor > mi;
    return patch >= pa;
  }
  friend auto operator<=>(const Version&, const Version&) = default;
};
Version ParseVersion(std::string_view text);
// Strict: exactly "{major}.{minor}.{patch}[-{label}]" (label of
// [0-9A-Za-z.-]), as ECK's webhook requires; nullopt for anything else,
// including numbers that do not fit an int.
std::optional<Version> ParseVersionStrict(std::string_view text);
inline bool VersionAtLeast(std::string_view version, int major, int minor) {
  return ParseVersion(version).AtLeast(major, minor);
}

// A configuration key as an environment variable prefix: "prod-eu" -> "PROD_EU".
std::string EnvPrefix(std::string_view key);

}  // namespace crosslink::sandbox
