#include "sandbox/host.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cassert>
#include <random>

#include "engine/core/logging.h"

namespace crosslink::sandbox {
namespace {

// The port of the marker socket that claims a 127.B.0.0/16 block for one
// sandbox process: a second sandbox that finds it bound picks another block.
constexpr uint16_t kBlockMarkerPort = 9999;

bool IsIpv4Literal(const std::string& text) {
  in_addr addr{};
  return inet_pton(AF_INET, text.c_str(), &addr) == 1;
}

// Binds 127.<block>.255.254:kBlockMarkerPort; returns the fd or -1 when taken.
int ClaimBlock(int block) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(kBlockMarkerPort);
  std::string ip = "127." + std::to_string(block) + ".255.254";
  inet_pton(AF_INET, ip.c_str(), &sa.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(fd, 1) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<Host>> Host::Create(Options options, Clock& clock) {
  int block = options.address_block;
  int marker = -1;
  if (block != 0) {
    if (block < 1 || block > 254) return Status::InvalidArgument("address block must be 1..254");
    marker = ClaimBlock(block);
    if (marker < 0) {
      return Status::Unavailable("loopback block 127." + std::to_string(block) +
                                 ".0.0/16 is in use by another sandbox");
    }
  } else {
    std::random_device rd;
    std::mt19937 rng(rd());
    std::uniform_int_distribution<int> pick(64, 250);
    for (int attempt = 0; attempt < 64 && marker < 0; ++attempt) {
      block = pick(rng);
      marker = ClaimBlock(block);
    }
    if (marker < 0) return Status::Unavailable("no free loopback block 127.B.0.0/16 found");
  }
  pki::CertificateSpec spec;
  spec.common_name = "crosslink sandbox public root CA";
  spec.organization = "Sandbox Public Trust Services";
  spec.is_ca = true;
  spec.validity = std::chrono::hours(24 * 365 * 5);
  auto ca = pki::CreateCa(spec);
  if (!ca.ok()) {
    close(marker);
    return ca.status().WithContext("creating the sandbox public CA");
  }
  net::Server::Options server_options;
  server_options.http_workers = options.http_workers;
  auto server = net::Server::Start(server_options);
  auto host = std::unique_ptr<Host>(new Host(clock, std::move(server), block, std::move(*ca)));
  host->marker_fd_ = marker;
  return host;
}

Host::Host(Clock& clock, std::unique_ptr<net::Server> server, int block, pki::Identity public_ca)
    : clock_(clock), server_(std::move(server)), block_(block), public_ca_(std::move(public_ca)) {}

Host::~Host() {
  if (server_) server_->Stop();
  if (marker_fd_ >= 0) close(marker_fd_);
}

Result<std::shared_ptr<const pki::Identity>> Host::SharedCa(
    const std::string& name, const std::function<Result<pki::Identity>()>& create) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = shared_cas_.find(name);
  if (it != shared_cas_.end()) return it->second;
  Result<pki::Identity> ca = create();
  if (!ca.ok()) return ca.status().WithContext("creating the " + name);
  auto shared = std::make_shared<const pki::Identity>(std::move(*ca));
  shared_cas_[name] = shared;
  return shared;
}

std::string Host::AllocateAddress() {
  std::lock_guard<std::mutex> lock(mu_);
  // 127.B.x.y with y in 1..254: skip network/broadcast-looking octets, and
  // keep 127.B.255.* for the block marker.
  for (;;) {
    uint32_t n = next_address_++;
    uint32_t x = n / 256;
    uint32_t y = n % 256;
    assert(x < 255 && "loopback block exhausted");
    if (y == 0 || y == 255) continue;
    return "127." + std::to_string(block_) + "." + std::to_string(x) + "." + std::to_string(y);
  }
}

void Host::AddDnsName(const std::string& name, const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  dns_[name] = address;
}

void Host::RemoveDnsName(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  dns_.erase(name);
}

std::optional<std::string> Host::Resolve(const std::string& name) const {
  if (IsIpv4Literal(name)) return name;
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = dns_.find(name); it != dns_.end()) return it->second;
  // The longest matching wildcard wins: "*.a.b" matches "x.a.b" and "y.x.a.b".
  std::optional<std::string> best;
  size_t best_len = 0;
  for (const auto& [pattern, address] : dns_) {
    if (pattern.size() < 2 || pattern.compare(0, 2, "*.") != 0) continue;
    std::string_view suffix(pattern.data() + 1, pattern.size() - 1);  // ".a.b"
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        suffix.size() > best_len) {
      best = address;
      best_len = suffix.size();
    }
  }
  return best;
}

net::DialResult Host::Dial(const std::string& host, uint16_t port, net::DialOptions options,
                           std::string_view request_line) {
  auto address = Resolve(host);
  if (!address) {
    net::DialResult result;
    result.stage = net::DialResult::Stage::kConnect;
    result.error = "UnknownHostException: " + host;
    return result;
  }
  options.address = *address;
  options.port = port;
  return net::Dial(options, request_line);
}

void Host::RecordEvent(Value event) {
  event["time"] = FormatUtc(clock_.WallNow());
  std::lock_guard<std::mutex> lock(mu_);
  events_.push_back(std::move(event));
  // Keep the log bounded: a long-running sandbox must not grow without end.
  constexpr size_t kMaxEvents = 10000;
  if (events_.size() > kMaxEvents) events_.erase(events_.begin());
}

Value Host::Events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

}  // namespace crosslink::sandbox
