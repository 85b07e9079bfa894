// The self-managed platform twin: every cluster of the sandbox config without
// an environment. Each cluster gets one loopback address and one es::Twin;
// each node an install directory (install.h). A node (re)start reads its
// install directory; the cluster serves with the configuration of its
// lowest-numbered running node (1 node by default). A node that fails to
// start is down; when every node is down the cluster's listeners are closed.
//
// Thread-safety: one mutex per cluster serialises starts, restarts and
// inspection of that cluster; the twin and the network server are thread-safe.

#include <unistd.h>

#include <cctype>
#include <climits>
#include <mutex>

#include <spdlog/spdlog.h>

#include "engine/core/filesystem.h"
#include "engine/core/logging.h"
#include "sandbox/es/twin.h"
#include "sandbox/platform.h"
#include "sandbox/self/install.h"
#include "sandbox/self/keystore.h"
#include "sandbox/util.h"

namespace crosslink::sandbox {
namespace {

constexpr uint16_t kRestPort = 9200;
constexpr uint16_t kTransportPort = 9300;
constexpr int kMaxNodes = 9;

struct NodeState {
  std::string name;
  std::string home;
  bool running = false;
  std::string failure;  // why the last start failed ("" when running)
  int starts = 0;
  std::optional<self::NodeStartConfig> config;
};

struct ClusterState {
  ClusterConfig config;
  std::string address;
  Secret elastic_password;
  std::unique_ptr<es::Twin> twin;
  std::vector<NodeState> nodes;
  std::optional<uint16_t> rcs_port;  // bound RCS listener
  mutable std::mutex mu;
  // The serving node's home, for the reload source. The twin calls that
  // source with its own mutex held, and restarts take `mu` before the twin's,
  // so the source must not take `mu`: it only takes this leaf mutex.
  std::mutex serving_mu;
  std::string serving_home;
};

class SelfPlatform : public Platform {
 public:
  SelfPlatform(EnvironmentConfig env, PlatformContext ctx) : env_(std::move(env)), ctx_(std::move(ctx)) {
    if (env_.settings.is_object() && env_.settings.contains("control_url") &&
        env_.settings["control_url"].is_string()) {
      control_url_ = env_.settings["control_url"].get<std::string>();
    }
  }
  ~SelfPlatform() override { Stop(); }

  const std::string& key() const override { return env_.key; }

  Status AddCluster(const ClusterConfig& cluster) override {
    const std::string& k = cluster.key;
    if (k.empty() || k.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos) {
      return Status::InvalidArgument("clusters." + k + ": a self-managed cluster key must be lower-case letters, digits, '-' or '_'");
    }
    if (clusters_.count(k)) return Status::Error(StatusCode::kAlreadyExists, "clusters." + k + ": defined twice");
    int nodes = 1;
    std::optional<std::string> password;
    if (cluster.settings.is_object()) {
      if (cluster.settings.contains("nodes")) {
        const Value& n = cluster.settings["nodes"];
        if (!n.is_number_integer() || n.get<int>() < 1 || n.get<int>() > kMaxNodes) {
          return Status::InvalidArgument("clusters." + k + ".nodes: must be an integer from 1 to " + std::to_string(kMaxNodes));
        }
        nodes = n.get<int>();
      }
      if (cluster.settings.contains("password")) {
        const Value& p = cluster.settings["password"];
        if (!p.is_string() || p.get<std::string>().size() < 6) {
          return Status::InvalidArgument("clusters." + k + ".password: must be a string of at least 6 characters");
        }
        password = p.get<std::string>();
      }
    }
    auto state = std::make_unique<ClusterState>();
    state->config = cluster;
    state->address = ctx_.host->AllocateAddress();
    state->elastic_password = Secret(password.value_or(RandomString(20, kAlphanumeric)));

    pki::CertificateSpec ca;
    ca.common_name = "Elasticsearch security auto-configuration HTTP CA";
    auto http_ca = pki::CreateCa(ca);
    if (!http_ca.ok()) return http_ca.status().WithContext("clusters." + k);
    ca.common_name = "Elasticsearch security auto-configuration transport CA";
    auto transport_ca = pki::CreateCa(ca);
    if (!transport_ca.ok()) return transport_ca.status().WithContext("clusters." + k);

    std::vector<std::string> names;
    for (int i = 0; i < nodes; ++i) names.push_back("node-" + std::to_string(i));
    for (const std::string& name : names) {
      NodeState node;
      node.name = name;
      node.home = ctx_.sandbox_dir + "/" + env_.key + "/" + k + "/" + name;
      self::InstallSpec spec{node.home, k, name, state->address, names, &*http_ca, &*transport_ca};
      Status s = self::WriteInstall(spec);
      if (!s.ok()) return s.WithContext("clusters." + k + ": writing " + node.home);
      state->nodes.push_back(std::move(node));
    }

    es::TwinOptions options;
    options.name = k;
    options.version = cluster.version;
    options.license = cluster.license;
    options.platform = "self";
    options.users["elastic"] = state->elastic_password;
    options.public_ca_pems = {ctx_.host->public_ca().chain_pem};
    Host* host = ctx_.host;
    state->twin = std::make_unique<es::Twin>(
        options, host->clock(),
        [host](const std::string& h, uint16_t port, net::DialOptions o, std::string_view line) {
          return host->Dial(h, port, std::move(o), line);
        });
    ClusterState* raw = state.get();
    state->twin->SetReloadSource([raw](const std::optional<Secret>& password) {
      std::string home;
      {
        std::lock_guard<std::mutex> lock(raw->serving_mu);
        home = raw->serving_home;
      }
      if (home.empty()) return Result<std::map<std::string, Secret>>(Status::Unavailable("no node is running"));
      return self::ReadKeystoreEntries(home, password.value_or(Secret()));
    });
    host->AddDnsName(k + ".self.localhost", state->address);
    clusters_[k] = std::move(state);
    return Status::Ok();
  }

  Status Start() override {
    for (auto& [k, c] : clusters_) {
      std::lock_guard<std::mutex> lock(c->mu);
      for (size_t i = 0; i < c->nodes.size(); ++i) StartNodeLocked(*c, i, "start");
      Status s = ApplyLocked(*c);
      if (!s.ok()) return s.WithContext("self-managed cluster " + k);
    }
    return Status::Ok();
  }

  Status WriteClientFiles(ClientFiles* files) override {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    if (n < 0) return ErrnoStatus("readlink", "/proc/self/exe");
    std::string exe(buf, static_cast<size_t>(n));
    for (auto& [k, c] : clusters_) {
      std::lock_guard<std::mutex> lock(c->mu);
      std::string prefix = EnvPrefix(k);
      files->env.emplace_back(prefix + "_URL", "https://" + c->address + ":" + std::to_string(kRestPort));
      files->env.emplace_back(prefix + "_CA_FILE", c->nodes.front().home + "/config/certs/http_ca.crt");
      files->env.emplace_back(prefix + "_USERNAME", "elastic");
      files->env.emplace_back(prefix + "_PASSWORD", c->elastic_password.expose());
      for (size_t i = 0; i < c->nodes.size(); ++i) {
        const NodeState& node = c->nodes[i];
        std::string url = control_url_.empty() ? "" :
            control_url_ + "/_sandbox/platforms/" + env_.key + "/clusters/" + k + "/nodes/" + node.name + "/restart";
        CROSSLINK_RETURN_IF_ERROR(self::WriteInstallScripts(node.home, exe, url));
        files->env.emplace_back(prefix + "_HOME_" + std::to_string(i), node.home);
      }
    }
    return Status::Ok();
  }

  es::Twin* FindTwin(const std::string& cluster_key) override {
    auto it = clusters_.find(cluster_key);
    return it == clusters_.end() ? nullptr : it->second->twin.get();
  }

  std::vector<std::string> cluster_keys() const override {
    std::vector<std::string> out;
    for (const auto& [k, c] : clusters_) out.push_back(k);
    return out;
  }

  Value Inspect() const override {
    Value clusters = Value::object();
    for (const auto& [k, c] : clusters_) clusters[k] = InspectCluster(*c);
    return {{"platform", "self"}, {"key", env_.key}, {"clusters", clusters}};
  }

  net::HttpResponse HandleControl(const net::HttpRequest& request, std::string_view rest) override {
    std::vector<std::string> parts;
    std::string segment;
    for (char ch : rest) {
      if (ch == '/') {
        if (!segment.empty()) parts.push_back(segment);
        segment.clear();
      } else {
        segment += ch;
      }
    }
    if (!segment.empty()) parts.push_back(segment);
    if (parts.size() < 2 || parts[0] != "clusters") {
      return net::EsError(404, "resource_not_found_exception", "no control endpoint [" + std::string(rest) + "]");
    }
    auto it = clusters_.find(parts[1]);
    if (it == clusters_.end()) {
      return net::EsError(404, "resource_not_found_exception", "no self-managed cluster [" + parts[1] + "]");
    }
    ClusterState& c = *it->second;
    if (parts.size() == 2) {
      if (request.method != "GET") return net::EsError(405, "method_not_allowed", "use GET");
      return net::HttpResponse::Json(200, InspectCluster(c));
    }
    if (parts.size() == 5 && parts[2] == "nodes" && parts[4] == "restart") {
      if (request.method != "POST") return net::EsError(405, "method_not_allowed", "use POST");
      return RestartNode(c, parts[3]);
    }
    return net::EsError(404, "resource_not_found_exception", "no control endpoint [" + std::string(rest) + "]");
  }

  void Stop() override {
    for (auto& [k, c] : clusters_) {
      std::lock_guard<std::mutex> lock(c->mu);
      CloseListenersLocked(*c);
    }
  }

 private:
  static const NodeState* ServingNode(const ClusterState& c) {
    for (const NodeState& n : c.nodes) {
      if (n.running) return &n;
    }
    return nullptr;
  }

  std::string ListenerName(const ClusterState& c, const char* what) const {
    return "es/" + c.config.key + "/" + what;
  }

  net::HttpResponse RestartNode(ClusterState& c, const std::string& node_name) {
    std::lock_guard<std::mutex> lock(c.mu);
    size_t index = c.nodes.size();
    for (size_t i = 0; i < c.nodes.size(); ++i) {
      if (c.nodes[i].name == node_name) index = i;
    }
    if (index == c.nodes.size()) {
      return net::EsError(404, "resource_not_found_exception",
                          "no node [" + node_name + "] in self-managed cluster [" + c.config.key + "]");
    }
    StartNodeLocked(c, index, "restart");
    Status applied = ApplyLocked(c);
    const NodeState& node = c.nodes[index];
    if (!node.running || !applied.ok()) {
      std::string reason = node.running ? applied.message() : node.failure;
      return net::HttpResponse::Json(500, {{"restarted", false},
                                           {"node", node.name},
                                           {"error", {{"type", "node_start_failure"}, {"reason", reason}}}});
    }
    return net::HttpResponse::Json(200, {{"restarted", true}, {"node", node.name}, {"restarts", c.twin->restarts()}});
  }

  // Reads the node's install directory; on failure the node is down.
  void StartNodeLocked(ClusterState& c, size_t index, const std::string& kind) {
    NodeState& node = c.nodes[index];
    ++node.starts;
    Result<self::NodeStartConfig> loaded = self::ReadNodeConfig(node.home);
    Value event = {{"kind", kind}, {"platform", "self"}, {"cluster", c.config.key}, {"node", node.name}};
    if (loaded.ok()) {
      node.running = true;
      node.failure.clear();
      node.config = std::move(loaded).value();
      event["ok"] = true;
    } else {
      node.running = false;
      node.failure = loaded.status().message();
      node.config.reset();
      event["ok"] = false;
      event["reason"] = node.failure;
      spdlog::warn("self-managed {}/{} failed to start: {}", c.config.key, node.name, node.failure);
    }
    ctx_.host->RecordEvent(event);
  }

  void CloseListenersLocked(ClusterState& c) {
    net::Server& server = ctx_.host->server();
    for (const char* what : {"rest", "transport", "rcs"}) {
      if (server.Has(ListenerName(c, what))) server.Close(ListenerName(c, what));
    }
    c.rcs_port.reset();
  }

  // Restarts the twin with the serving node's configuration and makes the
  // listeners match it.
  Status ApplyLocked(ClusterState& c) {
    const NodeState* serving = ServingNode(c);
    {
      std::lock_guard<std::mutex> lock(c.serving_mu);
      c.serving_home = serving ? serving->home : "";
    }
    if (!serving) {
      CloseListenersLocked(c);
      return Status::Ok();
    }
    const self::NodeStartConfig& start = *serving->config;
    c.twin->Restart(start.config);
    net::Server& server = ctx_.host->server();
    es::Twin* twin = c.twin.get();
    auto listen = [&](const char* what, uint16_t port, net::Protocol protocol, net::TlsRouter router) -> Status {
      if (server.Has(ListenerName(c, what))) return Status::Ok();
      net::ListenerOptions o;
      o.name = ListenerName(c, what);
      o.address = c.address;
      o.port = port;
      o.protocol = protocol;
      o.router = std::move(router);
      Result<uint16_t> bound = server.Listen(std::move(o));
      if (!bound.ok()) return bound.status().WithContext("binding " + c.address + ":" + std::to_string(port));
      return Status::Ok();
    };
    CROSSLINK_RETURN_IF_ERROR(listen("rest", kRestPort, net::Protocol::kHttps,
                                     [twin](std::string_view) { return twin->RestRoute(); }));
    CROSSLINK_RETURN_IF_ERROR(listen("transport", kTransportPort, net::Protocol::kTls,
                                     [twin](std::string_view) { return twin->TransportRoute(); }));
    bool want_rcs = start.config.rcs_enabled;
    if (c.rcs_port && (!want_rcs || *c.rcs_port != start.rcs_port)) {
      server.Close(ListenerName(c, "rcs"));
      c.rcs_port.reset();
    }
    if (want_rcs && !c.rcs_port) {
      CROSSLINK_RETURN_IF_ERROR(listen("rcs", start.rcs_port, net::Protocol::kTls,
                                       [twin](std::string_view) { return twin->RemoteClusterRoute(); }));
      c.rcs_port = start.rcs_port;
    }
    return Status::Ok();
  }

  Value InspectCluster(const ClusterState& c) const {
    std::lock_guard<std::mutex> lock(c.mu);
    Value nodes = Value::object();
    for (const NodeState& n : c.nodes) {
      Value node = {{"home", n.home}, {"running", n.running}, {"starts", n.starts}};
      if (!n.failure.empty()) node["failure"] = n.failure;
      if (n.config) {
        node["remote_cluster_server"] = {{"enabled", n.config->config.rcs_enabled},
                                         {"port", n.config->rcs_port}};
        Value keys = Value::array();
        for (const auto& [name, v] : n.config->config.keystore) keys.push_back(name);
        node["keystore_keys_at_start"] = keys;
      }
      nodes[n.name] = node;
    }
    const NodeState* serving = ServingNode(c);
    Value listeners = {{"rest", c.address + ":" + std::to_string(kRestPort)}};
    if (!serving) listeners = Value::object();
    else listeners["transport"] = c.address + ":" + std::to_string(kTransportPort);
    if (c.rcs_port) listeners["rcs"] = c.address + ":" + std::to_string(*c.rcs_port);
    return {{"cluster", c.config.key},
            {"address", c.address},
            {"dns_name", c.config.key + ".self.localhost"},
            {"up", serving != nullptr},
            {"serving_node", serving ? Value(serving->name) : Value()},
            {"listeners", listeners},
            {"nodes", nodes},
            {"twin", c.twin->Inspect()}};
  }

  EnvironmentConfig env_;
  PlatformContext ctx_;
  std::string control_url_;
  // Filled by AddCluster before Start(); the map itself never changes after.
  std::map<std::string, std::unique_ptr<ClusterState>> clusters_;
};

}  // namespace

Result<std::unique_ptr<Platform>> NewSelfPlatform(const EnvironmentConfig& env, const PlatformContext& ctx) {
  if (ctx.host == nullptr) return Status::InvalidArgument("self-managed platform needs a host");
  if (ctx.sandbox_dir.empty()) return Status::InvalidArgument("self-managed platform needs a sandbox dir");
  if (env.settings.is_object() && env.settings.contains("control_url") && !env.settings["control_url"].is_string()) {
    return Status::InvalidArgument("environments." + env.key + ".control_url: must be a string");
  }
  return std::unique_ptr<Platform>(new SelfPlatform(env, ctx));
}

}  // namespace crosslink::sandbox
