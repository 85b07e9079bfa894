#include "engine/topology/topology.h"

#include "engine/topology/schema.h"

namespace crosslink::topology {

namespace {

// The schema's default of remote_cluster_certificate.<field> (the schema is
// the one source of defaults); `fallback` only if the schema lacks it.
int CertificateDefault(const char* field, int fallback) {
  Value d = DefinitionDefault("remote_cluster_certificate", field);
  return d.is_number_integer() ? d.get<int>() : fallback;
}

}  // namespace

std::string RemoteClusterCertificate::EffectiveKeyType() const {
  if (key_type) return *key_type;
  Value d = DefinitionDefault("remote_cluster_certificate", "key_type");
  return d.is_string() ? d.get<std::string>() : "ec-p256";
}

int RemoteClusterCertificate::EffectiveValidityDays() const {
  return validity_days.value_or(CertificateDefault("validity_days", 365));
}

int RemoteClusterCertificate::EffectiveCaValidityDays() const {
  return ca_validity_days.value_or(CertificateDefault("ca_validity_days", 1095));
}

int RemoteClusterCertificate::EffectiveRenewBeforeDays() const {
  return renew_before_days.value_or(CertificateDefault("renew_before_days", 30));
}

const char* PlatformName(Platform p) {
  switch (p) {
    case Platform::kEck:
      return "eck";
    case Platform::kEch:
      return "ech";
    case Platform::kEce:
      return "ece";
    case Platform::kSelf:
      return "self";
  }
  return "unknown";
}

const char* SecurityModelName(SecurityModel m) {
  switch (m) {
    case SecurityModel::kApiKey:
      return "api_key";
    case SecurityModel::kCertificate:
      return "certificate";
  }
  return "unknown";
}

const char* ConnectionModeName(ConnectionMode m) {
  switch (m) {
    case ConnectionMode::kProxy:
      return "proxy";
    case ConnectionMode::kSniff:
      return "sniff";
  }
  return "unknown";
}

std::string SecretRef::Describe() const {
  switch (kind) {
    case Kind::kNone:
      return "";
    case Kind::kEnv:
      return "${env:" + name + "}";
    case Kind::kFile:
      return "${file:" + name + "}";
    case Kind::kInline:
      return "(inline)";
  }
  return "";
}

std::string Connection::Describe() const {
  return local + "->" + remote + " (alias " + alias + ")";
}

const Cluster* Topology::FindCluster(const std::string& name) const {
  auto it = clusters.find(name);
  return it == clusters.end() ? nullptr : &it->second;
}

const Environment* Topology::FindEnvironment(const std::string& name) const {
  auto it = environments.find(name);
  return it == environments.end() ? nullptr : &it->second;
}

}  // namespace crosslink::topology
