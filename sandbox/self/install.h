#pragma once
// The install directory of one self-managed node, as an ES 8 archive looks
// after security auto-configuration:
//   <home>/config/elasticsearch.yml        cluster.name, node.name, network.host,
//                                          xpack.security.{http,transport}.ssl (nested form)
//   <home>/config/certs/http.p12           http cert (SAN: address, <cluster>.self.localhost)
//   <home>/config/certs/http_ca.crt        the http CA (PEM)
//   <home>/config/certs/transport.p12      transport key + chain (also the truststore)
//   <home>/config/certs/transport_ca.crt   the transport CA (PEM)
//   <home>/config/elasticsearch.keystore   keystore.h format; the p12 passwords
//   <home>/bin/elasticsearch-keystore      execs `crosslink-sandbox keystore --home <home>`
//   <home>/bin/restart                     asks the sandbox control API to restart the node
//
// ReadNodeConfig is what a node does at (re)start: reads the yml (flat
// "a.b.c" or nested keys), the keystore (password from config/.keystore_password
// when present, else ""), the PKCS#12/PEM files it names, and computes the
// es::NodeConfig. Any failure is the node failing to start, with ES's words.
//
// Thread-safety: functions only; callers serialise per home.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/core/pki.h"
#include "engine/core/secret.h"
#include "engine/core/status.h"
#include "sandbox/es/twin.h"

namespace crosslink::sandbox::self {

struct InstallSpec {
  std::string home;
  std::string cluster;
  std::string node;
  std::string address;
  std::vector<std::string> initial_master_nodes;
  const pki::Identity* http_ca = nullptr;
  const pki::Identity* transport_ca = nullptr;
};

// Creates (overwrites) the config files of one node.
Status WriteInstall(const InstallSpec& spec);
// Writes bin/elasticsearch-keystore and bin/restart (mode 0755).
Status WriteInstallScripts(const std::string& home, const std::string& sandbox_binary,
                           const std::string& restart_url);

// A flattened YAML document: "a.b.c" -> values (one for a scalar).
using FlatSettings = std::map<std::string, std::vector<std::string>>;
// kInvalidArgument for malformed YAML (message names line and column).
Result<FlatSettings> ParseFlatYaml(const std::string& text);

struct NodeStartConfig {
  es::NodeConfig config;
  uint16_t rcs_port = 9443;
  std::string cluster_name;
  std::string node_name;
};
Result<NodeStartConfig> ReadNodeConfig(const std::string& home);

// The keystore entries of `home` with `password` (reload_secure_settings).
Result<std::map<std::string, Secret>> ReadKeystoreEntries(const std::string& home, const Secret& password);

}  // namespace crosslink::sandbox::self
