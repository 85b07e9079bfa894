#pragma once
// End-to-end scenarios of the shipped `crosslink` against the in-process
// sandbox: the real CLI (cli::RunCli) with exactly the shipped providers
// (cli::NewBuiltinProviders, only the timeouts shortened, or what a test sets
// in tune_providers_), the real disk
// (topology, state file encrypted with CROSSLINK_STATE_KEY, plan files, all in
// the sandbox's temporary directory) and the real clock, talking over HTTPS/TLS to the simulated
// Kubernetes API, ECK operator and Elasticsearch clusters.
//
// Every run's stdout/stderr, the debug log, the state file (with its .backup
// and .journal) and every saved plan are kept so that a scenario can call
// ExpectNoSecretLeaked() after apply (the state then holds the encrypted
// keys) and at its end.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/cli/builtin_providers.h"
#include "engine/cli/cli.h"
#include "engine/core/filesystem.h"
#include "providers/eck/kube.h"
#include "state/local_backend.h"
#include "tests/sandbox/e2e/sandbox_fixture.h"

namespace crosslink::e2e {

using sandbox::e2e::ReadText;
using sandbox::e2e::Reply;

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

// One `crosslink` run, for failure messages.
inline std::string Show(const Outcome& o) {
  return "exit " + std::to_string(o.code) + "\n--- stdout\n" + o.out + "--- stderr\n" + o.err;
}

// Every "# <address> will <action>" of a plan's text, address -> action
// ("be created", "be destroyed", "be read", ...).
inline std::map<std::string, std::string> PlannedChanges(const std::string& plan) {
  std::map<std::string, std::string> out;
  static const std::regex line(
      R"(# ([a-z0-9_]+(?:\.[a-z0-9_-]+)+) will ((?:be|have) [a-z -]+))");
  for (auto it = std::sregex_iterator(plan.begin(), plan.end(), line);
       it != std::sregex_iterator(); ++it) {
    out[(*it)[1]] = (*it)[2];
  }
  return out;
}

// The addresses of a plan's text that will `action` (e.g. "be created").
inline std::set<std::string> PlannedAddresses(const std::string& plan, const std::string& action) {
  std::set<std::string> out;
  for (const auto& [address, what] : PlannedChanges(plan)) {
    if (what == action) out.insert(address);
  }
  return out;
}

class CrosslinkTest : public sandbox::e2e::SandboxTest {
 protected:
  static constexpr const char* kStatePassphrase = "e2e-state-passphrase-7f3a9c";

  void TearDown() override {
    // CROSSLINK_E2E_TRANSCRIPT=FILE keeps what crosslink printed and its
    // debug log, for debugging.
    if (const char* keep = std::getenv("CROSSLINK_E2E_TRANSCRIPT")) {
      const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
      std::ofstream(keep, std::ios::app)
          << "=== " << test->test_suite_name() << "." << test->name() << "\n"
          << transcript_ << "--- debug log\n"
          << ReadText(Path("crosslink.log"));
    }
    kube_.clear();
    sandbox::e2e::SandboxTest::TearDown();
  }

  // Starts the sandbox of sandbox/configs/<name> with every ECK environment's
  // rolling restart shortened to 50 ms.
  void StartSandboxConfig(const std::string& name) {
    const std::string path = std::string(CROSSLINK_SOURCE_DIR) + "/sandbox/configs/" + name;
    YAML::Node config = YAML::LoadFile(path);
    for (auto it : config["environments"]) {
      if (it.second["platform"].as<std::string>() == "eck") it.second["restart_ms"] = 50;
    }
    YAML::Emitter emitter;
    emitter << config;
    StartSandbox(emitter.c_str());
  }

  // Every variable of sandbox.env in crosslink's environment, as a user
  // gets them from `. sandbox.env`.
  void SourceSandboxEnv() {
    for (const auto& [key, value] : sandbox_->env()) env_vars_[key] = value;
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string StatePath() const { return Path("topology.state.json"); }

  // `text` with every @NAME@ replaced by vars[NAME].
  static std::string Fill(std::string text, const std::map<std::string, std::string>& vars) {
    for (const auto& [name, value] : vars) {
      const std::string marker = "@" + name + "@";
      for (size_t at = text.find(marker); at != std::string::npos;
           at = text.find(marker, at + value.size())) {
        text.replace(at, marker.size(), value);
      }
    }
    return text;
  }

  // Writes the topology the runs use (<dir>/topology.yaml).
  void WriteTopology(const std::string& yaml) { WriteFile(Path("topology.yaml"), yaml); }
  static void WriteFile(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
  }

  // `crosslink <args>` in-process, with the shipped providers.
  Outcome Crosslink(std::vector<std::string> args) {
    cli::BuiltinProviderOptions options;
    options.eck_ready_timeout = std::chrono::seconds(20);
    options.eck_poll_interval = std::chrono::milliseconds(20);
    options.cloud_plan_timeout = std::chrono::seconds(20);
    options.cloud_poll_interval = std::chrono::milliseconds(20);
    options.connection_check_timeout = std::chrono::seconds(10);
    options.connection_check_poll_interval = std::chrono::milliseconds(50);
    options.self_restart_timeout = std::chrono::seconds(20);
    options.self_poll_interval = std::chrono::milliseconds(20);
    if (tune_providers_) tune_providers_(options);
    auto providers = cli::NewBuiltinProviders(options);
    auto fs = NewPosixFileSystem();
    std::istringstream in;
    std::ostringstream out, err;
    cli::CliEnv env;
    env.providers = &providers->set();
    env.fs = fs.get();
    env.clock = &clock_;
    env.in = &in;
    env.out = &out;
    env.err = &err;
    env.getenv = [this](const char* name) -> const char* {
      auto it = env_vars_.find(name);
      return it == env_vars_.end() ? nullptr : it->second.c_str();
    };
    if (args.size() > 0 && args[0] != "version" && args[0] != "schema") {
      args.push_back("-log-level=debug");
      args.push_back("-log-file=" + Path("crosslink.log"));
    }
    Outcome o;
    o.code = cli::RunCli(args, env);
    o.out = out.str();
    o.err = err.str();
    transcript_ +=
        "$ crosslink " + args[0] + " (exit " + std::to_string(o.code) + ")\n" + o.out + o.err;
    return o;
  }

  std::vector<std::string> Args(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"-f", Path("topology.yaml")});
    return args;
  }
  Outcome Plan(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = Args({"plan", "-detailed-exitcode"});
    args.insert(args.end(), extra.begin(), extra.end());
    return Crosslink(args);
  }
  Outcome Apply() { return Crosslink(Args({"apply", "-auto-approve"})); }
  Outcome Destroy() { return Crosslink(Args({"destroy", "-auto-approve"})); }

  // Addresses `crosslink state list` prints (one per line) for the topology
  // `topology` (default: the test's topology.yaml); the run must succeed.
  std::vector<std::string> StateAddresses(const std::string& topology = "") {
    Outcome list =
        Crosslink({"state", "list", "-f", topology.empty() ? Path("topology.yaml") : topology});
    EXPECT_EQ(list.code, 0) << Show(list);
    std::vector<std::string> out;
    std::istringstream lines(list.out);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) out.push_back(line);
    }
    return out;
  }

  // A plan saved with -out (kept for the secret scan).
  Outcome SavePlan(const std::string& name) {
    plan_files_.push_back(Path(name));
    return Plan({"-out=" + Path(name)});
  }

  // ---------------------------------------------------------------- Kubernetes

  // crosslink's own Kubernetes client for an ECK environment of the sandbox.
  providers::eck::KubeClient& Kube(const std::string& env) {
    auto& slot = kube_[env];
    if (!slot) {
      auto fs = NewPosixFileSystem();
      const std::string prefix = EnvPrefix(env);
      auto config = providers::eck::LoadKubeConfig(Env(prefix + "_KUBECONFIG"),
                                                   Env(prefix + "_CONTEXT"), *fs, nullptr);
      EXPECT_TRUE(config.ok()) << config.status().ToString();
      if (config.ok()) slot = providers::eck::NewKubeClient(*config, clock_);
    }
    return *slot;
  }

  Result<Value> GetObject(const std::string& env, const providers::eck::Kind& kind,
                          const std::string& ns, const std::string& name) {
    return Kube(env).Get(kind, ns, name);
  }

  Value Elasticsearch(const std::string& env, const std::string& ns, const std::string& name) {
    auto es = GetObject(env, providers::eck::Kind::Elasticsearch(), ns, name);
    EXPECT_TRUE(es.ok()) << es.status().ToString();
    return es.ok() ? *es : Value::object();
  }

  // Objects labelled app.kubernetes.io/managed-by=crosslink in `ns`.
  std::vector<std::string> CrosslinkObjects(const std::string& env, const std::string& ns) {
    std::vector<std::string> out;
    for (const auto& kind : {providers::eck::Kind::Secret(), providers::eck::Kind::ConfigMap(),
                             providers::eck::Kind::Service()}) {
      auto items = Kube(env).List(kind, ns, "app.kubernetes.io/managed-by=crosslink");
      EXPECT_TRUE(items.ok()) << items.status().ToString();
      if (!items.ok()) continue;
      for (const auto& item : *items) {
        out.push_back(kind.name + " " + item["metadata"].value("name", ""));
      }
    }
    return out;
  }

  // Every value of a Secret's data (decoded), remembered as secrets to scan
  // for; certificates (public) are not secrets.
  void RememberSecretData(const std::string& env, const std::string& ns, const std::string& name) {
    auto secret = GetObject(env, providers::eck::Kind::Secret(), ns, name);
    ASSERT_TRUE(secret.ok()) << secret.status().ToString();
    const Value data = secret->value("data", Value::object());
    ASSERT_FALSE(data.empty()) << "Secret " << ns << "/" << name << " has no data";
    for (const auto& item : data.items()) {
      auto decoded = providers::eck::SecretValue(*secret, item.key());
      if (decoded && decoded->rfind("-----BEGIN CERTIFICATE-----", 0) != 0) {
        RememberEncodedKey(*decoded);
      }
    }
  }

  // The data of every Secret crosslink labelled in `ns`, remembered.
  void RememberLabelledSecrets(const std::string& env, const std::string& ns) {
    auto items = Kube(env).List(providers::eck::Kind::Secret(), ns,
                                "app.kubernetes.io/managed-by=crosslink");
    ASSERT_TRUE(items.ok()) << items.status().ToString();
    for (const auto& item : *items) {
      RememberSecretData(env, ns, item["metadata"].value("name", ""));
    }
  }

  // An API key's encoded value, and the key part of "id:key" inside it.
  void RememberEncodedKey(const std::string& encoded) {
    if (encoded.empty()) return;
    secrets_.insert(encoded);
    auto decoded = http::Base64Decode(encoded);
    if (decoded && decoded->find(':') != std::string::npos) {
      secrets_.insert(decoded->substr(decoded->find(':') + 1));
    }
  }

  // ---------------------------------------------------------------- Elasticsearch

  // GET _remote/info on `local` (through its LoadBalancer, CA and password
  // from sandbox.env), polled until the alias is connected: with cluster
  // credentials for the API key model, without for the certificate model.
  bool Connected(const std::string& local, const std::string& alias, bool api_key_model) {
    Value info = RemoteInfo(local, alias, true);
    const bool ok = info.value("connected", false) &&
                    info.contains("cluster_credentials") == api_key_model;
    EXPECT_TRUE(ok) << local << " -> " << alias << ": " << info.dump() << " "
                    << FailureReason(local, alias);
    return ok;
  }

  // The cross-cluster API keys on `cluster` named `name` (inspection API).
  std::vector<Value> ApiKeys(const std::string& cluster, const std::string& name) {
    std::vector<Value> out;
    Value inspect = sandbox_->FindTwin(cluster)->Inspect();
    for (const auto& key : inspect.value("api_keys", Value::array())) {
      if (key.value("name", "") == name) out.push_back(key);
    }
    return out;
  }

  // Polls `done` every 50 ms for up to 10 s: what the operator twin does on
  // its own thread (keys it makes for remoteClusters) may follow a run.
  bool Eventually(const std::function<bool()>& done) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      if (done()) return true;
      clock_.Sleep(std::chrono::milliseconds(50));
    }
    return done();
  }

  int Restarts(const std::string& cluster) {
    return sandbox_->FindTwin(cluster)->Inspect().value("restarts", 0);
  }

  // ---------------------------------------------------------------- secrets

  // Every secret of the run: the sandbox's passwords, API keys and
  // Kubernetes tokens, the state passphrase, and what RememberSecretData found.
  std::set<std::string> KnownSecrets() {
    std::set<std::string> secrets = secrets_;
    secrets.insert(kStatePassphrase);
    for (const auto& [key, value] : sandbox_->env()) {
      if (key.find("PASSWORD") != std::string::npos || key.find("API_KEY") != std::string::npos) {
        secrets.insert(value);
      }
      if (key.size() > 11 && key.substr(key.size() - 11) == "_KUBECONFIG") {
        YAML::Node kubeconfig = YAML::LoadFile(value);
        for (auto user : kubeconfig["users"]) {
          if (user["user"]["token"]) secrets.insert(user["user"]["token"].as<std::string>());
        }
      }
    }
    return secrets;
  }

  // Where a known secret, or any PEM private key (crosslink generates CA and
  // server keys: only the state may hold them, encrypted), appears in plain
  // text: every run's output, the debug log, the state file with its backup
  // and journal, the saved plans. One line per leak.
  std::vector<std::string> Leaks() {
    std::map<std::string, std::string> places = {{"crosslink output", transcript_},
                                                 {"debug log", ReadText(Path("crosslink.log"))}};
    for (const std::string& file : {StatePath(), state::StateBackupPath(StatePath()),
                                    state::StateJournalPath(StatePath())}) {
      if (std::filesystem::exists(file)) places["state file " + file] = ReadText(file);
    }
    for (const auto& file : plan_files_) {
      if (std::filesystem::exists(file)) places["plan file " + file] = ReadText(file);
    }
    std::vector<std::string> leaks;
    for (const auto& [where, text] : places) {
      if (text.find("PRIVATE KEY-----") != std::string::npos) {
        leaks.push_back("a PEM private key appears in the " + where);
      }
    }
    for (const auto& secret : KnownSecrets()) {
      if (secret.size() < 8) {
        leaks.push_back("a secret too short to scan for (" + std::to_string(secret.size()) + ")");
        continue;
      }
      for (const auto& [where, text] : places) {
        if (text.find(secret) != std::string::npos) {
          leaks.push_back("a secret (" + std::to_string(secret.size()) + " chars, starts " +
                          secret.substr(0, 3) + "...) appears in the " + where);
        }
      }
    }
    return leaks;
  }

  void ExpectNoSecretLeaked() {
    EXPECT_FALSE(transcript_.empty());
    EXPECT_THAT(Leaks(), ::testing::IsEmpty());
  }

  // Set by a test to change the provider options of the runs that follow
  // (after the shortened timeouts above); reset it to go back.
  std::function<void(cli::BuiltinProviderOptions&)> tune_providers_;
  std::map<std::string, std::string> env_vars_ = {{"CROSSLINK_STATE_KEY", kStatePassphrase},
                                                  {"NO_COLOR", "1"}};
  std::string transcript_;
  std::vector<std::string> plan_files_;
  std::set<std::string> secrets_;
  std::map<std::string, std::unique_ptr<providers::eck::KubeClient>> kube_;
};

}  // namespace crosslink::e2e
