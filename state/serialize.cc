#include "state/serialize.h"

#include <utility>

#include "engine/core/version.h"

namespace crosslink::state {
namespace {

// Reads optional string field `key` of object `o` into `out`.
Status OptString(const Value& o, const char* key, const std::string& where, std::string* out) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return Status::Ok();
  if (!it->is_string()) {
    return Status::Corruption(where + ": field \"" + key + "\" must be a string");
  }
  *out = it->get<std::string>();
  return Status::Ok();
}

Status ReqString(const Value& o, const char* key, const std::string& where, std::string* out) {
  if (!o.contains(key)) return Status::Corruption(where + ": field \"" + key + "\" is missing");
  CROSSLINK_RETURN_IF_ERROR(OptString(o, key, where, out));
  if (out->empty()) return Status::Corruption(where + ": field \"" + key + "\" is empty");
  return Status::Ok();
}

Status OptObject(const Value& o, const char* key, const std::string& where, Value* out) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return Status::Ok();
  if (!it->is_object()) {
    return Status::Corruption(where + ": field \"" + key + "\" must be an object");
  }
  *out = *it;
  return Status::Ok();
}

}  // namespace

std::string_view ModeName(graph::ResourceMode mode) {
  switch (mode) {
    case graph::ResourceMode::kManaged:
      return "managed";
    case graph::ResourceMode::kData:
      return "data";
    case graph::ResourceMode::kCheck:
      return "check";
  }
  return "managed";
}

std::optional<graph::ResourceMode> ParseMode(std::string_view name) {
  if (name == "managed") return graph::ResourceMode::kManaged;
  if (name == "data") return graph::ResourceMode::kData;
  if (name == "check") return graph::ResourceMode::kCheck;
  return std::nullopt;
}

Value EncryptionToJson(const EncryptionInfo& info) {
  Value v = Value::object();
  v["kdf"] = info.kdf;
  if (info.kdf == kKdfPassphrase) {
    v["salt"] = info.salt;
    v["iterations"] = info.iterations;
  }
  v["check"] = info.check;
  return v;
}

Result<EncryptionInfo> EncryptionFromJson(const Value& v) {
  const std::string where = "encryption";
  if (!v.is_object()) return Status::Corruption(where + " must be an object");
  EncryptionInfo info;
  CROSSLINK_RETURN_IF_ERROR(ReqString(v, "kdf", where, &info.kdf));
  CROSSLINK_RETURN_IF_ERROR(ReqString(v, "check", where, &info.check));
  if (info.kdf == kKdfPassphrase) {
    CROSSLINK_RETURN_IF_ERROR(ReqString(v, "salt", where, &info.salt));
    auto it = v.find("iterations");
    if (it == v.end() || !it->is_number_integer()) {
      return Status::Corruption(where + ": field \"iterations\" must be an integer");
    }
    auto n = it->get<int64_t>();
    if (n <= 0 || n > INT32_MAX) {
      return Status::Corruption(where + ": field \"iterations\" is out of range");
    }
    info.iterations = static_cast<int>(n);
  }
  return info;
}

Result<Value> ResourceToJson(const ResourceState& r, const Cipher* cipher) {
  Value v = Value::object();
  v["address"] = r.address;
  v["type"] = r.type;
  v["provider"] = r.provider;
  v["cluster"] = r.cluster;
  v["environment"] = r.environment;
  v["mode"] = std::string(ModeName(r.mode));
  v["attributes"] = r.attributes.is_null() ? Value::object() : r.attributes;
  v["outputs"] = r.outputs.is_null() ? Value::object() : r.outputs;
  Value sealed = Value::object();
  for (const auto& [name, secret] : r.sensitive_outputs) {
    if (cipher == nullptr) {
      return Status::FailedPrecondition("resource " + r.address +
                                        " has sensitive outputs but no state key is available");
    }
    auto enc = cipher->Encrypt(secret.expose(), SensitiveOutputAad(r.address, name));
    if (!enc.ok()) return enc.status();
    sealed[name] = std::move(*enc);
  }
  v["sensitive_outputs"] = std::move(sealed);
  v["dependencies"] = r.dependencies;
  v["created_at"] = r.created_at;
  v["updated_at"] = r.updated_at;
  return v;
}

Result<ResourceState> ResourceFromJson(const Value& v, const Cipher* cipher) {
  if (!v.is_object()) return Status::Corruption("a resource must be an object");
  ResourceState r;
  CROSSLINK_RETURN_IF_ERROR(ReqString(v, "address", "resource", &r.address));
  const std::string where = "resource " + r.address;
  CROSSLINK_RETURN_IF_ERROR(ReqString(v, "type", where, &r.type));
  CROSSLINK_RETURN_IF_ERROR(OptString(v, "provider", where, &r.provider));
  CROSSLINK_RETURN_IF_ERROR(OptString(v, "cluster", where, &r.cluster));
  CROSSLINK_RETURN_IF_ERROR(OptString(v, "environment", where, &r.environment));
  std::string mode = "managed";
  CROSSLINK_RETURN_IF_ERROR(OptString(v, "mode", where, &mode));
  auto parsed_mode = ParseMode(mode);
  if (!parsed_mode) {
    return Status::Corruption(where + ": unknown mode \"" + mode +
                              "\" (expected managed, data or check)");
  }
  r.mode = *parsed_mode;
  CROSSLINK_RETURN_IF_ERROR(OptObject(v, "attributes", where, &r.attributes));
  CROSSLINK_RETURN_IF_ERROR(OptObject(v, "outputs", where, &r.outputs));
  Value sealed = Value::object();
  CROSSLINK_RETURN_IF_ERROR(OptObject(v, "sensitive_outputs", where, &sealed));
  for (const auto& [name, enc] : sealed.items()) {
    if (!enc.is_string()) {
      return Status::Corruption(where + ": sensitive output \"" + name + "\" must be a string");
    }
    if (cipher == nullptr) {
      return Status::Corruption(where + " has sensitive outputs but the state has no " +
                                "encryption block to read them with");
    }
    auto plain = cipher->Decrypt(enc.get<std::string>(), SensitiveOutputAad(r.address, name));
    if (!plain.ok()) {
      return plain.status().WithContext(where + ": sensitive output \"" + name + "\"");
    }
    r.sensitive_outputs.emplace(name, Secret(std::move(*plain)));
  }
  if (auto it = v.find("dependencies"); it != v.end() && !it->is_null()) {
    if (!it->is_array()) return Status::Corruption(where + ": \"dependencies\" must be an array");
    for (const auto& d : *it) {
      if (!d.is_string()) {
        return Status::Corruption(where + ": \"dependencies\" must hold addresses (strings)");
      }
      r.dependencies.push_back(d.get<std::string>());
    }
  }
  CROSSLINK_RETURN_IF_ERROR(OptString(v, "created_at", where, &r.created_at));
  CROSSLINK_RETURN_IF_ERROR(OptString(v, "updated_at", where, &r.updated_at));
  return r;
}

Result<Value> StateToJson(const State& state, const std::optional<EncryptionInfo>& encryption,
                          const Cipher* cipher) {
  Value doc = Value::object();
  doc["format_version"] = kStateFormatVersion;
  doc["tool_version"] = state.tool_version.empty() ? std::string(kVersion) : state.tool_version;
  doc["lineage"] = state.lineage;
  doc["serial"] = state.serial;
  if (encryption) doc["encryption"] = EncryptionToJson(*encryption);
  Value resources = Value::array();
  for (const auto& [address, r] : state.resources) {  // std::map: sorted by address
    auto v = ResourceToJson(r, cipher);
    if (!v.ok()) return v.status();
    resources.push_back(std::move(*v));
  }
  doc["resources"] = std::move(resources);
  return doc;
}

Result<std::string> SerializeState(const State& state,
                                   const std::optional<EncryptionInfo>& encryption,
                                   const Cipher* cipher) {
  auto doc = StateToJson(state, encryption, cipher);
  if (!doc.ok()) return doc.status();
  return DumpJsonPretty(*doc) + "\n";
}

Result<Value> ParseStateDocument(std::string_view text) {
  auto doc = ParseJson(text);
  if (!doc.ok()) return Status::Corruption("not a state file: " + doc.status().message());
  if (!doc->is_object()) {
    return Status::Corruption("not a state file: the top level is not an object");
  }
  auto it = doc->find("format_version");
  if (it == doc->end() || !it->is_number_integer()) {
    return Status::Corruption("not a state file: \"format_version\" is missing or not an integer");
  }
  int64_t version = it->get<int64_t>();
  if (version > kStateFormatVersion) {
    std::string writer;
    if (auto tv = doc->find("tool_version"); tv != doc->end() && tv->is_string()) {
      writer = " (written by crosslink " + tv->get<std::string>() + ")";
    }
    return Status::FailedPrecondition(
        "the state has format_version " + std::to_string(version) + writer + ", but crosslink " +
        kVersion + " reads format_version " + std::to_string(kStateFormatVersion) +
        " only; upgrade crosslink to use this state");
  }
  if (version < 1) {
    return Status::Corruption("not a state file: unknown format_version " +
                              std::to_string(version));
  }
  return std::move(*doc);
}

Result<std::optional<EncryptionInfo>> EncryptionFromDocument(const Value& doc) {
  auto it = doc.find("encryption");
  if (it == doc.end() || it->is_null()) return std::optional<EncryptionInfo>();
  auto info = EncryptionFromJson(*it);
  if (!info.ok()) return info.status();
  return std::optional<EncryptionInfo>(std::move(*info));
}

Result<State> StateFromDocument(const Value& doc, const Cipher* cipher) {
  State st;
  st.format_version = kStateFormatVersion;
  CROSSLINK_RETURN_IF_ERROR(OptString(doc, "tool_version", "state", &st.tool_version));
  CROSSLINK_RETURN_IF_ERROR(OptString(doc, "lineage", "state", &st.lineage));
  if (auto it = doc.find("serial"); it != doc.end()) {
    if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0)) {
      return Status::Corruption("state: \"serial\" must be a non-negative integer");
    }
    st.serial = it->get<uint64_t>();
  }
  auto it = doc.find("resources");
  if (it == doc.end() || it->is_null()) return st;
  if (!it->is_array()) return Status::Corruption("state: \"resources\" must be an array");
  size_t index = 0;
  for (const auto& rv : *it) {
    auto r = ResourceFromJson(rv, cipher);
    if (!r.ok()) return r.status().WithContext("state: resources[" + std::to_string(index) + "]");
    std::string address = r->address;
    if (!st.resources.emplace(address, std::move(*r)).second) {
      return Status::Corruption("state: resource " + address + " appears twice");
    }
    ++index;
  }
  return st;
}

bool HasSensitiveOutputs(const State& state) {
  for (const auto& [address, r] : state.resources) {
    if (!r.sensitive_outputs.empty()) return true;
  }
  return false;
}

}  // namespace crosslink::state
