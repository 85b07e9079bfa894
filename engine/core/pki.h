#pragma once
// crosslink::pki: X.509 and PKCS#12 helpers on OpenSSL, shared by the
// providers (self-managed certificates, CA fingerprints) and the sandbox (every
// twin's certificates). Keys are EC P-256 unless CertificateSpec::key_type
// says otherwise (EC P-384, RSA 2048/3072/4096); PEM is the exchange format.
// Private keys travel as Secret and never print.
//
// Thread-safe: every function is pure (OpenSSL 3 is thread-safe).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/secret.h"
#include "engine/core/status.h"

namespace crosslink::pki {

// A certificate chain (leaf first, then intermediates, PEM concatenated) and
// the leaf's private key (PEM, PKCS#8). A CA is an Identity whose leaf is the
// CA certificate itself.
struct Identity {
  std::string chain_pem;
  Secret key_pem;

  // The first certificate of chain_pem.
  std::string LeafPem() const;
};

// The key a certificate is generated with. Signatures use SHA-256, except
// with a P-384 signing key (SHA-384, as RFC 5480 pairs them). Server
// certificates' keyUsage is digitalSignature plus keyAgreement (EC, ECDHE)
// or keyEncipherment (RSA key transport).
enum class KeyType { kEcP256, kEcP384, kRsa2048, kRsa3072, kRsa4096 };

// "ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096" (the names the
// topology and the pki provider's attributes use).
const char* KeyTypeName(KeyType type);
// The KeyType named `name` (as KeyTypeName writes it), or nullopt.
std::optional<KeyType> ParseKeyType(std::string_view name);
// Every key type, in declaration order.
std::vector<KeyType> AllKeyTypes();

struct CertificateSpec {
  std::string common_name;                // subject CN (required)
  std::string organization;               // subject O (optional)
  std::vector<std::string> dns_names;     // subjectAltName DNS (may hold wildcards "*.x")
  std::vector<std::string> ip_addresses;  // subjectAltName IP (v4 or v6 literals)
  // subjectAltName otherName values (UTF8String) with the OID Elasticsearch
  // uses for node names in trust restrictions (2.5.4.3, as in certutil's
  // "instances.yaml cn:"), e.g. "node-0.node.prod.default.es.local".
  std::vector<std::string> other_names;
  bool is_ca = false;
  KeyType key_type = KeyType::kEcP256;  // the key generated for this certificate
  // Validity window: [now + not_before_offset, now + not_before_offset + validity].
  std::chrono::seconds not_before_offset{-3600};
  std::chrono::seconds validity{std::chrono::hours(24 * 365)};
};

// A new self-signed CA (basicConstraints CA:TRUE, keyCertSign).
Result<Identity> CreateCa(const CertificateSpec& spec);
// A certificate for `spec` signed by `issuer` (a CA Identity). The returned
// chain is the leaf followed by issuer.chain_pem (so intermediates chain up);
// with spec.is_ca it is an intermediate CA.
Result<Identity> IssueCertificate(const CertificateSpec& spec, const Identity& issuer);

// PKCS#12 (DER bytes) holding the identity's key and chain, protected by
// `password` (AES-256-CBC, PBKDF2), as elasticsearch-certutil writes it.
Result<std::string> WritePkcs12(const Identity& identity, const Secret& password);
// Reads what WritePkcs12 (or openssl/certutil) wrote. A wrong password is
// kPermissionDenied; a damaged file kCorruption.
Result<Identity> ReadPkcs12(std::string_view der, const Secret& password);

// Every "-----BEGIN CERTIFICATE-----" block of `pem`, each with its END line
// and a trailing newline. Text outside blocks is ignored.
std::vector<std::string> SplitPemCertificates(std::string_view pem);

struct CertificateInfo {
  std::string subject;  // RFC 2253, e.g. "CN=node-0,O=Elastic"
  std::string issuer;
  std::string common_name;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::vector<std::string> other_names;
  bool is_ca = false;
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
  std::string sha256_fingerprint;  // upper-case hex pairs joined by ':'
  // The certificate's public key type; nullopt for a key crosslink does not
  // generate (e.g. EC P-521, Ed25519, RSA 1024).
  std::optional<KeyType> key_type;
};
// Parses the first certificate of `pem`.
Result<CertificateInfo> InspectCertificate(std::string_view pem);

// True when `key_pem` is the private key of the leaf of `chain_pem`.
bool KeyMatchesCertificate(std::string_view chain_pem, const Secret& key_pem);

}  // namespace crosslink::pki
