#pragma once
// Private to sandbox/cloud: the state of one deployment, shared by
// environment.cc (setup, certificates, routing) and api.cc (the handlers).

#include <map>
#include <memory>
#include <string>

#include "sandbox/cloud/environment.h"

namespace crosslink::sandbox::cloud {

struct Environment::Deployment {
  // Fixed after AddDeployment.
  std::string key;
  std::string id;          // deployment id
  std::string cluster_id;  // ES resource id
  std::string alias;       // deployment alias (aliased endpoint prefix)
  std::string version;
  Secret password;
  std::string endpoint;          // <cluster_id>.<domain>
  std::string aliased_endpoint;  // <alias>.<domain>
  std::string created;
  std::unique_ptr<es::Twin> twin;
  std::shared_ptr<const pki::Identity> transport_identity;
  std::shared_ptr<const net::TlsRoute> rest_route;

  // Guarded by Environment::mu_.
  std::string name;
  Value plan;
  Value trust;
  std::map<std::string, KeystoreEntry> keystore;  // the Cloud keystore (desired)
  Value remotes = Value::array();                 // RemoteResourceRef without info
  int resource_version = 1;
  int metadata_version = 1;
  std::string last_modified;
  std::string plan_attempt_id;
  std::string plan_started;
};

}  // namespace crosslink::sandbox::cloud
