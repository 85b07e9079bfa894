#pragma once
// The state model: what crosslink created or read, as it was after the last
// completed action. Persistence (file format, journal, encryption, locking)
// lives in backend.h and the files beside it; this header is only the data.
//
// State file format (JSON, version 1) — see docs/state.md:
//   {
//     "format_version": 1,
//     "tool_version": "0.1.0",
//     "lineage": "<uuid v4, fixed for the life of this state>",
//     "serial": 7,                    // +1 for every run that changed state
//     "encryption": { "kdf": "pbkdf2-sha512" | "keyfile", "salt": "<b64>",
//                     "iterations": 600000, "check": "<b64 AES-GCM of a known text>" },
//     "resources": [ { "address", "type", "provider", "cluster", "environment", "mode",
//                      "attributes": {...}, "outputs": {...},
//                      "sensitive_outputs": { "<name>": "<b64 nonce|ciphertext|tag>" },
//                      "dependencies": ["<address>", ...],
//                      "created_at", "updated_at" } ]
//   }
//
// Thread-safety: plain values.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/secret.h"
#include "engine/core/value.h"
#include "engine/graph/resource.h"

namespace crosslink::state {

inline constexpr int kStateFormatVersion = 1;

struct ResourceState {
  std::string address;
  std::string type;
  std::string provider;
  std::string cluster;
  std::string environment;
  graph::ResourceMode mode = graph::ResourceMode::kManaged;
  Value attributes = Value::object();  // the attributes as applied (references resolved)
  Value outputs = Value::object();     // non-sensitive computed values (ids, addresses, fingerprints)
  std::map<std::string, Secret> sensitive_outputs;  // encrypted at rest
  std::vector<std::string> dependencies;  // addresses, for destroy order
  std::string created_at;  // ISO-8601 UTC
  std::string updated_at;
};

struct State {
  int format_version = kStateFormatVersion;
  std::string tool_version;
  std::string lineage;   // empty until first saved
  uint64_t serial = 0;
  std::map<std::string, ResourceState> resources;  // by address

  const ResourceState* Find(const std::string& address) const;
};

// A new random UUID v4 (OpenSSL RAND_bytes).
std::string NewLineage();

}  // namespace crosslink::state
