#pragma once
// crosslink::sandbox::cloud::Environment: the control plane of one Elastic
// Cloud Hosted organisation/region (ECH) or one ECE installation: its
// deployments (one es::Twin each, driven with Restart/SetKeystore like the
// real allocator), their keystores and trust settings, the environment's CAs
// and proxy certificate, and the Cloud API (HandleApi) checked against the
// Swagger contract. It owns no sockets: CloudPlatform (platform.cc) binds the
// API and proxy listeners and routes them here, and tests call HandleApi
// directly.
//
// Certificates:
//  - ECH: one regional transport CA per environment signs every node's
//    transport certificate (that CA is what certificate-authority returns);
//    the proxy certificate (*.<domain>) and the API certificate are issued by
//    the sandbox's public CA, like a publicly trusted certificate.
//  - ECE: the installation's root CA signs the node certificates and the
//    coordinator (API) certificate; the proxy chain is
//    root -> "proxy intermediate" -> *.<domain> (a private proxy chain, as
//    GET /platform/configuration/security/tls/proxy shows).
//
// Endpoints: "<cluster_id>.<domain>" (domain ECH "<region>.<env>.ech.localhost",
// ECE "<env>.ece.localhost"); service_url "https://<endpoint>:<proxy https port>";
// ports {http: 9200 (not served by the sandbox), https: <proxy port>,
// transport_passthrough: 9400}. The API-key model reaches the proxy on 9443.
//
// Remote clusters (PUT .../remote-clusters): like the real control plane the
// twin sets persistent cluster settings on the local cluster for every
// alias: mode=proxy, proxy_address=<remote endpoint>:9400,
// server_name=<remote endpoint>, skip_unavailable; aliases dropped from the
// list are set to null.
//
// Thread-safety: thread-safe after setup (AddDeployment/SetProxyPort happen
// before serving). The proxy routing methods take no lock (the deployment
// set is fixed), so they are safe on the network event loop; no lock is held
// while a twin dials.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/pki.h"
#include "engine/core/secret.h"
#include "engine/core/status.h"
#include "engine/core/value.h"
#include "sandbox/cloud/swagger.h"
#include "sandbox/cloud/trust.h"
#include "sandbox/es/twin.h"
#include "sandbox/net/net.h"

namespace crosslink::sandbox::cloud {

enum class Flavor { kEch, kEce };

inline constexpr std::string_view kMainRefId = "main-elasticsearch";
inline constexpr uint16_t kRemoteClusterProxyPort = 9443;
inline constexpr uint16_t kTransportProxyPort = 9400;

struct EnvironmentOptions {
  std::string key;          // environment key, e.g. "ech"
  Flavor flavor = Flavor::kEch;
  std::string scope_id;     // ECH organization id (digits) / ECE environment id
  std::string region;       // ECH region, e.g. "eu-west-1"; ECE "ece-region"
  std::string domain;       // deployment endpoint domain
  Secret api_key;           // the key `Authorization: ApiKey <key>` must carry
  pki::Identity public_ca;  // Host::public_ca()
  // ECH: the region's transport CA, shared by every organization
  // (Host::SharedCa); null: the environment makes its own (ECE: the
  // installation's root CA).
  std::shared_ptr<const pki::Identity> transport_ca;
  std::shared_ptr<const Swagger> swagger;
};

struct DeploymentSpec {
  std::string key;            // cluster key in the sandbox config
  std::string name;           // deployment name (default: key)
  std::string version = "8.15.0";
  std::string license = "enterprise";
  std::string deployment_id;  // 32 lower-case hex; generated when empty
  std::string cluster_id;     // 32 lower-case hex; generated when empty
  Secret password;            // `elastic` user; generated when empty
};

// What a client needs about one deployment.
struct DeploymentView {
  std::string key;
  std::string deployment_id;
  std::string cluster_id;
  std::string endpoint;
  std::string service_url;
  Secret password;
};

class Environment {
 public:
  static Result<std::unique_ptr<Environment>> Create(EnvironmentOptions options, Clock& clock,
                                                     es::Dialer dialer);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  // --- setup (before serving) ---
  Status AddDeployment(DeploymentSpec spec);
  // The REST proxy's bound port (metadata.ports.https, service_url).
  void SetProxyHttpsPort(uint16_t port);

  // --- the Cloud API: request.path includes the base path "/api/v1" ---
  net::HttpResponse HandleApi(const net::HttpRequest& request);

  // --- proxy routing by SNI ("<cluster_id>.<domain>" or the aliased name);
  // nullptr for an unknown name (the handshake then fails) ---
  std::shared_ptr<const net::TlsRoute> RestRoute(std::string_view sni) const;
  // TLS terminates at the proxy (proxy certificate), the stream goes to the
  // twin's remote cluster server; nullptr while the twin's RCS is disabled.
  std::shared_ptr<const net::TlsRoute> RemoteClusterRoute(std::string_view sni) const;
  // Passthrough: the node's own transport certificate, mutual TLS.
  std::shared_ptr<const net::TlsRoute> TransportRoute(std::string_view sni) const;

  const std::string& key() const { return options_.key; }
  Flavor flavor() const { return options_.flavor; }
  const std::string& scope_id() const { return options_.scope_id; }
  const std::string& domain() const { return options_.domain; }
  const Secret& api_key() const { return options_.api_key; }
  // The API listener's certificate (ECH: public CA; ECE: coordinator cert).
  const pki::Identity& api_identity() const { return *api_identity_; }
  // The CA a client of the API and of ECE proxies must trust: ECH the public
  // CA, ECE the installation root CA.
  std::string client_ca_pem() const;
  // The CA that signs node transport certificates.
  const pki::Identity& transport_ca() const { return *transport_ca_; }
  // The proxy certificate chain (leaf first).
  const pki::Identity& proxy_identity() const { return *proxy_identity_; }

  es::Twin* FindTwin(const std::string& cluster_key) const;
  std::vector<std::string> deployment_keys() const;
  std::vector<DeploymentView> Deployments() const;

  Value Inspect() const;
  // Control requests: GET "" or "deployments" -> Inspect(); unknown -> 404.
  net::HttpResponse HandleControl(const net::HttpRequest& request, std::string_view rest);

 private:
  struct Deployment;
  struct KeystoreEntry {
    Secret value;
    bool as_file = false;
  };
  Environment(EnvironmentOptions options, Clock& clock, es::Dialer dialer);

  Deployment* FindDeployment(const std::string& id) const;
  Deployment* FindBySni(std::string_view sni) const;
  // Requires mu_.
  es::NodeConfig BuildNodeConfigLocked(const Deployment& d) const;
  std::map<std::string, Secret> KeystoreLocked(const Deployment& d) const;
  std::string NewId() const;
  std::string Now() const;
  std::string ServiceUrl(const Deployment& d) const;

  // api.cc: one method per operation.
  net::HttpResponse Dispatch(const Swagger::Match& match, const net::HttpRequest& request,
                             const Value& body);
  Value EsResourceInfoLocked(const Deployment& d, const net::HttpRequest& request) const;
  Value PlanLocked(const Deployment& d) const;
  net::HttpResponse ListDeployments();
  net::HttpResponse GetDeployment(Deployment& d, const net::HttpRequest& request);
  net::HttpResponse GetEsResource(Deployment& d, const net::HttpRequest& request);
  net::HttpResponse UpdateDeployment(Deployment& d, const net::HttpRequest& request,
                                     const Value& body);
  net::HttpResponse GetKeystore(Deployment& d);
  net::HttpResponse PatchKeystore(Deployment& d, const Value& body);
  // Requires mu_. Applies a KeystoreContents patch.
  void ApplyKeystorePatchLocked(Deployment& d, const Value& secrets);
  // Requires mu_. Pushes the keystore to a >= 8.14 twin.
  void ReloadKeystoreLocked(Deployment& d);
  net::HttpResponse Restart(Deployment& d);
  net::HttpResponse GetCertificateAuthority(Deployment& d);
  net::HttpResponse GetRemoteClusters(Deployment& d);
  net::HttpResponse SetRemoteClusters(Deployment& d, const Value& body);
  net::HttpResponse GetTlsCertificate(const std::string& service);
  net::HttpResponse ListTrustRelationships(const net::HttpRequest& request);
  net::HttpResponse GetTrustRelationship(const std::string& id, const net::HttpRequest& request);
  net::HttpResponse CreateTrustRelationship(const Value& body);
  net::HttpResponse UpdateTrustRelationship(const std::string& id, const Value& body);
  net::HttpResponse DeleteTrustRelationship(const std::string& id);
  Value TrustRelationshipJson(const TrustRelationship& r, bool include_certificate) const;

  EnvironmentOptions options_;
  Clock& clock_;
  es::Dialer dialer_;
  std::shared_ptr<const pki::Identity> transport_ca_;
  std::shared_ptr<const pki::Identity> proxy_identity_;
  std::shared_ptr<const pki::Identity> api_identity_;
  std::string created_;

  // Fixed after setup.
  std::vector<std::unique_ptr<Deployment>> deployments_;
  uint16_t proxy_https_port_ = 443;

  mutable std::mutex mu_;
  TrustRelationships relationships_;  // ECE; includes the local one
};

}  // namespace crosslink::sandbox::cloud
