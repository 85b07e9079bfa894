#pragma once
// The "pki" provider: what `elasticsearch-certutil` does for a self-managed
// cluster's remote cluster server (DOMAIN.md SM.RCS.CERT), with OpenSSL
// (engine/core/pki.h). One resource type, `self_rcs_certificate`
// (docs/resources.md "Self-managed"). There is no platform: the CA and the
// server certificate live in crosslink's state.
//
// self_rcs_certificate
//   attributes  common_name        subject CN of the server certificate
//               subject_alt_names  DNS names and IP literals ("10.0.0.5",
//                                  "::1" or "[::1]"); IPs become IP SANs
//               other_names        optional: otherName SANs (OID 2.5.4.3,
//                                  UTF8String) as certutil writes for
//                                  trust restrictions
//               key_type           optional: "ec-p256", "ec-p384",
//                                  "rsa-2048", "rsa-3072", "rsa-4096"
//               validity_days      optional: server certificate validity
//               ca_validity_days   optional: validity of a new CA
//               renew_before_days  optional: the renewal window (less than
//                                  both validities)
//               (the four from the topology's remote_cluster_certificate,
//               present only when it sets them; each absent one falls back
//               to PkiProviderOptions, so a topology without the block
//               plans exactly as before)
//   outputs     ca_pems            [CA certificate PEM] (what peers trust)
//               ca_fingerprint     SHA-256 of the CA certificate
//               ca_not_after       ISO-8601 UTC
//               certificate_pem    the server certificate (PEM)
//               fingerprint        SHA-256 of the server certificate,
//                                  upper-case hex pairs joined by ':'
//               not_after          ISO-8601 UTC
//   sensitive   keystore_p12       PKCS#12 (DER) as standard base64 (RFC
//                                  4648, padded, no newlines): server key,
//                                  server certificate, CA certificate;
//                                  AES-256-CBC, SHA-256 MAC
//               keystore_password  its password (32 chars [A-Za-z0-9],
//                                  CSPRNG)
//               ca_key_pem         the CA private key (PKCS#8 PEM), kept so
//                                  that a re-issue keeps the same CA
//
// Keys are `key_type` (default EC P-256, SHA-256 signatures; SHA-384 under a
// P-384 CA); the CA is valid `ca_validity_days` (default `ca_validity`), the
// server certificate `validity_days` (default `certificate_validity`; never
// past the CA's end), from an hour before the run's Clock at issue time; expiry
// is judged against the same Clock. The Clock is the only source of dates:
// outside tests it is the system time TLS peers check against; a test that
// injects another clock verifies at that clock's time.
//
// Read reports the resource as existing when it is in state, with its
// attributes read back from the stored certificate. Plan:
//   - the CA missing or unreadable in state, its key missing or not matching,
//     or the CA expiring within the window (`renew_before_days`, default
//     `renew_before`) -> replace (new CA and certificate; dependents
//     trusting `ca_pems` update);
//   - common_name / subject_alt_names / other_names no longer those of the
//     stored certificate, the certificate expiring within the window, its
//     key type not `key_type`, its validity (issue to notAfter) not
//     `validity_days` (a certificate cut at the CA's end only when the
//     wanted validity is shorter),
//     not signed by the stored CA, or the keystore missing, unreadable or
//     not holding that certificate -> update: the server certificate is
//     re-issued by the SAME CA (peers need no change), with a new
//     fingerprint. While such a re-issue is pending Read leaves the outputs
//     it changes (fingerprint, not_after, certificate_pem) out of the live
//     object, so that dependents referencing them plan their update too.
//     The re-issue keeps keystore_password (a node needs only the new file).
//   - a new key_type or ca_validity_days does NOT replace the CA (that
//     would make every peer trust a new CA): the server certificate gets
//     the new key type at once, signed by the existing CA, and the CA takes
//     both at its next replacement (expiry window, or `-replace=<address>`
//     to do it now).
// Plan reasons read e.g. "certificate expires 2027-01-03 (within 30 days):
// re-issued by the same CA" or "key_type changed (ec-p256 -> rsa-3072);
// validity changed (365 days -> 90 days): re-issued by the same CA". Invalid
// settings (unknown key_type, a window not shorter than a validity) are a
// plan error naming the address; Create and Update refuse them too.
// Delete removes nothing outside state.
//
// Thread-safety: thread-safe after Configure (no mutable state).

#include <chrono>
#include <memory>

#include "engine/core/pki.h"
#include "providers/provider.h"

namespace crosslink::providers::pki {

inline constexpr const char* kRcsCertificateType = "self_rcs_certificate";

// Defaults for what the attributes do not set.
struct PkiProviderOptions {
  ::crosslink::pki::KeyType key_type = ::crosslink::pki::KeyType::kEcP256;
  std::chrono::seconds ca_validity{std::chrono::hours(24 * 365 * 3)};
  std::chrono::seconds certificate_validity{std::chrono::hours(24 * 365)};
  // A certificate (or CA) that expires within this window of the run's
  // clock is renewed by the plan.
  std::chrono::seconds renew_before{std::chrono::hours(24 * 30)};
};

std::unique_ptr<Provider> NewPkiProvider(PkiProviderOptions options = {});

}  // namespace crosslink::providers::pki
