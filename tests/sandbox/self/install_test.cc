// Install directories and what a node reads from them at (re)start.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sandbox/self/install.h"
#include "tests/sandbox/self/test_util.h"

namespace crosslink::sandbox::self {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using test_util::ReadText;
using test_util::RunCli;
using test_util::TempDir;
using test_util::WriteText;

TEST(FlatYamlTest, NestedAndFlatKeysNormalise) {
  auto flat = ParseFlatYaml(
      "cluster.name: prod\n"
      "xpack.security.http.ssl:\n  enabled: true\n  keystore.path: certs/http.p12\n"
      "xpack:\n  security:\n    remote_cluster_client.ssl.certificate_authorities: [a.crt, b.crt]\n"
      "empty:\n");
  ASSERT_TRUE(flat.ok()) << flat.status().ToString();
  EXPECT_THAT(flat->at("cluster.name"), ElementsAre("prod"));
  EXPECT_THAT(flat->at("xpack.security.http.ssl.keystore.path"), ElementsAre("certs/http.p12"));
  EXPECT_THAT(flat->at("xpack.security.remote_cluster_client.ssl.certificate_authorities"),
              ElementsAre("a.crt", "b.crt"));
  EXPECT_EQ(flat->count("empty"), 0u);
}

TEST(FlatYamlTest, DuplicateAndMalformedAreErrors) {
  auto dup = ParseFlatYaml("a.b: 1\na:\n  b: 2\n");
  ASSERT_FALSE(dup.ok());
  EXPECT_THAT(dup.status().message(), HasSubstr("duplicate settings key [a.b]"));
  auto bad = ParseFlatYaml("a: [1, 2\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("line"));
  EXPECT_FALSE(ParseFlatYaml("- just\n- a list\n").ok());
}

class InstallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki::CertificateSpec spec;
    spec.common_name = "http ca";
    http_ca_ = *pki::CreateCa(spec);
    spec.common_name = "transport ca";
    transport_ca_ = *pki::CreateCa(spec);
    home_ = dir_.path() + "/logs/node-0";
    InstallSpec install{home_, "logs", "node-0", "127.0.0.1", {"node-0"}, &http_ca_, &transport_ca_};
    ASSERT_TRUE(WriteInstall(install).ok());
  }
  void AppendYml(const std::string& text) {
    WriteText(home_ + "/config/elasticsearch.yml", ReadText(home_ + "/config/elasticsearch.yml") + text);
  }
  TempDir dir_;
  std::string home_;
  pki::Identity http_ca_, transport_ca_;
};

TEST_F(InstallTest, FreshInstallStartsWithAutoConfiguredSecurity) {
  std::string yml = ReadText(home_ + "/config/elasticsearch.yml");
  EXPECT_THAT(yml, HasSubstr("cluster.name: logs"));
  EXPECT_THAT(yml, HasSubstr("network.host: 127.0.0.1"));
  EXPECT_EQ(ReadText(home_ + "/config/certs/http_ca.crt"), http_ca_.chain_pem);
  auto start = ReadNodeConfig(home_);
  ASSERT_TRUE(start.ok()) << start.status().ToString();
  EXPECT_EQ(start->cluster_name, "logs");
  EXPECT_EQ(start->node_name, "node-0");
  const es::NodeConfig& c = start->config;
  ASSERT_TRUE(c.http_identity);
  auto http = pki::InspectCertificate(c.http_identity->chain_pem);
  ASSERT_TRUE(http.ok());
  EXPECT_THAT(http->ip_addresses, ElementsAre("127.0.0.1"));
  EXPECT_THAT(http->dns_names, ElementsAre("logs.self.localhost", "localhost"));
  EXPECT_EQ(http->issuer, "CN=http ca");
  ASSERT_TRUE(c.transport_identity);
  EXPECT_THAT(c.transport_ca_pems, ElementsAre(transport_ca_.chain_pem));
  EXPECT_FALSE(c.transport_verify_hostname);  // verification_mode: certificate
  EXPECT_FALSE(c.rcs_enabled);
  EXPECT_TRUE(c.keystore.count("xpack.security.http.ssl.keystore.secure_password"));
}

TEST_F(InstallTest, StaticRemoteSettingsTrustRestrictionsAndClientCas) {
  WriteText(home_ + "/config/trust.yml", "trust.subject_name:\n  - \"*.node.abc.cluster.org.account\"\n");
  WriteText(home_ + "/config/remote-ca.crt", transport_ca_.chain_pem + http_ca_.chain_pem);
  AppendYml(
      "cluster.remote.prod.mode: proxy\n"
      "cluster.remote:\n  prod.proxy_address: 127.0.0.9:9443\n  old.seeds: [\"127.0.0.2:9300\", \"127.0.0.3:9300\"]\n"
      "xpack.security.transport.ssl.trust_restrictions.path: trust.yml\n"
      "xpack.security.remote_cluster_client.ssl.certificate_authorities: [ \"remote-ca.crt\" ]\n");
  auto start = ReadNodeConfig(home_);
  ASSERT_TRUE(start.ok()) << start.status().ToString();
  const es::NodeConfig& c = start->config;
  EXPECT_EQ(c.static_settings.at("cluster.remote.prod.mode"), "proxy");
  EXPECT_EQ(c.static_settings.at("cluster.remote.prod.proxy_address"), "127.0.0.9:9443");
  EXPECT_EQ(c.static_settings.at("cluster.remote.old.seeds"), "127.0.0.2:9300,127.0.0.3:9300");
  EXPECT_THAT(c.transport_trust_restrictions, ElementsAre("*.node.abc.cluster.org.account"));
  EXPECT_THAT(c.rcs_client_ca_pems, ElementsAre(transport_ca_.chain_pem, http_ca_.chain_pem));
}

TEST_F(InstallTest, MissingCaFileFailsTheStart) {
  AppendYml("xpack.security.remote_cluster_client.ssl.certificate_authorities: missing.crt\n");
  auto start = ReadNodeConfig(home_);
  ASSERT_FALSE(start.ok());
  EXPECT_THAT(start.status().message(),
              HasSubstr("cannot read configured PEM certificate_authorities [" + home_ +
                        "/config/missing.crt] because the file does not exist"));
}

// Real ES (SslConfigurationLoader.buildTrustConfig) refuses a context that
// sets both trust sources; the auto-configured install sets truststore.path
// in a nested mapping, so a flat certificate_authorities line must fail.
TEST_F(InstallTest, CertificateAuthoritiesWithTruststoreFailsTheStart) {
  WriteText(home_ + "/config/extra-ca.crt", http_ca_.chain_pem);
  AppendYml("xpack.security.transport.ssl.certificate_authorities: [\"extra-ca.crt\"]\n");
  auto start = ReadNodeConfig(home_);
  ASSERT_FALSE(start.ok());
  EXPECT_THAT(start.status().message(),
              HasSubstr("cannot specify both [xpack.security.transport.ssl.certificate_authorities] and "
                        "[xpack.security.transport.ssl.truststore.path]"));
}

TEST_F(InstallTest, BothTrustSourcesAreRefusedForEveryPrefix) {
  for (const std::string prefix :
       {"xpack.security.http.ssl", "xpack.security.remote_cluster_server.ssl",
        "xpack.security.remote_cluster_client.ssl"}) {
    SCOPED_TRACE(prefix);
    const std::string before = ReadText(home_ + "/config/elasticsearch.yml");
    AppendYml(prefix + ".certificate_authorities: []\n" + prefix + ".truststore.path: certs/transport.p12\n");
    auto start = ReadNodeConfig(home_);
    ASSERT_FALSE(start.ok());
    EXPECT_THAT(start.status().message(), HasSubstr("cannot specify both [" + prefix +
                                                    ".certificate_authorities] and [" + prefix +
                                                    ".truststore.path]"));
    WriteText(home_ + "/config/elasticsearch.yml", before);
  }
}

TEST_F(InstallTest, CertificateAuthoritiesReplacingTheTruststoreStarts) {
  // What crosslink's take-over does: the truststore line disabled (commented),
  // the CAs from one PEM file.
  std::string yml = ReadText(home_ + "/config/elasticsearch.yml");
  const std::string line = "  truststore.path: certs/transport.p12\n";
  ASSERT_NE(yml.find(line), std::string::npos);
  yml.replace(yml.find(line), line.size(), "#crosslink-disabled#   truststore.path: certs/transport.p12\n");
  WriteText(home_ + "/config/crosslink/transport-ca.crt", transport_ca_.chain_pem + http_ca_.chain_pem);
  WriteText(home_ + "/config/elasticsearch.yml",
            yml + "xpack.security.transport.ssl.certificate_authorities: [\"crosslink/transport-ca.crt\"]\n");
  auto start = ReadNodeConfig(home_);
  ASSERT_TRUE(start.ok()) << start.status().ToString();
  EXPECT_THAT(start->config.transport_ca_pems, ElementsAre(transport_ca_.chain_pem, http_ca_.chain_pem));
}

TEST_F(InstallTest, RcsWithoutKeyMaterialFailsTheStart) {
  AppendYml("remote_cluster_server.enabled: true\n");
  auto start = ReadNodeConfig(home_);
  ASSERT_FALSE(start.ok());
  EXPECT_THAT(start.status().message(),
              HasSubstr("invalid SSL configuration for xpack.security.remote_cluster_server.ssl - server ssl "
                        "configuration requires a key and certificate"));
}

TEST_F(InstallTest, RcsFromPemCertificateAndKey) {
  pki::CertificateSpec spec;
  spec.common_name = "rcs";
  auto id = pki::IssueCertificate(spec, http_ca_);
  ASSERT_TRUE(id.ok());
  WriteText(home_ + "/config/rcs.crt", id->chain_pem);
  WriteText(home_ + "/config/rcs.key", id->key_pem.expose());
  AppendYml(
      "remote_cluster_server.enabled: true\nremote_cluster.port: 9543\n"
      "xpack.security.remote_cluster_server.ssl.certificate: rcs.crt\n"
      "xpack.security.remote_cluster_server.ssl.key: rcs.key\n");
  auto start = ReadNodeConfig(home_);
  ASSERT_TRUE(start.ok()) << start.status().ToString();
  EXPECT_TRUE(start->config.rcs_enabled);
  EXPECT_EQ(start->rcs_port, 9543);
  EXPECT_EQ(start->config.rcs_identity->chain_pem, id->chain_pem);
}

TEST_F(InstallTest, BadBooleanAndBadPortFailTheStart) {
  AppendYml("remote_cluster_server.enabled: yes-please\n");
  auto start = ReadNodeConfig(home_);
  ASSERT_FALSE(start.ok());
  EXPECT_THAT(start.status().message(), HasSubstr("Failed to parse value [yes-please] as only [true] or [false] are allowed."));
}

TEST_F(InstallTest, PasswordProtectedKeystoreNeedsTheBootstrapPasswordFile) {
  // Re-create the keystore protected, with the p12 passwords copied over.
  auto entries = ReadKeystoreEntries(home_, Secret());
  ASSERT_TRUE(entries.ok());
  std::string http_pw = entries->at("xpack.security.http.ssl.keystore.secure_password").expose();
  std::string transport_pw = entries->at("xpack.security.transport.ssl.keystore.secure_password").expose();
  ::setenv("KEYSTORE_PASSWORD", "bootstrap-pass", 1);
  ASSERT_EQ(RunCli(home_, {"create"}, "y\n").code, 0);
  ASSERT_EQ(RunCli(home_, {"add", "-x", "xpack.security.http.ssl.keystore.secure_password"}, http_pw).code, 0);
  ASSERT_EQ(RunCli(home_, {"add", "-x", "xpack.security.transport.ssl.keystore.secure_password"}, transport_pw).code, 0);
  ASSERT_EQ(RunCli(home_, {"add", "-x", "xpack.security.transport.ssl.truststore.secure_password"}, transport_pw).code, 0);
  ::unsetenv("KEYSTORE_PASSWORD");

  auto start = ReadNodeConfig(home_);
  ASSERT_FALSE(start.ok());
  EXPECT_THAT(start.status().message(), HasSubstr("Provided keystore password was incorrect"));
  WriteText(home_ + "/config/.keystore_password", "bootstrap-pass\n");
  start = ReadNodeConfig(home_);
  ASSERT_TRUE(start.ok()) << start.status().ToString();
}

TEST_F(InstallTest, ScriptsExecTheSandboxBinary) {
  ASSERT_TRUE(WriteInstallScripts(home_, "/opt/x/crosslink-sandbox", "http://127.0.0.1:1/_sandbox/r").ok());
  std::string ks = ReadText(home_ + "/bin/elasticsearch-keystore");
  EXPECT_THAT(ks, HasSubstr("exec '/opt/x/crosslink-sandbox' keystore --home '" + home_ + "' \"$@\""));
  EXPECT_THAT(ReadText(home_ + "/bin/restart"), HasSubstr("curl -fsS -X POST 'http://127.0.0.1:1/_sandbox/r'"));
  EXPECT_EQ(std::filesystem::status(home_ + "/bin/restart").permissions() & std::filesystem::perms::owner_exec,
            std::filesystem::perms::owner_exec);
}

}  // namespace
}  // namespace crosslink::sandbox::self
