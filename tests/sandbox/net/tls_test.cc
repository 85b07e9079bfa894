// kTls listeners (line exchange after TLS, mutual TLS) and the outbound
// Dial: how each failure is reported, in Elasticsearch's words.

#include <atomic>
#include <mutex>

#include <gtest/gtest.h>

#include "tests/sandbox/net/net_test_util.h"

namespace crosslink::sandbox::net {
namespace {

using testing::MakeCa;
using testing::MakeLeaf;
using Stage = DialResult::Stage;

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ca_ = new pki::Identity(MakeCa("Server CA"));
    client_ca_ = new pki::Identity(MakeCa("Client CA"));
    other_ca_ = new pki::Identity(MakeCa("Other CA"));
  }
  static void TearDownTestSuite() {
    delete server_ca_;
    delete client_ca_;
    delete other_ca_;
  }

  void SetUp() override {
    server_ = Server::Start({});
    ASSERT_NE(server_, nullptr);
    rcs_ = std::make_shared<TlsRoute>();
    rcs_->name = "es/prod/rcs";
    rcs_->identity = MakeLeaf(*server_ca_, "prod-rcs", {"rcs.prod.es.local"}, {"127.0.0.1"});
    rcs_->stream = [this](const StreamPeer& peer, std::string_view line) {
      std::lock_guard<std::mutex> lock(mu_);
      last_peer_ = peer;
      return "echo:" + std::string(line);
    };
    transport_ = std::make_shared<TlsRoute>(*rcs_);
    transport_->name = "es/prod/transport";
    transport_->identity = MakeLeaf(*server_ca_, "prod-transport", {"transport.prod.es.local"});
    transport_->client_auth = ClientAuth::kRequired;
    transport_->client_ca_pems = {client_ca_->chain_pem};
  }

  uint16_t ListenTls(const std::string& name = "rcs") {
    ListenerOptions options;
    options.name = name;
    options.address = "127.0.0.1";
    options.protocol = Protocol::kTls;
    options.router = [this](std::string_view sni) -> std::shared_ptr<const TlsRoute> {
      std::lock_guard<std::mutex> lock(mu_);
      last_router_sni_ = std::string(sni);
      if (sni == "rcs.prod.es.local" || sni.empty()) return rcs_;
      if (sni == "transport.prod.es.local") return transport_;
      return nullptr;
    };
    auto port = server_->Listen(options);
    EXPECT_TRUE(port.ok()) << port.status().ToString();
    return port.ok() ? *port : 0;
  }

  DialOptions Options(uint16_t port, const std::string& sni = "rcs.prod.es.local") {
    DialOptions options;
    options.address = "127.0.0.1";
    options.port = port;
    options.sni = sni;
    options.verify_name = sni;
    options.trusted_ca_pems = {server_ca_->chain_pem};
    options.timeout = std::chrono::milliseconds(5000);
    return options;
  }

  static pki::Identity* server_ca_;
  static pki::Identity* client_ca_;
  static pki::Identity* other_ca_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<TlsRoute> rcs_;
  std::shared_ptr<TlsRoute> transport_;
  std::mutex mu_;
  StreamPeer last_peer_;
  std::string last_router_sni_;
};

pki::Identity* TlsTest::server_ca_ = nullptr;
pki::Identity* TlsTest::client_ca_ = nullptr;
pki::Identity* TlsTest::other_ca_ = nullptr;

TEST_F(TlsTest, LineExchangeAfterTheHandshake) {
  uint16_t port = ListenTls();
  DialResult r = Dial(Options(port), R"({"type":"handshake"})");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.response_line, R"(echo:{"type":"handshake"})");
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_EQ(last_peer_.sni, "rcs.prod.es.local");
  EXPECT_EQ(last_peer_.listener, "rcs");
  EXPECT_EQ(last_peer_.route, "es/prod/rcs");
  EXPECT_EQ(last_peer_.peer_address.rfind("127.0.0.1:", 0), 0u);
  EXPECT_TRUE(last_peer_.client_chain_pem.empty());
}

TEST_F(TlsTest, NoServerNameReachesTheRouterAsEmpty) {
  uint16_t port = ListenTls();
  DialOptions options = Options(port, "");
  options.verify_name = "127.0.0.1";  // the certificate carries the IP
  DialResult r = Dial(options, "ping");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.response_line, "echo:ping");
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_EQ(last_router_sni_, "");
  EXPECT_EQ(last_peer_.sni, "");
}

TEST_F(TlsTest, UnknownServerNameIsRejected) {
  uint16_t port = ListenTls();
  DialOptions options = Options(port, "nobody.es.local");
  DialResult r = Dial(options, "ping");
  EXPECT_EQ(r.stage, Stage::kHandshake);
  EXPECT_EQ(r.error, "Received fatal alert: unrecognized_name");
}

TEST_F(TlsTest, UntrustedServerCertificate) {
  uint16_t port = ListenTls();
  DialOptions options = Options(port);
  options.trusted_ca_pems = {other_ca_->chain_pem};
  DialResult r = Dial(options, "ping");
  EXPECT_EQ(r.stage, Stage::kVerify);
  EXPECT_EQ(r.error,
            "PKIX path building failed: unable to find valid certification path to requested "
            "target");
}

TEST_F(TlsTest, HostnameMismatch) {
  uint16_t port = ListenTls();
  DialOptions options = Options(port);
  options.verify_name = "rcs.qa.es.local";
  DialResult r = Dial(options, "ping");
  EXPECT_EQ(r.stage, Stage::kVerify);
  EXPECT_EQ(r.error, "No subject alternative DNS name matching rcs.qa.es.local found");

  options.verify_name = "127.0.0.9";
  r = Dial(options, "ping");
  EXPECT_EQ(r.stage, Stage::kVerify);
  EXPECT_EQ(r.error, "No subject alternative names matching IP address 127.0.0.9 found");

  // verification_mode: certificate — no hostname check, chain still checked.
  options.verify_name = "";
  r = Dial(options, "ping");
  EXPECT_TRUE(r.ok()) << r.error;
}

TEST_F(TlsTest, RefusedPort) {
  DialOptions options = Options(testing::UnusedPort());
  DialResult r = Dial(options, "ping");
  EXPECT_EQ(r.stage, Stage::kConnect);
  EXPECT_EQ(r.error, "Connection refused");
}

TEST_F(TlsTest, MutualTlsWithoutClientCertificate) {
  uint16_t port = ListenTls();
  DialResult r = Dial(Options(port, "transport.prod.es.local"), "ping");
  EXPECT_EQ(r.stage, Stage::kHandshake);
  EXPECT_EQ(r.error, "Empty client certificate chain");
}

TEST_F(TlsTest, MutualTlsWithUntrustedClientCertificate) {
  uint16_t port = ListenTls();
  DialOptions options = Options(port, "transport.prod.es.local");
  options.client_identity = MakeLeaf(*other_ca_, "intruder", {"intruder.local"});
  DialResult r = Dial(options, "ping");
  EXPECT_EQ(r.stage, Stage::kHandshake);
  EXPECT_EQ(r.error, "PKIX path validation failed: certificate_unknown");
}

TEST_F(TlsTest, MutualTlsWithTrustedClientCertificate) {
  uint16_t port = ListenTls();
  DialOptions options = Options(port, "transport.prod.es.local");
  auto client = MakeLeaf(*client_ca_, "qa-node", {"qa-node.local"});
  options.client_identity = client;
  DialResult r = Dial(options, "ping");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.response_line, "echo:ping");
  std::lock_guard<std::mutex> lock(mu_);
  ASSERT_FALSE(last_peer_.client_chain_pem.empty());
  EXPECT_EQ(last_peer_.client_chain_pem[0], client->LeafPem());
  EXPECT_EQ(last_peer_.route, "es/prod/transport");
}

TEST_F(TlsTest, DownAndResetFaults) {
  uint16_t port = ListenTls();
  FaultSpec down;
  down.down = true;
  server_->faults().Set("rcs", down);
  DialResult r = Dial(Options(port), "ping");
  // The RST may beat connect()'s completion check or land in the handshake.
  EXPECT_TRUE(r.stage == Stage::kConnect || r.stage == Stage::kHandshake);
  EXPECT_EQ(r.error, "Connection reset");

  server_->faults().ClearAll();
  FaultSpec reset;
  reset.reset_rate = 1;
  server_->faults().Set("es/prod/rcs", reset);
  r = Dial(Options(port), "ping");
  EXPECT_EQ(r.stage, Stage::kExchange);
  EXPECT_EQ(r.error, "Connection reset");

  server_->faults().ClearAll();
  EXPECT_TRUE(Dial(Options(port), "ping").ok());
}

TEST_F(TlsTest, SilentServerTimesOut) {
  // A listening socket that never accepts: TCP connects, TLS never answers.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof(sa);
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  DialOptions options = Options(ntohs(sa.sin_port));
  options.timeout = std::chrono::milliseconds(200);
  auto start = std::chrono::steady_clock::now();
  DialResult r = Dial(options, "ping");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
  close(fd);
  EXPECT_EQ(r.stage, Stage::kHandshake);
  EXPECT_EQ(r.error, "handshake timed out");
}

TEST_F(TlsTest, IdentityRotationServesTheNewCertificate) {
  uint16_t port = ListenTls();
  ASSERT_TRUE(Dial(Options(port), "ping").ok());
  // The twin swaps its route for one with a certificate from another CA.
  auto rotated = std::make_shared<TlsRoute>(*rcs_);
  rotated->identity = MakeLeaf(*other_ca_, "prod-rcs", {"rcs.prod.es.local"});
  {
    std::lock_guard<std::mutex> lock(mu_);
    rcs_ = rotated;
  }
  DialResult old_trust = Dial(Options(port), "ping");
  EXPECT_EQ(old_trust.stage, Stage::kVerify);
  DialOptions options = Options(port);
  options.trusted_ca_pems = {other_ca_->chain_pem};
  EXPECT_TRUE(Dial(options, "ping").ok());
}

}  // namespace
}  // namespace crosslink::sandbox::net
