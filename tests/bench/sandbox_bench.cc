// sandbox_bench N: N Elasticsearch twins in one process, each with its REST,
// transport and remote cluster server ports on its own loopback address (the
// issue #3 target: 1,000 twins on 2 cores without a thread per twin). Then a
// ring of N API-key connections (twin i -> twin i+1) is configured through
// the twins' REST APIs over real HTTPS, and `GET _remote/info` is called on
// every twin: each call really dials the next twin's RCS with TLS and a
// cross-cluster API key. Prints the wall time of each stage, the process's
// thread count and peak RSS; fails (exit 1) if any connection is not
// `connected: true`.
//
//   build/tests/bench/sandbox_bench 1000

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <dirent.h>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/http.h"
#include "engine/core/pki.h"
#include "sandbox/es/twin.h"
#include "sandbox/host.h"

namespace {

using namespace crosslink;
using SteadyClock = std::chrono::steady_clock;

double Seconds(SteadyClock::time_point since) {
  return std::chrono::duration<double>(SteadyClock::now() - since).count();
}

int ThreadCount() {
  int count = 0;
  if (DIR* dir = opendir("/proc/self/task")) {
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') ++count;
    }
    closedir(dir);
  }
  return count;
}

long PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

struct Node {
  std::unique_ptr<sandbox::es::Twin> twin;
  std::string address;
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "sandbox_bench: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  if (n < 2) return Fail("N must be at least 2");
  RealClock clock;
  const Secret password("bench-password");

  auto start = SteadyClock::now();
  auto host_or = sandbox::Host::Create({}, clock);
  if (!host_or.ok()) return Fail(host_or.status().ToString());
  sandbox::Host& host = **host_or;
  pki::CertificateSpec ca_spec;
  ca_spec.common_name = "bench transport CA";
  ca_spec.is_ca = true;
  auto ca = pki::CreateCa(ca_spec);
  if (!ca.ok()) return Fail(ca.status().ToString());
  const int threads_before = ThreadCount();

  std::vector<Node> nodes(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    Node& node = nodes[static_cast<size_t>(i)];
    node.address = host.AllocateAddress();
    const std::string name = "c" + std::to_string(i);
    pki::CertificateSpec spec;
    spec.common_name = name;
    spec.dns_names = {name + ".bench.svc"};
    spec.ip_addresses = {node.address};
    auto identity = pki::IssueCertificate(spec, *ca);
    if (!identity.ok()) return Fail(identity.status().ToString());
    auto shared = std::make_shared<const pki::Identity>(std::move(*identity));

    sandbox::es::TwinOptions options;
    options.name = name;
    options.platform = "self";
    options.users["elastic"] = password;
    options.public_ca_pems = {host.public_ca().LeafPem()};
    node.twin = std::make_unique<sandbox::es::Twin>(
        options, clock,
        [&host](const std::string& h, uint16_t port, sandbox::net::DialOptions o, std::string_view line) {
          return host.Dial(h, port, std::move(o), line);
        });
    sandbox::es::NodeConfig config;
    config.http_identity = shared;
    config.transport_identity = shared;
    config.rcs_enabled = true;
    config.rcs_identity = shared;
    config.transport_ca_pems = {ca->LeafPem()};
    config.rcs_client_ca_pems = {ca->LeafPem()};
    node.twin->Restart(config);
    sandbox::es::Twin* twin = node.twin.get();
    struct Port {
      const char* suffix;
      uint16_t port;
      sandbox::net::Protocol protocol;
      std::function<std::shared_ptr<const sandbox::net::TlsRoute>()> route;
    };
    const Port ports[] = {
        {"rest", 9200, sandbox::net::Protocol::kHttps, [twin] { return twin->RestRoute(); }},
        {"transport", 9300, sandbox::net::Protocol::kTls, [twin] { return twin->TransportRoute(); }},
        {"rcs", 9443, sandbox::net::Protocol::kTls, [twin] { return twin->RemoteClusterRoute(); }},
    };
    for (const Port& port : ports) {
      sandbox::net::ListenerOptions listener;
      listener.name = "es/" + name + "/" + port.suffix;
      listener.address = node.address;
      listener.port = port.port;
      listener.protocol = port.protocol;
      auto route = port.route;
      listener.router = [route](std::string_view) { return route(); };
      auto bound = host.server().Listen(listener);
      if (!bound.ok()) return Fail(listener.name + ": " + bound.status().ToString());
    }
  }
  std::printf("start      %6.2f s  (%d twins, %d listeners)\n", Seconds(start), n, 3 * n);
  const int threads_after = ThreadCount();
  std::printf("threads    %d before the twins, %d after\n", threads_before, threads_after);

  // Configure the ring over real HTTPS: key on i+1, keystore on i, settings on i.
  http::ClientOptions client_options;
  client_options.ca_pem = ca->LeafPem();
  client_options.trust_system_cas = false;
  client_options.retry.max_attempts = 1;
  auto client = http::NewCurlClient(client_options, clock);
  auto call = [&](int i, const std::string& method, const std::string& path,
                  const std::string& body) -> Result<Value> {
    http::Request request = http::Request::Json(
        method, "https://" + nodes[static_cast<size_t>(i)].address + ":9200" + path, body);
    request.SetBasicAuth("elastic", password);
    auto response = client->Send(request);
    if (!response.ok()) return response.status();
    if (response->status != 200) {
      return Status::Internal(method + " " + path + " -> " + std::to_string(response->status) + " " +
                              response->body);
    }
    return ParseJson(response->body);
  };

  start = SteadyClock::now();
  for (int i = 0; i < n; ++i) {
    const int remote = (i + 1) % n;
    auto key = call(remote, "POST", "/_security/cross_cluster/api_key",
                    R"({"name":"bench","access":{"search":[{"names":["logs-*"]}]}})");
    if (!key.ok()) return Fail(key.status().ToString());
    nodes[static_cast<size_t>(i)].twin->SetKeystore(
        {{"cluster.remote.next.credentials", Secret((*key)["encoded"].get<std::string>())}});
    const std::string& remote_address = nodes[static_cast<size_t>(remote)].address;
    const std::string settings =
        R"({"persistent":{"cluster":{"remote":{"next":{"mode":"proxy","proxy_address":")" +
        remote_address + R"(:9443","server_name":"c)" + std::to_string(remote) + R"(.bench.svc"}}}}})";
    auto put = call(i, "PUT", "/_cluster/settings", settings);
    if (!put.ok()) return Fail(put.status().ToString());
  }
  std::printf("configure  %6.2f s  (%d keys, %d settings updates over HTTPS)\n", Seconds(start), n, n);

  start = SteadyClock::now();
  std::atomic<int> next{0}, connected{0};
  std::vector<std::thread> workers;
  std::string first_failure;
  std::mutex failure_mu;
  for (int w = 0; w < 8; ++w) {
    workers.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        auto info = call(i, "GET", "/_remote/info", "");
        if (info.ok() && (*info)["next"].value("connected", false)) {
          ++connected;
        } else {
          std::lock_guard<std::mutex> lock(failure_mu);
          if (first_failure.empty()) {
            first_failure = "c" + std::to_string(i) + ": " +
                            (info.ok() ? info->dump() : info.status().ToString());
          }
        }
      }
    });
  }
  for (auto& worker : workers) worker.join();
  std::printf("remote_info %5.2f s  (%d of %d connected; each a real TLS dial + API key check)\n",
              Seconds(start), connected.load(), n);
  std::printf("peak RSS   %ld MiB, threads %d\n", PeakRssMiB(), ThreadCount());
  if (connected.load() != n) return Fail("not every connection is connected: " + first_failure);
  return 0;
}
