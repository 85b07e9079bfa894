// Dial: one blocking outbound TLS request/response exchange under a single
// deadline, with failures described in Elasticsearch's (JSSE's) words.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "sandbox/net/internal.h"

namespace crosslink::sandbox::net {
namespace {

using SteadyClock = std::chrono::steady_clock;
using Stage = DialResult::Stage;
constexpr size_t kMaxResponseLine = 1024 * 1024;

constexpr char kPathBuilding[] =
    "PKIX path building failed: unable to find valid certification path to requested target";
constexpr char kEmptyClientChain[] = "Empty client certificate chain";
constexpr char kClientRejected[] = "PKIX path validation failed: certificate_unknown";

DialResult Fail(Stage stage, std::string error) {
  DialResult r;
  r.stage = stage;
  r.error = std::move(error);
  return r;
}

bool IsIpLiteral(const std::string& name) {
  in_addr v4;
  in6_addr v6;
  return inet_pton(AF_INET, name.c_str(), &v4) == 1 || inet_pton(AF_INET6, name.c_str(), &v6) == 1;
}

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

// Milliseconds left before `deadline` (0 when passed).
int MsLeft(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(left.count()) + 1;
}

// Waits for `events` on fd. False on timeout.
bool WaitFor(int fd, short events, SteadyClock::time_point deadline) {
  for (;;) {
    int left = MsLeft(deadline);
    if (left == 0) return false;
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, left);
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the next I/O call report the error
  }
}

std::string SocketError(int err) {
  switch (err) {
    case ECONNREFUSED: return "Connection refused";
    case ECONNRESET: return "Connection reset";
    case EPIPE: return "Broken pipe";
    case ENETUNREACH: return "Network is unreachable";
    case EHOSTUNREACH: return "No route to host";
    case ETIMEDOUT: return "Connection timed out";
    default: return strerror(err);
  }
}

// Describes a failed TLS operation (handshake or I/O after it). `had_cert`:
// whether we presented a client certificate.
DialResult DescribeTlsFailure(SSL* ssl, int ret, Stage stage, bool had_cert,
                              const DialOptions& options) {
  int err = SSL_get_error(ssl, ret);
  int saved_errno = errno;
  unsigned long e = ERR_peek_last_error();
  int reason = ERR_GET_REASON(e);
  std::string detail = internal::DrainOpenSslErrors();

  long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK && reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
    switch (verify) {
      case X509_V_ERR_HOSTNAME_MISMATCH:
        return Fail(Stage::kVerify, IsIpLiteral(options.verify_name)
                                        ? "No subject alternative names matching IP address " +
                                              options.verify_name + " found"
                                        : "No subject alternative DNS name matching " +
                                              options.verify_name + " found");
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return Fail(Stage::kVerify, "No subject alternative names matching IP address " +
                                        options.verify_name + " found");
      case X509_V_ERR_CERT_HAS_EXPIRED:
        return Fail(Stage::kVerify,
                    "PKIX path validation failed: java.security.cert.CertPathValidatorException: "
                    "validity check failed (certificate expired)");
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return Fail(Stage::kVerify,
                    "PKIX path validation failed: java.security.cert.CertPathValidatorException: "
                    "validity check failed (certificate not yet valid)");
      default:
        return Fail(Stage::kVerify, kPathBuilding);
    }
  }
  switch (reason) {
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
      return Fail(Stage::kHandshake, kEmptyClientChain);
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
      // TLS 1.2 servers answer a missing client certificate with this alert.
      if (!had_cert) return Fail(Stage::kHandshake, kEmptyClientChain);
      return Fail(Stage::kHandshake, "Received fatal alert: handshake_failure");
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:
      if (!had_cert) return Fail(Stage::kHandshake, kEmptyClientChain);
      return Fail(Stage::kHandshake, kClientRejected);
    case SSL_R_TLSV1_UNRECOGNIZED_NAME:
      return Fail(Stage::kHandshake, "Received fatal alert: unrecognized_name");
    case SSL_R_TLSV1_ALERT_INTERNAL_ERROR:
      return Fail(Stage::kHandshake, "Received fatal alert: internal_error");
    case SSL_R_UNEXPECTED_EOF_WHILE_READING:
      return Fail(stage, stage == Stage::kHandshake ? "Remote host terminated the handshake"
                                                    : "Connection closed by peer");
    default:
      break;
  }
  if (err == SSL_ERROR_ZERO_RETURN) {
    return Fail(stage, stage == Stage::kHandshake ? "Remote host terminated the handshake"
                                                  : "Connection closed by peer");
  }
  if (err == SSL_ERROR_SYSCALL) {
    if (saved_errno == 0) {
      return Fail(stage, stage == Stage::kHandshake ? "Remote host terminated the handshake"
                                                    : "Connection closed by peer");
    }
    return Fail(stage, SocketError(saved_errno));
  }
  return Fail(stage, detail.empty() ? "TLS failure" : "TLS failure: " + detail);
}

// Drives one TLS call (connect/write/read) through WANT_READ/WANT_WRITE until
// it completes, fails or the deadline passes. Returns the call's result;
// `timed_out` is set on the deadline.
template <typename Op>
int Drive(SSL* ssl, int fd, SteadyClock::time_point deadline, bool* timed_out, Op op) {
  *timed_out = false;
  for (;;) {
    ERR_clear_error();
    errno = 0;
    int r = op();
    if (r > 0) return r;
    int err = SSL_get_error(ssl, r);
    short events;
    if (err == SSL_ERROR_WANT_READ) {
      events = POLLIN;
    } else if (err == SSL_ERROR_WANT_WRITE) {
      events = POLLOUT;
    } else {
      return r;
    }
    if (!WaitFor(fd, events, deadline)) {
      *timed_out = true;
      return r;
    }
  }
}

}  // namespace

DialResult Dial(const DialOptions& options, std::string_view request_line) {
  internal::IgnoreSigpipe();
  const auto deadline = SteadyClock::now() + options.timeout;

  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(options.port);
  if (inet_pton(AF_INET, options.address.c_str(), &sa.sin_addr) != 1) {
    return Fail(Stage::kConnect, "UnknownHostException: " + options.address);
  }

  // ---- TLS context first: a bad trust or identity setting is the caller's.
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return Fail(Stage::kHandshake, "TLS failure: " + internal::DrainOpenSslErrors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_AUTO_RETRY);
  Status status;
  X509_STORE* store = internal::BuildStore(options.trusted_ca_pems, &status);
  if (store == nullptr) return Fail(Stage::kVerify, status.message());
  SSL_CTX_set_cert_store(ctx.get(), store);  // never the system store
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  bool had_cert = false;
  if (options.client_identity) {
    Status id = internal::UseIdentity(ctx.get(), *options.client_identity);
    if (!id.ok()) return Fail(Stage::kHandshake, "client certificate: " + id.message());
    had_cert = true;
  }

  // ---- TCP connect.
  Socket sock(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (sock.fd() < 0) return Fail(Stage::kConnect, SocketError(errno));
  int one = 1;
  setsockopt(sock.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(sock.fd(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    if (errno != EINPROGRESS) return Fail(Stage::kConnect, SocketError(errno));
    if (!WaitFor(sock.fd(), POLLOUT, deadline)) return Fail(Stage::kConnect, "connect timed out");
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(sock.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return Fail(Stage::kConnect, SocketError(err));
  }

  // ---- TLS handshake.
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  if (!ssl) return Fail(Stage::kHandshake, "TLS failure: " + internal::DrainOpenSslErrors());
  SSL_set_fd(ssl.get(), sock.fd());
  if (!options.sni.empty() && !IsIpLiteral(options.sni)) {
    SSL_set_tlsext_host_name(ssl.get(), options.sni.c_str());
  }
  if (!options.verify_name.empty()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    if (IsIpLiteral(options.verify_name)) {
      X509_VERIFY_PARAM_set1_ip_asc(param, options.verify_name.c_str());
    } else {
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      X509_VERIFY_PARAM_set1_host(param, options.verify_name.c_str(), 0);
    }
  }
  bool timed_out = false;
  int r = Drive(ssl.get(), sock.fd(), deadline, &timed_out,
                [&] { return SSL_connect(ssl.get()); });
  if (timed_out) return Fail(Stage::kHandshake, "handshake timed out");
  if (r != 1) return DescribeTlsFailure(ssl.get(), r, Stage::kHandshake, had_cert, options);
  std::string server_certificate;
  if (X509* leaf = SSL_get1_peer_certificate(ssl.get())) {
    server_certificate = internal::CertificatePem(leaf);
    X509_free(leaf);
  }

  // ---- Exchange one line. With TLS 1.3 the server judges our certificate
  // after our handshake finished, so its verdict (an alert) shows up here and
  // is still reported as a handshake failure.
  std::string line(request_line);
  line += '\n';
  size_t sent = 0;
  while (sent < line.size()) {
    r = Drive(ssl.get(), sock.fd(), deadline, &timed_out, [&] {
      return SSL_write(ssl.get(), line.data() + sent, static_cast<int>(line.size() - sent));
    });
    if (timed_out) return Fail(Stage::kExchange, "Write timed out");
    if (r <= 0) {
      DialResult f = DescribeTlsFailure(ssl.get(), r, Stage::kExchange, had_cert, options);
      return f;
    }
    sent += static_cast<size_t>(r);
  }
  std::string response;
  char buf[16 * 1024];
  for (;;) {
    size_t eol = response.find('\n');
    if (eol != std::string::npos) {
      response.resize(eol);
      if (!response.empty() && response.back() == '\r') response.pop_back();
      break;
    }
    if (response.size() > kMaxResponseLine) {
      return Fail(Stage::kExchange, "response line is larger than 1mb");
    }
    r = Drive(ssl.get(), sock.fd(), deadline, &timed_out,
              [&] { return SSL_read(ssl.get(), buf, sizeof(buf)); });
    if (timed_out) return Fail(Stage::kExchange, "Read timed out");
    if (r <= 0) return DescribeTlsFailure(ssl.get(), r, Stage::kExchange, had_cert, options);
    response.append(buf, static_cast<size_t>(r));
  }
  ERR_clear_error();
  SSL_shutdown(ssl.get());  // best effort close_notify
  ERR_clear_error();
  DialResult ok;
  ok.response_line = std::move(response);
  ok.server_certificate_pem = std::move(server_certificate);
  return ok;
}

}  // namespace crosslink::sandbox::net
