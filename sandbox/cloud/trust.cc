// Trust settings rules and their meaning for the nodes (see trust.h).

#include "sandbox/cloud/trust.h"

#include <algorithm>

#include "engine/core/clock.h"
#include "engine/core/pki.h"
#include "sandbox/net/net.h"

namespace crosslink::sandbox::cloud {

namespace {

void AddUnique(std::vector<std::string>* list, const std::string& value) {
  if (std::find(list->begin(), list->end(), value) == list->end()) list->push_back(value);
}

std::vector<std::string> Strings(const Value& obj, const char* key) {
  std::vector<std::string> out;
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_array()) return out;
  for (const Value& v : obj[key]) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

const Value& List(const Value& trust, const char* key) {
  static const Value kEmpty = Value::array();
  if (!trust.is_object() || !trust.contains(key) || !trust[key].is_array()) return kEmpty;
  return trust[key];
}

// Lower-case letters and digits, 32 characters at most. Dots and dashes are
// tolerated inside (the ECH->ECK guide enters "<namespace>.es.local", which the
// UI accepts; DOMAIN.md marks the API rule VERIFY).
bool ValidScope(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    if (!ok) return false;
  }
  return s.front() != '.' && s.front() != '-' && s.back() != '.' && s.back() != '-';
}

ApiError Invalid(const std::string& field, const std::string& message) {
  ApiError e;
  e.status = 400;
  e.code = "root.invalid_data";
  e.message = message;
  e.fields = {field};
  return e;
}

void AddScopePatterns(bool trust_all, const std::vector<std::string>& allowlist,
                      const std::string& scope, bool generic, std::vector<std::string>* out) {
  if (trust_all) {
    AddUnique(out, "*.node.*.cluster." + scope + ".account");
    if (generic) AddUnique(out, "*.node.*." + scope);
    return;
  }
  for (const std::string& id : allowlist) {
    AddUnique(out, "*.node." + id + ".cluster." + scope + ".account");
    if (generic) AddUnique(out, "*.node." + id + "." + scope);
  }
}

}  // namespace

std::string NodeCommonName(const std::string& node, const std::string& cluster_id,
                           const std::string& scope_id) {
  return node + ".node." + cluster_id + ".cluster." + scope_id;
}

std::string NodeOtherName(const std::string& node, const std::string& cluster_id,
                          const std::string& scope_id) {
  return NodeCommonName(node, cluster_id, scope_id) + ".account";
}

Value DefaultTrust(const std::string& own_account_id) {
  return Value{{"accounts", Value::array({Value{{"account_id", own_account_id},
                                                {"name", "Default trust for own organization"},
                                                {"trust_all", true}}})}};
}

std::optional<ApiError> CheckTrust(const Value& trust, const std::string& field,
                                   const TrustRelationships& relationships) {
  if (trust.is_null()) return std::nullopt;
  const Value& accounts = List(trust, "accounts");
  for (size_t i = 0; i < accounts.size(); ++i) {
    std::string f = field + ".accounts[" + std::to_string(i) + "]";
    if (accounts[i].value("account_id", "").empty()) return Invalid(f + ".account_id", "account_id must not be empty");
    for (const std::string& id : Strings(accounts[i], "trust_allowlist")) {
      if (id.empty()) return Invalid(f + ".trust_allowlist", "trust_allowlist entries must be cluster ids");
    }
  }
  const Value& external = List(trust, "external");
  for (size_t i = 0; i < external.size(); ++i) {
    std::string f = field + ".external[" + std::to_string(i) + "]";
    std::string id = external[i].value("trust_relationship_id", "");
    auto it = relationships.find(id);
    if (it == relationships.end() || it->second.local) {
      return Invalid(f + ".trust_relationship_id", "Trust relationship [" + id + "] does not exist");
    }
  }
  const Value& direct = List(trust, "direct");
  for (size_t i = 0; i < direct.size(); ++i) {
    const Value& d = direct[i];
    std::string f = field + ".direct[" + std::to_string(i) + "]";
    std::string type = d.value("type", "generic");
    bool trust_all = d.value("trust_all", false);
    std::vector<std::string> allowlist = Strings(d, "trust_allowlist");
    std::vector<std::string> node_names = Strings(d, "additional_node_names");
    bool has_scope = d.contains("scope_id") && !d["scope_id"].is_null();
    std::string scope = has_scope && d["scope_id"].is_string() ? d["scope_id"].get<std::string>() : "";
    const Value& certs = d.contains("certificates") && d["certificates"].is_array() ? d["certificates"] : Value::array();
    if (certs.empty()) return Invalid(f + ".certificates", "At least one certificate is required");
    for (size_t c = 0; c < certs.size(); ++c) {
      std::string pem = certs[c].value("pem", "");
      if (pki::SplitPemCertificates(pem).empty() || !pki::InspectCertificate(pem).ok()) {
        return Invalid(f + ".certificates[" + std::to_string(c) + "].pem",
                       "The certificate is not a valid PEM encoded X509 certificate");
      }
    }
    if (type == "proxy") {
      if (trust_all) return Invalid(f + ".trust_all", "trust_all must be false when type is proxy");
      if (d.contains("trust_allowlist") && !d["trust_allowlist"].is_null()) {
        return Invalid(f + ".trust_allowlist", "trust_allowlist must be omitted when type is proxy");
      }
      if (has_scope) return Invalid(f + ".scope_id", "scope_id must be omitted when type is proxy");
      if (d.contains("additional_node_names") && !d["additional_node_names"].is_null()) {
        return Invalid(f + ".additional_node_names", "additional_node_names must be omitted when type is proxy");
      }
      continue;
    }
    if (has_scope && !ValidScope(scope)) {
      return Invalid(f + ".scope_id", "scope_id [" + scope + "] must be a lowercase alphanumerical string of at most 32 characters");
    }
    if (!has_scope && (trust_all || !allowlist.empty())) {
      return Invalid(f + ".scope_id", "scope_id is required when trust_all is true or trust_allowlist is not empty");
    }
    if (!has_scope && node_names.empty()) {
      return Invalid(f + ".additional_node_names", "additional_node_names is mandatory when scope_id is not defined");
    }
    for (const std::string& n : node_names) {
      if (n.empty() || n.find('*') != std::string::npos || n.find('?') != std::string::npos) {
        return Invalid(f + ".additional_node_names", "Wildcards are not allowed in additional_node_names: [" + n + "]");
      }
    }
  }
  return std::nullopt;
}

Value NormalizeTrust(Value trust, const TrustRelationships& relationships,
                     const std::function<std::string()>& new_uid) {
  if (!trust.is_object()) return trust;
  if (trust.contains("direct") && trust["direct"].is_array()) {
    for (Value& d : trust["direct"]) {
      if (!d.contains("uid") || !d["uid"].is_string() || d["uid"].get<std::string>().empty()) d["uid"] = new_uid();
      if (!d.contains("type") || d["type"].is_null()) d["type"] = "generic";
      if (!d.contains("certificates") || !d["certificates"].is_array()) continue;
      for (Value& c : d["certificates"]) {
        Result<pki::CertificateInfo> info = pki::InspectCertificate(c.value("pem", ""));
        if (!info.ok()) continue;
        c["metadata"] = {{"fingerprint", info->sha256_fingerprint},
                         {"valid_from", FormatUtc(info->not_before)},
                         {"valid_to", FormatUtc(info->not_after)}};
      }
    }
  }
  if (trust.contains("external") && trust["external"].is_array()) {
    for (Value& e : trust["external"]) {
      auto it = relationships.find(e.value("trust_relationship_id", ""));
      if (it != relationships.end()) e["name"] = it->second.name;
    }
  }
  return trust;
}

DerivedTrust DeriveTrust(const Value& trust, const std::string& own_cluster_id,
                         const std::string& own_scope_id,
                         const TrustRelationships& relationships) {
  DerivedTrust out;
  AddUnique(&out.transport_trust_restrictions,
            "*.node." + own_cluster_id + ".cluster." + own_scope_id + ".account");
  for (const Value& a : List(trust, "accounts")) {
    AddScopePatterns(a.value("trust_all", false), Strings(a, "trust_allowlist"),
                     a.value("account_id", ""), false, &out.transport_trust_restrictions);
  }
  for (const Value& e : List(trust, "external")) {
    auto it = relationships.find(e.value("trust_relationship_id", ""));
    if (it == relationships.end()) continue;
    for (const std::string& pem : pki::SplitPemCertificates(it->second.public_ca_cert)) {
      AddUnique(&out.transport_ca_pems, pem);
    }
    AddScopePatterns(e.value("trust_all", false), Strings(e, "trust_allowlist"),
                     it->second.installation_id, false, &out.transport_trust_restrictions);
  }
  for (const Value& d : List(trust, "direct")) {
    std::string type = d.value("type", "generic");
    std::vector<std::string> pems;
    if (d.contains("certificates") && d["certificates"].is_array()) {
      for (const Value& c : d["certificates"]) {
        for (const std::string& pem : pki::SplitPemCertificates(c.value("pem", ""))) pems.push_back(pem);
      }
    }
    if (type == "proxy") {
      for (const std::string& pem : pems) AddUnique(&out.rcs_client_ca_pems, pem);
      continue;
    }
    for (const std::string& pem : pems) AddUnique(&out.transport_ca_pems, pem);
    std::string scope = d.contains("scope_id") && d["scope_id"].is_string() ? d["scope_id"].get<std::string>() : "";
    if (!scope.empty()) {
      AddScopePatterns(d.value("trust_all", false), Strings(d, "trust_allowlist"), scope,
                       type == "generic", &out.transport_trust_restrictions);
    }
    for (const std::string& n : Strings(d, "additional_node_names")) {
      AddUnique(&out.transport_trust_restrictions, n);
    }
  }
  return out;
}

bool TrustsCluster(const Value& trust, const std::string& own_cluster_id,
                   const std::string& own_scope_id, const TrustRelationships& relationships,
                   const std::string& cluster_id, const std::string& scope_id) {
  DerivedTrust derived = DeriveTrust(trust, own_cluster_id, own_scope_id, relationships);
  std::string name = NodeOtherName("instance-0000000000", cluster_id, scope_id);
  for (const std::string& pattern : derived.transport_trust_restrictions) {
    if (net::GlobMatch(pattern, name)) return true;
  }
  return false;
}

}  // namespace crosslink::sandbox::cloud
