#pragma once
// Internal to sandbox/net: the Server implementation's types, shared by
// server.cc (lifecycle, listeners, the loop) and connection.cc (per-connection
// TLS, HTTP and stream handling).
//
// Ownership: listeners, connections, SSL objects and the SSL_CTX cache belong
// to the loop thread and are touched only there. Other threads talk to the
// loop through Post() (a mutex-protected command queue plus an eventfd). A
// worker gets a copy of the request and shared pointers to the handler's
// owner (route or listener); it hands the serialised response back by
// connection id, and the loop drops it if the connection is gone by then.

#include <netinet/in.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>

#include "sandbox/net/internal.h"
#include "sandbox/net/net.h"

namespace crosslink::sandbox::net::internal {

using SteadyClock = std::chrono::steady_clock;
inline constexpr auto kLingerTime = std::chrono::seconds(2);
inline constexpr size_t kMaxLineBytes = 1024 * 1024;
inline constexpr uint64_t kWakeId = 0;
inline constexpr int kBacklog = 512;
inline constexpr char kSessionIdContext[] = "crosslink-sandbox";

// What a listener is; immutable once listening, shared with workers.
struct ListenerInfo {
  std::string name;
  Protocol protocol = Protocol::kHttps;
  TlsRouter router;
  HttpHandler http;
  // HTTP handlers of this listener running on workers: Close() waits for
  // them, so that after it returns no handler of the listener runs.
  struct InFlight {
    std::mutex mu;
    std::condition_variable cv;
    int running = 0;
    bool closed = false;  // set by Close: queued requests are dropped
  };
  mutable InFlight in_flight;
};

// The listener whose HTTP handler the current worker thread is running.
extern thread_local const ListenerInfo* current_listener;

struct Listener {
  int fd = -1;
  std::shared_ptr<const ListenerInfo> info;
};

struct Conn {
  uint64_t id = 0;
  int fd = -1;
  uint64_t listener_id = 0;
  std::shared_ptr<const ListenerInfo> listener;
  SSL* ssl = nullptr;  // null for kHttp
  bool handshaking = false;
  std::string sni;
  std::shared_ptr<const TlsRoute> route;
  StreamPeer peer;
  std::string peer_address;

  std::string in;
  std::string out;
  size_t out_off = 0;
  bool want_write = false;  // the last TLS/socket operation needs writability
  bool read_eof = false;
  bool busy = false;        // an HTTP request is being answered
  bool close_after_write = false;
  bool closed = false;
  bool draining = false;    // closed for us; waiting for the peer's FIN
  uint32_t events = 0;      // current epoll interest
  // HTTP: the parsed head of the request whose body is still arriving.
  bool have_head = false;
  bool continue_sent = false;
  internal::HttpHead head;
  SteadyClock::time_point last_active;
};

// An HTTP request on its way to a handler (after fault rolls and latency).
struct PendingRequest {
  uint64_t conn_id = 0;
  HttpRequest request;
  bool keep_alive = true;
  bool head_only = false;
  int inject_status = 0;  // non-zero: answer with an injected error
  std::shared_ptr<const TlsRoute> route;
  std::shared_ptr<const ListenerInfo> listener;
};

// "127.0.0.1:54321"
std::string AddressText(const sockaddr_in& sa);
// Closes with SO_LINGER 0: the peer sees a RST.
void ResetAndClose(int fd);
// A server SSL_CTX with the sandbox's settings (TLS 1.2+, no session
// resumption, partial writes, ALPN http/1.1) and no certificate.
SSL_CTX* NewServerCtx();

class ServerImpl final : public Server {
 public:
  explicit ServerImpl(Options options) : options_(options), rng_(options.fault_seed) {}
  ~ServerImpl() override { Stop(); }
  ServerImpl(const ServerImpl&) = delete;
  ServerImpl& operator=(const ServerImpl&) = delete;

  Status Init();
  Result<uint16_t> Listen(ListenerOptions options) override;
  void Close(const std::string& name) override;
  bool Has(const std::string& name) const override {
    std::lock_guard<std::mutex> lock(mu_);
    return names_.count(name) > 0;
  }
  FaultTable& faults() override { return faults_; }
  void Stop() override;

 private:
  // ---- any thread ----
  bool Post(std::function<void()> command);
  void Wake();
  void Enqueue(std::function<void()> job);
  void WorkerMain();

  // ---- loop thread ----
  void Run();
  void RunCommands();
  void RunTimers();
  void Sweep();
  int NextTimeoutMs() const;
  // How often idle and lingering connections are looked for.
  std::chrono::milliseconds SweepPeriod() const {
    return std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(options_.idle_timeout),
                      std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
  }
  void AddListener(int fd, std::shared_ptr<const ListenerInfo> info);
  // Returns the closed listener (nullptr if there was none).
  std::shared_ptr<const ListenerInfo> CloseListener(const std::string& name);
  void Accept(uint64_t listener_id, Listener& listener);
  void OnEvent(Conn& c, uint32_t events);
  void Drive(Conn& c);
  bool Handshake(Conn& c);        // false: not done (or closed)
  bool Flush(Conn& c);            // false: connection closed
  bool ReadSome(Conn& c);         // true: bytes were read
  bool ProcessInput(Conn& c);     // true: progress was made
  bool ProcessLine(Conn& c);
  bool ProcessHttp(Conn& c);
  void StartRequest(Conn& c, HttpRequest request, bool keep_alive);
  void Dispatch(PendingRequest pending);
  void Respond(uint64_t conn_id, std::string bytes, bool close);
  void QueueLocalResponse(Conn& c, const HttpResponse& response, bool close);
  void UpdateInterest(Conn& c);
  // kNow closes at once; kLinger sends close_notify/FIN and drains what the
  // peer still sends (so our last bytes, e.g. a TLS alert, are not lost to a
  // RST) for up to kLingerTime; kReset sends a RST.
  enum class CloseMode { kNow, kLinger, kReset };
  void CloseConn(Conn& c, CloseMode mode);
  void Drain(Conn& c);
  bool Roll(double rate);
  SSL_CTX* CtxFor(const TlsRoute& route);
  static int ServerNameCallback(SSL* ssl, int* alert, void* arg);

  const Options options_;
  FaultTable faults_;
  int epfd_ = -1;
  int wakefd_ = -1;
  int spare_fd_ = -1;
  SSL_CTX* base_ctx_ = nullptr;
  std::thread loop_;
  std::vector<std::thread> workers_;
  std::atomic<std::thread::id> loop_tid_{};
  std::atomic<bool> stopping_{false};

  std::mutex stop_mu_;
  bool stopped_ = false;

  mutable std::mutex mu_;  // guards names_, commands_, loop_exited_
  std::set<std::string> names_;
  std::vector<std::function<void()>> commands_;
  bool loop_exited_ = false;

  std::mutex work_mu_;  // guards jobs_, workers_stop_
  std::condition_variable work_cv_;
  std::deque<std::function<void()>> jobs_;
  bool workers_stop_ = false;

  // Loop-owned state.
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Listener> listeners_;
  std::unordered_map<std::string, uint64_t> listener_ids_;
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
  std::vector<std::unique_ptr<Conn>> graveyard_;  // freed at the end of a loop turn
  std::multimap<SteadyClock::time_point, PendingRequest> timers_;
  struct CtxEntry {
    std::weak_ptr<const pki::Identity> identity;
    SSL_CTX* ctx = nullptr;
  };
  std::unordered_map<std::string, CtxEntry> ctx_cache_;
  std::mt19937_64 rng_;
  SteadyClock::time_point last_sweep_ = SteadyClock::now();
  std::vector<char> read_buf_ = std::vector<char>(64 * 1024);
};

}  // namespace crosslink::sandbox::net::internal
