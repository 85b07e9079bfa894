#pragma once
// Secret: a sensitive value (API key, password, private key, encoded
// cross-cluster credential). It never prints: there is no stream operator,
// no implicit conversion and ToString()-like helpers return "(sensitive)".
// The only way to the bytes is expose(), which callers use at the last
// moment (an HTTP header, an encrypted state field, a keystore stdin).
//
// Every Secret built from a non-empty value is also registered with the
// process-wide Redactor, which the log sinks and the UI writers use as a
// last line of defence: any registered value that still reaches them is
// replaced by "(sensitive)".
//
// Thread-safety: a Secret is an immutable value once built; Redactor is
// thread-safe.

#include <string>
#include <string_view>

namespace crosslink {

inline constexpr std::string_view kSensitivePlaceholder = "(sensitive)";

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value);
  Secret(const Secret&) = default;
  Secret& operator=(const Secret&) = default;
  Secret(Secret&&) noexcept = default;
  Secret& operator=(Secret&&) noexcept = default;
  ~Secret();

  bool empty() const { return value_.empty(); }
  // The raw value. Never log or print it.
  const std::string& expose() const { return value_; }
  // What a secret looks like anywhere a human can read it.
  static std::string_view Placeholder() { return kSensitivePlaceholder; }

  bool operator==(const Secret& other) const;  // constant-time comparison
  bool operator!=(const Secret& other) const { return !(*this == other); }

 private:
  std::string value_;
};

// Process-wide set of secret values seen so far (values of 6 bytes or more:
// shorter strings would redact ordinary words).
class Redactor {
 public:
  static void Register(std::string_view value);
  // Returns `text` with every registered value replaced by "(sensitive)".
  static std::string Redact(std::string_view text);
  // For tests.
  static void ClearForTesting();
  // Tests that prove no secret reaches an output turn redaction off, so that
  // a leak shows instead of being masked.
  static void SetEnabledForTesting(bool enabled);
};

}  // namespace crosslink
