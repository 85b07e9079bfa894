#pragma once
// An in-process sandbox for end-to-end scenarios: starts a Sandbox from inline
// YAML in a temporary directory and calls its simulated APIs over real HTTPS
// with crosslink's own HttpClient, as a user (or a provider) would.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "engine/core/clock.h"
#include "engine/core/http.h"
#include "sandbox/config.h"
#include "sandbox/es/twin.h"
#include "sandbox/sandbox.h"

namespace crosslink::sandbox::e2e {

struct Reply {
  long status = 0;
  Value json;
  std::string body;
};

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class SandboxTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (sandbox_) sandbox_->Stop();
    sandbox_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void StartSandbox(const std::string& yaml) {
    char pattern[] = "/tmp/crosslink-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    auto config = LoadSandboxConfigString(yaml, "e2e.yaml");
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    Sandbox::Options options;
    options.dir = dir_;
    options.contracts_dir = CROSSLINK_CONTRACTS_DIR;
    auto sandbox = Sandbox::Start(*config, options, clock_);
    ASSERT_TRUE(sandbox.ok()) << sandbox.status().ToString();
    sandbox_ = std::move(*sandbox);
  }

  std::string Env(const std::string& key) {
    std::string value = sandbox_->Env(key);
    EXPECT_FALSE(value.empty()) << "sandbox.env has no " << key;
    return value;
  }

  // A client trusting exactly the PEM file `ca_file`.
  http::HttpClient& Client(const std::string& ca_file) {
    auto& slot = clients_[ca_file];
    if (!slot) {
      http::ClientOptions options;
      options.ca_pem = ReadText(ca_file);
      options.trust_system_cas = false;
      options.retry.max_attempts = 1;
      options.request_timeout = std::chrono::milliseconds(20000);
      slot = http::NewCurlClient(options, clock_);
    }
    return *slot;
  }

  Reply Send(http::Request request, const std::string& ca_file) {
    auto response = Client(ca_file).Send(request);
    EXPECT_TRUE(response.ok()) << request.method << " " << request.url << ": "
                               << response.status().ToString();
    Reply reply;
    if (!response.ok()) return reply;
    reply.status = response->status;
    reply.body = response->body;
    auto json = ParseJson(response->body);
    if (json.ok()) reply.json = *json;
    return reply;
  }

  // Elasticsearch REST of cluster `key` (URL, CA and password from sandbox.env).
  Reply Es(const std::string& key, const std::string& method, const std::string& path,
           const std::string& body = "") {
    const std::string prefix = EnvPrefix(key);
    http::Request request = http::Request::Json(method, Env(prefix + "_URL") + path, body);
    request.SetBasicAuth("elastic", Secret(Env(prefix + "_PASSWORD")));
    return Send(request, Env(prefix + "_CA_FILE"));
  }

  // Elastic Cloud / ECE API of environment `env`.
  Reply Cloud(const std::string& env, const std::string& method, const std::string& path,
              const std::string& body = "") {
    const std::string prefix = EnvPrefix(env);
    http::Request request = http::Request::Json(method, Env(prefix + "_ENDPOINT") + "/api/v1" + path, body);
    request.SetApiKey(Secret(Env(prefix + "_API_KEY")));
    return Send(request, Env(prefix + "_CA_FILE"));
  }

  // Creates a cross-cluster API key on `remote` and returns its encoded form.
  std::string CreateCrossClusterKey(const std::string& remote, const std::string& name) {
    Reply key = Es(remote, "POST", "/_security/cross_cluster/api_key",
                   R"({"name":")" + name + R"(","access":{"search":[{"names":["logs-*"]}]}})");
    EXPECT_EQ(key.status, 200) << key.body;
    return key.json.value("encoded", "");
  }

  // EC.TRUST.APIKEYCA: replaces the deployment's trust with one `direct`
  // entry of type proxy holding `ca_pem` (read-modify-write of the plan).
  Reply TrustProxyCa(const std::string& env, const std::string& deployment_id, const std::string& name,
                     const std::string& ca_pem) {
    Reply deployment = Cloud(env, "GET", "/deployments/" + deployment_id + "?show_settings=true&show_plans=true");
    EXPECT_EQ(deployment.status, 200) << deployment.body;
    const Value es = deployment.json["resources"]["elasticsearch"][0];
    Value entry = {{"type", "proxy"},
                   {"name", name},
                   {"trust_all", false},
                   {"certificates", Value::array({{{"pem", ca_pem}}})}};
    Value resource = {{"ref_id", es["ref_id"]},
                      {"region", es["region"]},
                      {"plan", es["info"]["plan_info"]["current"]["plan"]},
                      {"settings", {{"trust", {{"direct", Value::array({entry})}}}}}};
    Value update = {{"prune_orphans", false}, {"resources", {{"elasticsearch", Value::array({resource})}}}};
    return Cloud(env, "PUT", "/deployments/" + deployment_id, update.dump());
  }

  // `_remote/info` of `local` for `alias`, polled until connected or ~10 s.
  Value RemoteInfo(const std::string& local, const std::string& alias, bool want_connected) {
    Value last;
    for (int attempt = 0; attempt < 50; ++attempt) {
      Reply info = Es(local, "GET", "/_remote/info");
      last = info.json.is_object() ? info.json.value(alias, Value()) : Value();
      const bool connected = last.is_object() && last.value("connected", false);
      if (connected == want_connected) return last;
      clock_.Sleep(std::chrono::milliseconds(200));
    }
    return last;
  }

  // The twin's last failure reason for `alias` (inspection API).
  std::string FailureReason(const std::string& local, const std::string& alias) {
    Value inspect = sandbox_->FindTwin(local)->Inspect();
    const Value& failures = inspect.value("remote_failures", Value::object());
    return failures.contains(alias) ? failures[alias].dump() : "";
  }

  static std::string EnvPrefix(const std::string& key) {
    std::string out;
    for (char c : key) out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
  }

  RealClock clock_;
  std::string dir_;
  std::unique_ptr<Sandbox> sandbox_;
  std::map<std::string, std::unique_ptr<http::HttpClient>> clients_;
};

}  // namespace crosslink::sandbox::e2e
