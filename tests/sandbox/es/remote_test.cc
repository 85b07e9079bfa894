// GET /_remote/info against another twin through a fake network, and the
// server side of the RCS and transport handshakes.

#include "tests/sandbox/es/es_test_util.h"
#include "tests/sandbox/es/fake_network.h"

namespace crosslink::sandbox::es::testing {
namespace {

class RemoteTest : public TwinTest {
 protected:
  void SetUp() override {
    remote_pki_ = MakePki("remote-ca", {"remote.es.local"}, {"node-0.node.remote.ns.es.local"});
    local_pki_ = MakePki("local-ca", {"local.es.local"}, {"node-0.node.local.ns.es.local"});
    other_pki_ = MakePki("public-ca", {"public.example"});
    twin_ = Make(Options("local"), network_.dialer());
    remote_ = Make(Options("remote"), network_.dialer());
    NodeConfig rc;
    rc.rcs_enabled = true;
    rc.rcs_identity = std::make_shared<pki::Identity>(remote_pki_.server);
    rc.transport_identity = std::make_shared<pki::Identity>(remote_pki_.server);
    rc.transport_ca_pems = {remote_pki_.ca.chain_pem, local_pki_.ca.chain_pem};
    remote_->Restart(rc);
    network_.Add("remote.es.local", 9443, remote_.get(), FakeNetwork::Port::kRcs);
    network_.Add("lb.example", 9443, remote_.get(), FakeNetwork::Port::kRcs);
    network_.Add("remote.es.local", 9300, remote_.get(), FakeNetwork::Port::kTransport);
  }
  // Local node config for the API key model with `credential` in the keystore.
  void LocalApiKeyModel(const std::string& credential, bool trust_remote_ca = true) {
    NodeConfig c;
    c.transport_identity = std::make_shared<pki::Identity>(local_pki_.server);
    c.transport_ca_pems = {local_pki_.ca.chain_pem};
    if (trust_remote_ca) c.rcs_client_ca_pems = {remote_pki_.ca.chain_pem};
    if (!credential.empty()) c.keystore["cluster.remote.rk.credentials"] = Secret(credential);
    twin_->Restart(c);
  }
  void LocalCertificateModel(std::vector<std::string> cas) {
    NodeConfig c;
    c.transport_identity = std::make_shared<pki::Identity>(local_pki_.server);
    c.transport_ca_pems = std::move(cas);
    twin_->Restart(c);
  }
  void Proxy(const std::string& address, const std::string& server_name = "") {
    Value s = {{"mode", "proxy"}, {"proxy_address", address}};
    if (!server_name.empty()) s["server_name"] = server_name;
    auto r = Call("PUT", "/_cluster/settings", DumpJson(Value{{"persistent", {{"cluster", {{"remote", {{"rk", s}}}}}}}}));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  Value Info() {
    auto r = Call("GET", "/_remote/info");
    EXPECT_EQ(r.status, 200) << r.body;
    return Body(r)["rk"];
  }
  std::string Failure() {
    Value f = twin_->Inspect()["remote_failures"];
    return f.contains("rk") ? f["rk"].get<std::string>() : "";
  }
  std::string RemoteKey(const std::string& extra = "") {
    return CreateCcKey("rc-local-rk", extra, remote_.get())["encoded"].get<std::string>();
  }

  FakeNetwork network_;
  TestPki remote_pki_, local_pki_, other_pki_;
  std::unique_ptr<Twin> remote_;
};

TEST_F(RemoteTest, ApiKeyModelConnects) {
  LocalApiKeyModel(RemoteKey());
  Proxy("remote.es.local:9443");
  Value info = Info();
  EXPECT_EQ(info["connected"], true) << Failure();
  EXPECT_EQ(info["mode"], "proxy");
  EXPECT_EQ(info["proxy_address"], "remote.es.local:9443");
  EXPECT_EQ(info["server_name"], "");
  EXPECT_EQ(info["num_proxy_sockets_connected"], 18);
  EXPECT_EQ(info["max_proxy_socket_connections"], 18);
  EXPECT_EQ(info["initial_connect_timeout"], "30s");
  EXPECT_EQ(info["skip_unavailable"], true);
  EXPECT_EQ(info["cluster_credentials"], "::es_redacted::");
  EXPECT_EQ(network_.last().verify_name, "remote.es.local");
  EXPECT_EQ(network_.last().sni, "");
  EXPECT_EQ(network_.last().trusted_ca_pems, std::vector<std::string>{remote_pki_.ca.chain_pem});
  EXPECT_EQ(network_.last().client_identity, nullptr);
  EXPECT_EQ(twin_->Inspect()["remote_connected"]["rk"]["cluster_name"], "remote");
}

TEST_F(RemoteTest, ServerNameDrivesSniAndVerification) {
  LocalApiKeyModel(RemoteKey());
  Proxy("lb.example:9443");
  EXPECT_EQ(Info()["connected"], false);
  EXPECT_EQ(Failure(), "No subject alternative DNS name matching lb.example found.");
  EXPECT_EQ(Info()["num_proxy_sockets_connected"], 0);
  Proxy("lb.example:9443", "remote.es.local");
  EXPECT_EQ(Info()["connected"], true) << Failure();
  EXPECT_EQ(network_.last().sni, "remote.es.local");
  EXPECT_EQ(Failure(), "");
  Proxy("lb.example:9443", "wrong.es.local");
  EXPECT_EQ(Info()["connected"], false);
  EXPECT_EQ(Failure(), "No subject alternative DNS name matching wrong.es.local found.");
}

TEST_F(RemoteTest, UntrustedCaFails) {
  LocalApiKeyModel(RemoteKey(), /*trust_remote_ca=*/false);  // falls back to the public CAs
  Proxy("remote.es.local:9443");
  EXPECT_EQ(Info()["connected"], false);
  EXPECT_NE(Failure().find("PKIX path building failed"), std::string::npos);
  auto options = Options("local2");
  options.public_ca_pems = {remote_pki_.ca.chain_pem};
  auto twin2 = Make(options, network_.dialer());
  NodeConfig c;
  c.keystore["cluster.remote.rk.credentials"] = Secret(RemoteKey());
  twin2->Restart(c);
  ASSERT_EQ(twin2->CallInternal("PUT", "/_cluster/settings",
                                Value{{"persistent", {{"cluster.remote.rk.mode", "proxy"},
                                                      {"cluster.remote.rk.proxy_address", "remote.es.local:9443"}}}})
                .status,
            200);
  EXPECT_EQ(Body(twin2->CallInternal("GET", "/_remote/info", std::nullopt))["rk"]["connected"], true);
}

TEST_F(RemoteTest, MissingCredentialMeansCertificateModelAndFailsOnRcs) {
  LocalCertificateModel({remote_pki_.ca.chain_pem, local_pki_.ca.chain_pem});
  Proxy("remote.es.local:9443");
  Value info = Info();
  EXPECT_EQ(info["connected"], false);
  EXPECT_FALSE(info.contains("cluster_credentials"));
  EXPECT_NE(Failure().find("Please ensure you have configured remote cluster credentials"), std::string::npos);
}

TEST_F(RemoteTest, InvalidatedExpiredAndRestKeysAreRefused) {
  Value key = CreateCcKey("k1", R"(,"expiration":"1h")", remote_.get());
  LocalApiKeyModel(key["encoded"].get<std::string>());
  Proxy("remote.es.local:9443");
  EXPECT_EQ(Info()["connected"], true) << Failure();
  clock_.Advance(std::chrono::hours(2));
  EXPECT_EQ(Info()["connected"], false);
  EXPECT_NE(Failure().find("api key is expired"), std::string::npos) << Failure();

  Value key2 = CreateCcKey("k2", "", remote_.get());
  twin_->SetKeystore({{"cluster.remote.rk.credentials", Secret(key2["encoded"].get<std::string>())}});
  EXPECT_EQ(Info()["connected"], true) << Failure();
  Call("DELETE", "/_security/api_key", R"({"name":"k2"})", BasicAuth("elastic", "changeme"), remote_.get());
  EXPECT_EQ(Info()["connected"], false);
  EXPECT_NE(Failure().find("has been invalidated"), std::string::npos) << Failure();

  Value rest = CreateRestKey("rest", remote_.get());
  twin_->SetKeystore({{"cluster.remote.rk.credentials", Secret(rest["encoded"].get<std::string>())}});
  EXPECT_EQ(Info()["connected"], false);
  EXPECT_EQ(Failure(), "authentication expected API key type of [cross_cluster], but API key [" +
                           rest["id"].get<std::string>() + "] has type [rest]");

  twin_->SetKeystore({{"cluster.remote.rk.credentials", Secret(B64(key2["id"].get<std::string>() + ":bogus"))}});
  EXPECT_EQ(Info()["connected"], false);
  EXPECT_NE(Failure().find("unable to authenticate with provided credentials"), std::string::npos);
}

TEST_F(RemoteTest, ApiKeyModelAgainstTransportPortFails) {
  LocalApiKeyModel(RemoteKey());
  Proxy("remote.es.local:9300");
  EXPECT_EQ(Info()["connected"], false);
  EXPECT_EQ(Failure(), "Empty client certificate chain");
}

TEST_F(RemoteTest, CertificateModelOverTransport) {
  LocalCertificateModel({remote_pki_.ca.chain_pem, local_pki_.ca.chain_pem});
  Proxy("remote.es.local:9300");
  Value info = Info();
  EXPECT_EQ(info["connected"], true) << Failure();
  EXPECT_FALSE(info.contains("cluster_credentials"));
  EXPECT_NE(network_.last().client_identity, nullptr);
  EXPECT_EQ(network_.last().verify_name, "");  // verification_mode: certificate
  // Trust restrictions on the remote must admit the local node's name.
  NodeConfig rc = remote_->config();
  rc.transport_trust_restrictions = {"*.node.other.ns.es.local"};
  remote_->Restart(rc);
  EXPECT_EQ(Info()["connected"], false);
  EXPECT_NE(Failure().find("failed to establish trust with client"), std::string::npos) << Failure();
  rc.transport_trust_restrictions = {"*.node.local.ns.es.local"};
  remote_->Restart(rc);
  EXPECT_EQ(Info()["connected"], true) << Failure();
  // The remote must trust the local transport CA.
  rc.transport_ca_pems = {remote_pki_.ca.chain_pem};
  remote_->Restart(rc);
  EXPECT_EQ(Info()["connected"], false);
}

// The local's own trust restrictions judge the remote's certificate too
// (Elasticsearch's restricted trust manager checks servers as it checks
// clients).
TEST_F(RemoteTest, LocalTrustRestrictionsMustNameTheRemote) {
  LocalCertificateModel({remote_pki_.ca.chain_pem, local_pki_.ca.chain_pem});
  Proxy("remote.es.local:9300");
  NodeConfig lc = twin_->config();
  lc.transport_trust_restrictions = {"*.node.local.ns.es.local"};
  twin_->Restart(lc);
  EXPECT_EQ(Info()["connected"], false);
  EXPECT_NE(Failure().find("[node-0.node.remote.ns.es.local] does not match the trusted names "
                           "[*.node.local.ns.es.local]"),
            std::string::npos)
      << Failure();
  lc.transport_trust_restrictions = {"*.node.local.ns.es.local", "*.node.remote.ns.es.local"};
  twin_->Restart(lc);
  EXPECT_EQ(Info()["connected"], true) << Failure();
}

TEST_F(RemoteTest, SniffTriesSeedsInOrder) {
  LocalApiKeyModel(RemoteKey());
  auto r = Call("PUT", "/_cluster/settings",
                R"({"persistent":{"cluster.remote.rk.seeds":["down.es.local:9443","remote.es.local:9443"],
                    "cluster.remote.rk.skip_unavailable":false}})");
  ASSERT_EQ(r.status, 200) << r.body;
  Value info = Info();
  EXPECT_EQ(info["connected"], true) << Failure();
  EXPECT_EQ(info["mode"], "sniff");
  EXPECT_EQ(info["seeds"], Value::array({"down.es.local:9443", "remote.es.local:9443"}));
  EXPECT_EQ(info["num_nodes_connected"], 1);
  EXPECT_EQ(info["max_connections_per_cluster"], 3);
  EXPECT_EQ(info["skip_unavailable"], false);
}

TEST_F(RemoteTest, SkipUnavailableDefaultsFalseBefore815AndDeletedAliasDisappears) {
  auto old = Make(Options("old", "8.14.0"), network_.dialer());
  old->CallInternal("PUT", "/_cluster/settings", Value{{"persistent", {{"cluster.remote.x.seeds", "h:1"}}}});
  Value info = Body(old->CallInternal("GET", "/_remote/info", std::nullopt));
  EXPECT_EQ(info["x"]["skip_unavailable"], false);
  old->CallInternal("PUT", "/_cluster/settings", Value{{"persistent", {{"cluster.remote.x.seeds", nullptr}}}});
  EXPECT_EQ(Body(old->CallInternal("GET", "/_remote/info", std::nullopt)), Value::object());
}

TEST_F(RemoteTest, RemoteLicenseAndDisabledRcs) {
  LocalApiKeyModel(RemoteKey());
  Proxy("remote.es.local:9443");
  NodeConfig rc = remote_->config();
  rc.rcs_enabled = false;
  remote_->Restart(rc);
  EXPECT_EQ(Info()["connected"], false);
  EXPECT_EQ(Failure(), "Connection refused");
}

TEST_F(RemoteTest, HandshakeServerSideErrors) {
  net::StreamPeer peer;
  auto decode = [](const std::string& line) { return *DecodeHandshakeResponse(line); };
  EXPECT_FALSE(decode(remote_->HandleRemoteClusterServer(peer, "garbage")).ok);
  HandshakeRequest wrong_profile{"default", std::string("abc"), "x"};
  auto r = decode(remote_->HandleRemoteClusterServer(peer, EncodeHandshakeRequest(wrong_profile)));
  EXPECT_EQ(r.error_reason, "remote cluster handshake action requires channel profile to be [_remote_cluster], but got "
                            "[default]");
  HandshakeRequest with_key{"_remote_cluster", RemoteKey(), "x"};
  r = decode(remote_->HandleTransport(peer, EncodeHandshakeRequest(with_key)));
  EXPECT_EQ(r.error_reason, "remote cluster handshake action requires channel profile to be [_remote_cluster], but got "
                            "[default]");
  HandshakeRequest cert{"default", std::nullopt, "x"};
  r = decode(remote_->HandleTransport(peer, EncodeHandshakeRequest(cert)));
  EXPECT_EQ(r.error_reason, "Empty client certificate chain");
  r = decode(remote_->HandleRemoteClusterServer(peer, EncodeHandshakeRequest(with_key)));
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.cluster_name, "remote");
  EXPECT_EQ(r.cluster_uuid, remote_->cluster_uuid());

  auto options = Options("gold");
  options.license = "platinum";
  auto gold = Make(options);
  NodeConfig c;
  c.rcs_enabled = true;
  gold->Restart(c);
  r = decode(gold->HandleRemoteClusterServer(peer, EncodeHandshakeRequest(with_key)));
  EXPECT_EQ(r.error_reason, "current license is non-compliant for [advanced-remote-cluster-security]");
}

TEST(WireTest, RoundTrips) {
  HandshakeRequest req{"_remote_cluster", std::string("enc"), "prod"};
  auto back = DecodeHandshakeRequest(EncodeHandshakeRequest(req));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->profile, "_remote_cluster");
  EXPECT_EQ(back->credential, std::optional<std::string>("enc"));
  EXPECT_EQ(back->from, "prod");
  HandshakeResponse resp;
  resp.error_type = "security_exception";
  resp.error_reason = "no";
  auto r = DecodeHandshakeResponse(EncodeHandshakeResponse(resp) + "\n");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->error_reason, "no");
  EXPECT_FALSE(DecodeHandshakeRequest(R"({"type":"other","profile":"default"})"));
  EXPECT_FALSE(DecodeHandshakeResponse("[]"));
}

}  // namespace
}  // namespace crosslink::sandbox::es::testing
