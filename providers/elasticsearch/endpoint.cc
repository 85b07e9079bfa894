// EndpointFromTopology: a cluster's REST access from the topology's own
// fields (url, ca_file, credentials).

#include "providers/elasticsearch/endpoint.h"

#include <utility>

#include "engine/topology/secret_ref.h"

namespace crosslink::providers::elasticsearch {

namespace {

std::string TrimTrailingSlashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

Result<Endpoint> EndpointFromTopology(const topology::Cluster& cluster,
                                      const std::string& topology_file, FileSystem& fs,
                                      const std::function<const char*(const char*)>& getenv) {
  const std::string who = "cluster \"" + cluster.name + "\"";
  if (cluster.url.empty()) {
    return Status::InvalidArgument(who +
                                   " has no `url`: set url (the HTTPS address of its REST API)");
  }
  Endpoint ep;
  ep.url = TrimTrailingSlashes(cluster.url);
  std::string description = who + " (" + ep.url;
  const std::string dir = topology::TopologyDirectory(topology_file);
  if (!cluster.ca_file.empty()) {
    const std::string path = topology::ResolveTopologyPath(dir, cluster.ca_file);
    Result<std::string> pem = fs.ReadFile(path);
    if (!pem.ok()) {
      return pem.status().WithContext(who + ": cannot read ca_file " + path);
    }
    if (pem->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return Status::InvalidArgument(who + ": ca_file " + path +
                                     " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    ep.options.ca_pem = *pem;
    description += ", ca_file " + path;
  }
  const auto env = getenv ? getenv : std::function<const char*(const char*)>(::getenv);
  const topology::Credentials& creds = cluster.credentials;
  if (!creds.username.empty()) {
    if (!creds.password.present()) {
      return Status::InvalidArgument(who +
                                     ": credentials.username is set but credentials.password "
                                     "is not: set credentials.password (e.g. ${env:NAME})");
    }
    Result<Secret> password = topology::ResolveSecret(creds.password, dir, fs, env);
    if (!password.ok()) return password.status().WithContext(who + " credentials.password");
    ep.username = creds.username;
    ep.password = *password;
    description += ", user " + creds.username + ", password from " + creds.password.Describe();
  } else if (creds.api_key.present()) {
    Result<Secret> key = topology::ResolveSecret(creds.api_key, dir, fs, env);
    if (!key.ok()) return key.status().WithContext(who + " credentials.api_key");
    ep.api_key = *key;
    description += ", API key from " + creds.api_key.Describe();
  } else {
    return Status::InvalidArgument(
        who +
        " has no credentials: set credentials.username/password (a user with the "
        "manage_security and manage privileges) or credentials.api_key");
  }
  ep.description = description + ")";
  return ep;
}

}  // namespace crosslink::providers::elasticsearch
