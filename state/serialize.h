#pragma once
// State <-> JSON, in the format documented at the top of state/state.h
// (format_version 1). Resources are written sorted by address; sensitive
// outputs are sealed with a Cipher (crypto.h) and never written in clear.
//
// Reading is split in two steps because decrypting needs the key, and which
// key is named by the document itself:
//   auto doc = ParseStateDocument(text);       // JSON + format_version check
//   auto enc = EncryptionFromDocument(*doc);   // the "encryption" block, if any
//   ... open a Cipher for *enc (KeyProvider::Open) ...
//   auto st  = StateFromDocument(*doc, cipher.get());
//
// The resource-level functions are shared with the journal (local_backend).
//
// Errors: a damaged document is kCorruption naming the field; a document
// written by a newer crosslink (format_version > kStateFormatVersion) is
// kFailedPrecondition asking for an upgrade.
//
// Thread-safety: pure functions.

#include <optional>
#include <string>
#include <string_view>

#include "engine/core/status.h"
#include "engine/core/value.h"
#include "engine/graph/resource.h"
#include "state/crypto.h"
#include "state/state.h"

namespace crosslink::state {

// "managed", "data", "check" (own copy: state does not link engine/graph).
std::string_view ModeName(graph::ResourceMode mode);
std::optional<graph::ResourceMode> ParseMode(std::string_view name);

Value EncryptionToJson(const EncryptionInfo& info);
Result<EncryptionInfo> EncryptionFromJson(const Value& v);

// `cipher` may be null only when the resource has no sensitive outputs
// (kFailedPrecondition otherwise).
Result<Value> ResourceToJson(const ResourceState& r, const Cipher* cipher);
// `cipher` may be null only when the object has no sensitive outputs
// (kCorruption otherwise: sealed values without an encryption block).
Result<ResourceState> ResourceFromJson(const Value& v, const Cipher* cipher);

// The whole document. `encryption` is written as the "encryption" block;
// `cipher` must be its key whenever any resource has sensitive outputs.
Result<Value> StateToJson(const State& state, const std::optional<EncryptionInfo>& encryption,
                          const Cipher* cipher);
// Pretty-printed StateToJson, newline-terminated: the state file's bytes.
Result<std::string> SerializeState(const State& state,
                                   const std::optional<EncryptionInfo>& encryption,
                                   const Cipher* cipher);

// Parses the text and checks format_version; nothing is decrypted yet.
Result<Value> ParseStateDocument(std::string_view text);
Result<std::optional<EncryptionInfo>> EncryptionFromDocument(const Value& doc);
Result<State> StateFromDocument(const Value& doc, const Cipher* cipher);

// True when any resource holds a sensitive output.
bool HasSensitiveOutputs(const State& state);

}  // namespace crosslink::state
