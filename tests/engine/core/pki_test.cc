#include "engine/core/pki.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <map>
#include <regex>
#include <utility>

namespace crosslink::pki {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

X509* ParsePem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

// Verifies the leaf of `chain_pem` (intermediates taken from the chain)
// against `root_pem` with OpenSSL's own path validation.
int VerifyChain(const std::string& chain_pem, const std::string& root_pem) {
  std::vector<std::string> certs = SplitPemCertificates(chain_pem);
  X509* leaf = ParsePem(certs.at(0));
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  for (size_t i = 1; i < certs.size(); ++i) sk_X509_push(untrusted, ParsePem(certs[i]));
  X509_STORE* store = X509_STORE_new();
  X509* root = ParsePem(root_pem);
  X509_STORE_add_cert(store, root);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, untrusted);
  X509_VERIFY_PARAM_set_purpose(X509_STORE_CTX_get0_param(ctx), X509_PURPOSE_SSL_SERVER);
  int ok = X509_verify_cert(ctx);
  int err = X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(root);
  X509_free(leaf);
  sk_X509_pop_free(untrusted, X509_free);
  ERR_clear_error();
  return ok == 1 ? X509_V_OK : err;
}

CertificateSpec CaSpec(const std::string& cn) {
  CertificateSpec spec;
  spec.common_name = cn;
  spec.organization = "Crosslink";
  return spec;
}

class PkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<Identity> ca = CreateCa(CaSpec("crosslink test CA"));
    ASSERT_TRUE(ca.ok()) << ca.status().ToString();
    ca_ = *ca;
  }
  Identity ca_;
};

TEST_F(PkiTest, CaIsSelfSignedCaWithKey) {
  Result<CertificateInfo> info = InspectCertificate(ca_.chain_pem);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(info->is_ca);
  EXPECT_EQ(info->common_name, "crosslink test CA");
  EXPECT_EQ(info->subject, "CN=crosslink test CA,O=Crosslink");
  EXPECT_EQ(info->subject, info->issuer);
  EXPECT_EQ(SplitPemCertificates(ca_.chain_pem).size(), 1u);
  EXPECT_THAT(ca_.key_pem.expose(), HasSubstr("-----BEGIN PRIVATE KEY-----"));
  EXPECT_TRUE(KeyMatchesCertificate(ca_.chain_pem, ca_.key_pem));
  EXPECT_EQ(VerifyChain(ca_.chain_pem, ca_.LeafPem()), X509_V_OK);
}

TEST_F(PkiTest, CreateCaRequiresCommonName) {
  Result<Identity> ca = CreateCa(CertificateSpec{});
  ASSERT_FALSE(ca.ok());
  EXPECT_EQ(ca.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(PkiTest, IssuedLeafVerifiesAndCarriesSubjectAltNames) {
  CertificateSpec spec;
  spec.common_name = "node-0";
  spec.dns_names = {"prod-es-http.default.svc", "*.prod.example.com"};
  spec.ip_addresses = {"127.0.0.1", "::1"};
  spec.other_names = {"node-0.node.prod.default.es.local"};
  Result<Identity> leaf = IssueCertificate(spec, ca_);
  ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
  EXPECT_EQ(SplitPemCertificates(leaf->chain_pem).size(), 2u);
  EXPECT_EQ(VerifyChain(leaf->chain_pem, ca_.LeafPem()), X509_V_OK);

  Result<CertificateInfo> info = InspectCertificate(leaf->chain_pem);
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->is_ca);
  EXPECT_EQ(info->common_name, "node-0");
  EXPECT_EQ(info->issuer, "CN=crosslink test CA,O=Crosslink");
  EXPECT_THAT(info->dns_names, ElementsAre("prod-es-http.default.svc", "*.prod.example.com"));
  EXPECT_THAT(info->ip_addresses, ElementsAre("127.0.0.1", "::1"));
  EXPECT_THAT(info->other_names, ElementsAre("node-0.node.prod.default.es.local"));
  EXPECT_LT(info->not_before, std::chrono::system_clock::now());
  EXPECT_GT(info->not_after, std::chrono::system_clock::now() + std::chrono::hours(24 * 364));
}

TEST_F(PkiTest, LeafFromAnotherCaDoesNotVerify) {
  Result<Identity> other = CreateCa(CaSpec("other CA"));
  ASSERT_TRUE(other.ok());
  CertificateSpec spec;
  spec.common_name = "x";
  Result<Identity> leaf = IssueCertificate(spec, *other);
  ASSERT_TRUE(leaf.ok());
  EXPECT_NE(VerifyChain(leaf->chain_pem, ca_.LeafPem()), X509_V_OK);
}

TEST_F(PkiTest, ExpiredCertificateFailsVerification) {
  CertificateSpec spec;
  spec.common_name = "old";
  spec.not_before_offset = std::chrono::hours(-48);
  spec.validity = std::chrono::hours(24);
  Result<Identity> leaf = IssueCertificate(spec, ca_);
  ASSERT_TRUE(leaf.ok());
  EXPECT_EQ(VerifyChain(leaf->chain_pem, ca_.LeafPem()), X509_V_ERR_CERT_HAS_EXPIRED);
}

TEST_F(PkiTest, IntermediateCaChainsUpToRoot) {
  CertificateSpec inter_spec = CaSpec("intermediate");
  inter_spec.is_ca = true;
  Result<Identity> inter = IssueCertificate(inter_spec, ca_);
  ASSERT_TRUE(inter.ok()) << inter.status().ToString();
  Result<CertificateInfo> inter_info = InspectCertificate(inter->chain_pem);
  ASSERT_TRUE(inter_info.ok());
  EXPECT_TRUE(inter_info->is_ca);

  CertificateSpec spec;
  spec.common_name = "leaf";
  spec.dns_names = {"leaf.local"};
  Result<Identity> leaf = IssueCertificate(spec, *inter);
  ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
  EXPECT_EQ(SplitPemCertificates(leaf->chain_pem).size(), 3u);
  EXPECT_EQ(VerifyChain(leaf->chain_pem, ca_.LeafPem()), X509_V_OK);
}

TEST_F(PkiTest, LeafCannotIssue) {
  CertificateSpec spec;
  spec.common_name = "leaf";
  Result<Identity> leaf = IssueCertificate(spec, ca_);
  ASSERT_TRUE(leaf.ok());
  Result<Identity> grandchild = IssueCertificate(spec, *leaf);
  ASSERT_FALSE(grandchild.ok());
  EXPECT_EQ(grandchild.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(grandchild.status().message(), HasSubstr("not a CA"));
}

TEST_F(PkiTest, InvalidIpAddressIsRejected) {
  CertificateSpec spec;
  spec.common_name = "leaf";
  spec.ip_addresses = {"300.1.1.1"};
  Result<Identity> leaf = IssueCertificate(spec, ca_);
  ASSERT_FALSE(leaf.ok());
  EXPECT_EQ(leaf.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(leaf.status().message(), HasSubstr("300.1.1.1"));
}

TEST_F(PkiTest, Pkcs12RoundTripKeepsKeyAndChain) {
  CertificateSpec spec;
  spec.common_name = "http";
  spec.ip_addresses = {"127.0.0.1"};
  Result<Identity> leaf = IssueCertificate(spec, ca_);
  ASSERT_TRUE(leaf.ok());
  Result<std::string> der = WritePkcs12(*leaf, Secret("p12-password"));
  ASSERT_TRUE(der.ok()) << der.status().ToString();
  EXPECT_GT(der->size(), 500u);

  Result<Identity> read = ReadPkcs12(*der, Secret("p12-password"));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->chain_pem, leaf->chain_pem);
  EXPECT_TRUE(KeyMatchesCertificate(read->chain_pem, read->key_pem));
  EXPECT_TRUE(KeyMatchesCertificate(leaf->chain_pem, read->key_pem));
}

TEST_F(PkiTest, Pkcs12WithEmptyPasswordRoundTrips) {
  Result<std::string> der = WritePkcs12(ca_, Secret(""));
  ASSERT_TRUE(der.ok()) << der.status().ToString();
  Result<Identity> read = ReadPkcs12(*der, Secret(""));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->chain_pem, ca_.chain_pem);
}

TEST_F(PkiTest, Pkcs12WrongPasswordIsPermissionDenied) {
  Result<std::string> der = WritePkcs12(ca_, Secret("right-password"));
  ASSERT_TRUE(der.ok());
  Result<Identity> read = ReadPkcs12(*der, Secret("wrong-password"));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(read.status().message(), HasSubstr("password was incorrect"));
  EXPECT_THAT(read.status().message(), ::testing::Not(HasSubstr("right-password")));
}

TEST_F(PkiTest, DamagedPkcs12IsCorruption) {
  Result<std::string> der = WritePkcs12(ca_, Secret("pw"));
  ASSERT_TRUE(der.ok());
  Result<Identity> read = ReadPkcs12(der->substr(0, der->size() / 2), Secret("pw"));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kCorruption);
  Result<Identity> garbage = ReadPkcs12("not a p12 file", Secret("pw"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), StatusCode::kCorruption);
}

TEST_F(PkiTest, WritePkcs12RefusesMismatchedKey) {
  Result<Identity> other = CreateCa(CaSpec("other"));
  ASSERT_TRUE(other.ok());
  Identity mixed{ca_.chain_pem, other->key_pem};
  Result<std::string> der = WritePkcs12(mixed, Secret("pw"));
  ASSERT_FALSE(der.ok());
  EXPECT_EQ(der.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(PkiTest, FingerprintIsUpperHexPairs) {
  Result<CertificateInfo> info = InspectCertificate(ca_.chain_pem);
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(std::regex_match(info->sha256_fingerprint, std::regex("([0-9A-F]{2}:){31}[0-9A-F]{2}")))
      << info->sha256_fingerprint;
  Result<Identity> other = CreateCa(CaSpec("crosslink test CA"));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(InspectCertificate(other->chain_pem)->sha256_fingerprint, info->sha256_fingerprint);
}

TEST_F(PkiTest, InspectRejectsNonCertificate) {
  Result<CertificateInfo> info = InspectCertificate("hello");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kInvalidArgument);
  Result<CertificateInfo> broken =
      InspectCertificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  ASSERT_FALSE(broken.ok());
}

TEST_F(PkiTest, SplitPemCertificatesIgnoresTextOutsideBlocks) {
  std::string a = "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----";
  std::string b = "-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----";
  std::string text = "subject=foo\n" + a + "\n\nnoise\n" + b + "\r\n-----BEGIN CERTIFICATE-----\nunterminated";
  EXPECT_THAT(SplitPemCertificates(text), ElementsAre(a + "\n", b + "\n"));
  EXPECT_TRUE(SplitPemCertificates("").empty());
  EXPECT_EQ(Identity{}.LeafPem(), "");
}

TEST_F(PkiTest, KeyMatchesCertificateDetectsMismatchAndGarbage) {
  CertificateSpec spec;
  spec.common_name = "leaf";
  Result<Identity> leaf = IssueCertificate(spec, ca_);
  ASSERT_TRUE(leaf.ok());
  EXPECT_TRUE(KeyMatchesCertificate(leaf->chain_pem, leaf->key_pem));
  EXPECT_FALSE(KeyMatchesCertificate(leaf->chain_pem, ca_.key_pem));
  EXPECT_FALSE(KeyMatchesCertificate(leaf->chain_pem, Secret("not a key")));
  EXPECT_FALSE(KeyMatchesCertificate("not a cert", leaf->key_pem));
}

TEST_F(PkiTest, SerialsAreRandomAndDistinct) {
  CertificateSpec spec;
  spec.common_name = "same";
  Result<Identity> a = IssueCertificate(spec, ca_);
  Result<Identity> b = IssueCertificate(spec, ca_);
  ASSERT_TRUE(a.ok() && b.ok());
  X509* xa = ParsePem(a->LeafPem());
  X509* xb = ParsePem(b->LeafPem());
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(xa), X509_get0_serialNumber(xb)), 0);
  X509_free(xa);
  X509_free(xb);
}

// ------------------------------------------------------------ key types

TEST(PkiKeyTypeNames, RoundTripAndRejectUnknown) {
  for (KeyType t : AllKeyTypes()) {
    EXPECT_EQ(ParseKeyType(KeyTypeName(t)), t) << KeyTypeName(t);
  }
  EXPECT_EQ(AllKeyTypes().size(), 5u);
  EXPECT_EQ(ParseKeyType("rsa-1024"), std::nullopt);
  EXPECT_EQ(ParseKeyType("EC-P256"), std::nullopt);
  EXPECT_EQ(ParseKeyType(""), std::nullopt);
  EXPECT_EQ(CertificateSpec{}.key_type, KeyType::kEcP256);
}

// The OpenSSL name and size of the certificate's public key.
std::pair<std::string, int> PublicKeyOf(const std::string& pem) {
  X509* cert = ParsePem(pem);
  EVP_PKEY* key = X509_get0_pubkey(cert);
  std::string type = EVP_PKEY_is_a(key, "RSA") ? "RSA" : EVP_PKEY_is_a(key, "EC") ? "EC" : "?";
  int bits = EVP_PKEY_get_bits(key);
  X509_free(cert);
  return {type, bits};
}

int SignatureDigestNid(const std::string& pem) {
  X509* cert = ParsePem(pem);
  int md_nid = NID_undef;
  X509_get_signature_info(cert, &md_nid, nullptr, nullptr, nullptr);
  X509_free(cert);
  return md_nid;
}

uint32_t KeyUsageOf(const std::string& pem) {
  X509* cert = ParsePem(pem);
  uint32_t usage = X509_get_key_usage(cert);
  X509_free(cert);
  return usage;
}

class PkiKeyTypeTest : public ::testing::TestWithParam<KeyType> {};

TEST_P(PkiKeyTypeTest, CaAndLeafOfTheKeyTypeVerifyAndRoundTrip) {
  const KeyType type = GetParam();
  const bool rsa = type == KeyType::kRsa2048 || type == KeyType::kRsa3072 ||
                   type == KeyType::kRsa4096;
  const std::map<KeyType, int> bits = {{KeyType::kEcP256, 256}, {KeyType::kEcP384, 384},
                                       {KeyType::kRsa2048, 2048}, {KeyType::kRsa3072, 3072},
                                       {KeyType::kRsa4096, 4096}};
  const int digest = type == KeyType::kEcP384 ? NID_sha384 : NID_sha256;

  CertificateSpec ca_spec = CaSpec(std::string("CA ") + KeyTypeName(type));
  ca_spec.key_type = type;
  Result<Identity> ca = CreateCa(ca_spec);
  ASSERT_TRUE(ca.ok()) << ca.status().ToString();
  EXPECT_EQ(VerifyChain(ca->chain_pem, ca->LeafPem()), X509_V_OK);
  EXPECT_EQ(PublicKeyOf(ca->LeafPem()), std::make_pair(std::string(rsa ? "RSA" : "EC"),
                                                       bits.at(type)));
  EXPECT_EQ(SignatureDigestNid(ca->LeafPem()), digest);
  EXPECT_EQ(KeyUsageOf(ca->LeafPem()) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN),
            static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_TRUE(KeyMatchesCertificate(ca->chain_pem, ca->key_pem));

  CertificateSpec spec;
  spec.common_name = "rcs";
  spec.dns_names = {"es.example.com"};
  spec.ip_addresses = {"10.0.0.5"};
  spec.key_type = type;
  Result<Identity> leaf = IssueCertificate(spec, *ca);
  ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
  EXPECT_EQ(VerifyChain(leaf->chain_pem, ca->LeafPem()), X509_V_OK);
  EXPECT_EQ(PublicKeyOf(leaf->LeafPem()).second, bits.at(type));
  EXPECT_EQ(SignatureDigestNid(leaf->LeafPem()), digest);
  const uint32_t usage = KeyUsageOf(leaf->LeafPem());
  EXPECT_TRUE(usage & KU_DIGITAL_SIGNATURE);
  EXPECT_EQ((usage & KU_KEY_ENCIPHERMENT) != 0, rsa);
  EXPECT_EQ((usage & KU_KEY_AGREEMENT) != 0, !rsa);
  EXPECT_FALSE(usage & KU_KEY_CERT_SIGN);
  EXPECT_TRUE(KeyMatchesCertificate(leaf->chain_pem, leaf->key_pem));
  EXPECT_FALSE(KeyMatchesCertificate(leaf->chain_pem, ca->key_pem));

  Result<CertificateInfo> info = InspectCertificate(leaf->chain_pem);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->key_type, type);
  EXPECT_THAT(info->dns_names, ElementsAre("es.example.com"));

  Result<std::string> der = WritePkcs12(*leaf, Secret("pw-" + std::string(KeyTypeName(type))));
  ASSERT_TRUE(der.ok()) << der.status().ToString();
  Result<Identity> back = ReadPkcs12(*der, Secret("pw-" + std::string(KeyTypeName(type))));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->chain_pem, leaf->chain_pem);
  EXPECT_TRUE(KeyMatchesCertificate(back->chain_pem, back->key_pem));
  EXPECT_EQ(VerifyChain(back->chain_pem, ca->LeafPem()), X509_V_OK);
}

INSTANTIATE_TEST_SUITE_P(AllKeyTypes, PkiKeyTypeTest, ::testing::ValuesIn(AllKeyTypes()),
                         [](const ::testing::TestParamInfo<KeyType>& p) {
                           std::string name = KeyTypeName(p.param);
                           name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
                           return name;
                         });

TEST_F(PkiTest, MixedKeyTypesChain) {
  // An RSA server certificate under the (EC P-256) CA, and an EC P-256 one
  // under an RSA CA: the signature follows the issuer's key.
  CertificateSpec spec;
  spec.common_name = "mixed";
  spec.key_type = KeyType::kRsa2048;
  Result<Identity> rsa_leaf = IssueCertificate(spec, ca_);
  ASSERT_TRUE(rsa_leaf.ok()) << rsa_leaf.status().ToString();
  EXPECT_EQ(VerifyChain(rsa_leaf->chain_pem, ca_.LeafPem()), X509_V_OK);
  EXPECT_EQ(InspectCertificate(rsa_leaf->chain_pem)->key_type, KeyType::kRsa2048);
  EXPECT_EQ(InspectCertificate(ca_.chain_pem)->key_type, KeyType::kEcP256);

  CertificateSpec ca_spec = CaSpec("P-384 CA");
  ca_spec.key_type = KeyType::kEcP384;
  Result<Identity> p384 = CreateCa(ca_spec);
  ASSERT_TRUE(p384.ok());
  spec.key_type = KeyType::kEcP256;
  Result<Identity> ec_leaf = IssueCertificate(spec, *p384);
  ASSERT_TRUE(ec_leaf.ok());
  EXPECT_EQ(VerifyChain(ec_leaf->chain_pem, p384->LeafPem()), X509_V_OK);
  EXPECT_EQ(SignatureDigestNid(ec_leaf->LeafPem()), NID_sha384);
  EXPECT_EQ(InspectCertificate(ec_leaf->chain_pem)->key_type, KeyType::kEcP256);
}

}  // namespace
}  // namespace crosslink::pki
