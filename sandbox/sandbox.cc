#include "sandbox/sandbox.h"

#include "engine/core/logging.h"
#include "sandbox/es/twin.h"

namespace crosslink::sandbox {
namespace {

net::HttpResponse ControlError(int status, const std::string& reason) {
  return net::HttpResponse::Json(status, Value{{"error", reason}, {"status", status}});
}

// "a/b/c" -> {"a","b","c"}; empty segments dropped.
std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) parts.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace

std::string ShellQuote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') {
      out += "'\"'\"'";
    } else {
      out += c;
    }
  }
  return out + "'";
}

Result<std::unique_ptr<Sandbox>> Sandbox::Start(const SandboxConfig& config, Options options,
                                                Clock& clock) {
  std::unique_ptr<Sandbox> sandbox(new Sandbox());
  sandbox->fs_ = NewPosixFileSystem();
  CROSSLINK_RETURN_IF_ERROR(sandbox->fs_->MakeDirs(options.dir + "/ca", 0755));
  sandbox->options_ = options;
  Host::Options host_options;
  host_options.http_workers = config.workers;
  host_options.address_block = options.address_block;
  auto host = Host::Create(host_options, clock);
  if (!host.ok()) return host.status();
  sandbox->host_ = std::move(*host);

  Sandbox* self = sandbox.get();
  net::ListenerOptions control;
  control.name = "sandbox/control";
  control.address = "127.0.0.1";
  control.protocol = net::Protocol::kHttp;
  control.http = [self](const net::HttpRequest& request) { return self->HandleControl(request); };
  auto port = sandbox->host_->server().Listen(control);
  if (!port.ok()) return port.status().WithContext("control API");
  sandbox->control_url_ = "http://127.0.0.1:" + std::to_string(*port);

  PlatformContext ctx;
  ctx.host = sandbox->host_.get();
  ctx.contracts_dir = options.contracts_dir;
  ctx.sandbox_dir = options.dir;
  std::map<std::string, Platform*> by_env;
  for (const EnvironmentConfig& env : config.environments) {
    auto platform = env.platform == "eck" ? NewEckPlatform(env, ctx) : NewCloudPlatform(env, ctx);
    if (!platform.ok()) return platform.status().WithContext("environment " + env.key);
    by_env[env.key] = platform->get();
    sandbox->platforms_.push_back(std::move(*platform));
  }
  EnvironmentConfig self_env;
  self_env.key = "self";
  self_env.platform = "self";
  self_env.settings = Value{{"platform", "self"}, {"control_url", sandbox->control_url_}};
  auto self_platform = NewSelfPlatform(self_env, ctx);
  if (!self_platform.ok()) return self_platform.status().WithContext("self-managed clusters");
  by_env["self"] = self_platform->get();
  sandbox->platforms_.push_back(std::move(*self_platform));

  for (const ClusterConfig& cluster : config.clusters) {
    Platform* platform = by_env[cluster.environment.empty() ? "self" : cluster.environment];
    CROSSLINK_RETURN_IF_ERROR(platform->AddCluster(cluster).WithContext("cluster " + cluster.key));
    sandbox->cluster_platform_[cluster.key] = platform;
  }
  for (auto& platform : sandbox->platforms_) {
    CROSSLINK_RETURN_IF_ERROR(platform->Start().WithContext("starting " + platform->key()));
  }
  for (auto& platform : sandbox->platforms_) {
    CROSSLINK_RETURN_IF_ERROR(platform->WaitUntilReady(std::chrono::seconds(60)).WithContext(platform->key()));
  }
  for (const FaultRule& rule : config.faults) {
    sandbox->host_->server().faults().Set(rule.target, rule.spec);
  }

  CROSSLINK_RETURN_IF_ERROR(sandbox->WriteEnvFile());
  // Publishes everything written above to the control handler's threads.
  sandbox->ready_.store(true, std::memory_order_release);
  return sandbox;
}

Status Sandbox::WriteEnvFile() {
  const std::string public_ca = options_.dir + "/ca/public-ca.pem";
  CROSSLINK_RETURN_IF_ERROR(fs_->WriteFileAtomic(public_ca, host_->public_ca().LeafPem(), 0644));
  env_.clear();
  env_.emplace_back("SANDBOX_DIR", options_.dir);
  env_.emplace_back("SANDBOX_CONTROL_URL", control_url_);
  env_.emplace_back("SANDBOX_PUBLIC_CA", public_ca);
  for (auto& platform : platforms_) {
    ClientFiles files;
    files.dir = options_.dir;
    CROSSLINK_RETURN_IF_ERROR(platform->WriteClientFiles(&files).WithContext(platform->key()));
    for (auto& kv : files.env) env_.push_back(std::move(kv));
  }
  std::string text =
      "# Written by crosslink-sandbox: endpoints and credentials of the simulated platforms.\n"
      "# Source it: set -a; . ./sandbox.env; set +a\n";
  for (const auto& [key, value] : env_) text += key + "=" + ShellQuote(value) + "\n";
  // It holds passwords and API keys: owner-only, like a kubeconfig.
  return fs_->WriteFileAtomic(options_.dir + "/sandbox.env", text, 0600);
}

std::string Sandbox::Env(const std::string& key) const {
  for (const auto& [k, v] : env_) {
    if (k == key) return v;
  }
  return "";
}

Platform* Sandbox::FindPlatform(const std::string& key) {
  for (auto& platform : platforms_) {
    if (platform->key() == key) return platform.get();
  }
  return nullptr;
}

es::Twin* Sandbox::FindTwin(const std::string& cluster_key) {
  auto it = cluster_platform_.find(cluster_key);
  return it == cluster_platform_.end() ? nullptr : it->second->FindTwin(cluster_key);
}

net::HttpResponse Sandbox::HandleControl(const net::HttpRequest& request) {
  // The listener is up while Start() still fills env_, platforms_ and
  // cluster_platform_: nothing of them is read before Start() is done.
  if (!ready_.load(std::memory_order_acquire)) return ControlError(503, "the sandbox is starting");
  const std::vector<std::string> parts = SplitPath(request.path);
  if (parts.empty() || parts[0] != "_sandbox") return ControlError(404, "not a sandbox control path");
  const std::string& method = request.method;
  if (parts.size() == 1 && method == "GET") {
    Value summary{{"control_url", control_url_},
                  {"address_block", "127." + std::to_string(host_->address_block()) + ".0.0/16"}};
    Value platforms = Value::object();
    for (auto& platform : platforms_) platforms[platform->key()] = platform->cluster_keys();
    summary["platforms"] = platforms;
    Value env = Value::object();
    for (const auto& [key, value] : env_) {
      // The summary is for humans and tests: no credentials in it.
      if (key.find("PASSWORD") == std::string::npos && key.find("API_KEY") == std::string::npos) {
        env[key] = value;
      }
    }
    summary["env"] = env;
    return net::HttpResponse::Json(200, summary);
  }
  if (parts.size() == 1) return ControlError(405, "use GET on /_sandbox");
  if (parts[1] == "events" && method == "GET") return net::HttpResponse::Json(200, host_->Events());
  if (parts[1] == "faults") {
    net::FaultTable& faults = host_->server().faults();
    if (method == "GET") return net::HttpResponse::Json(200, faults.ToJson());
    if (method == "DELETE") {
      if (request.HasQuery("target")) {
        faults.Clear(request.Query("target"));
      } else {
        faults.ClearAll();
      }
      return net::HttpResponse::Json(200, Value{{"acknowledged", true}});
    }
    if (method == "PUT" || method == "POST") {
      auto body = ParseJson(request.body);
      if (!body.ok() || !body->is_object() || !body->contains("target") || !(*body)["target"].is_string()) {
        return ControlError(400, "body must be a JSON object with \"target\" (a listener or route glob)");
      }
      Value spec_json = *body;
      const std::string target = spec_json["target"].get<std::string>();
      spec_json.erase("target");
      auto spec = net::FaultSpec::FromJson(spec_json);
      if (!spec.ok()) return ControlError(400, spec.status().message());
      faults.Set(target, *spec);
      return net::HttpResponse::Json(200, Value{{"acknowledged", true}, {"target", target}});
    }
    return ControlError(405, "use GET, PUT or DELETE on /_sandbox/faults");
  }
  if (parts[1] == "clusters" && parts.size() >= 3) {
    es::Twin* twin = FindTwin(parts[2]);
    if (twin == nullptr) return ControlError(404, "no cluster \"" + parts[2] + "\" in this sandbox");
    if (parts.size() == 3 && method == "GET") return net::HttpResponse::Json(200, twin->Inspect());
    if (parts.size() == 4 && method == "POST" && (parts[3] == "down" || parts[3] == "up")) {
      net::FaultSpec spec;
      spec.down = true;
      const std::string target = "es/" + parts[2] + "/*";
      if (parts[3] == "down") {
        host_->server().faults().Set(target, spec);
      } else {
        host_->server().faults().Clear(target);
      }
      host_->RecordEvent(Value{{"kind", parts[3]}, {"cluster", parts[2]}});
      return net::HttpResponse::Json(200, Value{{"acknowledged", true}});
    }
    return ControlError(404, "unknown cluster control path");
  }
  if (parts[1] == "platforms" && parts.size() >= 3) {
    Platform* platform = FindPlatform(parts[2]);
    if (platform == nullptr) return ControlError(404, "no platform \"" + parts[2] + "\"");
    if (parts.size() == 3 && method == "GET") return net::HttpResponse::Json(200, platform->Inspect());
    std::string rest;
    for (size_t i = 3; i < parts.size(); ++i) rest += (rest.empty() ? "" : "/") + parts[i];
    return platform->HandleControl(request, rest);
  }
  if (parts[1] == "shutdown" && method == "POST") {
    if (options_.on_shutdown_request) std::call_once(shutdown_once_, options_.on_shutdown_request);
    return net::HttpResponse::Json(200, Value{{"acknowledged", true}});
  }
  return ControlError(404, "unknown sandbox control path " + request.path);
}

void Sandbox::Stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& platform : platforms_) platform->Stop();
  if (host_) host_->server().Stop();
}

Sandbox::~Sandbox() { Stop(); }

}  // namespace crosslink::sandbox
