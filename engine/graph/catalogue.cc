#include "engine/graph/catalogue.h"

#include <unordered_map>

namespace crosslink::graph {

namespace {

constexpr ResourceMode kManaged = ResourceMode::kManaged;
constexpr ResourceMode kData = ResourceMode::kData;
constexpr ResourceMode kCheck = ResourceMode::kCheck;
constexpr Sharing kOne = Sharing::kPerConnection;
constexpr Sharing kShared = Sharing::kSharedEqual;
constexpr Sharing kUnion = Sharing::kSharedUnion;

}  // namespace

const char* SharingName(Sharing s) {
  switch (s) {
    case Sharing::kPerConnection:
      return "per-connection";
    case Sharing::kSharedEqual:
      return "shared";
    case Sharing::kSharedUnion:
      return "shared (lists merged)";
  }
  return "per-connection";
}

const std::vector<ResourceTypeInfo>& ResourceCatalogue() {
  static const std::vector<ResourceTypeInfo> kTypes = {
      // Elasticsearch REST, any platform.
      {"es_cross_cluster_api_key", "elasticsearch", kManaged, kOne, "ES.APIKEY.CREATE", false,
       "cross-cluster API key on the remote cluster, scoped by the connection's access"},
      {"es_remote_cluster", "elasticsearch", kManaged, kOne, "ES.REMOTE.PUT", false,
       "cluster.remote.<alias>.* persistent settings on the local cluster"},
      {"es_remote_connection_check", "elasticsearch", kCheck, kOne, "ES.REMOTE.VERIFY", false,
       "GET _remote/info on the local cluster reports the alias connected"},
      {"es_role", "elasticsearch", kManaged, kShared, "ES.ROLE.PUT", false,
       "a role declared by a connection (local cluster; both clusters for the certificate model)"},
      // ECK (Kubernetes objects).
      {"eck_remote_cluster_server", "eck", kManaged, kShared, "ECK.RCS.ENABLE", true,
       "spec.remoteClusterServer.enabled on the Elasticsearch resource"},
      {"eck_remote_cluster_service", "eck", kManaged, kShared, "ECK.RCS.EXPOSE", false,
       "LoadBalancer exposure of the remote cluster server (port 9443)"},
      {"eck_transport_ca", "eck", kData, kShared, "ECK.CA.READ", false,
       "the operator's transport CA (<es>-es-transport-certs-public)"},
      {"eck_remote_credential", "eck", kManaged, kOne, "ECK.CRED.SECRET", true,
       "Secret with cluster.remote.<alias>.credentials referenced from spec.secureSettings"},
      {"eck_remote_client_tls", "eck", kManaged, kUnion, "ECK.CLIENT.TLS", true,
       "remote_cluster_client TLS in every nodeSet, mounting every private remote CA"},
      {"eck_same_operator_remote", "eck", kManaged, kOne, "ECK.SAME.APIKEY", true,
       "spec.remoteClusters[] entry handled by the operator (same Kubernetes environment)"},
      {"eck_transport_trust", "eck", kManaged, kUnion, "ECK.TRANSPORT.TRUST", true,
       "peer transport CAs in spec.transport.tls.certificateAuthorities"},
      {"eck_transport_service", "eck", kManaged, kShared, "ECK.TRANSPORT.EXPOSE", false,
       "LoadBalancer exposure of the transport service (port 9300)"},
      {"eck_cloud_trust", "eck", kManaged, kUnion, "ECK.TRUST.CLOUD", true,
       "Elastic Cloud CAs and trust restrictions mounted in every nodeSet"},
      // Elastic Cloud API, ECH and ECE deployments.
      {"ec_deployment", "", kData, kShared, "EC.ENDPOINT.READ", false,
       "deployment facts: endpoint, ES cluster id, account, version, proxy addresses"},
      {"ec_certificate_authority", "", kData, kShared, "EC.CA.READ", false,
       "the deployment's transport CA certificates and recommended trust restriction"},
      {"ec_keystore_credential", "", kManaged, kOne, "EC.KEYSTORE.SET", false,
       "keystore entry cluster.remote.<alias>.credentials"},
      {"ec_restart", "", kManaged, kUnion, "EC.RESTART", true,
       "restart after keystore changes, only for Elasticsearch older than 8.14"},
      {"ec_trust_api_key_ca", "", kManaged, kUnion, "EC.TRUST.APIKEYCA", false,
       "trusted environment (direct, type proxy) for a private remote cluster server CA"},
      {"ec_trust_accounts", "", kManaged, kUnion, "EC.TRUST.ACCOUNTS", false,
       "trust.accounts entry for an ECH organization or ECE environment account"},
      {"ec_trust_direct", "", kManaged, kUnion, "EC.TRUST.DIRECT", false,
       "trust.direct entry (ECE, ESS or generic) with the peer's CA"},
      {"ec_trust_external", "", kManaged, kUnion, "EC.TRUST.EXTERNAL", false,
       "trust.external entry naming an ECE trust relationship"},
      // ECE platform.
      {"ece_proxy_ca", "ece", kData, kShared, "ECE.PROXYCA.READ", false,
       "root of the ECE proxy certificate chain"},
      {"ece_installation", "ece", kData, kShared, "ECE.PLATFORM.TRUSTREL", false,
       "the installation's own identity: environment id, account, platform CA"},
      {"ece_trust_relationship", "ece", kManaged, kShared, "ECE.PLATFORM.TRUSTREL", false,
       "platform trust relationship with another ECE installation"},
      // Self-managed nodes.
      {"self_rcs_certificate", "pki", kManaged, kShared, "SM.RCS.CERT", false,
       "CA and PKCS#12 certificate for the remote cluster server interface"},
      {"self_remote_cluster_server", "self", kManaged, kShared, "SM.RCS.ENABLE", true,
       "remote_cluster_server.* in elasticsearch.yml and its keystore password"},
      {"self_client_tls", "self", kManaged, kUnion, "SM.CLIENT.TLS", true,
       "remote_cluster_client TLS with every private remote CA in elasticsearch.yml"},
      {"self_keystore_credential", "self", kManaged, kOne, "SM.KEYSTORE.CRED", false,
       "cluster.remote.<alias>.credentials in every node's keystore"},
      {"self_reload", "self", kManaged, kUnion, "ES.RELOAD", false,
       "POST _nodes/reload_secure_settings after keystore changes"},
      {"self_transport_ca", "self", kData, kShared, "SM.TRANSPORT.TRUST", false,
       "the cluster's transport CA and node names"},
      {"self_transport_trust", "self", kManaged, kUnion, "SM.TRANSPORT.TRUST", true,
       "peer transport CAs in xpack.security.transport.ssl.certificate_authorities"},
      {"self_trust_restrictions", "self", kManaged, kUnion, "SM.TRUST.RESTRICT", true,
       "transport trust_restrictions file limiting Elastic Cloud CAs to the peers"},
  };
  return kTypes;
}

const ResourceTypeInfo* FindResourceType(std::string_view type) {
  static const std::unordered_map<std::string_view, const ResourceTypeInfo*> kByName = [] {
    std::unordered_map<std::string_view, const ResourceTypeInfo*> m;
    for (const ResourceTypeInfo& t : ResourceCatalogue()) m.emplace(t.type, &t);
    return m;
  }();
  auto it = kByName.find(type);
  return it == kByName.end() ? nullptr : it->second;
}

}  // namespace crosslink::graph
