#include "engine/core/secret.h"

#include <openssl/crypto.h>

#include <mutex>
#include <set>

namespace crosslink {
namespace {

constexpr size_t kMinRedactedLength = 6;

struct RedactorState {
  std::mutex mu;
  std::set<std::string, std::greater<>> values;  // longest-first is not needed: exact values
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
  s.values.emplace(value);
}

std::string Redactor::Redact(std::string_view text) {
  std::string out(text);
  auto& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  for (const auto& v : s.values) {
    size_t pos = 0;
    while ((pos = out.find(v, pos)) != std::string::npos) {
      out.replace(pos, v.size(), kSensitivePlaceholder);
      pos += kSensitivePlaceholder.size();
    }
  }
  return out;
}

void Redactor::ClearForTesting() {
  auto& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  s.values.clear();
}

}  // namespace crosslink
