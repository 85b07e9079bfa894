// Server, per connection: TLS handshakes with SNI routing, reads and writes,
// HTTP request framing and dispatch to workers, stream lines, fault rolls,
// closing (server_impl.h has the ownership rules).

#include <arpa/inet.h>
#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <spdlog/spdlog.h>

#include "sandbox/net/server_impl.h"

namespace crosslink::sandbox::net::internal {

void ServerImpl::OnEvent(Conn& c, uint32_t events) {
  if (events & (EPOLLERR | EPOLLHUP)) {
    // The peer is gone in both directions (RST, or FIN after our FIN).
    CloseConn(c, CloseMode::kNow);
    return;
  }
  Drive(c);
}

// Advances the connection as far as it can go without blocking.
void ServerImpl::Drive(Conn& c) {
  c.last_active = SteadyClock::now();
  if (c.handshaking && !Handshake(c)) return;
  for (;;) {
    if (c.closed || !Flush(c)) return;
    if (c.out_off < c.out.size()) break;  // wait for writability
    if (c.close_after_write) {
      CloseConn(c, CloseMode::kLinger);
      return;
    }
    if (c.busy) break;  // a worker (or the latency timer) holds the request
    if (ProcessInput(c)) continue;
    if (c.closed) return;
    if (c.read_eof) {
      CloseConn(c, CloseMode::kNow);  // nothing more will come, nothing is pending
      return;
    }
    if (!ReadSome(c)) {
      if (c.closed) return;
      if (!c.read_eof) break;  // would block
    }
  }
  UpdateInterest(c);
}

bool ServerImpl::Handshake(Conn& c) {
  ERR_clear_error();
  int r = SSL_do_handshake(c.ssl);
  if (r != 1) {
    int err = SSL_get_error(c.ssl, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      c.want_write = err == SSL_ERROR_WANT_WRITE;
      UpdateInterest(c);
      return false;
    }
    // The alert (if any) went out through the socket; the client reports it.
    ERR_clear_error();
    CloseConn(c, CloseMode::kLinger);
    return false;
  }
  c.handshaking = false;
  c.want_write = false;
  if (!c.route) {  // cannot happen: the server name callback sets it
    CloseConn(c, CloseMode::kReset);
    return false;
  }
  c.peer.sni = c.sni;
  c.peer.listener = c.listener->name;
  c.peer.route = c.route->name;
  c.peer.peer_address = c.peer_address;
  if (c.route->client_auth == ClientAuth::kRequired) {
    X509* leaf = SSL_get1_peer_certificate(c.ssl);
    if (leaf != nullptr) {
      c.peer.client_chain_pem.push_back(internal::CertificatePem(leaf));
      // On the server side the peer chain does not hold the leaf; be safe if it does.
      STACK_OF(X509)* chain = SSL_get_peer_cert_chain(c.ssl);
      for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
        X509* cert = sk_X509_value(chain, i);
        if (X509_cmp(cert, leaf) != 0) {
          c.peer.client_chain_pem.push_back(internal::CertificatePem(cert));
        }
      }
      X509_free(leaf);
    }
  }
  if (faults_.Lookup(c.listener->name, c.route->name).down) {
    CloseConn(c, CloseMode::kReset);
    return false;
  }
  return true;
}

bool ServerImpl::Flush(Conn& c) {
  while (c.out_off < c.out.size()) {
    const char* data = c.out.data() + c.out_off;
    size_t size = c.out.size() - c.out_off;
    ssize_t n;
    if (c.ssl != nullptr) {
      ERR_clear_error();
      int r = SSL_write(c.ssl, data, static_cast<int>(std::min<size_t>(size, 1 << 30)));
      if (r <= 0) {
        int err = SSL_get_error(c.ssl, r);
        if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
          c.want_write = err == SSL_ERROR_WANT_WRITE;
          return true;
        }
        ERR_clear_error();
        CloseConn(c, CloseMode::kNow);
        return false;
      }
      n = r;
    } else {
      n = send(c.fd, data, size, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          c.want_write = true;
          return true;
        }
        CloseConn(c, CloseMode::kNow);
        return false;
      }
    }
    c.out_off += static_cast<size_t>(n);
  }
  c.out.clear();
  c.out_off = 0;
  c.want_write = false;
  return true;
}

bool ServerImpl::ReadSome(Conn& c) {
  const size_t cap = c.listener->protocol == Protocol::kTls
                         ? kMaxLineBytes + 1
                         : internal::kMaxHeaderBytes + internal::kMaxBodyBytes + 1;
  bool got = false;
  while (c.in.size() < cap) {
    if (c.ssl != nullptr) {
      ERR_clear_error();
      int r = SSL_read(c.ssl, read_buf_.data(), static_cast<int>(read_buf_.size()));
      if (r > 0) {
        c.in.append(read_buf_.data(), static_cast<size_t>(r));
        got = true;
        continue;
      }
      int err = SSL_get_error(c.ssl, r);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        if (err == SSL_ERROR_WANT_WRITE) c.want_write = true;
        return got;
      }
      ERR_clear_error();
      if (err == SSL_ERROR_ZERO_RETURN) {
        c.read_eof = true;
        return got;
      }
      CloseConn(c, CloseMode::kNow);
      return false;
    }
    ssize_t n = recv(c.fd, read_buf_.data(), read_buf_.size(), 0);
    if (n > 0) {
      c.in.append(read_buf_.data(), static_cast<size_t>(n));
      got = true;
      continue;
    }
    if (n == 0) {
      c.read_eof = true;
      return got;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return got;
    CloseConn(c, CloseMode::kNow);
    return false;
  }
  return got;
}

bool ServerImpl::ProcessInput(Conn& c) {
  if (c.in.empty()) return false;
  return c.listener->protocol == Protocol::kTls ? ProcessLine(c) : ProcessHttp(c);
}

bool ServerImpl::ProcessLine(Conn& c) {
  size_t eol = c.in.find('\n');
  if (eol == std::string::npos) {
    if (c.in.size() > kMaxLineBytes) CloseConn(c, CloseMode::kLinger);  // over the line limit
    return false;
  }
  if (eol > kMaxLineBytes) {
    CloseConn(c, CloseMode::kLinger);
    return false;
  }
  FaultSpec spec = faults_.Lookup(c.listener->name, c.route->name);
  if (spec.down || Roll(spec.reset_rate)) {
    CloseConn(c, CloseMode::kReset);
    return false;
  }
  std::string line = c.in.substr(0, eol);
  c.in.erase(0, eol + 1);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::string answer;
  try {
    answer = c.route->stream ? c.route->stream(c.peer, line) : std::string();
  } catch (const std::exception& e) {
    spdlog::warn("sandbox net: stream handler on [{}] threw: {}", c.route->name, e.what());
    CloseConn(c, CloseMode::kLinger);
    return false;
  }
  if (c.closed) return false;  // the handler closed our listener
  if (!c.route->stream) {
    CloseConn(c, CloseMode::kLinger);
    return false;
  }
  // One response line per request line: a stray newline cannot split it.
  for (char& ch : answer) {
    if (ch == '\n') ch = ' ';
  }
  c.out += answer;
  c.out += '\n';
  return true;
}

bool ServerImpl::ProcessHttp(Conn& c) {
  if (!c.have_head) {
    std::string error;
    internal::HeadParse parse = internal::ParseHttpHead(c.in, &c.head, &error);
    switch (parse) {
      case internal::HeadParse::kIncomplete:
        return false;
      case internal::HeadParse::kOk:
        c.have_head = true;
        break;
      case internal::HeadParse::kBadRequest:
        QueueLocalResponse(c, EsError(400, "illegal_argument_exception", error), true);
        return true;
      case internal::HeadParse::kTooLarge:
        QueueLocalResponse(c, EsError(431, "too_long_http_header_exception", error),
                           true);
        return true;
      case internal::HeadParse::kBodyTooLarge:
        QueueLocalResponse(c, EsError(413, "content_too_long_exception", error), true);
        return true;
      case internal::HeadParse::kChunked:
        QueueLocalResponse(c, EsError(411, "illegal_argument_exception", error), true);
        return true;
    }
  }
  size_t total = c.head.head_bytes + c.head.content_length;
  if (c.in.size() < total) {
    if (c.head.expect_continue && !c.continue_sent) {
      c.continue_sent = true;
      c.out += "HTTP/1.1 100 Continue\r\n\r\n";
      return true;
    }
    return false;
  }
  HttpRequest request;
  request.method = std::move(c.head.method);
  request.path = std::move(c.head.path);
  request.query = std::move(c.head.query);
  request.headers = std::move(c.head.headers);
  request.body = c.in.substr(c.head.head_bytes, c.head.content_length);
  request.sni = c.sni;
  request.listener = c.listener->name;
  request.route = c.route ? c.route->name : std::string();
  request.peer_address = c.peer_address;
  bool keep_alive = c.head.keep_alive;
  c.in.erase(0, total);
  c.have_head = false;
  c.continue_sent = false;
  StartRequest(c, std::move(request), keep_alive);
  return true;
}

void ServerImpl::StartRequest(Conn& c, HttpRequest request, bool keep_alive) {
  FaultSpec spec = faults_.Lookup(c.listener->name, c.route ? c.route->name : "");
  if (spec.down || Roll(spec.reset_rate)) {
    CloseConn(c, CloseMode::kReset);
    return;
  }
  PendingRequest pending;
  pending.conn_id = c.id;
  pending.keep_alive = keep_alive;
  pending.head_only = request.method == "HEAD";
  pending.inject_status = Roll(spec.error_rate) ? spec.error_status : 0;
  pending.route = c.route;
  pending.listener = c.listener;
  pending.request = std::move(request);
  c.busy = true;
  if (spec.latency.count() > 0) {
    timers_.emplace(SteadyClock::now() + spec.latency, std::move(pending));
  } else {
    Dispatch(std::move(pending));
  }
}

void ServerImpl::Dispatch(PendingRequest pending) {
  auto it = conns_.find(pending.conn_id);
  if (it == conns_.end() || it->second->closed) return;
  Conn& c = *it->second;
  if (pending.inject_status != 0) {
    HttpResponse response = EsError(pending.inject_status, "status_exception",
                                              "sandbox injected fault");
    if (pending.inject_status == 429) response.headers["Retry-After"] = "1";
    c.busy = false;
    QueueLocalResponse(c, response, !pending.keep_alive);
    Drive(c);
    return;
  }
  HttpHandler handler = pending.route && pending.route->http ? pending.route->http
                                                             : pending.listener->http;
  if (!handler) {
    c.busy = false;
    QueueLocalResponse(c,
                       EsError(500, "illegal_state_exception",
                                         "no HTTP handler for [" + pending.listener->name + "]"),
                       !pending.keep_alive);
    Drive(c);
    return;
  }
  // The job owns everything it touches; the connection is named by id only.
  Enqueue([this, pending = std::move(pending), handler = std::move(handler)]() {
    ListenerInfo::InFlight& in_flight = pending.listener->in_flight;
    {
      std::lock_guard<std::mutex> lock(in_flight.mu);
      if (in_flight.closed) return;  // closed while queued: nobody to answer
      ++in_flight.running;
    }
    current_listener = pending.listener.get();
    HttpResponse response;
    try {
      response = handler(pending.request);
    } catch (const std::exception& e) {
      response = EsError(500, "exception", e.what());
    } catch (...) {
      response = EsError(500, "exception", "unknown error");
    }
    current_listener = nullptr;
    {
      std::lock_guard<std::mutex> lock(in_flight.mu);
      --in_flight.running;
    }
    in_flight.cv.notify_all();
    std::string bytes = internal::SerializeResponse(response, !pending.keep_alive,
                                                    pending.head_only);
    uint64_t id = pending.conn_id;
    bool close_after = !pending.keep_alive;
    Post([this, id, bytes = std::move(bytes), close_after]() mutable {
      Respond(id, std::move(bytes), close_after);
    });
  });
}

void ServerImpl::Respond(uint64_t conn_id, std::string bytes, bool close) {
  auto it = conns_.find(conn_id);
  if (it == conns_.end() || it->second->closed) return;  // the client left meanwhile
  Conn& c = *it->second;
  c.out += bytes;
  c.busy = false;
  if (close) c.close_after_write = true;
  Drive(c);
}

void ServerImpl::QueueLocalResponse(Conn& c, const HttpResponse& response, bool close) {
  c.out += internal::SerializeResponse(response, close, false);
  if (close) {
    c.close_after_write = true;
    c.in.clear();
    c.have_head = false;
  }
}

void ServerImpl::UpdateInterest(Conn& c) {
  if (c.closed) return;
  uint32_t events = 0;
  bool pending_out = c.out_off < c.out.size();
  if (c.handshaking) {
    events = c.want_write ? EPOLLOUT : EPOLLIN;
  } else {
    if (pending_out || c.want_write) events |= EPOLLOUT;
    if (!pending_out && !c.busy && !c.close_after_write && !c.read_eof) events |= EPOLLIN;
  }
  if (events == c.events) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = c.id;
  epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
  c.events = events;
}

void ServerImpl::CloseConn(Conn& c, CloseMode mode) {
  if (c.closed && !c.draining) return;
  if (!c.closed) {
    c.closed = true;
    if (c.ssl != nullptr) {
      if (mode != CloseMode::kReset && !c.handshaking) {
        ERR_clear_error();
        SSL_shutdown(c.ssl);  // best effort close_notify; never waits
      }
      ERR_clear_error();
      SSL_free(c.ssl);
      c.ssl = nullptr;
    }
    if (mode == CloseMode::kLinger && shutdown(c.fd, SHUT_WR) == 0) {
      c.draining = true;
      c.last_active = SteadyClock::now();
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = c.id;
      epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
      c.events = EPOLLIN;
      return;
    }
  }
  c.draining = false;
  epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
  if (mode == CloseMode::kReset) {
    ResetAndClose(c.fd);
  } else {
    close(c.fd);
  }
  c.fd = -1;
  auto it = conns_.find(c.id);
  if (it != conns_.end()) {
    graveyard_.push_back(std::move(it->second));  // callers may still hold `c`
    conns_.erase(it);
  }
}

void ServerImpl::Drain(Conn& c) {
  for (;;) {
    ssize_t n = recv(c.fd, read_buf_.data(), read_buf_.size(), 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    CloseConn(c, CloseMode::kNow);  // EOF or error: the peer is done
    return;
  }
}

bool ServerImpl::Roll(double rate) {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < rate;
}

SSL_CTX* ServerImpl::CtxFor(const TlsRoute& route) {
  if (!route.identity) return nullptr;
  std::string key = std::to_string(reinterpret_cast<uintptr_t>(route.identity.get()));
  key += route.client_auth == ClientAuth::kRequired ? "|mtls|" : "|plain|";
  if (route.client_auth == ClientAuth::kRequired) {
    for (const std::string& pem : route.client_ca_pems) key += pem;
  }
  auto it = ctx_cache_.find(key);
  if (it != ctx_cache_.end()) {
    std::shared_ptr<const pki::Identity> cached = it->second.identity.lock();
    if (cached == route.identity) return it->second.ctx;
    SSL_CTX_free(it->second.ctx);  // an old identity's address was reused
    ctx_cache_.erase(it);
  }
  SSL_CTX* ctx = NewServerCtx();
  if (ctx == nullptr) return nullptr;
  Status status = internal::UseIdentity(ctx, *route.identity);
  if (status.ok() && route.client_auth == ClientAuth::kRequired) {
    X509_STORE* store = internal::BuildStore(route.client_ca_pems, &status);
    if (store != nullptr) {
      SSL_CTX_set_cert_store(ctx, store);  // takes ownership
      STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
      for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
        X509* ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i));
        if (ca != nullptr) SSL_CTX_add_client_CA(ctx, ca);
      }
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
  }
  if (!status.ok()) {
    spdlog::warn("sandbox net: route [{}] has an unusable identity: {}", route.name,
                       status.message());
    SSL_CTX_free(ctx);
    return nullptr;
  }
  ctx_cache_[key] = CtxEntry{route.identity, ctx};
  return ctx;
}

int ServerImpl::ServerNameCallback(SSL* ssl, int* alert, void* arg) {
  auto* self = static_cast<ServerImpl*>(arg);
  auto* c = static_cast<Conn*>(SSL_get_app_data(ssl));
  if (c->route) return SSL_TLSEXT_ERR_OK;  // already routed (HelloRetryRequest)
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  c->sni = name != nullptr ? name : "";
  std::shared_ptr<const TlsRoute> route;
  try {
    route = c->listener->router(c->sni);
  } catch (const std::exception& e) {
    spdlog::warn("sandbox net: router of [{}] threw: {}", c->listener->name, e.what());
  }
  if (!route) {
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  SSL_CTX* ctx = self->CtxFor(*route);
  if (ctx == nullptr) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  SSL_set_SSL_CTX(ssl, ctx);
  SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx), nullptr);
  c->route = std::move(route);
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace crosslink::sandbox::net::internal
