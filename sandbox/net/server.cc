// Server: lifecycle, listeners and the event loop (server_impl.h has the
// ownership rules). Per-connection work is in connection.cc.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "sandbox/net/server_impl.h"

namespace crosslink::sandbox::net {
namespace internal {

thread_local const ListenerInfo* current_listener = nullptr;

std::string AddressText(const sockaddr_in& sa) {
  char ip[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
  return std::string(ip) + ":" + std::to_string(ntohs(sa.sin_port));
}

void ResetAndClose(int fd) {
  linger lg{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  close(fd);
}

namespace {

void RaiseFileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int AlpnSelect(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof(kHttp11), in, inlen) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

SSL_CTX* NewServerCtx() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return nullptr;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_TICKET |
                               SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_session_id_context(ctx, reinterpret_cast<const unsigned char*>(kSessionIdContext),
                                 sizeof(kSessionIdContext) - 1);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_alpn_select_cb(ctx, AlpnSelect, nullptr);
  return ctx;
}

Status ServerImpl::Init() {
  internal::IgnoreSigpipe();
  RaiseFileLimit();
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  wakefd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
  base_ctx_ = NewServerCtx();
  if (epfd_ < 0 || wakefd_ < 0 || base_ctx_ == nullptr) {
    return Status::Internal(std::string("cannot start the network server: ") + strerror(errno));
  }
  SSL_CTX_set_tlsext_servername_callback(base_ctx_, &ServerImpl::ServerNameCallback);
  SSL_CTX_set_tlsext_servername_arg(base_ctx_, this);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeId;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
  loop_ = std::thread([this] { Run(); });
  int workers = std::max(1, options_.http_workers);
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { WorkerMain(); });
  return Status::Ok();
}

// ---------------------------------------------------------------- any thread

bool ServerImpl::Post(std::function<void()> command) {
  // Waking under the lock: once the loop has exited nobody writes to the
  // eventfd, so Stop() may close it.
  std::lock_guard<std::mutex> lock(mu_);
  if (loop_exited_) return false;
  commands_.push_back(std::move(command));
  Wake();
  return true;
}

void ServerImpl::Wake() {
  uint64_t one = 1;
  ssize_t n = write(wakefd_, &one, sizeof(one));
  (void)n;  // EAGAIN: the counter is saturated, the loop wakes anyway
}

void ServerImpl::Enqueue(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(work_mu_);
    if (workers_stop_) return;
    jobs_.push_back(std::move(job));
  }
  work_cv_.notify_one();
}

void ServerImpl::WorkerMain() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(work_mu_);
      work_cv_.wait(lock, [this] { return workers_stop_ || !jobs_.empty(); });
      if (workers_stop_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

Result<uint16_t> ServerImpl::Listen(ListenerOptions options) {
  if (options.name.empty()) return Status::InvalidArgument("listener name is empty");
  if (options.protocol == Protocol::kHttp && !options.http) {
    return Status::InvalidArgument("listener [" + options.name + "]: kHttp needs an http handler");
  }
  if (options.protocol != Protocol::kHttp && !options.router) {
    return Status::InvalidArgument("listener [" + options.name + "]: TLS needs a router");
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(options.port);
  if (inet_pton(AF_INET, options.address.c_str(), &sa.sin_addr) != 1) {
    return Status::InvalidArgument("listener [" + options.name + "]: [" + options.address +
                                   "] is not an IPv4 address");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (loop_exited_ || stopping_) return Status::FailedPrecondition("the server is stopped");
    if (!names_.insert(options.name).second) {
      return Status::Error(StatusCode::kAlreadyExists,
                           "listener [" + options.name + "] already exists");
    }
  }
  auto fail = [&](Status status, int fd) -> Result<uint16_t> {
    if (fd >= 0) close(fd);
    std::lock_guard<std::mutex> lock(mu_);
    names_.erase(options.name);
    return status;
  };
  std::string where = options.address + ":" + std::to_string(options.port);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(Status::Unavailable(std::string("socket: ") + strerror(errno)), -1);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    int err = errno;
    if (err == EADDRINUSE) return fail(Status::Unavailable("address in use: " + where), fd);
    return fail(Status::Unavailable("cannot bind " + where + ": " + strerror(err)), fd);
  }
  if (listen(fd, kBacklog) != 0) {
    int err = errno;
    if (err == EADDRINUSE) return fail(Status::Unavailable("address in use: " + where), fd);
    return fail(Status::Unavailable("cannot listen on " + where + ": " + strerror(err)), fd);
  }
  sockaddr_in bound{};
  socklen_t len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  auto info = std::make_shared<ListenerInfo>();
  info->name = options.name;
  info->protocol = options.protocol;
  info->router = std::move(options.router);
  info->http = std::move(options.http);
  std::shared_ptr<const ListenerInfo> shared = info;
  if (!Post([this, fd, shared] { AddListener(fd, shared); })) {
    return fail(Status::FailedPrecondition("the server is stopped"), fd);
  }
  return static_cast<uint16_t>(ntohs(bound.sin_port));
}

void ServerImpl::Close(const std::string& name) {
  if (std::this_thread::get_id() == loop_tid_.load()) {
    CloseListener(name);  // a stream handler: the loop never waits for workers
    return;
  }
  auto done = std::make_shared<std::promise<std::shared_ptr<const ListenerInfo>>>();
  auto finished = done->get_future();
  if (!Post([this, name, done] { done->set_value(CloseListener(name)); })) {
    return;  // the loop is gone: everything is closed already
  }
  std::shared_ptr<const ListenerInfo> info = finished.get();
  if (!info) return;
  // Wait for its HTTP handlers still running (not for our own, if a handler
  // closes its own listener).
  int self = current_listener == info.get() ? 1 : 0;
  std::unique_lock<std::mutex> lock(info->in_flight.mu);
  info->in_flight.cv.wait(lock, [&] { return info->in_flight.running <= self; });
}

void ServerImpl::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  assert(std::this_thread::get_id() != loop_tid_.load() && "Stop() called from a stream handler");
  stopping_ = true;
  if (wakefd_ >= 0) Wake();
  if (loop_.joinable()) loop_.join();
  {
    std::lock_guard<std::mutex> lock(work_mu_);
    workers_stop_ = true;
    jobs_.clear();
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
  if (epfd_ >= 0) close(epfd_);
  if (wakefd_ >= 0) close(wakefd_);
  if (spare_fd_ >= 0) close(spare_fd_);
  epfd_ = wakefd_ = spare_fd_ = -1;
  if (base_ctx_ != nullptr) SSL_CTX_free(base_ctx_);
  base_ctx_ = nullptr;
}

// ---------------------------------------------------------------- loop thread

void ServerImpl::Run() {
  loop_tid_ = std::this_thread::get_id();
  std::vector<epoll_event> events(256);
  while (!stopping_) {
    int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), NextTimeoutMs());
    for (int i = 0; i < n; ++i) {
      uint64_t id = events[i].data.u64;
      if (id == kWakeId) {
        uint64_t count;
        ssize_t r = read(wakefd_, &count, sizeof(count));
        (void)r;
        continue;
      }
      if (auto c = conns_.find(id); c != conns_.end()) {
        Conn& conn = *c->second;
        if (conn.draining) {
          Drain(conn);
        } else if (!conn.closed) {
          OnEvent(conn, events[i].events);
        }
      } else if (auto l = listeners_.find(id); l != listeners_.end()) {
        Accept(id, l->second);
      }
    }
    RunCommands();
    RunTimers();
    if (SteadyClock::now() - last_sweep_ >= SweepPeriod()) Sweep();
    graveyard_.clear();
  }
  // Shut down: close every connection and listener, refuse further commands
  // and run the ones already queued (their targets are gone; waiters wake).
  std::vector<Conn*> open;
  for (auto& [id, c] : conns_) open.push_back(c.get());
  for (Conn* c : open) CloseConn(*c, CloseMode::kNow);
  for (auto& [id, l] : listeners_) close(l.fd);
  listeners_.clear();
  listener_ids_.clear();
  timers_.clear();
  std::vector<std::function<void()>> rest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    loop_exited_ = true;
    rest.swap(commands_);
    names_.clear();
  }
  for (auto& command : rest) command();
  graveyard_.clear();
  conns_.clear();
  for (auto& [key, entry] : ctx_cache_) SSL_CTX_free(entry.ctx);
  ctx_cache_.clear();
}

void ServerImpl::RunCommands() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(commands_);
  }
  for (auto& command : batch) command();
}

int ServerImpl::NextTimeoutMs() const {
  int ms = static_cast<int>(SweepPeriod().count());
  if (!timers_.empty()) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(timers_.begin()->first -
                                                                      SteadyClock::now());
    ms = std::clamp(static_cast<int>(wait.count()) + 1, 0, ms);
  }
  return ms;
}

void ServerImpl::RunTimers() {
  auto now = SteadyClock::now();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    PendingRequest pending = std::move(timers_.begin()->second);
    timers_.erase(timers_.begin());
    Dispatch(std::move(pending));
  }
}

void ServerImpl::Sweep() {
  auto now = SteadyClock::now();
  last_sweep_ = now;
  std::vector<Conn*> idle;
  for (auto& [id, c] : conns_) {
    if (c->draining ? now - c->last_active > kLingerTime
                    : !c->busy && now - c->last_active > options_.idle_timeout) {
      idle.push_back(c.get());
    }
  }
  for (Conn* c : idle) CloseConn(*c, CloseMode::kNow);
  for (auto it = ctx_cache_.begin(); it != ctx_cache_.end();) {
    if (it->second.identity.expired()) {
      SSL_CTX_free(it->second.ctx);
      it = ctx_cache_.erase(it);
    } else {
      ++it;
    }
  }
}

void ServerImpl::AddListener(int fd, std::shared_ptr<const ListenerInfo> info) {
  if (stopping_) {  // only true here once the loop is exiting
    close(fd);
    return;
  }
  uint64_t id = next_id_++;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = id;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
  listener_ids_[info->name] = id;
  listeners_[id] = Listener{fd, std::move(info)};
}

std::shared_ptr<const ListenerInfo> ServerImpl::CloseListener(const std::string& name) {
  std::shared_ptr<const ListenerInfo> info;
  auto it = listener_ids_.find(name);
  if (it != listener_ids_.end()) {
    uint64_t id = it->second;
    listener_ids_.erase(it);
    auto l = listeners_.find(id);
    if (l != listeners_.end()) {
      epoll_ctl(epfd_, EPOLL_CTL_DEL, l->second.fd, nullptr);
      close(l->second.fd);
      info = l->second.info;
      listeners_.erase(l);
    }
    if (info) {
      std::lock_guard<std::mutex> lock(info->in_flight.mu);
      info->in_flight.closed = true;
    }
    std::vector<Conn*> victims;
    for (auto& [cid, c] : conns_) {
      if (c->listener_id == id) victims.push_back(c.get());
    }
    for (Conn* c : victims) CloseConn(*c, CloseMode::kNow);
  }
  std::lock_guard<std::mutex> lock(mu_);
  names_.erase(name);
  return info;
}

void ServerImpl::Accept(uint64_t listener_id, Listener& listener) {
  for (;;) {
    sockaddr_in sa{};
    socklen_t len = sizeof(sa);
    int fd = accept4(listener.fd, reinterpret_cast<sockaddr*>(&sa), &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE) && spare_fd_ >= 0) {
        // Out of descriptors: accept with the spare one and drop the
        // connection, or the level-triggered listener would spin.
        close(spare_fd_);
        int drop = accept(listener.fd, nullptr, nullptr);
        if (drop >= 0) ResetAndClose(drop);
        spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
        spdlog::warn("sandbox net: out of file descriptors on [{}]", listener.info->name);
      }
      return;  // EAGAIN or an error that retrying now will not fix
    }
    if (faults_.Lookup(listener.info->name, "").down) {
      ResetAndClose(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto c = std::make_unique<Conn>();
    c->id = next_id_++;
    c->fd = fd;
    c->listener_id = listener_id;
    c->listener = listener.info;
    c->peer_address = AddressText(sa);
    c->last_active = SteadyClock::now();
    if (listener.info->protocol != Protocol::kHttp) {
      c->ssl = SSL_new(base_ctx_);
      if (c->ssl == nullptr) {
        ERR_clear_error();
        ResetAndClose(fd);
        continue;
      }
      SSL_set_fd(c->ssl, fd);
      SSL_set_accept_state(c->ssl);
      SSL_set_app_data(c->ssl, c.get());
      c->handshaking = true;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = c->id;
    c->events = EPOLLIN;
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      if (c->ssl != nullptr) SSL_free(c->ssl);
      ResetAndClose(fd);
      continue;
    }
    uint64_t id = c->id;
    conns_[id] = std::move(c);
  }
}


}  // namespace internal

std::unique_ptr<Server> Server::Start(Options options) {
  auto server = std::make_unique<internal::ServerImpl>(options);
  Status status = server->Init();
  if (!status.ok()) {
    spdlog::error("sandbox net: {}", status.message());
    return nullptr;
  }
  return server;
}

}  // namespace crosslink::sandbox::net
