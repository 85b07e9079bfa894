#pragma once
// The ECK validating webhook for Elasticsearch objects
// ("elastic-es-validation-v1.k8s.elastic.co"), as the API server twin calls
// it after the CRD schema passed. Checks (DOMAIN.md §0, §3):
//  - metadata.name at most 36 characters (ECK derives longer names from it);
//  - spec.version parseable as {major}.{minor}.{patch}[-{label}] and supported;
//  - spec.remoteClusterServer.enabled or spec.remoteClusters[].apiKey with a
//    version <= 8.10.0 rejected;
//  - nodeSets names unique; remoteClusters names unique;
//  - version downgrades rejected on update.
// Thread-safe (pure).

#include "sandbox/k8s/api_server.h"

namespace crosslink::sandbox::k8s {

inline constexpr char kEsWebhookName[] = "elastic-es-validation-v1.k8s.elastic.co";
inline constexpr size_t kMaxEsNameLength = 36;

// spec.version is parsed with sandbox::ParseVersionStrict (sandbox/util.h).
ValidatingWebhook ElasticsearchWebhook();

}  // namespace crosslink::sandbox::k8s
