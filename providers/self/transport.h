#pragma once
// Reading a self-managed node's own transport TLS (node.h TransportTls) from
// its elasticsearch.yml and the files it names, for the certificate security
// model: which CAs the node's transport trusts as the USER configured it, and
// what its node certificate says (otherName SANs, CN).
//
// Settings read (flat or nested keys, outside crosslink's managed block;
// settings crosslink disabled count, so that the answer is the same before
// and after a take-over; paths relative to the config directory):
//   xpack.security.transport.ssl.keystore.path      PKCS#12 with the node's
//       key and chain; password: keystore.secure_password (Elasticsearch
//       keystore) or the legacy keystore.password, else empty
//   xpack.security.transport.ssl.certificate        PEM (when no keystore)
//   xpack.security.transport.ssl.certificate_authorities   PEM files, or
//   xpack.security.transport.ssl.truststore.path    PKCS#12 (password:
//       truststore.secure_password or truststore.password), else
//   the CA chain stored with the node's key (keystore or certificate file).
// crosslink's own config/crosslink/transport-ca.crt is never read as the
// user's trust.
//
// Secure settings come through `SecureSettingReader` (the keystore tool's
// `show`): values stay in Secret and never reach a message.
//
// Errors: kFailedPrecondition naming the node, the setting and the file,
// with the fix (transport TLS not configured, unreadable PKCS#12 with the
// keystore setting that holds its password, a CA file without a certificate).

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/filesystem.h"
#include "engine/core/secret.h"
#include "engine/core/status.h"
#include "providers/self/node.h"
#include "providers/self/yml_block.h"

namespace crosslink::providers::self::internal {

inline constexpr const char* kTransportSsl = "xpack.security.transport.ssl";

// The value of a secure setting of the node's keystore; nullopt when the
// keystore does not hold it.
using SecureSettingReader =
    std::function<Result<std::optional<Secret>>(const std::string& setting)>;

struct TransportSource {
  std::string node;        // Describe() of the node, first in messages
  std::string config_dir;  // <home>/config
  FileSystem* fs = nullptr;
  SecureSettingReader secure;
};

Result<TransportTls> ReadTransportTls(const YmlFile& yml, const TransportSource& source);

// Every certificate of `pem`, re-encoded by OpenSSL (canonical PEM, LF line
// endings), in order. kInvalidArgument when a certificate block is damaged.
Result<std::vector<std::string>> NormalizeCertificates(std::string_view pem);

}  // namespace crosslink::providers::self::internal
