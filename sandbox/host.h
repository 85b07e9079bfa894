#pragma once
// crosslink::sandbox::Host: what every platform twin (ECK, Cloud, self-managed)
// gets from the sandbox process: the network server, loopback addresses, the
// sandbox's DNS, the "publicly trusted" CA and an event log for inspection.
//
// Addresses: each sandbox owns one block 127.B.0.0/16 (B chosen at start so
// that parallel sandboxes do not collide) and hands out 127.B.x.y addresses,
// so every twin port can keep its real number (9200, 9300, 9443, 9400) on its
// own address, like a pod IP or a load balancer IP.
//
// DNS: twins resolve host names only through Resolve(): exact names
// ("prod-es-remote-cluster.default.svc") and wildcard suffixes
// ("*.eu-west-1.ech.localhost"). IPv4 literals resolve to themselves.
//
// Thread-safety: all methods are thread-safe.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "engine/core/clock.h"
#include "engine/core/pki.h"
#include "engine/core/value.h"
#include "sandbox/net/net.h"

namespace crosslink::sandbox {

class Host {
 public:
  struct Options {
    int http_workers = 8;
    // 0: pick a free block at random. Tests may fix it.
    int address_block = 0;
  };
  // Starts the network server and creates the public CA.
  static Result<std::unique_ptr<Host>> Create(Options options, Clock& clock);
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  Clock& clock() { return clock_; }
  net::Server& server() { return *server_; }

  // A loopback address never handed out before in this sandbox.
  std::string AllocateAddress();
  int address_block() const { return block_; }

  // Sandbox DNS. `name` is exact or "*.suffix".
  void AddDnsName(const std::string& name, const std::string& address);
  void RemoveDnsName(const std::string& name);
  std::optional<std::string> Resolve(const std::string& name) const;

  // Resolves `host` through the sandbox DNS and dials it (net::Dial). An
  // unknown name fails at stage kConnect with "UnknownHostException: <host>".
  net::DialResult Dial(const std::string& host, uint16_t port, net::DialOptions options,
                       std::string_view request_line);

  // The sandbox's stand-in for the public web PKI (what the JVM's default
  // truststore and the system store trust). Twins trust it when no CA is
  // configured; the sandbox writes it to <dir>/ca/public-ca.pem for clients.
  const pki::Identity& public_ca() const { return public_ca_; }

  // The CA named `name`, made by `create` on the first request and shared by
  // every twin that asks for it afterwards: the ECH transport CA of a region
  // signs the nodes of every organization of Elastic Cloud Hosted, which is
  // one platform however many organizations a sandbox simulates.
  Result<std::shared_ptr<const pki::Identity>> SharedCa(
      const std::string& name, const std::function<Result<pki::Identity>()>& create);

  // Inspection log: {"time": "...", "kind": "restart", ...}.
  void RecordEvent(Value event);
  Value Events() const;

 private:
  Host(Clock& clock, std::unique_ptr<net::Server> server, int block, pki::Identity public_ca);
  Clock& clock_;
  std::unique_ptr<net::Server> server_;
  int block_;
  pki::Identity public_ca_;
  mutable std::mutex mu_;
  uint32_t next_address_ = 1;
  std::map<std::string, std::string> dns_;
  std::map<std::string, std::shared_ptr<const pki::Identity>> shared_cas_;
  Value events_ = Value::array();
  int marker_fd_ = -1;  // the bound socket that claims our address block
};

}  // namespace crosslink::sandbox
