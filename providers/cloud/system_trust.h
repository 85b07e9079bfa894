#pragma once
// Whether a certificate chain verifies against the system trust store (the
// OpenSSL default paths, what libcurl trusts when no CA is given): the live
// fact behind ece_proxy_ca's private_ca_pems (DOMAIN.md "[if private]").
//
// Thread-safety: thread-safe (a fresh store per call).

#include <string>
#include <vector>

namespace crosslink::providers::cloud {

// `chain`: PEM certificates, leaf first. False when the chain is empty,
// unparsable, or does not verify (an unknown root, an expired certificate).
bool ChainTrustedBySystem(const std::vector<std::string>& chain);

}  // namespace crosslink::providers::cloud
