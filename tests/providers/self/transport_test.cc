// Reading a node's own transport TLS from its yml and files (in memory):
// PEM certificate_authorities, certificates-only truststores, PEM node
// certificates, crosslink's own file excluded, secure settings kept secret.

#include "providers/self/transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include <map>

#include "engine/core/pki.h"
#include "tests/fakes/mem_filesystem.h"

namespace crosslink::providers::self::internal {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kConfig = "/es/config";
const std::string kPassword = "Transport-P12-password-secret-77";

class TransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki::CertificateSpec ca_spec;
    ca_spec.common_name = "user transport CA";
    ca_ = *pki::CreateCa(ca_spec);
    ca_spec.common_name = "second CA";
    other_ca_ = *pki::CreateCa(ca_spec);
    pki::CertificateSpec spec;
    spec.common_name = "es1";
    spec.other_names = {"es1.node.prod.cluster.local.account"};
    node_ = *pki::IssueCertificate(spec, ca_);
    mem_.MakeDirs("/es/config/certs", 0750);
  }

  Result<TransportTls> Read(const std::string& yml_text) {
    Result<YmlFile> yml = YmlFile::Parse("/es/config/elasticsearch.yml", yml_text);
    EXPECT_TRUE(yml.ok()) << yml.status().ToString();
    if (!yml.ok()) return yml.status();
    TransportSource source;
    source.node = "node es1 (local /es)";
    source.config_dir = kConfig;
    source.fs = &mem_;
    source.secure = [this](const std::string& setting) -> Result<std::optional<Secret>> {
      asked_.push_back(setting);
      auto it = keystore_.find(setting);
      if (it == keystore_.end()) return std::optional<Secret>();
      return std::optional<Secret>(Secret(it->second));
    };
    return ReadTransportTls(*yml, source);
  }

  // A certificates-only PKCS#12 (no key), as keytool writes truststores:
  // openssl's PKCS12_create with a NULL key.
  std::string TrustOnlyP12(const std::vector<std::string>& pems, const std::string& password) {
    STACK_OF(X509)* certs = sk_X509_new_null();
    for (const std::string& pem : pems) {
      BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
      sk_X509_push(certs, PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
      BIO_free(bio);
    }
    PKCS12* p12 = PKCS12_create(password.c_str(), nullptr, nullptr, nullptr, certs, 0, 0, 0, 0, 0);
    sk_X509_pop_free(certs, X509_free);
    EXPECT_NE(p12, nullptr);
    unsigned char* der = nullptr;
    int size = i2d_PKCS12(p12, &der);
    std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(size));
    OPENSSL_free(der);
    PKCS12_free(p12);
    return out;
  }

  pki::Identity ca_, other_ca_, node_;
  fakes::MemFileSystem mem_;
  std::map<std::string, std::string> keystore_;
  std::vector<std::string> asked_;
};

TEST_F(TransportTest, PemCertificateAndCertificateAuthoritiesList) {
  mem_.SetFile("/es/config/certs/node.crt", node_.chain_pem);
  mem_.SetFile("/es/config/certs/ca.crt", ca_.LeafPem() + other_ca_.LeafPem() + ca_.LeafPem());
  mem_.SetFile("/es/config/crosslink/transport-ca.crt", "crosslink's own: never read");
  Result<TransportTls> tls = Read(
      "xpack.security.transport.ssl.enabled: true\n"
      "xpack.security.transport.ssl.certificate: certs/node.crt\n"
      "xpack.security.transport.ssl.key: certs/node.key\n"
      "#crosslink-disabled# xpack.security.transport.ssl.certificate_authorities:\n"
      "#crosslink-disabled#   - certs/ca.crt\n"
      "#crosslink-disabled#   - crosslink/transport-ca.crt\n");
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  EXPECT_EQ(tls->ca_pems, (std::vector<std::string>{ca_.LeafPem(), other_ca_.LeafPem()}));
  EXPECT_EQ(tls->node_names, std::vector<std::string>{"es1.node.prod.cluster.local.account"});
  EXPECT_EQ(tls->common_name, "es1");
  EXPECT_EQ(tls->trust_keys,
            std::vector<std::string>{"xpack.security.transport.ssl.certificate_authorities"});
  EXPECT_TRUE(asked_.empty()) << "no keystore needed for PEM files";
}

TEST_F(TransportTest, CertificatesOnlyTruststoreWithLegacyPassword) {
  mem_.SetFile("/es/config/certs/node.p12", *pki::WritePkcs12(node_, Secret(kPassword)));
  mem_.SetFile("/es/config/certs/trust.p12",
               TrustOnlyP12({ca_.LeafPem(), other_ca_.LeafPem()}, "legacy-pw"));
  keystore_["xpack.security.transport.ssl.keystore.secure_password"] = kPassword;
  Result<TransportTls> tls = Read(
      "xpack.security.transport.ssl:\n"
      "  keystore.path: certs/node.p12\n"
      "  truststore.path: /es/config/certs/trust.p12\n"
      "  truststore.password: legacy-pw\n"
      "  truststore.type: PKCS12\n");
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  EXPECT_EQ(tls->ca_pems, (std::vector<std::string>{ca_.LeafPem(), other_ca_.LeafPem()}));
  EXPECT_EQ(tls->trust_keys,
            (std::vector<std::string>{"xpack.security.transport.ssl.truststore.path",
                                      "xpack.security.transport.ssl.truststore.type",
                                      "xpack.security.transport.ssl.truststore.password"}));
}

TEST_F(TransportTest, WithoutTrustSettingsTheKeystoreChainIsTrusted) {
  mem_.SetFile("/es/config/certs/node.p12", *pki::WritePkcs12(node_, Secret(kPassword)));
  keystore_["xpack.security.transport.ssl.keystore.secure_password"] = kPassword;
  Result<TransportTls> tls = Read("xpack.security.transport.ssl.keystore.path: certs/node.p12\n");
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  EXPECT_EQ(tls->ca_pems, std::vector<std::string>{ca_.LeafPem()});
  EXPECT_TRUE(tls->trust_keys.empty());
}

TEST_F(TransportTest, WrongPasswordNamesFileAndSettingButNotTheValue) {
  mem_.SetFile("/es/config/certs/node.p12", *pki::WritePkcs12(node_, Secret(kPassword)));
  keystore_["xpack.security.transport.ssl.keystore.secure_password"] = "Wrong-password-value-99";
  Result<TransportTls> tls = Read("xpack.security.transport.ssl.keystore.path: certs/node.p12\n");
  ASSERT_FALSE(tls.ok());
  const std::string& m = tls.status().message();
  EXPECT_EQ(tls.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(m,
              HasSubstr("node es1 (local /es): cannot read the PKCS#12 "
                        "/es/config/certs/node.p12 (xpack.security.transport.ssl.keystore.path)"));
  EXPECT_THAT(m,
              HasSubstr("keystore setting xpack.security.transport.ssl.keystore.secure_password"));
  EXPECT_THAT(m, Not(HasSubstr("Wrong-password-value-99")));
  EXPECT_THAT(m, Not(HasSubstr(kPassword)));
}

TEST_F(TransportTest, MissingFilesAndDisabledTlsAreClearErrors) {
  Result<TransportTls> tls = Read("xpack.security.transport.ssl.keystore.path: certs/none.p12\n");
  ASSERT_FALSE(tls.ok());
  EXPECT_THAT(tls.status().message(), HasSubstr("cannot read /es/config/certs/none.p12 "
                                                "(xpack.security.transport.ssl.keystore.path"));
  tls = Read("xpack.security.transport.ssl.enabled: false\n");
  ASSERT_FALSE(tls.ok());
  EXPECT_THAT(tls.status().message(), HasSubstr("transport TLS is off"));
  mem_.SetFile("/es/config/certs/node.crt", node_.LeafPem());
  tls = Read("xpack.security.transport.ssl.certificate: certs/node.crt\n");
  ASSERT_FALSE(tls.ok());
  EXPECT_THAT(tls.status().message(), HasSubstr("cannot tell which CA signs"));
}

TEST_F(TransportTest, NormalizeCertificatesGivesCanonicalPem) {
  std::string crlf;
  for (char c : ca_.LeafPem()) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  Result<std::vector<std::string>> certs = NormalizeCertificates("junk\r\n" + crlf);
  ASSERT_TRUE(certs.ok());
  EXPECT_EQ(*certs, std::vector<std::string>{ca_.LeafPem()});
}

}  // namespace
}  // namespace crosslink::providers::self::internal
