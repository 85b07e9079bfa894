#include "engine/topology/topology.h"

namespace crosslink::topology {

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
