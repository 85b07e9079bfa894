// GET/PUT /_cluster/settings: persistent and transient dynamic settings with
// Elasticsearch's validation of the cluster.remote.* family, plus the
// filter_path response filter.

#include <algorithm>
#include <cctype>
#include <set>

#include "sandbox/es/internal.h"

namespace crosslink::sandbox::es {

namespace {

enum class Kind { kString, kBool, kPositiveInt, kTime, kEnum, kAddress, kAddressList };

struct SettingDef {
  Kind kind = Kind::kString;
  bool dynamic = true;
  std::string mode;  // "" any, "sniff", "proxy"
  std::vector<std::string> values;  // kEnum (lower case)
  std::string enum_class;           // for ES's "No enum constant" message
};

const std::map<std::string, SettingDef>& AliasSettings() {
  static const std::map<std::string, SettingDef> kDefs = {
      {"mode", {Kind::kEnum, true, "", {"sniff", "proxy"},
                "org.elasticsearch.transport.RemoteConnectionStrategy.ConnectionStrategy"}},
      {"skip_unavailable", {Kind::kBool}},
      {"seeds", {Kind::kAddressList, true, "sniff"}},
      {"node_connections", {Kind::kPositiveInt, true, "sniff"}},
      {"proxy_address", {Kind::kAddress, true, "proxy"}},
      {"proxy_socket_connections", {Kind::kPositiveInt, true, "proxy"}},
      {"server_name", {Kind::kString, true, "proxy"}},
      {"transport.compress", {Kind::kEnum, true, "", {"true", "false", "indexing_data"},
                              "org.elasticsearch.transport.Compression.Enabled"}},
      {"transport.compression_scheme", {Kind::kEnum, true, "", {"deflate", "lz4"},
                                        "org.elasticsearch.transport.Compression.Scheme"}},
      {"transport.ping_schedule", {Kind::kTime}},
  };
  return kDefs;
}

const std::map<std::string, SettingDef>& GlobalSettings() {
  static const std::map<std::string, SettingDef> kDefs = {
      {"cluster.remote.initial_connect_timeout", {Kind::kTime, false}},
      {"cluster.remote.node.attr", {Kind::kString, false}},
      {"cluster.remote.connections_per_cluster", {Kind::kPositiveInt, false}},
      {"indices.recovery.max_bytes_per_sec", {Kind::kString}},
      {"action.auto_create_index", {Kind::kString}},
      {"action.destructive_requires_name", {Kind::kBool}},
      {"cluster.routing.allocation.enable",
       {Kind::kEnum, true, "", {"all", "primaries", "new_primaries", "none"},
        "org.elasticsearch.cluster.routing.allocation.decider.EnableAllocationDecider.Allocation"}},
      {"cluster.max_shards_per_node", {Kind::kPositiveInt}},
      {"search.max_buckets", {Kind::kPositiveInt}},
      {"xpack.monitoring.collection.enabled", {Kind::kBool}},
  };
  return kDefs;
}

bool ValidAlias(const std::string& alias) {
  if (alias.empty()) return false;
  return std::all_of(alias.begin(), alias.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; });
}

// The definition for `key`; alias/suffix filled for per-alias settings.
const SettingDef* Lookup(const std::string& key, std::string* alias, std::string* suffix) {
  auto g = GlobalSettings().find(key);
  if (g != GlobalSettings().end()) return &g->second;
  const std::string prefix = "cluster.remote.";
  if (key.rfind(prefix, 0) != 0) return nullptr;
  std::string rest = key.substr(prefix.size());
  auto dot = rest.find('.');
  if (dot == std::string::npos) return nullptr;
  std::string a = rest.substr(0, dot), s = rest.substr(dot + 1);
  auto it = AliasSettings().find(s);
  if (it == AliasSettings().end() || !ValidAlias(a)) return nullptr;
  if (alias) *alias = a;
  if (suffix) *suffix = s;
  return &it->second;
}

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), ::toupper);
  return s;
}

// "" when `address` is host:port (IPv6 in brackets), else the ES reason.
std::string CheckAddress(const std::string& address) {
  std::string bad = "remote hosts need to be configured as [host:port], found [" + address + "] instead";
  std::string host, port;
  if (!address.empty() && address[0] == '[') {
    auto close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') return bad;
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    auto colon = address.rfind(':');
    if (colon == std::string::npos || colon + 1 == address.size()) return bad;
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    if (host.find(':') != std::string::npos) return bad;
  }
  if (host.empty()) return bad;
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoi(port) > 65535) {
    return "failed to parse port";
  }
  return "";
}

// "" when valid, else the ES reason.
std::string CheckValue(const std::string& key, const SettingDef& def, const Value& value) {
  auto text = [](const Value& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  if (def.kind == Kind::kAddressList) {
    std::vector<std::string> items;
    if (value.is_array()) {
      for (const auto& v : value) items.push_back(text(v));
    } else {
      for (auto& s : SplitString(text(value), ',')) {
        if (!s.empty()) items.push_back(s);
      }
    }
    for (const auto& item : items) {
      if (auto e = CheckAddress(item); !e.empty()) return e;
    }
    return "";
  }
  if (value.is_array() || value.is_object()) return "Failed to parse value for setting [" + key + "]";
  std::string v = text(value);
  switch (def.kind) {
    case Kind::kString:
      return "";
    case Kind::kBool:
      return v == "true" || v == "false" ? "" : "Failed to parse value [" + v + "] as only [true] or [false] are allowed.";
    case Kind::kPositiveInt: {
      size_t digits = !v.empty() && v[0] == '-' ? 1 : 0;  // a sign, then digits only
      if (v.size() == digits || v.find_first_not_of("0123456789", digits) != std::string::npos || v.size() > 9) {
        return "Failed to parse value [" + v + "] for setting [" + key + "]";
      }
      if (std::stoi(v) < 1) return "Failed to parse value [" + v + "] for setting [" + key + "] must be >= 1";
      return "";
    }
    case Kind::kTime:
      return ParseTimeValueMillis(v) ? ""
                                     : "failed to parse setting [" + key + "] with value [" + v +
                                           "] as a time value: unit is missing or unrecognized";
    case Kind::kEnum: {
      std::string lower = v;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      if (std::find(def.values.begin(), def.values.end(), lower) != def.values.end()) return "";
      return "No enum constant " + def.enum_class + "." + Upper(v);
    }
    case Kind::kAddress:
      return CheckAddress(v);
    case Kind::kAddressList:
      break;
  }
  return "";
}

// Flattens {"cluster":{"remote":{"a":{"mode":"proxy"}}}} into dotted keys;
// scalars become strings, arrays arrays of strings, null stays null.
void Flatten(const Value& node, const std::string& prefix, std::map<std::string, Value>* out) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      Flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    }
    return;
  }
  if (node.is_null()) {
    (*out)[prefix] = nullptr;
  } else if (node.is_array()) {
    Value list = Value::array();
    for (const auto& v : node) list.push_back(v.is_string() ? v.get<std::string>() : v.dump());
    (*out)[prefix] = list;
  } else {
    (*out)[prefix] = node.is_string() ? node.get<std::string>() : node.dump();
  }
}

Value Nest(const std::map<std::string, Value>& flat) {
  Value out = Value::object();
  for (const auto& [key, value] : flat) {
    Value* cur = &out;
    auto parts = SplitString(key, '.');
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      Value& next = (*cur)[parts[i]];
      if (!next.is_object()) next = Value::object();
      cur = &next;
    }
    (*cur)[parts.back()] = value;
  }
  return out;
}

Value Render(const std::map<std::string, Value>& flat, bool flat_settings) {
  if (flat_settings) {
    Value out = Value::object();
    for (const auto& [k, v] : flat) out[k] = v;
    return out;
  }
  return Nest(flat);
}

bool TrueParam(const net::HttpRequest& r, const char* name) {
  return r.HasQuery(name) && (r.Query(name).empty() || r.Query(name) == "true");
}

// ------------------------------------------------------------ filter_path
void Consume(const std::vector<std::string>& ks, size_t i, const std::vector<std::string>& pat, size_t j,
             bool* whole, std::vector<std::vector<std::string>>* remaining) {
  if (j == pat.size()) {
    *whole = true;
    return;
  }
  if (i == ks.size()) {
    remaining->emplace_back(pat.begin() + static_cast<long>(j), pat.end());
    return;
  }
  if (pat[j] == "**") {
    Consume(ks, i, pat, j + 1, whole, remaining);
    Consume(ks, i + 1, pat, j, whole, remaining);
    return;
  }
  if (net::GlobMatch(pat[j], ks[i])) Consume(ks, i + 1, pat, j + 1, whole, remaining);
}

Value FilterNode(const Value& node, const std::vector<std::vector<std::string>>& patterns) {
  if (node.is_array()) {
    Value out = Value::array();
    for (const auto& item : node) {
      Value f = FilterNode(item, patterns);
      if (!(f.is_object() && f.empty())) out.push_back(f);
    }
    return out;
  }
  Value out = Value::object();
  if (!node.is_object()) return out;
  for (auto it = node.begin(); it != node.end(); ++it) {
    auto ks = SplitString(it.key(), '.');
    bool whole = false;
    std::vector<std::vector<std::string>> remaining;
    for (const auto& p : patterns) Consume(ks, 0, p, 0, &whole, &remaining);
    if (whole) {
      out[it.key()] = it.value();
    } else if (!remaining.empty() && (it.value().is_object() || it.value().is_array())) {
      Value child = FilterNode(it.value(), remaining);
      if (!child.empty()) out[it.key()] = child;
    }
  }
  return out;
}

}  // namespace

Value ApplyFilterPath(const Value& body, const std::string& filter_path) {
  std::vector<std::vector<std::string>> patterns;
  for (const auto& p : SplitString(filter_path, ',')) {
    if (p.empty() || p[0] == '-') continue;  // exclusions are not supported by the twin
    patterns.push_back(SplitString(p, '.'));
  }
  if (patterns.empty()) return body;
  return FilterNode(body, patterns);
}

std::map<std::string, Value> Twin::State::EffectiveSettings() const {
  std::map<std::string, Value> out;
  for (const auto& [k, v] : config.static_settings) out[k] = v;
  for (const auto& [k, v] : persistent) out[k] = v;
  for (const auto& [k, v] : transient) out[k] = v;
  return out;
}

std::string Twin::State::EffectiveString(const std::string& key) const {
  auto all = EffectiveSettings();
  auto it = all.find(key);
  if (it == all.end()) return "";
  return it->second.is_string() ? it->second.get<std::string>() : it->second.dump();
}

net::HttpResponse Twin::State::GetSettings(const RequestContext& ctx) {
  bool flat = TrueParam(ctx.request, "flat_settings");
  Value v = {{"persistent", Render(persistent, flat)}, {"transient", Render(transient, flat)}};
  if (TrueParam(ctx.request, "include_defaults")) {
    std::map<std::string, Value> defaults = {{"cluster.remote.initial_connect_timeout", "30s"},
                                             {"cluster.remote.node.attr", ""},
                                             {"cluster.remote.connections_per_cluster", "3"},
                                             {"action.destructive_requires_name", "true"}};
    // Node settings from elasticsearch.yml show up among the defaults.
    for (const auto& [k, val] : config.static_settings) defaults[k] = val;
    for (const auto& [k, val] : persistent) defaults.erase(k);
    for (const auto& [k, val] : transient) defaults.erase(k);
    v["defaults"] = Render(defaults, flat);
  }
  return net::HttpResponse::Json(200, v);
}

net::HttpResponse Twin::State::PutSettings(const RequestContext& ctx) {
  Value body;
  net::HttpResponse error;
  if (!ParseBody(ctx.request, true, &body, &error)) return error;
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (it.key() != "persistent" && it.key() != "transient") {
      return UnknownField("cluster_update_settings_request", it.key());
    }
    if (!it.value().is_object() && !it.value().is_null()) {
      return EsError(400, "x_content_parse_exception", "[" + it.key() + "] must be an object");
    }
  }
  std::map<std::string, Value> updates[2];
  const char* scopes[2] = {"persistent", "transient"};
  for (int s = 0; s < 2; ++s) {
    if (body.contains(scopes[s]) && body[scopes[s]].is_object()) Flatten(body[scopes[s]], "", &updates[s]);
  }
  if (updates[0].empty() && updates[1].empty()) return ValidationFailed({"no settings to update"});

  std::map<std::string, Value> result[2] = {persistent, transient};
  for (int s = 0; s < 2; ++s) {
    for (const auto& [key, value] : updates[s]) {
      bool wildcard = key.find('*') != std::string::npos;
      if (value.is_null() && wildcard) {
        for (auto it = result[s].begin(); it != result[s].end();) {
          it = net::GlobMatch(key, it->first) ? result[s].erase(it) : std::next(it);
        }
        continue;
      }
      const SettingDef* def = Lookup(key, nullptr, nullptr);
      if (def == nullptr) {
        return BadRequest(std::string(scopes[s]) + " setting [" + key + "], not recognized");
      }
      if (!def->dynamic) {
        return BadRequest(std::string(scopes[s]) + " setting [" + key + "], not dynamically updateable");
      }
      if (value.is_null()) {
        result[s].erase(key);
        continue;
      }
      if (std::string reason = CheckValue(key, *def, value); !reason.empty()) {
        auto old = result[s].find(key);
        std::string from = old == result[s].end() ? "null" : (old->second.is_string() ? old->second.get<std::string>()
                                                                                     : old->second.dump());
        std::string to = value.is_string() ? value.get<std::string>() : value.dump();
        return EsError(400, "illegal_argument_exception",
                       "illegal value can't update [" + key + "] from [" + from + "] to [" + to + "]",
                       Value{{"caused_by", {{"type", "illegal_argument_exception"}, {"reason", reason}}}});
      }
      // Enum values are stored the way they were given (ES keeps the raw string).
      result[s][key] = value;
    }
  }
  // Mode-specific keys must agree with the effective mode of their alias.
  std::map<std::string, Value> effective;
  for (const auto& [k, v] : config.static_settings) effective[k] = v;
  for (const auto& [k, v] : result[0]) effective[k] = v;
  for (const auto& [k, v] : result[1]) effective[k] = v;
  for (int s = 0; s < 2; ++s) {
    for (const auto& [key, value] : result[s]) {
      (void)value;
      std::string alias, suffix;
      const SettingDef* def = Lookup(key, &alias, &suffix);
      if (def == nullptr || def->mode.empty()) continue;
      std::string mode_key = "cluster.remote." + alias + ".mode";
      std::string mode = "sniff";
      if (effective.count(mode_key)) {
        mode = effective[mode_key].get<std::string>();
        std::transform(mode.begin(), mode.end(), mode.begin(), ::tolower);
      }
      if (mode != def->mode) {
        return BadRequest("Setting \"" + key + "\" cannot be used with the configured \"" + mode_key +
                          "\" [required=" + Upper(def->mode) + ", configured=" + Upper(mode) + "]");
      }
    }
  }
  persistent = result[0];
  transient = result[1];
  bool flat = TrueParam(ctx.request, "flat_settings");
  std::map<std::string, Value> changed[2];
  for (int s = 0; s < 2; ++s) {
    for (const auto& [key, value] : updates[s]) {
      if (!value.is_null()) changed[s][key] = value;
    }
  }
  return net::HttpResponse::Json(200, Value{{"acknowledged", true},
                                            {"persistent", Render(changed[0], flat)},
                                            {"transient", Render(changed[1], flat)}});
}

}  // namespace crosslink::sandbox::es
