#include "engine/core/pki.h"

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <ctime>
#include <memory>

namespace crosslink::pki {
namespace {

// OID Elasticsearch reads node names from in trust restrictions (id-at-commonName).
constexpr const char* kNodeNameOid = "2.5.4.3";
constexpr int kPkcs12Iterations = 10000;
constexpr std::string_view kBeginCert = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kEndCert = "-----END CERTIFICATE-----";

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME, X509_NAME_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using P12Ptr = std::unique_ptr<PKCS12, Deleter<PKCS12, PKCS12_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;

struct X509StackDeleter {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

// Drains OpenSSL's thread-local error queue into one message. The queue only
// holds library/reason codes and file names, never key material.
std::string DrainErrors() {
  std::string out;
  unsigned long code = 0;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

Status OpenSslError(StatusCode code, const std::string& what) {
  std::string detail = DrainErrors();
  return Status::Error(code, detail.empty() ? what : what + ": " + detail);
}

Status Internal(const std::string& what) { return OpenSslError(StatusCode::kInternal, what); }

BioPtr MemBio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

Result<std::vector<X509Ptr>> ParseChain(std::string_view pem) {
  std::vector<X509Ptr> certs;
  for (const std::string& block : SplitPemCertificates(pem)) {
    BioPtr bio = MemBio(block);
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) return OpenSslError(StatusCode::kInvalidArgument, "cannot parse PEM certificate");
    certs.push_back(std::move(cert));
  }
  if (certs.empty()) return Status::InvalidArgument("no PEM certificate found");
  return certs;
}

Result<KeyPtr> ParseKey(const Secret& key_pem) {
  BioPtr bio = MemBio(key_pem.expose());
  // An empty passphrase callback result: encrypted keys are refused, never prompted for.
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>("")));
  if (!key) return OpenSslError(StatusCode::kInvalidArgument, "cannot parse PEM private key");
  return key;
}

Result<std::string> CertToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_X509(bio.get(), cert)) return Internal("cannot write certificate PEM");
  return BioToString(bio.get());
}

Result<Secret> KeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // PKCS#8, unencrypted ("-----BEGIN PRIVATE KEY-----").
  if (!PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)) {
    return Internal("cannot write private key PEM");
  }
  std::string pem = BioToString(bio.get());
  Secret out(pem);
  OPENSSL_cleanse(pem.data(), pem.size());
  return out;
}

Result<KeyPtr> GenerateKey(KeyType type) {
  KeyPtr key;
  switch (type) {
    case KeyType::kEcP256:
      key.reset(EVP_EC_gen("P-256"));
      break;
    case KeyType::kEcP384:
      key.reset(EVP_EC_gen("P-384"));
      break;
    case KeyType::kRsa2048:
      key.reset(EVP_RSA_gen(2048));
      break;
    case KeyType::kRsa3072:
      key.reset(EVP_RSA_gen(3072));
      break;
    case KeyType::kRsa4096:
      key.reset(EVP_RSA_gen(4096));
      break;
  }
  if (!key) return Internal(std::string(KeyTypeName(type)) + " key generation failed");
  return key;
}

// The KeyType of `key`, or nullopt for one crosslink does not generate.
std::optional<KeyType> KeyTypeOf(const EVP_PKEY* key) {
  if (key == nullptr) return std::nullopt;
  if (EVP_PKEY_is_a(key, "RSA")) {
    switch (EVP_PKEY_get_bits(key)) {
      case 2048:
        return KeyType::kRsa2048;
      case 3072:
        return KeyType::kRsa3072;
      case 4096:
        return KeyType::kRsa4096;
      default:
        return std::nullopt;
    }
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {0};
    size_t len = 0;
    if (!EVP_PKEY_get_group_name(key, group, sizeof(group), &len)) {
      ERR_clear_error();
      return std::nullopt;
    }
    std::string_view name(group, len);
    if (name == "prime256v1" || name == "P-256") return KeyType::kEcP256;
    if (name == "secp384r1" || name == "P-384") return KeyType::kEcP384;
  }
  return std::nullopt;
}

// SHA-384 for a P-384 signing key, else SHA-256.
const EVP_MD* SigningDigest(const EVP_PKEY* signing_key) {
  return KeyTypeOf(signing_key) == KeyType::kEcP384 ? EVP_sha384() : EVP_sha256();
}

bool IsRsa(const EVP_PKEY* key) { return key != nullptr && EVP_PKEY_is_a(key, "RSA"); }

Status SetRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return Internal("RAND_bytes failed");
  bytes[0] &= 0x7f;  // positive
  bytes[0] |= 0x40;  // exactly 127 significant bits, never zero
  std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>> bn(BN_bin2bn(bytes, sizeof(bytes), nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert))) {
    return Internal("cannot set serial number");
  }
  return Status::Ok();
}

Status AddNameEntry(X509_NAME* name, const char* field, const std::string& value) {
  if (value.empty()) return Status::Ok();
  if (!X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                  reinterpret_cast<const unsigned char*>(value.data()),
                                  static_cast<int>(value.size()), -1, 0)) {
    return OpenSslError(StatusCode::kInvalidArgument, std::string("invalid subject ") + field);
  }
  return Status::Ok();
}

Status AddConfExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext || !X509_add_ext(cert, ext.get(), -1)) {
    return Internal(std::string("cannot add extension ") + OBJ_nid2sn(nid));
  }
  return Status::Ok();
}

Result<GeneralNamesPtr> BuildSubjectAltNames(const CertificateSpec& spec) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  auto push = [&](GENERAL_NAME* gn) { sk_GENERAL_NAME_push(names.get(), gn); };
  for (const std::string& dns : spec.dns_names) {
    if (dns.empty()) return Status::InvalidArgument("empty DNS subject alternative name");
    GENERAL_NAME* gn = GENERAL_NAME_new();
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    ASN1_STRING_set(ia5, dns.data(), static_cast<int>(dns.size()));
    GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
    push(gn);
  }
  for (const std::string& ip : spec.ip_addresses) {
    ASN1_OCTET_STRING* octets = a2i_IPADDRESS(ip.c_str());
    if (octets == nullptr) {
      ERR_clear_error();
      return Status::InvalidArgument("invalid IP address subject alternative name: " + ip);
    }
    GENERAL_NAME* gn = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(gn, GEN_IPADD, octets);
    push(gn);
  }
  for (const std::string& other : spec.other_names) {
    ASN1_TYPE* value = ASN1_TYPE_new();
    ASN1_UTF8STRING* utf8 = ASN1_UTF8STRING_new();
    ASN1_STRING_set(utf8, other.data(), static_cast<int>(other.size()));
    ASN1_TYPE_set(value, V_ASN1_UTF8STRING, utf8);
    GENERAL_NAME* gn = GENERAL_NAME_new();
    if (!GENERAL_NAME_set0_othername(gn, OBJ_txt2obj(kNodeNameOid, 1), value)) {
      GENERAL_NAME_free(gn);
      ASN1_TYPE_free(value);
      return Internal("cannot build otherName");
    }
    push(gn);
  }
  return names;
}

// Builds and signs a certificate for `spec` with `key`. `issuer_cert` and
// `issuer_key` are null for a self-signed CA.
Result<X509Ptr> BuildCertificate(const CertificateSpec& spec, EVP_PKEY* key, X509* issuer_cert,
                                 EVP_PKEY* issuer_key) {
  if (spec.common_name.empty()) return Status::InvalidArgument("certificate common_name is required");
  if (spec.validity.count() <= 0) return Status::InvalidArgument("certificate validity must be positive");
  X509Ptr cert(X509_new());
  if (!cert || !X509_set_version(cert.get(), X509_VERSION_3)) return Internal("X509_new failed");
  CROSSLINK_RETURN_IF_ERROR(SetRandomSerial(cert.get()));

  NamePtr subject(X509_NAME_new());
  CROSSLINK_RETURN_IF_ERROR(AddNameEntry(subject.get(), "O", spec.organization));
  CROSSLINK_RETURN_IF_ERROR(AddNameEntry(subject.get(), "CN", spec.common_name));
  X509_set_subject_name(cert.get(), subject.get());
  X509_set_issuer_name(cert.get(),
                       issuer_cert ? X509_get_subject_name(issuer_cert) : subject.get());

  long start = static_cast<long>(spec.not_before_offset.count());
  long end = start + static_cast<long>(spec.validity.count());
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), start) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), end)) {
    return Internal("cannot set validity");
  }
  if (!X509_set_pubkey(cert.get(), key)) return Internal("cannot set public key");

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert ? issuer_cert : cert.get(), cert.get(), nullptr, nullptr, 0);
  if (spec.is_ca) {
    CROSSLINK_RETURN_IF_ERROR(AddConfExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE"));
    CROSSLINK_RETURN_IF_ERROR(
        AddConfExtension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"));
  } else {
    CROSSLINK_RETURN_IF_ERROR(AddConfExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
    CROSSLINK_RETURN_IF_ERROR(
        AddConfExtension(cert.get(), &ctx, NID_key_usage,
                         IsRsa(key) ? "critical,digitalSignature,keyEncipherment"
                                    : "critical,digitalSignature,keyAgreement"));
    CROSSLINK_RETURN_IF_ERROR(
        AddConfExtension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth,clientAuth"));
  }
  CROSSLINK_RETURN_IF_ERROR(AddConfExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  // For a self-signed CA the issuer is the certificate itself, whose SKI is now set.
  CROSSLINK_RETURN_IF_ERROR(
      AddConfExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));

  if (!spec.dns_names.empty() || !spec.ip_addresses.empty() || !spec.other_names.empty()) {
    Result<GeneralNamesPtr> names = BuildSubjectAltNames(spec);
    if (!names.ok()) return names.status();
    if (!X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, names->get(), 0, X509V3_ADD_DEFAULT)) {
      return Internal("cannot add subjectAltName");
    }
  }

  EVP_PKEY* signer = issuer_key ? issuer_key : key;
  if (!X509_sign(cert.get(), signer, SigningDigest(signer))) {
    return Internal("cannot sign certificate");
  }
  return cert;
}

std::chrono::system_clock::time_point ToTimePoint(const ASN1_TIME* t) {
  struct tm tm;
  std::memset(&tm, 0, sizeof(tm));
  if (!ASN1_TIME_to_tm(t, &tm)) return {};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string NameToString(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  return BioToString(bio.get());
}

std::string Asn1ToUtf8(const ASN1_STRING* s) {
  unsigned char* out = nullptr;
  int len = ASN1_STRING_to_UTF8(&out, s);
  if (len < 0) return "";
  std::string result(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  return result;
}

std::string IpToString(const ASN1_OCTET_STRING* ip) {
  char buf[INET6_ADDRSTRLEN] = {0};
  int len = ASN1_STRING_length(ip);
  const unsigned char* data = ASN1_STRING_get0_data(ip);
  if (len == 4) inet_ntop(AF_INET, data, buf, sizeof(buf));
  else if (len == 16) inet_ntop(AF_INET6, data, buf, sizeof(buf));
  return buf;
}

}  // namespace

const char* KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kEcP256:
      return "ec-p256";
    case KeyType::kEcP384:
      return "ec-p384";
    case KeyType::kRsa2048:
      return "rsa-2048";
    case KeyType::kRsa3072:
      return "rsa-3072";
    case KeyType::kRsa4096:
      return "rsa-4096";
  }
  return "ec-p256";
}

std::optional<KeyType> ParseKeyType(std::string_view name) {
  for (KeyType t : AllKeyTypes()) {
    if (name == KeyTypeName(t)) return t;
  }
  return std::nullopt;
}

std::vector<KeyType> AllKeyTypes() {
  return {KeyType::kEcP256, KeyType::kEcP384, KeyType::kRsa2048, KeyType::kRsa3072,
          KeyType::kRsa4096};
}

std::string Identity::LeafPem() const {
  std::vector<std::string> certs = SplitPemCertificates(chain_pem);
  return certs.empty() ? std::string() : certs.front();
}

Result<Identity> CreateCa(const CertificateSpec& spec) {
  CertificateSpec ca_spec = spec;
  ca_spec.is_ca = true;
  Result<KeyPtr> key = GenerateKey(spec.key_type);
  if (!key.ok()) return key.status();
  Result<X509Ptr> cert = BuildCertificate(ca_spec, key->get(), nullptr, nullptr);
  if (!cert.ok()) return cert.status();
  Result<std::string> pem = CertToPem(cert->get());
  if (!pem.ok()) return pem.status();
  Result<Secret> key_pem = KeyToPem(key->get());
  if (!key_pem.ok()) return key_pem.status();
  return Identity{*pem, *key_pem};
}

Result<Identity> IssueCertificate(const CertificateSpec& spec, const Identity& issuer) {
  Result<std::vector<X509Ptr>> issuer_chain = ParseChain(issuer.chain_pem);
  if (!issuer_chain.ok()) return issuer_chain.status().WithContext("issuer");
  Result<KeyPtr> issuer_key = ParseKey(issuer.key_pem);
  if (!issuer_key.ok()) return issuer_key.status().WithContext("issuer");
  X509* issuer_cert = issuer_chain->front().get();
  if (X509_check_private_key(issuer_cert, issuer_key->get()) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("issuer key does not match the issuer certificate");
  }
  if (!(X509_get_extension_flags(issuer_cert) & EXFLAG_CA)) {
    return Status::InvalidArgument("issuer certificate is not a CA (basicConstraints CA:TRUE missing)");
  }
  Result<KeyPtr> key = GenerateKey(spec.key_type);
  if (!key.ok()) return key.status();
  Result<X509Ptr> cert = BuildCertificate(spec, key->get(), issuer_cert, issuer_key->get());
  if (!cert.ok()) return cert.status();
  Result<std::string> pem = CertToPem(cert->get());
  if (!pem.ok()) return pem.status();
  Result<Secret> key_pem = KeyToPem(key->get());
  if (!key_pem.ok()) return key_pem.status();
  std::string chain = *pem;
  for (const std::string& c : SplitPemCertificates(issuer.chain_pem)) chain += c;
  return Identity{chain, *key_pem};
}

Result<std::string> WritePkcs12(const Identity& identity, const Secret& password) {
  Result<std::vector<X509Ptr>> chain = ParseChain(identity.chain_pem);
  if (!chain.ok()) return chain.status();
  Result<KeyPtr> key = ParseKey(identity.key_pem);
  if (!key.ok()) return key.status();
  if (X509_check_private_key(chain->front().get(), key->get()) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("private key does not match the leaf certificate");
  }
  X509StackPtr cas(sk_X509_new_null());
  for (size_t i = 1; i < chain->size(); ++i) {
    X509_up_ref((*chain)[i].get());
    sk_X509_push(cas.get(), (*chain)[i].get());
  }
  const char* pass = password.expose().c_str();
  // mac_iter -1: no MAC here; a SHA-256 MAC is added below (the default is SHA-1).
  P12Ptr p12(PKCS12_create_ex(pass, "crosslink", key->get(), chain->front().get(), cas.get(),
                              NID_aes_256_cbc, NID_aes_256_cbc, kPkcs12Iterations, -1, 0,
                              nullptr, nullptr));
  if (!p12) return Internal("cannot build PKCS#12");
  if (!PKCS12_set_mac(p12.get(), pass, -1, nullptr, 0, kPkcs12Iterations, EVP_sha256())) {
    return Internal("cannot set PKCS#12 MAC");
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!i2d_PKCS12_bio(bio.get(), p12.get())) return Internal("cannot encode PKCS#12");
  return BioToString(bio.get());
}

Result<Identity> ReadPkcs12(std::string_view der, const Secret& password) {
  BioPtr bio = MemBio(der);
  P12Ptr p12(d2i_PKCS12_bio(bio.get(), nullptr));
  if (!p12) return OpenSslError(StatusCode::kCorruption, "not a PKCS#12 file");
  const std::string& pw = password.expose();
  const char* pass = pw.c_str();
  if (PKCS12_mac_present(p12.get())) {
    if (!PKCS12_verify_mac(p12.get(), pass, static_cast<int>(pw.size()))) {
      // An empty password may have been written as "no password" (NULL).
      if (pw.empty() && PKCS12_verify_mac(p12.get(), nullptr, 0)) {
        pass = nullptr;
      } else {
        ERR_clear_error();
        return Status::PermissionDenied(
            "keystore password was incorrect (PKCS#12 MAC verification failed)");
      }
    }
  }
  EVP_PKEY* raw_key = nullptr;
  X509* raw_cert = nullptr;
  STACK_OF(X509)* raw_cas = nullptr;
  if (!PKCS12_parse(p12.get(), pass, &raw_key, &raw_cert, &raw_cas)) {
    if (!PKCS12_mac_present(p12.get())) {
      ERR_clear_error();
      return Status::PermissionDenied("keystore password was incorrect (cannot decrypt PKCS#12)");
    }
    return OpenSslError(StatusCode::kCorruption, "cannot parse PKCS#12");
  }
  KeyPtr key(raw_key);
  X509Ptr cert(raw_cert);
  X509StackPtr cas(raw_cas);
  if (!key || !cert) return Status::Corruption("PKCS#12 holds no private key entry");
  Identity out;
  Result<std::string> leaf = CertToPem(cert.get());
  if (!leaf.ok()) return leaf.status();
  out.chain_pem = *leaf;
  for (int i = 0; cas && i < sk_X509_num(cas.get()); ++i) {
    Result<std::string> pem = CertToPem(sk_X509_value(cas.get(), i));
    if (!pem.ok()) return pem.status();
    out.chain_pem += *pem;
  }
  Result<Secret> key_pem = KeyToPem(key.get());
  if (!key_pem.ok()) return key_pem.status();
  out.key_pem = *key_pem;
  return out;
}

std::vector<std::string> SplitPemCertificates(std::string_view pem) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t begin = pem.find(kBeginCert, pos);
    if (begin == std::string_view::npos) break;
    size_t end = pem.find(kEndCert, begin);
    if (end == std::string_view::npos) break;
    end += kEndCert.size();
    out.emplace_back(pem.substr(begin, end - begin));
    out.back() += '\n';
    pos = end;
  }
  return out;
}

Result<CertificateInfo> InspectCertificate(std::string_view pem) {
  Result<std::vector<X509Ptr>> chain = ParseChain(pem);
  if (!chain.ok()) return chain.status();
  X509* cert = chain->front().get();
  CertificateInfo info;
  info.subject = NameToString(X509_get_subject_name(cert));
  info.issuer = NameToString(X509_get_issuer_name(cert));
  X509_NAME* subject = X509_get_subject_name(cert);
  int idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (idx >= 0) {
    info.common_name = Asn1ToUtf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx)));
  }
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type == GEN_DNS) {
      info.dns_names.push_back(Asn1ToUtf8(gn->d.dNSName));
    } else if (gn->type == GEN_IPADD) {
      info.ip_addresses.push_back(IpToString(gn->d.iPAddress));
    } else if (gn->type == GEN_OTHERNAME) {
      char oid[64];
      OBJ_obj2txt(oid, sizeof(oid), gn->d.otherName->type_id, 1);
      const ASN1_TYPE* value = gn->d.otherName->value;
      if (std::strcmp(oid, kNodeNameOid) == 0 && value->type == V_ASN1_UTF8STRING) {
        info.other_names.push_back(Asn1ToUtf8(value->value.utf8string));
      }
    }
  }
  info.is_ca = (X509_get_extension_flags(cert) & EXFLAG_CA) != 0;
  info.not_before = ToTimePoint(X509_get0_notBefore(cert));
  info.not_after = ToTimePoint(X509_get0_notAfter(cert));
  info.key_type = KeyTypeOf(X509_get0_pubkey(cert));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (!X509_digest(cert, EVP_sha256(), md, &md_len)) return Internal("cannot digest certificate");
  static const char* kHex = "0123456789ABCDEF";
  for (unsigned int i = 0; i < md_len; ++i) {
    if (i) info.sha256_fingerprint += ':';
    info.sha256_fingerprint += kHex[md[i] >> 4];
    info.sha256_fingerprint += kHex[md[i] & 0xf];
  }
  ERR_clear_error();
  return info;
}

bool KeyMatchesCertificate(std::string_view chain_pem, const Secret& key_pem) {
  Result<std::vector<X509Ptr>> chain = ParseChain(chain_pem);
  Result<KeyPtr> key = ParseKey(key_pem);
  bool match = chain.ok() && key.ok() && X509_check_private_key(chain->front().get(), key->get()) == 1;
  ERR_clear_error();
  return match;
}

}  // namespace crosslink::pki
