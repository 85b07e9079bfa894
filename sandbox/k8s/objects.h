#pragma once
// Small helpers shared by the API server twin and the ECK operator twin:
// Secret data decoding with the API server's error, label selectors, DNS-1123 name checks and ObjectMeta
// accessors. Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>

#include "engine/core/status.h"
#include "engine/core/value.h"

namespace crosslink::sandbox::k8s {

// A Secret's data value: http::Base64Decode (standard alphabet, padded, as
// Go's encoding/base64.StdEncoding). On failure `error` (if given) gets Go's
// wording with the offending offset: "illegal base64 data at input byte N".
// Encode with http::Base64Encode.
std::optional<std::string> DecodeSecretValue(std::string_view text, std::string* error = nullptr);

// Label selector matching (=, ==, !=, in, notin, exists, !exists). A
// malformed selector is kInvalidArgument with the API server's message.
Result<bool> MatchesLabelSelector(const std::string& selector, const Value& labels);

// DNS-1123 checks; "" when valid, else the API server's message.
std::string ValidateDns1123Subdomain(const std::string& name);
std::string ValidateDns1123Label(const std::string& name);
// Secret/ConfigMap data keys: [-._a-zA-Z0-9]+.
std::string ValidateConfigKey(const std::string& key);

// ObjectMeta accessors on a stored object (empty string when absent).
std::string NameOf(const Value& object);
std::string NamespaceOf(const Value& object);
std::string LabelOf(const Value& object, const std::string& key);
std::string AnnotationOf(const Value& object, const std::string& key);
// The decoded value of data[key] of a Secret, or nullopt.
std::optional<std::string> SecretData(const Value& secret, const std::string& key);

}  // namespace crosslink::sandbox::k8s
