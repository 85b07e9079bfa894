#pragma once
// crosslink::sandbox::es::Twin: one simulated Elasticsearch cluster.
//
// It serves the REST subset crosslink uses (HandleRest), the remote cluster
// server and transport handshakes (HandleRemoteClusterServer /
// HandleTransport, on the event loop: they never block), and it earns
// `GET _remote/info`: for every configured alias it really dials the proxy
// address (or seeds) through the Dialer, verifies the server certificate
// against the CAs its configuration trusts and the configured server_name,
// and presents the credential from its keystore (API key model) or its
// transport certificate (certificate model). The remote twin accepts only an
// active, unexpired cross-cluster API key it issued.
//
// Platforms own the twin's lifecycle: they compute a NodeConfig from what the
// user configured (ECK custom resource, Cloud deployment, elasticsearch.yml)
// and call Restart(); Cloud >= 8.14 applies keystore changes at once with
// SetKeystore(); self-managed installs a ReloadSource that
// `POST _nodes/reload_secure_settings` reads. Platforms bind the twin's ports
// with the routes RestRoute()/RemoteClusterRoute()/TransportRoute().
//
// Thread-safety: thread-safe (one internal mutex; never held while dialing).

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/pki.h"
#include "engine/core/secret.h"
#include "engine/core/value.h"
#include "sandbox/net/net.h"

namespace crosslink::sandbox::es {

// What the nodes run with; changes only through Restart().
struct NodeConfig {
  std::shared_ptr<const pki::Identity> http_identity;       // REST certificate
  std::shared_ptr<const pki::Identity> transport_identity;  // transport cert; client cert in the certificate model
  // remote_cluster_server.enabled; the RCS presents rcs_identity.
  bool rcs_enabled = false;
  std::shared_ptr<const pki::Identity> rcs_identity;
  // xpack.security.transport.ssl.certificate_authorities (PEM). Used both to
  // verify peers that connect to our transport port and, in the certificate
  // model, the remote's transport certificate.
  std::vector<std::string> transport_ca_pems;
  // xpack.security.transport.ssl.verification_mode: full verifies host names.
  bool transport_verify_hostname = false;
  // xpack.security.transport.ssl.trust_restrictions (trust.subject_name
  // patterns matched against the peer's otherName/CN); empty = no restriction.
  std::vector<std::string> transport_trust_restrictions;
  // xpack.security.remote_cluster_client.ssl.certificate_authorities (PEM).
  // Empty: the JVM default store = the sandbox public CA only.
  std::vector<std::string> rcs_client_ca_pems;
  // Keystore entries effective after this start.
  std::map<std::string, Secret> keystore;
  // Static cluster.remote.* settings from elasticsearch.yml (flat keys,
  // string values); dynamic settings override them.
  std::map<std::string, std::string> static_settings;
};

struct TwinOptions {
  std::string name;           // cluster_name
  std::string version = "8.15.0";
  std::string license = "enterprise";  // basic | gold | platinum | enterprise | trial
  std::string platform;       // "eck" | "ech" | "ece" | "self" (inspection only)
  // Users for basic auth; each is a superuser (manage_security, manage).
  std::map<std::string, Secret> users;
  std::vector<std::string> public_ca_pems;  // what the JVM default truststore trusts
};

// Dials host:port (resolved by the sandbox DNS) with the given TLS options and
// exchanges one line. Host::Dial in the process; a fake in unit tests.
using Dialer = std::function<net::DialResult(const std::string& host, uint16_t port,
                                             net::DialOptions options, std::string_view line)>;

class Twin {
 public:
  Twin(TwinOptions options, Clock& clock, Dialer dialer);
  ~Twin();
  Twin(const Twin&) = delete;
  Twin& operator=(const Twin&) = delete;

  const std::string& name() const;
  const std::string& cluster_uuid() const;
  const std::string& version() const;

  // --- served APIs ---
  // Every REST endpoint of the subset; unknown ones answer as ES does (400
  // "no handler found for uri [..] and method [..]"). Errors use ES's JSON
  // error shape: {"error":{"root_cause":[..],"type":..,"reason":..},"status":N}.
  net::HttpResponse HandleRest(const net::HttpRequest& request);
  std::string HandleRemoteClusterServer(const net::StreamPeer& peer, std::string_view line);
  std::string HandleTransport(const net::StreamPeer& peer, std::string_view line);

  // Routes for the platform's listeners, built from the current NodeConfig.
  // RemoteClusterRoute() is nullptr while the RCS is disabled (the port then
  // refuses the handshake like a closed port would refuse the connection).
  std::shared_ptr<const net::TlsRoute> RestRoute() const;
  std::shared_ptr<const net::TlsRoute> RemoteClusterRoute() const;
  std::shared_ptr<const net::TlsRoute> TransportRoute() const;

  // --- platform side ---
  // A (rolling) restart: the new config and keystore take effect; counted.
  void Restart(NodeConfig config);
  // Keystore contents take effect at once (Cloud >= 8.14 automatic reload).
  void SetKeystore(std::map<std::string, Secret> keystore);
  // Where `POST _nodes/reload_secure_settings` reads the keystore from
  // (self-managed). Without a source, reload succeeds and changes nothing
  // (ECK and Cloud: the on-disk keystore only changes at restart). The source
  // returns an error message for a wrong keystore password. It is called
  // without the twin's lock held (it may read files) and must not call back
  // into this twin.
  using ReloadSource = std::function<Result<std::map<std::string, Secret>>(
      const std::optional<Secret>& keystore_password)>;
  void SetReloadSource(ReloadSource source);
  NodeConfig config() const;
  int restarts() const;
  std::vector<std::string> keystore_keys() const;

  // Calls the REST API in-process as the built-in superuser (how the ECK
  // operator and the Cloud control plane talk to their clusters).
  net::HttpResponse CallInternal(const std::string& method, const std::string& path_and_query,
                                 const std::optional<Value>& body);

  // For the inspection API: keys (never secrets), keystore key names,
  // settings, roles, restarts, certificate fingerprints.
  Value Inspect() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace crosslink::sandbox::es
