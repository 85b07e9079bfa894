// Two twins over the real sandbox network (net::Server listeners, real TLS
// with pki certificates): connected only when CA, server_name and key are right.

#include "sandbox/net/net.h"
#include "tests/sandbox/es/es_test_util.h"

namespace crosslink::sandbox::es::testing {
namespace {

class NetworkTest : public TwinTest {
 protected:
  void SetUp() override {
    server_ = net::Server::Start({});
    remote_pki_ = MakePki("remote-ca", {"remote.es.local"});
    local_pki_ = MakePki("local-ca", {"local.es.local"});
    auto dialer = [](const std::string& host, uint16_t port, net::DialOptions options, std::string_view line) {
      options.address = "127.0.0.1";  // the sandbox DNS: every name lives on loopback here
      (void)host;
      options.port = port;
      return net::Dial(options, line);
    };
    twin_ = Make(Options("local"), dialer);
    remote_ = Make(Options("remote"), dialer);
    NodeConfig rc;
    rc.rcs_enabled = true;
    rc.rcs_identity = std::make_shared<pki::Identity>(remote_pki_.server);
    rc.transport_identity = std::make_shared<pki::Identity>(remote_pki_.server);
    rc.transport_ca_pems = {remote_pki_.ca.chain_pem};
    remote_->Restart(rc);
    Twin* remote = remote_.get();
    rcs_port_ = Listen("es/remote/rcs", [remote](std::string_view) { return remote->RemoteClusterRoute(); });
    transport_port_ = Listen("es/remote/transport", [remote](std::string_view) { return remote->TransportRoute(); });
  }
  void TearDown() override { server_->Stop(); }

  uint16_t Listen(const std::string& name, net::TlsRouter router) {
    net::ListenerOptions o;
    o.name = name;
    o.address = "127.0.0.1";
    o.protocol = net::Protocol::kTls;
    o.router = std::move(router);
    auto port = server_->Listen(o);
    EXPECT_TRUE(port.ok()) << port.status().ToString();
    return port.ok() ? *port : 0;
  }
  void Local(const std::string& credential, std::vector<std::string> cas) {
    NodeConfig c;
    c.rcs_client_ca_pems = std::move(cas);
    if (!credential.empty()) c.keystore["cluster.remote.rk.credentials"] = Secret(credential);
    twin_->Restart(c);
  }
  void Proxy(uint16_t port, const std::string& server_name) {
    Value s = {{"cluster.remote.rk.mode", "proxy"},
               {"cluster.remote.rk.proxy_address", "127.0.0.1:" + std::to_string(port)},
               {"cluster.remote.rk.server_name", server_name}};
    ASSERT_EQ(Call("PUT", "/_cluster/settings", DumpJson(Value{{"persistent", s}})).status, 200);
  }
  bool Connected() { return Body(Call("GET", "/_remote/info"))["rk"]["connected"].get<bool>(); }
  std::string Failure() {
    Value f = twin_->Inspect()["remote_failures"];
    return f.contains("rk") ? f["rk"].get<std::string>() : "";
  }

  std::unique_ptr<net::Server> server_;
  std::unique_ptr<Twin> remote_;
  TestPki remote_pki_, local_pki_;
  uint16_t rcs_port_ = 0, transport_port_ = 0;
};

TEST_F(NetworkTest, ConnectedOnlyWithTheRightCaServerNameAndKey) {
  Value key = CreateCcKey("rk", R"(,"expiration":"1h")", remote_.get());
  std::string encoded = key["encoded"].get<std::string>();

  Local(encoded, {remote_pki_.ca.chain_pem});
  Proxy(rcs_port_, "remote.es.local");
  EXPECT_TRUE(Connected()) << Failure();

  // Wrong CA.
  Local(encoded, {local_pki_.ca.chain_pem});
  Proxy(rcs_port_, "remote.es.local");
  EXPECT_FALSE(Connected());
  EXPECT_FALSE(Failure().empty());

  // Wrong server_name.
  Local(encoded, {remote_pki_.ca.chain_pem});
  Proxy(rcs_port_, "other.es.local");
  EXPECT_FALSE(Connected());
  EXPECT_FALSE(Failure().empty());

  // Missing credential (certificate model against the RCS: transport CAs do not trust it).
  Local("", {remote_pki_.ca.chain_pem});
  Proxy(rcs_port_, "remote.es.local");
  EXPECT_FALSE(Connected());

  // REST key instead of a cross-cluster key.
  Value rest = CreateRestKey("rest", remote_.get());
  Local(rest["encoded"].get<std::string>(), {remote_pki_.ca.chain_pem});
  EXPECT_FALSE(Connected());
  EXPECT_NE(Failure().find("authentication expected API key type of [cross_cluster]"), std::string::npos) << Failure();

  // Wrong port: the transport port wants a client certificate.
  Local(encoded, {remote_pki_.ca.chain_pem});
  Proxy(transport_port_, "remote.es.local");
  EXPECT_FALSE(Connected());
  EXPECT_FALSE(Failure().empty());

  // Back to the RCS, then the key expires, then it is invalidated.
  Proxy(rcs_port_, "remote.es.local");
  EXPECT_TRUE(Connected()) << Failure();
  clock_.Advance(std::chrono::hours(2));
  EXPECT_FALSE(Connected());
  EXPECT_NE(Failure().find("api key is expired"), std::string::npos) << Failure();

  Value key2 = CreateCcKey("rk2", "", remote_.get());
  Local(key2["encoded"].get<std::string>(), {remote_pki_.ca.chain_pem});
  Proxy(rcs_port_, "remote.es.local");
  EXPECT_TRUE(Connected()) << Failure();
  Call("DELETE", "/_security/api_key", R"({"name":"rk2"})", BasicAuth("elastic", "changeme"), remote_.get());
  EXPECT_FALSE(Connected());
  EXPECT_NE(Failure().find("invalidated"), std::string::npos) << Failure();
}

TEST_F(NetworkTest, WrongPortReportsEmptyClientCertificateChain) {
  Value key = CreateCcKey("rk", "", remote_.get());
  Local(key["encoded"].get<std::string>(), {remote_pki_.ca.chain_pem});
  Proxy(transport_port_, "remote.es.local");
  EXPECT_FALSE(Connected());
  EXPECT_NE(Failure().find("Empty client certificate chain"), std::string::npos) << Failure();
}

}  // namespace
}  // namespace crosslink::sandbox::es::testing
