#pragma once
// Helpers shared by the state tests: sample resources, a canonical view of a
// State for comparisons (secrets exposed: tests only), a per-test temporary
// directory for the few tests about the real file system.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "engine/core/value.h"
#include "state/state.h"

namespace crosslink::state::testing {

inline ResourceState MakeResource(const std::string& address, const std::string& secret = "",
                                  std::vector<std::string> deps = {}) {
  ResourceState r;
  r.address = address;
  r.type = address.substr(0, address.find('.'));
  r.provider = "elasticsearch";
  r.cluster = "logs";
  r.environment = "k8s-prod";
  r.attributes = {{"name", address}, {"access", {{"search", {{{"names", {"logs-*"}}}}}}}};
  r.outputs = {{"id", "id-of-" + address}};
  if (!secret.empty()) r.sensitive_outputs.emplace("encoded", Secret(secret));
  r.dependencies = std::move(deps);
  r.created_at = "2026-01-01T00:00:00Z";
  r.updated_at = "2026-01-02T00:00:00Z";
  return r;
}

// Everything observable about the resources, secrets included.
inline Value Canon(const State& st) {
  Value out = Value::object();
  for (const auto& [address, r] : st.resources) {
    Value secrets = Value::object();
    for (const auto& [name, s] : r.sensitive_outputs) secrets[name] = s.expose();
    out[address] = {{"type", r.type},
                    {"provider", r.provider},
                    {"cluster", r.cluster},
                    {"environment", r.environment},
                    {"mode", static_cast<int>(r.mode)},
                    {"attributes", r.attributes},
                    {"outputs", r.outputs},
                    {"secrets", secrets},
                    {"deps", r.dependencies},
                    {"created", r.created_at},
                    {"updated", r.updated_at}};
  }
  return out;
}

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                       "/crosslink-state-test-XXXXXX";
    char* made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr) << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace crosslink::state::testing
