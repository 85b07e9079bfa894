#pragma once
// crosslink::sandbox::net: the sandbox's network layer. One process serves
// every twin's ports on loopback addresses from ONE event-loop thread (epoll,
// non-blocking OpenSSL) plus a small worker pool for HTTP handlers, so 1,000
// Elasticsearch twins (3 ports each) need no thread per twin.
//
// Three listener protocols:
//  - kHttp:  plain HTTP/1.1 (the sandbox control/inspection API only);
//  - kHttps: HTTP/1.1 over TLS; the certificate is chosen per SNI by a router;
//  - kTls:   the twins' transport/remote-cluster-server stand-in: TLS (with
//            optional client certificates), then newline-terminated request
//            lines each answered by one response line (see es/wire.h).
// HTTP handlers run on workers and may block (latency injection, outbound
// dials). Stream (kTls) handlers run on the event loop and MUST NOT block.
//
// Thread-safety: Server is thread-safe; handlers are called concurrently.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/pki.h"
#include "engine/core/status.h"
#include "engine/core/value.h"

namespace crosslink::sandbox::net {

struct HttpRequest {
  std::string method;                          // upper case
  std::string path;                            // decoded path, no query: "/_cluster/settings"
  std::map<std::string, std::string> query;    // decoded query parameters
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
  std::string sni;            // TLS server name the client sent ("" if none / plain)
  std::string listener;       // name of the listener that accepted it
  std::string route;          // name of the TlsRoute that served it ("" for plain)
  std::string peer_address;   // "127.0.0.1:54321"

  // The header value or "".
  std::string Header(const std::string& lower_name) const;
  // The query parameter or `fallback`.
  std::string Query(const std::string& name, const std::string& fallback = "") const;
  bool HasQuery(const std::string& name) const { return query.count(name) > 0; }
};

struct HttpResponse {
  int status = 200;
  std::map<std::string, std::string> headers;  // Content-Type defaults to application/json
  std::string body;

  static HttpResponse Json(int status, const Value& body);
  static HttpResponse Text(int status, std::string body);
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// What a stream handler learns about its peer.
struct StreamPeer {
  std::string sni;
  std::string listener;
  std::string route;
  std::string peer_address;
  // The client's certificate chain (PEM, leaf first) when the route asked for
  // one and it verified against the route's client CAs; empty otherwise.
  std::vector<std::string> client_chain_pem;
};

// Returns the response line (without '\n'). Called once per request line.
using StreamHandler = std::function<std::string(const StreamPeer&, std::string_view line)>;

enum class ClientAuth { kNone, kRequired };

// How one TLS server name is served on a listener.
struct TlsRoute {
  std::string name;  // e.g. "es/prod/rcs"; fault rules can target it
  std::shared_ptr<const pki::Identity> identity;  // certificate chain presented
  ClientAuth client_auth = ClientAuth::kNone;
  // PEM CAs a client certificate must chain to (client_auth kRequired). A
  // client without a certificate, or with one that does not verify, fails the
  // handshake (as Elasticsearch's transport does: "Empty client certificate
  // chain" / "PKIX path building failed").
  std::vector<std::string> client_ca_pems;
  HttpHandler http;      // for kHttps listeners
  StreamHandler stream;  // for kTls listeners
};

// Picks the route for the server name a client sent ("" when it sent none).
// nullptr fails the handshake with an unrecognized_name alert. Runs on the
// event loop during the handshake: it must be quick and never wait on a lock
// that is held across blocking work (an outbound Dial, a sleep).
using TlsRouter = std::function<std::shared_ptr<const TlsRoute>(std::string_view sni)>;

enum class Protocol { kHttp, kHttps, kTls };

struct ListenerOptions {
  std::string name;     // unique, e.g. "es/prod/rest"; fault rules can target it
  std::string address;  // IPv4 literal, e.g. "127.42.0.7"
  uint16_t port = 0;    // 0: an ephemeral port is chosen
  Protocol protocol = Protocol::kHttps;
  TlsRouter router;     // kHttps, kTls
  HttpHandler http;     // kHttp
};

// Fault injection, per listener or route name (glob with '*', e.g. "es/*/rest").
struct FaultSpec {
  std::chrono::milliseconds latency{0};  // added before each HTTP response
  double error_rate = 0;                 // fraction of HTTP requests answered with error_status
  int error_status = 503;                // 429, 500 or 503
  double reset_rate = 0;                 // fraction of connections reset (RST) before answering
  bool down = false;                     // refuse: connections are reset at accept
  Value ToJson() const;
  static Result<FaultSpec> FromJson(const Value& json);  // same field names; latency_ms
};

class FaultTable {
 public:
  // Later rules win over earlier ones when several patterns match.
  void Set(const std::string& pattern, const FaultSpec& spec);
  void Clear(const std::string& pattern);  // "*" clears nothing special: only that rule
  void ClearAll();
  // The effective spec for a listener/route pair (route may be "").
  FaultSpec Lookup(std::string_view listener, std::string_view route) const;
  Value ToJson() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, FaultSpec>> rules_;
};

// '*' matches any run of characters; with `question_mark`, '?' matches any
// one character (Lucene wildcard queries). Everything else matches itself.
bool GlobMatch(std::string_view pattern, std::string_view text, bool question_mark = false);

// Elasticsearch's REST error body (ElasticsearchException#generateFailureXContent):
// {"error":{"root_cause":[{type,reason,..extra}],"type":T,"reason":R,..extra},"status":S}
// `extra` fields go to the error and (except "caused_by") to its root cause.
HttpResponse EsError(int status, const std::string& type, const std::string& reason,
                     const Value& extra = Value::object());

class Server {
 public:
  struct Options {
    int http_workers = 8;
    // Seeds the fault-injection dice (error_rate, reset_rate): runs repeat.
    uint64_t fault_seed = 0x5eed;
    // Connections with no traffic for this long are closed (not while a
    // handler is answering them).
    std::chrono::milliseconds idle_timeout{60000};
  };
  // nullptr only when the process cannot create an epoll/eventfd/SSL_CTX.
  static std::unique_ptr<Server> Start(Options options);
  virtual ~Server() = default;

  // Binds and starts serving. Returns the bound port. A name already in use is
  // kAlreadyExists; a taken address:port kUnavailable ("address in use").
  virtual Result<uint16_t> Listen(ListenerOptions options) = 0;
  // Stops accepting on the listener and closes its open connections. When it
  // returns, none of the listener's handlers runs any more (HTTP handlers
  // still running are waited for, except the caller's own when a handler
  // closes its own listener; from a stream handler nothing is waited for).
  virtual void Close(const std::string& name) = 0;
  virtual bool Has(const std::string& name) const = 0;
  virtual FaultTable& faults() = 0;
  // Closes everything and joins the threads. Idempotent; the destructor calls
  // it. Must not be called from a handler (it joins the handler's thread).
  virtual void Stop() = 0;
};

// One outbound TLS request/response exchange, as a twin's remote-cluster
// client does it. Blocking (call it from HTTP workers, never from a stream
// handler).
struct DialOptions {
  std::string address;  // IPv4 literal to connect to
  uint16_t port = 0;
  std::string sni;      // server name sent; "" sends none
  // Hostname verification: the server certificate must match this DNS name or
  // IP (empty: no hostname verification, "verification_mode: certificate").
  std::string verify_name;
  std::vector<std::string> trusted_ca_pems;  // chain must end at one of these
  std::shared_ptr<const pki::Identity> client_identity;  // presented when asked
  std::chrono::milliseconds timeout{3000};
};

struct DialResult {
  enum class Stage { kOk, kConnect, kHandshake, kVerify, kExchange };
  Stage stage = Stage::kOk;
  // Human text in Elasticsearch's words, e.g. "Connection refused",
  // "PKIX path building failed: unable to find valid certification path to
  // requested target", "No subject alternative DNS name matching x found",
  // "Empty client certificate chain", "Connection reset".
  std::string error;
  std::string response_line;  // the server's answer (stage kOk)
  // The server's (leaf) certificate, PEM (stage kOk): what the caller's
  // transport trust restrictions judge.
  std::string server_certificate_pem;
  bool ok() const { return stage == Stage::kOk; }
};

DialResult Dial(const DialOptions& options, std::string_view request_line);

}  // namespace crosslink::sandbox::net
