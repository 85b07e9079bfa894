#pragma once
// crosslink::sandbox::Sandbox: the whole digital twin in one object — the
// Host (network, addresses, DNS, public CA), one Platform per environment plus
// the self-managed platform, and the control/inspection API. The
// `crosslink-sandbox serve` command is a thin wrapper; end-to-end tests start
// a Sandbox in-process.
//
// Control API (plain HTTP on 127.0.0.1, separate from every simulated API):
//   GET    /_sandbox                          summary: environments, clusters, endpoints
//   GET    /_sandbox/clusters/<key>           the ES twin's inspection JSON
//   POST   /_sandbox/clusters/<key>/down|up   take a twin's ports down / back
//   GET    /_sandbox/events                   restarts and other platform events
//   GET    /_sandbox/faults                   fault rules
//   PUT    /_sandbox/faults                   {"target": glob, latency_ms, error_rate, error_status, reset_rate, down}
//   DELETE /_sandbox/faults[?target=glob]     remove one rule / all rules
//   ANY    /_sandbox/platforms/<key>/...      platform-specific (docs/sandbox.md)
//   POST   /_sandbox/shutdown                 asks the serving process to stop
//
// Thread-safety: thread-safe after Start(). The control API answers 503
// until Start() has finished.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/filesystem.h"
#include "sandbox/config.h"
#include "sandbox/host.h"
#include "sandbox/platform.h"

namespace crosslink::sandbox {

namespace es {
class Twin;
}

class Sandbox {
 public:
  struct Options {
    std::string dir;            // receives sandbox.env, ca/, kubeconfigs, install dirs
    std::string contracts_dir;  // ../shared/contracts
    int address_block = 0;      // 0: random free block
    // Called (once) when POST /_sandbox/shutdown arrives.
    std::function<void()> on_shutdown_request;
  };

  static Result<std::unique_ptr<Sandbox>> Start(const SandboxConfig& config, Options options,
                                                Clock& clock);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  Host& host() { return *host_; }
  const std::string& control_url() const { return control_url_; }
  // KEY=VALUE pairs written to <dir>/sandbox.env, in order.
  const std::vector<std::pair<std::string, std::string>>& env() const { return env_; }
  // The value of one env entry, or "".
  std::string Env(const std::string& key) const;
  Platform* FindPlatform(const std::string& key);
  es::Twin* FindTwin(const std::string& cluster_key);

  void Stop();

 private:
  Sandbox() = default;
  net::HttpResponse HandleControl(const net::HttpRequest& request);
  Status WriteEnvFile();

  Options options_;
  std::unique_ptr<FileSystem> fs_;  // writes sandbox.env, ca/, client files
  std::unique_ptr<Host> host_;
  std::vector<std::unique_ptr<Platform>> platforms_;  // environments, then "self"
  std::map<std::string, Platform*> cluster_platform_;
  std::string control_url_;
  std::vector<std::pair<std::string, std::string>> env_;
  std::once_flag shutdown_once_;
  std::atomic<bool> ready_{false};  // set once Start() has filled everything above
  bool stopped_ = false;
};

// Shell-quotes `value` for a sourceable env file: 'it'"'"'s'.
std::string ShellQuote(const std::string& value);

}  // namespace crosslink::sandbox
