// The self_* resource types' parts of a node (self_resources.h).

#include "providers/self/self_resources.h"

#include <set>
#include <utility>

#include "engine/core/http.h"
#include "providers/ca_lists.h"
#include "providers/elasticsearch/es_client.h"
#include "providers/self/node_internal.h"

namespace crosslink::providers::self {
namespace {

constexpr const char* kRcsEnabled = "remote_cluster_server.enabled";
constexpr const char* kRcsHost = "remote_cluster.host";
constexpr const char* kRcsPort = "remote_cluster.port";
constexpr const char* kRcsSslEnabled = "xpack.security.remote_cluster_server.ssl.enabled";
constexpr const char* kRcsKeystorePath = "xpack.security.remote_cluster_server.ssl.keystore.path";
constexpr const char* kRcsKeystorePassword =
    "xpack.security.remote_cluster_server.ssl.keystore.secure_password";
constexpr const char* kClientCas =
    "xpack.security.remote_cluster_client.ssl.certificate_authorities";
constexpr const char* kTransportCas = "xpack.security.transport.ssl.certificate_authorities";
constexpr const char* kTrustRestrictionsPath =
    "xpack.security.transport.ssl.trust_restrictions.path";

using elasticsearch::JsonString;
using internal::AddUnique;
using internal::Contains;

// "crosslink/<name>" -> "<name>": crosslink's files live in config/crosslink/.
Result<std::string> FileNameOf(const std::string& type, const char* attribute,
                               const std::string& path) {
  const std::string prefix = std::string(kFilesDir) + "/";
  if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0) {
    return Status::InvalidArgument(type + ": " + attribute + " \"" + path + "\" must be \"" +
                                   prefix +
                                   "<file name>\" (crosslink writes its files under "
                                   "config/crosslink/ of each node)");
  }
  std::string name = path.substr(prefix.size());
  Status valid = ValidateFileName(name);
  if (!valid.ok()) return valid.WithContext(type + ": " + attribute);
  return name;
}

Result<std::string> Required(const std::string& type, const Value& attrs, const char* key) {
  std::string v = JsonString(attrs, key);
  if (v.empty()) {
    return Status::InvalidArgument(type + ": attribute " + key + " must be a non-empty string");
  }
  return v;
}

Result<Secret> SecretInput(const std::string& type, const std::map<std::string, Secret>& secrets,
                           const char* name) {
  auto it = secrets.find(name);
  if (it == secrets.end() || it->second.empty()) {
    return Status::FailedPrecondition(type + ": the secret input " + std::string(name) +
                                      " is missing (its source resource has no value for it; "
                                      "re-create the source with `crosslink apply --replace "
                                      "<its address>`)");
  }
  return it->second;
}

}  // namespace

const Value& Member(const Value& v, const std::string& key) {
  static const Value null;
  if (!v.is_object()) return null;
  auto it = v.find(key);
  return it == v.end() ? null : *it;
}

bool IsNodeType(const std::string& type) {
  return type == kRcsServerType || type == kClientTlsType || type == kCredentialType ||
         type == kTransportTrustType || type == kTrustRestrictionsType;
}

bool IsRestartingType(const std::string& type) {
  return type == kRcsServerType || type == kClientTlsType || type == kTransportTrustType ||
         type == kTrustRestrictionsType;
}

std::vector<std::string> NodesOf(const Value& attributes) {
  std::vector<std::string> out;
  const Value& nodes = Member(attributes, "nodes");
  if (!nodes.is_array()) return out;
  for (const Value& n : nodes) {
    if (n.is_string()) AddUnique(&out, n.get<std::string>());
  }
  return out;
}

Result<NodePart> ExpectedPart(const std::string& type, const Value& attrs) {
  NodePart part;
  if (type == kRcsServerType) {
    Result<std::string> path = Required(type, attrs, "keystore_path");
    if (!path.ok()) return path.status();
    Result<std::string> name = FileNameOf(type, "keystore_path", *path);
    if (!name.ok()) return name.status();
    std::string host = JsonString(attrs, "host");
    const Value& port = Member(attrs, "port");
    if (!port.is_number_integer() || port.get<int64_t>() <= 0 || port.get<int64_t>() > 65535) {
      return Status::InvalidArgument(type + ": attribute port must be a TCP port (1-65535)");
    }
    part.settings[kRcsEnabled] = true;
    part.settings[kRcsHost] = host.empty() ? "0.0.0.0" : host;
    part.settings[kRcsPort] = port;
    part.settings[kRcsSslEnabled] = true;
    part.settings[kRcsKeystorePath] = *path;
    part.file_names.push_back(*name);
    part.keystore_names.push_back(kRcsKeystorePassword);
  } else if (type == kClientTlsType) {
    if (FlattenPems(Member(attrs, "certificate_authorities")).empty()) {
      part.unset.push_back(kClientCas);
    } else {
      Result<std::string> path = Required(type, attrs, "ca_file");
      if (!path.ok()) return path.status();
      Result<std::string> name = FileNameOf(type, "ca_file", *path);
      if (!name.ok()) return name.status();
      part.settings[kClientCas] = Value::array({*path});
      part.file_names.push_back(*name);
    }
  } else if (type == kCredentialType) {
    Result<std::string> setting = Required(type, attrs, "setting");
    if (!setting.ok()) return setting.status();
    Status valid = ValidateKeystoreSetting(*setting);
    if (!valid.ok()) return valid.WithContext(type);
    part.keystore_names.push_back(*setting);
  } else if (type == kTransportTrustType) {
    part.settings[kTransportCas] = Value::array({std::string(kFilesDir) + "/" + kTransportCaFile});
    part.file_names.push_back(kTransportCaFile);
  } else if (type == kTrustRestrictionsType) {
    Result<std::string> path = Required(type, attrs, "path");
    if (!path.ok()) return path.status();
    Result<std::string> name = FileNameOf(type, "path", *path);
    if (!name.ok()) return name.status();
    part.settings[kTrustRestrictionsPath] = *path;
    part.file_names.push_back(*name);
  } else {
    return Status::InvalidArgument("the self provider does not write " + type + " to nodes");
  }
  return part;
}

Result<NodePart> DesiredPart(const std::string& type, const Value& attrs,
                             const std::map<std::string, Secret>& secrets, const Value* prior,
                             const TransportTls* tls) {
  Result<NodePart> expected = ExpectedPart(type, attrs);
  if (!expected.ok()) return expected.status();
  NodePart part = std::move(expected).value();
  if (type == kRcsServerType) {
    Result<Secret> keystore = SecretInput(type, secrets, "keystore");
    if (!keystore.ok()) return keystore.status();
    Result<Secret> password = SecretInput(type, secrets, "keystore_password");
    if (!password.ok()) return password.status();
    std::optional<std::string> der = http::Base64Decode(keystore->expose());
    if (!der || der->empty()) {
      return Status::InvalidArgument(type +
                                     ": the secret input keystore is not a base64 PKCS#12 "
                                     "(it comes from self_rcs_certificate.keystore_p12)");
    }
    part.files.push_back(NodeFile::Sensitive(part.file_names[0], Secret(std::move(*der))));
    part.keystore[kRcsKeystorePassword] = *password;
  } else if (type == kClientTlsType) {
    std::vector<std::string> cas = FlattenPems(Member(attrs, "certificate_authorities"));
    if (!cas.empty()) part.files.push_back(NodeFile::Public(part.file_names[0], JoinPems(cas)));
  } else if (type == kCredentialType) {
    Result<Secret> credentials = SecretInput(type, secrets, "credentials");
    if (!credentials.ok()) return credentials.status();
    part.keystore[part.keystore_names[0]] = *credentials;
  } else if (type == kTransportTrustType) {
    if (tls == nullptr) {
      return Status::Internal(type + ": the node's transport TLS was not read");
    }
    std::vector<std::string> pems;
    for (const std::string& own : tls->ca_pems) AddUnique(&pems, NormalizePem(own));
    for (const std::string& peer : FlattenPems(Member(attrs, "certificate_authorities"))) {
      AddUnique(&pems, peer);
    }
    if (pems.empty()) {
      return Status::FailedPrecondition(type +
                                        ": no CA to trust (the node trusts no CA of its "
                                        "own and the peer gave none)");
    }
    part.files.push_back(NodeFile::Public(kTransportCaFile, JoinPems(pems)));
    part.take_over = tls->trust_keys;
  } else if (type == kTrustRestrictionsType) {
    std::vector<std::string> patterns = FlattenStrings(Member(attrs, "subject_names"));
    if (patterns.empty()) {
      return Status::InvalidArgument(type +
                                     ": subject_names is empty (it must match the "
                                     "cluster's own nodes and the peers)");
    }
    part.files.push_back(NodeFile::Public(part.file_names[0], TrustRestrictionsFile(patterns)));
  }
  if (prior != nullptr) {
    Result<NodePart> before = ExpectedPart(type, *prior);
    if (before.ok()) {
      for (const auto& [key, value] : before->settings) {
        if (!part.settings.count(key)) AddUnique(&part.unset, key);
      }
      for (const std::string& f : before->file_names) {
        if (!Contains(part.file_names, f)) part.remove_files.push_back(f);
      }
      for (const std::string& k : before->keystore_names) {
        if (!Contains(part.keystore_names, k)) part.keystore_remove.push_back(k);
      }
    }
  }
  return part;
}

Result<NodePart> RemovalPart(const std::string& type, const Value& prior) {
  Result<NodePart> before = ExpectedPart(type, prior);
  if (!before.ok()) return before.status();
  NodePart part;
  for (const auto& [key, value] : before->settings) part.unset.push_back(key);
  for (const std::string& key : before->unset) AddUnique(&part.unset, key);
  part.remove_files = before->file_names;
  part.keystore_remove = before->keystore_names;
  if (type == kTransportTrustType) part.take_over = std::vector<std::string>{};
  return part;
}

void MergeInto(const NodePart& part, NodeChange* change) {
  for (const auto& [key, value] : part.settings) change->set_settings[key] = value;
  for (const std::string& key : part.unset) AddUnique(&change->unset_settings, key);
  for (const NodeFile& f : part.files) change->write_files.push_back(f);
  for (const std::string& f : part.remove_files) AddUnique(&change->remove_files, f);
  for (const auto& [key, value] : part.keystore) change->keystore_add[key] = value;
  for (const std::string& k : part.keystore_remove) AddUnique(&change->keystore_remove, k);
  if (part.take_over) change->take_over = part.take_over;
}

bool ChangesNode(const NodeChange& change, const NodeReadback& node) {
  static const ManagedSettings kNone;
  const ManagedSettings& block = node.block ? node.block->settings : kNone;
  const bool touches_block = !change.set_settings.empty() || !change.unset_settings.empty();
  if (touches_block && node.block && node.block->hand_edited()) return true;
  for (const auto& [key, value] : change.set_settings) {
    auto it = block.find(key);
    if (it == block.end() || it->second != value) return true;
  }
  for (const std::string& key : change.unset_settings) {
    if (block.count(key)) return true;
  }
  for (const NodeFile& f : change.write_files) {
    auto it = node.files.find(f.name);
    if (it == node.files.end() || it->second != Sha256Hex(f.bytes())) return true;
  }
  for (const std::string& f : change.remove_files) {
    if (node.files.count(f)) return true;
  }
  for (const auto& [key, value] : change.keystore_add) {
    if (!Contains(node.keystore_names, key)) return true;
  }
  for (const std::string& key : change.keystore_remove) {
    if (Contains(node.keystore_names, key)) return true;
  }
  if (change.take_over) {
    std::set<std::string> want(change.take_over->begin(), change.take_over->end());
    std::set<std::string> have(node.taken_over.begin(), node.taken_over.end());
    if (want != have) return true;
  }
  return false;
}

std::string TrustRestrictionsFile(const std::vector<std::string>& subject_names) {
  std::string out = "trust.subject_name:\n";
  std::vector<std::string> seen;
  for (const std::string& name : subject_names) {
    if (Contains(seen, name)) continue;
    seen.push_back(name);
    std::string escaped;
    for (char c : name) {
      if (c == '"' || c == '\\') escaped += '\\';
      escaped += c;
    }
    out += "  - \"" + escaped + "\"\n";
  }
  return out;
}

std::string JoinPems(const std::vector<std::string>& pems) {
  std::string out;
  for (const std::string& pem : pems) out += NormalizePem(pem);
  return out;
}

}  // namespace crosslink::providers::self
