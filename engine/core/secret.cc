#include "engine/core/secret.h"

#include <openssl/crypto.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <unordered_set>

namespace crosslink {
namespace {

constexpr size_t kMinRedactedLength = 6;

// Registered values grouped by length: redacting a text costs
// O(text length x number of distinct secret lengths), whatever the number of
// secrets (API keys of one platform all have the same length).
struct RedactorState {
  std::mutex mu;
  std::map<size_t, std::unordered_set<std::string>, std::greater<>> by_length;  // longest first
  std::atomic<bool> enabled{true};
};

RedactorState& State() {
  static RedactorState* state = new RedactorState();  // never destroyed: used by log sinks at exit
  return *state;
}

}  // namespace

Secret::Secret(std::string value) : value_(std::move(value)) { Redactor::Register(value_); }

Secret::~Secret() {
  if (!value_.empty()) OPENSSL_cleanse(value_.data(), value_.size());
}

bool Secret::operator==(const Secret& other) const {
  if (value_.size() != other.value_.size()) return false;
  return CRYPTO_memcmp(value_.data(), other.value_.data(), value_.size()) == 0;
}

void Redactor::Register(std::string_view value) {
  if (value.size() < kMinRedactedLength) return;
  auto& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  s.by_length[value.size()].emplace(value);
}

std::string Redactor::Redact(std::string_view text) {
  auto& s = State();
  if (!s.enabled.load()) return std::string(text);
  std::lock_guard<std::mutex> lock(s.mu);
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool replaced = false;
    for (const auto& [len, values] : s.by_length) {  // longest match wins
      if (len > text.size() - i) continue;
      if (values.count(std::string(text.substr(i, len))) > 0) {
        out += kSensitivePlaceholder;
        i += len;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

void Redactor::ClearForTesting() {
  auto& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  s.by_length.clear();
}

void Redactor::SetEnabledForTesting(bool enabled) { State().enabled.store(enabled); }

}  // namespace crosslink
