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
// Keys are EC P-256 (what crosslink::pki generates); the CA is valid
// `ca_validity`, the server certificate `certificate_validity` (never past
// the CA's end), from an hour before the run's Clock at issue time; expiry
// is judged against the same Clock. The Clock is the only source of dates:
// outside tests it is the system time TLS peers check against; a test that
// injects another clock verifies at that clock's time.
//
// Read reports the resource as existing when it is in state, with its
// attributes read back from the stored certificate. Plan:
//   - the CA missing or unreadable in state, its key missing or not matching,
//     or the CA expiring within `renew_before` -> replace (new CA and
//     certificate; dependents trusting `ca_pems` update);
//   - common_name / subject_alt_names / other_names no longer those of the
//     stored certificate, the certificate expiring within `renew_before`,
//     not signed by the stored CA, or the keystore missing, unreadable or
//     not holding that certificate -> update: the server certificate is
//     re-issued by the SAME CA (peers need no change), with a new
//     fingerprint. While such a re-issue is pending Read leaves the outputs
//     it changes (fingerprint, not_after, certificate_pem) out of the live
//     object, so that dependents referencing them plan their update too.
//     The re-issue keeps keystore_password (a node needs only the new file).
// Plan reasons read e.g. "certificate expires 2027-01-03 (within 30 days):
// re-issued by the same CA". Delete removes nothing outside state.
//
// Thread-safety: thread-safe after Configure (no mutable state).

#include <chrono>
#include <memory>

#include "providers/provider.h"

namespace crosslink::providers::pki {

inline constexpr const char* kRcsCertificateType = "self_rcs_certificate";

struct PkiProviderOptions {
  std::chrono::seconds ca_validity{std::chrono::hours(24 * 365 * 3)};
  std::chrono::seconds certificate_validity{std::chrono::hours(24 * 365)};
  // A certificate (or CA) that expires within this window of the run's
  // clock is renewed by the plan.
  std::chrono::seconds renew_before{std::chrono::hours(24 * 30)};
};

std::unique_ptr<Provider> NewPkiProvider(PkiProviderOptions options = {});

}  // namespace crosslink::providers::pki
