#pragma once
// Internal pieces of sandbox/net shared by server.cc and dial.cc: the HTTP/1.1
// codec and OpenSSL helpers. Not part of the module's public contract.
//
// Thread-safety: free functions on values; safe from any thread.

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/pki.h"
#include "engine/core/status.h"
#include "sandbox/net/net.h"

namespace crosslink::sandbox::net::internal {

// ---- HTTP/1.1 ----

inline constexpr size_t kMaxHeaderBytes = 64 * 1024;
inline constexpr size_t kMaxBodyBytes = 16 * 1024 * 1024;

// The head of a request (request line + headers), parsed.
struct HttpHead {
  std::string method;  // upper case
  std::string path;    // decoded
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // lower-case names
  size_t head_bytes = 0;       // bytes up to and including the blank line
  size_t content_length = 0;
  bool keep_alive = true;
  bool expect_continue = false;
};

enum class HeadParse {
  kIncomplete,   // need more bytes
  kOk,
  kBadRequest,   // 400 then close
  kTooLarge,     // 431: head over kMaxHeaderBytes
  kBodyTooLarge, // 413: Content-Length over kMaxBodyBytes
  kChunked,      // 411: Transfer-Encoding is not supported
};

// Parses the head at the start of `buffer`. On kOk fills `head`; on an error
// fills `error` with a short reason.
HeadParse ParseHttpHead(std::string_view buffer, HttpHead* head, std::string* error);

// %XX decoding; `plus_is_space` for query components. Invalid escapes are kept
// literally.
std::string PercentDecode(std::string_view text, bool plus_is_space);

// "a=1&b=x%20y&flag" -> {a:1, b:"x y", flag:""}
std::map<std::string, std::string> ParseQuery(std::string_view query);

// "OK", "Not Found", ... ("Unknown" for unknown codes).
const char* ReasonPhrase(int status);

// The wire bytes of `response`. Adds Content-Type (application/json) when the
// handler set none, Content-Length, and "Connection: close" when `close`.
// `head_only` (HEAD requests) omits the body but keeps its Content-Length.
std::string SerializeResponse(const HttpResponse& response, bool close, bool head_only);

// ---- OpenSSL ----

// The queued OpenSSL errors as text (and clears the queue).
std::string DrainOpenSslErrors();

// Installs the identity's key and chain on `ctx`.
Status UseIdentity(SSL_CTX* ctx, const pki::Identity& identity);

// A new store trusting exactly the certificates in `pems` (each may hold
// several). Never the system store. nullptr with `status` set on bad PEM.
X509_STORE* BuildStore(const std::vector<std::string>& pems, Status* status);

// PEM of one certificate.
std::string CertificatePem(X509* cert);

// Ignores SIGPIPE process-wide (once): writes to a peer that went away must
// fail with EPIPE, not kill the sandbox.
void IgnoreSigpipe();

}  // namespace crosslink::sandbox::net::internal
