// A local node against the sandbox's self-managed install directory: the
// real bin/elasticsearch-keystore stand-in and bin/restart. Enabling the
// remote cluster server through the managed block opens the twin's 9443
// listener after the restart; destroy gives elasticsearch.yml its original
// bytes back; a configuration the node refuses is rolled back and the node
// restarted as it was. A bundle's keystore.sh fills the same keystore.
//
// The install's bin/elasticsearch-keystore execs `<this binary> keystore
// --home <home> ...` (the sandbox runs in-process), so main() below serves
// that command like crosslink-sandbox does.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iostream>

#include "engine/core/http.h"
#include "engine/core/pki.h"
#include "providers/self/node.h"
#include "sandbox/self/keystore.h"
#include "sandbox/self/keystore_cli.h"
#include "tests/sandbox/e2e/sandbox_fixture.h"

namespace crosslink::providers::self {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kPasswordSetting =
    "xpack.security.remote_cluster_server.ssl.keystore.secure_password";

class SelfNodeSandboxTest : public sandbox::e2e::SandboxTest {
 protected:
  void SetUp() override {
    StartSandbox("clusters:\n  onprem: { platform: self, version: \"8.17.0\" }\n");
    home_ = Env("ONPREM_HOME_0");
    original_yml_ = sandbox::e2e::ReadText(home_ + "/config/elasticsearch.yml");
    ASSERT_FALSE(original_yml_.empty());
    // What the pki provider hands over: a CA and a PKCS#12 for the server.
    pki::CertificateSpec ca_spec;
    ca_spec.common_name = "crosslink test RCS CA";
    auto ca = pki::CreateCa(ca_spec);
    ASSERT_TRUE(ca.ok());
    pki::CertificateSpec spec;
    spec.common_name = "onprem";
    spec.dns_names = {"onprem.self.localhost"};
    auto id = pki::IssueCertificate(spec, *ca);
    ASSERT_TRUE(id.ok());
    auto p12 = pki::WritePkcs12(*id, Secret(p12_password_));
    ASSERT_TRUE(p12.ok());
    keystore_p12_base64_ = http::Base64Encode(*p12);
  }

  std::unique_ptr<Node> Local() {
    topology::NodeDelivery d;
    d.name = "node-0";
    d.home = home_;
    d.restart = home_ + "/bin/restart";
    NodeOptions o;
    o.fs = fs_.get();
    o.runner = runner_.get();
    auto node = NewNode(d, o);
    EXPECT_TRUE(node.ok());
    return std::move(node).value();
  }

  NodeChange EnableRcs(const std::string& password) {
    NodeChange c;
    c.settings = ManagedSettings{
        {"remote_cluster_server.enabled", true},
        {"remote_cluster.host", "0.0.0.0"},
        {"remote_cluster.port", 9443},
        {"xpack.security.remote_cluster_server.ssl.enabled", true},
        {"xpack.security.remote_cluster_server.ssl.keystore.path", "crosslink/rcs.p12"}};
    auto der = http::Base64Decode(keystore_p12_base64_);
    EXPECT_TRUE(der.has_value());
    c.write_files = {NodeFile::Sensitive("rcs.p12", Secret(der.value_or("")))};
    c.keystore_add = {{kPasswordSetting, Secret(password)}};
    c.restart = true;
    return c;
  }

  uint32_t ModeOf(const std::string& relative) {
    Result<uint32_t> mode = fs_->FileMode(home_ + "/" + relative);
    return mode.ok() ? *mode : 0;
  }

  Value Inspect() { return sandbox_->FindPlatform("self")->Inspect()["clusters"]["onprem"]; }

  std::string home_;
  std::string original_yml_;
  std::string keystore_p12_base64_;
  const std::string p12_password_ = "Rcs-P12-password-0123456789abcd";
  std::unique_ptr<FileSystem> fs_ = NewPosixFileSystem();
  std::unique_ptr<CommandRunner> runner_ = NewProcessRunner(clock_);
};

TEST_F(SelfNodeSandboxTest, EnablesTheRemoteClusterServerAndDestroyRestoresTheBytes) {
  ASSERT_FALSE(Inspect()["listeners"].contains("rcs"));
  auto node = Local();
  Result<NodeApplyResult> r = node->Apply(EnableRcs(p12_password_));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->restart, RestartOutcome::kDone);
  Value cluster = Inspect();
  EXPECT_TRUE(cluster["nodes"]["node-0"]["running"].get<bool>()) << cluster.dump();
  EXPECT_TRUE(cluster["nodes"]["node-0"]["remote_cluster_server"]["enabled"].get<bool>());
  EXPECT_TRUE(cluster["listeners"].contains("rcs")) << cluster.dump();
  EXPECT_THAT(cluster["nodes"]["node-0"]["keystore_keys_at_start"].dump(),
              HasSubstr(kPasswordSetting));

  Result<NodeReadback> back = node->Read();
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->block->settings, *EnableRcs(p12_password_).settings);
  EXPECT_EQ(back->drift, "");
  EXPECT_EQ(back->files.at("rcs.p12"), Sha256Hex(*http::Base64Decode(keystore_p12_base64_)));
  EXPECT_THAT(back->keystore_names, ::testing::Contains(kPasswordSetting));
  EXPECT_EQ(ModeOf("config/crosslink/rcs.p12"), 0600u);

  // Nothing the sandbox can see holds the password.
  EXPECT_THAT(sandbox_->FindTwin("onprem")->Inspect().dump(), Not(HasSubstr(p12_password_)));
  EXPECT_THAT(Inspect().dump(), Not(HasSubstr(p12_password_)));

  NodeChange undo;
  undo.settings = ManagedSettings{};
  undo.remove_files = {"rcs.p12"};
  undo.keystore_remove = {kPasswordSetting};
  undo.restart = true;
  r = node->Apply(undo);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(sandbox::e2e::ReadText(home_ + "/config/elasticsearch.yml"), original_yml_);
  EXPECT_FALSE(Inspect()["listeners"].contains("rcs"));
  back = node->Read();
  ASSERT_TRUE(back.ok());
  EXPECT_THAT(back->keystore_names, Not(::testing::Contains(kPasswordSetting)));
  EXPECT_TRUE(back->files.empty());
}

TEST_F(SelfNodeSandboxTest, ARefusedConfigurationIsRolledBackAndTheNodeComesBack) {
  auto node = Local();
  const std::string wrong = "not-the-p12-password-xyz";
  Result<NodeApplyResult> r = node->Apply(EnableRcs(wrong));
  ASSERT_FALSE(r.ok());
  const std::string& m = r.status().message();
  EXPECT_THAT(m, HasSubstr("node node-0 (local " + home_ + "): the restart command"));
  EXPECT_THAT(m, HasSubstr("the node's files were restored"));
  EXPECT_THAT(m, HasSubstr("restarted with its previous configuration"));
  EXPECT_THAT(m, Not(HasSubstr(wrong)));
  EXPECT_THAT(m, Not(HasSubstr(p12_password_)));
  EXPECT_EQ(sandbox::e2e::ReadText(home_ + "/config/elasticsearch.yml"), original_yml_);
  EXPECT_FALSE(std::filesystem::exists(home_ + "/config/crosslink/rcs.p12"));
  Value cluster = Inspect();
  EXPECT_TRUE(cluster["up"].get<bool>()) << cluster.dump();
  EXPECT_FALSE(cluster["listeners"].contains("rcs"));
  Result<NodeReadback> back = node->Read();
  ASSERT_TRUE(back.ok());
  EXPECT_THAT(back->keystore_names, Not(::testing::Contains(kPasswordSetting)));
}

TEST_F(SelfNodeSandboxTest, BundleKeystoreScriptFillsTheNodeKeystore) {
  topology::NodeDelivery d;
  d.name = "node-0";
  d.kind = topology::NodeDelivery::Kind::kBundle;
  d.bundle_dir = dir_ + "/bundle/node-0";
  NodeOptions o;
  o.fs = fs_.get();
  o.runner = runner_.get();
  auto bundle = NewNode(d, o);
  ASSERT_TRUE(bundle.ok());
  const std::string credential = "ZW5jb2RlZC1jcmVkZW50aWFsLWZvci10ZXN0cw==";
  NodeChange c;
  c.keystore_add = {{"cluster.remote.logs.credentials", Secret(credential)}};
  ASSERT_TRUE((*bundle)->Apply(c).ok());

  Command run;
  run.argv = {d.bundle_dir + "/keystore.sh", home_};
  Result<CommandResult> done = runner_->Run(run);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  ASSERT_EQ(done->exit_code, 0) << done->err;
  auto ks = sandbox::self::Keystore::Load(sandbox::self::KeystorePath(home_), Secret());
  ASSERT_TRUE(ks.ok()) << ks.status().ToString();
  ASSERT_TRUE(ks->Has("cluster.remote.logs.credentials"));
  EXPECT_EQ(ks->entries().at("cluster.remote.logs.credentials").expose(), credential);

  // Removal through the bundle too.
  NodeChange undo;
  undo.keystore_remove = {"cluster.remote.logs.credentials"};
  ASSERT_TRUE((*bundle)->Apply(undo).ok());
  done = runner_->Run(run);
  ASSERT_TRUE(done.ok());
  ASSERT_EQ(done->exit_code, 0) << done->err;
  ks = sandbox::self::Keystore::Load(sandbox::self::KeystorePath(home_), Secret());
  ASSERT_TRUE(ks.ok());
  EXPECT_FALSE(ks->Has("cluster.remote.logs.credentials"));
}

// ReadTransportTls against the auto-configured install: the user's own
// trust (certs/transport.p12 as truststore, passwords from the keystore
// through `elasticsearch-keystore show`) and node certificate.
constexpr const char* kTruststorePath = "xpack.security.transport.ssl.truststore.path";

std::vector<std::string> Pems(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& pem : pki::SplitPemCertificates(text)) {
    auto info = pki::InspectCertificate(pem);
    out.push_back(info.ok() ? info->sha256_fingerprint : "unreadable");
  }
  return out;
}

std::vector<std::string> Fingerprints(const std::vector<std::string>& pems) {
  std::string joined;
  for (const std::string& p : pems) joined += p;
  return Pems(joined);
}

// Every secret value of the install's keystore (the PKCS#12 passwords).
std::vector<std::string> KeystoreSecrets(const std::string& home) {
  std::vector<std::string> out;
  auto ks = sandbox::self::Keystore::Load(sandbox::self::KeystorePath(home), Secret());
  EXPECT_TRUE(ks.ok());
  if (!ks.ok()) return out;
  for (const auto& [k, v] : ks->entries()) {
    if (k != "keystore.seed") out.push_back(v.expose());
  }
  return out;
}

TEST_F(SelfNodeSandboxTest, ReadsTheUsersTransportTrustAndCertificate) {
  auto node = Local();
  Result<TransportTls> tls = node->ReadTransportTls();
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  const std::string ca = sandbox::e2e::ReadText(home_ + "/config/certs/transport_ca.crt");
  ASSERT_FALSE(ca.empty());
  EXPECT_EQ(tls->ca_pems, std::vector<std::string>{ca});
  EXPECT_EQ(tls->node_names, std::vector<std::string>{"node-0.onprem.self.localhost"});
  EXPECT_EQ(tls->common_name, "node-0");
  EXPECT_THAT(tls->trust_keys, ::testing::Contains(kTruststorePath));
  EXPECT_THAT(tls->trust_keys,
              Not(::testing::Contains("xpack.security.transport.ssl.certificate_authorities")));
}

TEST_F(SelfNodeSandboxTest, TakeOverOfTheTrustKeepsTheSameOwnCasAndDestroyRestoresTheBytes) {
  auto node = Local();
  Result<TransportTls> before = node->ReadTransportTls();
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  pki::CertificateSpec peer_spec;
  peer_spec.common_name = "peer transport CA";
  auto peer = pki::CreateCa(peer_spec);
  ASSERT_TRUE(peer.ok());
  std::string bundle;
  for (const std::string& pem : before->ca_pems) bundle += pem;
  bundle += peer->LeafPem();

  NodeChange c;
  c.set_settings = {{"xpack.security.transport.ssl.certificate_authorities",
                     Value::array({"crosslink/transport-ca.crt"})}};
  c.write_files = {NodeFile::Public("transport-ca.crt", bundle)};
  c.take_over = before->trust_keys;
  c.restart = true;
  Result<NodeApplyResult> r = node->Apply(c);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->restart, RestartOutcome::kDone);
  Value cluster = Inspect();
  EXPECT_TRUE(cluster["nodes"]["node-0"]["running"].get<bool>()) << cluster.dump();
  std::string yml = sandbox::e2e::ReadText(home_ + "/config/elasticsearch.yml");
  EXPECT_THAT(yml, HasSubstr("#crosslink-disabled#   truststore.path: certs/transport.p12\n"));
  Result<NodeReadback> back = node->Read();
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->taken_over, before->trust_keys);

  // The user's own trust reads the same: the disabled lines, not crosslink's file.
  Result<TransportTls> after = node->ReadTransportTls();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->ca_pems, before->ca_pems);
  EXPECT_EQ(after->trust_keys, before->trust_keys);
  EXPECT_EQ(after->node_names, before->node_names);
  EXPECT_EQ(Fingerprints(after->ca_pems).size(), 1u);

  NodeChange undo;
  undo.unset_settings = {"xpack.security.transport.ssl.certificate_authorities"};
  undo.remove_files = {"transport-ca.crt"};
  undo.take_over = std::vector<std::string>{};
  undo.restart = true;
  r = node->Apply(undo);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(sandbox::e2e::ReadText(home_ + "/config/elasticsearch.yml"), original_yml_);
  EXPECT_TRUE(Inspect()["nodes"]["node-0"]["running"].get<bool>());
}

TEST_F(SelfNodeSandboxTest, TransportTlsNotConfiguredIsAClearError) {
  std::string yml = original_yml_;
  for (const char* line : {"  keystore.path: certs/transport.p12\n",
                           "  truststore.path: certs/transport.p12\n"}) {
    size_t at = yml.find(line);
    ASSERT_NE(at, std::string::npos);
    yml.erase(at, std::string(line).size());
  }
  ASSERT_TRUE(fs_->WriteFileAtomic(home_ + "/config/elasticsearch.yml", yml, 0660).ok());
  Result<TransportTls> tls = Local()->ReadTransportTls();
  ASSERT_FALSE(tls.ok());
  EXPECT_EQ(tls.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(tls.status().message(), HasSubstr("node node-0 (local " + home_ + "): transport "
                                                "TLS is not configured in " + home_ +
                                                "/config/elasticsearch.yml"));
  EXPECT_THAT(tls.status().message(), HasSubstr("xpack.security.transport.ssl.keystore.path"));
}

TEST_F(SelfNodeSandboxTest, UnreadableKeystoreNamesTheFileAndTheKeystoreSetting) {
  // http.p12 has another password than the one under the transport setting.
  std::string yml = original_yml_;
  const std::string line = "  keystore.path: certs/transport.p12\n";
  size_t at = yml.find(line);
  ASSERT_NE(at, std::string::npos);
  yml.replace(at, line.size(), "  keystore.path: certs/http.p12\n");
  ASSERT_TRUE(fs_->WriteFileAtomic(home_ + "/config/elasticsearch.yml", yml, 0660).ok());
  Result<TransportTls> tls = Local()->ReadTransportTls();
  ASSERT_FALSE(tls.ok());
  const std::string& m = tls.status().message();
  EXPECT_THAT(m, HasSubstr("node node-0"));
  EXPECT_THAT(m, HasSubstr(home_ + "/config/certs/http.p12"));
  EXPECT_THAT(m, HasSubstr("xpack.security.transport.ssl.keystore.secure_password"));
  for (const std::string& secret : KeystoreSecrets(home_)) {
    EXPECT_THAT(m, Not(HasSubstr(secret)));
  }

  // A damaged truststore file.
  ASSERT_TRUE(fs_->WriteFileAtomic(home_ + "/config/elasticsearch.yml", original_yml_, 0660).ok());
  ASSERT_TRUE(fs_->WriteFileAtomic(home_ + "/config/certs/transport.p12", "not a p12", 0660).ok());
  tls = Local()->ReadTransportTls();
  ASSERT_FALSE(tls.ok());
  EXPECT_THAT(tls.status().message(), HasSubstr(home_ + "/config/certs/transport.p12"));
  EXPECT_THAT(tls.status().message(), HasSubstr("not a PKCS#12"));
}

}  // namespace
}  // namespace crosslink::providers::self

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "keystore") {
    std::vector<std::string> args(argv + 2, argv + argc);
    return crosslink::sandbox::self::RunKeystoreCli(args, std::cin, std::cout, std::cerr);
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
