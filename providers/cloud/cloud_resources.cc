// Pure resource logic of the ech / ece providers (cloud_resources.h).

#include "providers/cloud/cloud_resources.h"

#include <tuple>

#include "engine/core/pki.h"
#include "engine/graph/resource.h"
#include "providers/ca_lists.h"

namespace crosslink::providers::cloud {
namespace {

std::string Str(const Value& v, const char* key) {
  if (!v.is_object() || !v.contains(key) || !v[key].is_string()) return "";
  return v[key].get<std::string>();
}

const Value& Field(const Value& v, const char* key) {
  static const Value null;
  if (!v.is_object() || !v.contains(key)) return null;
  return v[key];
}

bool ParseVersion(const std::string& text, std::tuple<int, int, int>* out) {
  int parts[3] = {0, 0, 0};
  size_t part = 0;
  bool digit = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      if (parts[part] > 100000) return false;
      parts[part] = parts[part] * 10 + (c - '0');
      digit = true;
    } else if (c == '.' && digit && part < 2) {
      ++part;
      digit = false;
    } else if (c == '-' || c == '+') {
      break;  // "8.15.0-SNAPSHOT"
    } else {
      return false;
    }
  }
  if (!digit && part == 0) return false;
  *out = {parts[0], parts[1], parts[2]};
  return true;
}

Value Pems(const std::vector<std::string>& pems) {
  Value out = Value::array();
  std::set<std::string> seen;
  for (const std::string& pem : pems) {
    std::string n = NormalizePem(pem);
    if (!n.empty() && seen.insert(n).second) out.push_back(n);
  }
  return out;
}

}  // namespace

std::string ScopeOfTrustRestriction(const std::string& restriction) {
  const std::string cluster = ".cluster.";
  const std::string account = ".account";
  size_t start = restriction.find(cluster);
  if (start == std::string::npos) return "";
  start += cluster.size();
  size_t end = restriction.find(account, start);
  if (end == std::string::npos || end + account.size() != restriction.size()) return "";
  std::string scope = restriction.substr(start, end - start);
  if (scope.empty() || scope.find('*') != std::string::npos ||
      scope.find('.') != std::string::npos) {
    return "";
  }
  return scope;
}

Value DeploymentOutputs(const Deployment& d, const std::string& account_id) {
  return Value{{"endpoint", d.endpoint},
               {"cluster_id", d.cluster_id},
               {"account_id", account_id},
               {"version", d.version},
               {"remote_cluster_address", d.endpoint + ":" + std::to_string(kRemoteClusterPort)},
               {"transport_address", d.endpoint + ":" + std::to_string(d.transport_port)}};
}

Value CertificateAuthorityOutputs(const Value& ca) {
  std::vector<std::string> pems;
  const Value& certs = Field(ca, "public_certificates");
  if (certs.is_array()) {
    for (const Value& c : certs) {
      const std::string pem = Str(c, "pem");
      for (const std::string& one : pki::SplitPemCertificates(pem)) pems.push_back(one);
    }
  }
  return Value{{"ca_pems", Pems(pems)},
               {"trust_restriction", Str(ca, "recommended_trust_restriction")}};
}

std::vector<std::string> ChainPems(const Value& chain) {
  std::vector<std::string> out;
  const Value& list = Field(chain, "chain");
  if (!list.is_array()) return out;
  for (const Value& item : list) {
    if (!item.is_string()) continue;
    for (const std::string& pem : pki::SplitPemCertificates(item.get<std::string>())) {
      out.push_back(pem);
    }
  }
  return out;
}

Result<Value> ProxyCaOutputs(const Value& chain, bool publicly_trusted) {
  std::vector<std::string> pems = ChainPems(chain);
  if (pems.empty()) {
    return Status::FailedPrecondition(
        "the ECE proxy certificate chain (GET /platform/configuration/security/tls/proxy) is "
        "empty: check Platform > Settings > TLS certificates > Proxy in the ECE admin console");
  }
  Value root = Pems({pems.back()});
  return Value{{"ca_pems", root}, {"private_ca_pems", publicly_trusted ? Value::array() : root}};
}

Result<Value> InstallationOutputs(const Value& relationships, const std::string& environment) {
  if (relationships.is_array()) {
    for (const Value& r : relationships) {
      if (!Field(r, "local").is_boolean() || !r["local"].get<bool>()) continue;
      const std::string id = Str(r, "installation_id");
      std::string account = id;
      const Value& accounts = Field(r, "account_ids");
      if (accounts.is_array() && !accounts.empty() && accounts[0].is_string()) {
        account = accounts[0].get<std::string>();
      }
      Value ca = Pems(pki::SplitPemCertificates(Str(r, "public_ca_cert")));
      if (id.empty() || ca.empty()) break;
      return Value{{"installation_id", id},
                   {"environment_id", id},
                   {"account_id", account},
                   {"ca_pems", ca}};
    }
  }
  return Status::FailedPrecondition(
      "ECE environment \"" + environment +
      "\" reports no local trust relationship with an installation id and a CA certificate "
      "(GET /platform/configuration/trust-relationships?filter=local&include_certificate=true); "
      "check Platform > Trust management in the ECE admin console and that the API key has the "
      "platform admin role");
}

LiveObject ReadKeystoreCredential(const Value& attributes, const state::ResourceState* prior,
                                  const std::set<std::string>& names) {
  LiveObject live;
  const std::string setting = Str(attributes, "setting");
  live.exists = !setting.empty() && names.count(setting) > 0;
  if (!live.exists) return live;
  if (prior != nullptr) {
    // Values cannot be read back: what crosslink wrote is what the state says.
    live.managed_by_crosslink = true;
    live.attributes = prior->attributes;
    live.outputs = Value{{"key_id", Field(prior->attributes, "key_id")}};
    if (prior->outputs.is_object() && prior->outputs.contains("key_id")) {
      live.outputs["key_id"] = prior->outputs["key_id"];
    }
    return live;
  }
  // Someone else's entry (or one written by a run that crashed before saving
  // its state): the name only, no key id.
  live.attributes = Value::object();
  for (const char* key : {"deployment_id", "ref_id", "setting"}) {
    if (attributes.is_object() && attributes.contains(key)) live.attributes[key] = attributes[key];
  }
  return live;
}

const Value* FindRelationship(const Value& relationships, const std::string& name) {
  if (!relationships.is_array() || name.empty()) return nullptr;
  for (const Value& r : relationships) {
    if (Field(r, "local").is_boolean() && r["local"].get<bool>()) continue;
    if (Str(r, "name") == name) return &r;
  }
  return nullptr;
}

LiveObject ReadTrustRelationship(const Value& attributes, const state::ResourceState* prior,
                                 const Value& relationships) {
  LiveObject live;
  const std::string name = Str(attributes, "name");
  const Value* r = FindRelationship(relationships, name);
  if (r == nullptr) return live;
  live.exists = true;
  live.managed_by_crosslink = name.rfind(kMarkPrefix, 0) == 0 || prior != nullptr;
  Value accounts = Field(*r, "account_ids");
  if (!accounts.is_array()) accounts = Value::array();
  live.attributes = Value{
      {"name", name},
      {"installation_id", Str(*r, "installation_id")},
      {"certificates", Value::array({Pems(pki::SplitPemCertificates(Str(*r, "public_ca_cert")))})},
      {"account_ids", accounts},
      {"trust_by_default",
       Field(*r, "trust_by_default").is_boolean() ? (*r)["trust_by_default"].get<bool>() : false}};
  live.outputs = Value{{"id", Str(*r, "id")}};
  if (prior != nullptr) EchoEquivalentCaLists(prior->attributes, &live);
  return live;
}

Result<Value> TrustRelationshipBody(const Value& attributes) {
  std::vector<std::string> pems = FlattenPems(Field(attributes, "certificates"));
  const std::string name = Str(attributes, "name");
  if (name.empty()) {
    return Status::InvalidArgument(
        "ECE trust relationship has no `name` (crosslink names it crosslink-<peer environment>)");
  }
  if (pems.empty()) {
    return Status::InvalidArgument("ECE trust relationship \"" + name +
                                   "\" has no CA certificate of the other installation to trust");
  }
  std::string joined;
  for (const std::string& pem : pems) joined += pem;
  Value body{{"name", name},
             {"public_ca_cert", joined},
             {"installation_id", Str(attributes, "installation_id")},
             {"trust_by_default", Field(attributes, "trust_by_default").is_boolean()
                                      ? attributes["trust_by_default"].get<bool>()
                                      : false}};
  Value accounts = Value::array();
  for (const std::string& a : FlattenStrings(Field(attributes, "account_ids"))) {
    accounts.push_back(a);
  }
  body["account_ids"] = accounts;
  return body;
}

std::vector<Orphan> RelationshipOrphans(const std::string& environment, const Value& relationships,
                                        const std::set<std::string>& known) {
  std::vector<Orphan> out;
  if (!relationships.is_array()) return out;
  for (const Value& r : relationships) {
    if (Field(r, "local").is_boolean() && r["local"].get<bool>()) continue;
    const std::string name = Str(r, "name");
    if (name.rfind(kMarkPrefix, 0) != 0) continue;
    const std::string peer = name.substr(sizeof(kMarkPrefix) - 1);
    bool valid = !peer.empty();
    for (char c : peer) {
      valid &= (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    }
    if (!valid) continue;
    const std::string address = "ece_trust_relationship." + environment + "." + peer;
    if (known.count(address) > 0) continue;
    Orphan o;
    o.address = address;
    o.type = "ece_trust_relationship";
    o.description = "ECE trust relationship '" + name + "' (id " + Str(r, "id") +
                    ") on environment \"" + environment + "\"";
    o.live = ReadTrustRelationship(Value{{"name", name}}, nullptr, relationships);
    o.live.managed_by_crosslink = true;
    out.push_back(std::move(o));
  }
  return out;
}

std::optional<bool> VersionBelow(const std::string& version, const std::string& bound) {
  std::tuple<int, int, int> v, b;
  if (!ParseVersion(version, &v) || !ParseVersion(bound, &b)) return std::nullopt;
  return v < b;
}

std::string RestartBound(const Value& attributes) {
  const std::string bound = Str(attributes, "below_version");
  return bound.empty() ? kDefaultRestartBelow : bound;
}

bool RestartNeeded(ChangeAction action, const Value& attributes, const Value* prior_attributes,
                   const std::string& version) {
  std::optional<bool> below = VersionBelow(version, RestartBound(attributes));
  // An unknown version restarts: a missed keystore reload breaks the
  // connection, a restart too many costs only time.
  if (below.has_value() && !*below) return false;
  if (action == ChangeAction::kCreate || action == ChangeAction::kReplace) return true;
  if (action != ChangeAction::kUpdate) return false;
  if (prior_attributes == nullptr) return true;
  return Field(*prior_attributes, "credential_key_ids") != Field(attributes, "credential_key_ids");
}

PlanResponse PlanResource(const PlanRequest& req) {
  PlanResponse resp = Provider::DefaultPlan(req);
  if (req.desired == nullptr || req.desired->type != "ec_restart") return resp;
  if (resp.action != ChangeAction::kCreate && resp.action != ChangeAction::kUpdate) return resp;
  graph::Reference ref;
  const Value& version = Field(req.attributes, "version");
  const std::string bound = RestartBound(req.attributes);
  if (graph::IsRef(version, &ref) || !version.is_string()) {
    resp.reason = "restarts the deployment if its Elasticsearch version is below " + bound;
    return resp;
  }
  const Value* prior = req.prior != nullptr ? &req.prior->attributes : nullptr;
  const std::string v = version.get<std::string>();
  if (RestartNeeded(resp.action, req.attributes, prior, v)) {
    resp.reason = "restarts the deployment: Elasticsearch " + v + " is below " + bound +
                  " and reloads its keystore only on a restart";
    return resp;
  }
  resp.restart_not_needed = true;
  std::optional<bool> below = VersionBelow(v, bound);
  resp.reason = below.has_value() && *below
                    ? "no restart: the credentials in the keystore did not change"
                    : "no restart: Elasticsearch " + v + " reloads its keystore by itself";
  return resp;
}

}  // namespace crosslink::providers::cloud
