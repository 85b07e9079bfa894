#pragma once
// A Host, the API server twin and the operator twin wired like the ECK
// platform wires them, with small restart times. Tests poll with deadlines.
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include "sandbox/eck/operator.h"
#include "sandbox/host.h"
#include "sandbox/k8s/api_server.h"
#include "sandbox/k8s/es_webhook.h"
#include "sandbox/k8s/objects.h"

namespace crosslink::sandbox::eck {

class OperatorFixture : public ::testing::Test {
 protected:
  void SetUpWith(OperatorOptions options) {
    Result<std::unique_ptr<Host>> host = Host::Create({.http_workers = 4}, clock_);
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    host_ = std::move(*host);
    Result<k8s::CrdSchema> crd = k8s::CrdSchema::LoadFile(std::string(CROSSLINK_CONTRACTS_DIR) + "/eck-elasticsearch-crd.yaml");
    ASSERT_TRUE(crd.ok());
    k8s::ApiServer::Options api;
    api.token = "t";
    api.elasticsearch_crd = std::make_shared<const k8s::CrdSchema>(*crd);
    api.webhooks.push_back(k8s::ElasticsearchWebhook());
    Host* h = host_.get();
    api.allocate_load_balancer_ip = [h] { return h->AllocateAddress(); };
    api_ = std::make_unique<k8s::ApiServer>(std::move(api), clock_);
    options.environment = "test";
    op_ = std::make_unique<Operator>(options, *api_, *host_);
    op_->Start();
  }
  void TearDown() override {
    if (op_) op_->Stop();
    op_.reset();
    api_.reset();
    host_.reset();
  }

  // Polls `pred` until true or 15 s passed.
  static bool Eventually(const std::function<bool()>& pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
  }

  void CreateNamespace(const std::string& ns) {
    if (api_->Get(k8s::ApiServer::Namespaces(), "", ns).ok()) return;
    ASSERT_TRUE(api_->Create(k8s::ApiServer::Namespaces(), "", {{"metadata", {{"name", ns}}}}).ok());
  }
  Value CreateEs(const std::string& ns, const std::string& json) {
    CreateNamespace(ns);
    k8s::ApiResult r = api_->Create(k8s::ApiServer::Elasticsearches(), ns, Value::parse(json));
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error->message);
    return r.object;
  }
  Value Get(const k8s::ResourceType& type, const std::string& ns, const std::string& name) {
    k8s::ApiResult r = api_->Get(type, ns, name);
    return r.ok() ? r.object : Value();
  }
  Value Es(const std::string& ns, const std::string& name) { return Get(k8s::ApiServer::Elasticsearches(), ns, name); }
  Value SecretObj(const std::string& ns, const std::string& name) { return Get(k8s::ApiServer::Secrets(), ns, name); }
  Value Service(const std::string& ns, const std::string& name) { return Get(k8s::ApiServer::Services(), ns, name); }
  std::string Phase(const std::string& ns, const std::string& name) {
    Value es = Es(ns, name);
    return es.is_null() ? "" : es.value("status", Value::object()).value("phase", "");
  }
  bool Ready(const std::string& ns, const std::string& name) { return Phase(ns, name) == "Ready"; }
  void PatchEs(const std::string& ns, const std::string& name, const std::string& patch) {
    k8s::ApiResult r = api_->Patch(k8s::ApiServer::Elasticsearches(), ns, name, "application/merge-patch+json", Value::parse(patch));
    ASSERT_TRUE(r.ok()) << r.error->message;
  }
  bool HasEvent(const std::string& substring) {
    const Value inspect = op_->Inspect();
    for (const Value& e : inspect["events"]) {
      if (e.value("message", "").find(substring) != std::string::npos) return true;
    }
    return false;
  }

  RealClock clock_;
  std::unique_ptr<Host> host_;
  std::unique_ptr<k8s::ApiServer> api_;
  std::unique_ptr<Operator> op_;
};

}  // namespace crosslink::sandbox::eck
