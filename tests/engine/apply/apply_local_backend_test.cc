// Apply over the real local file backend (on an in-memory file system):
// every completed action is durable before the run ends, and the secrets
// that flow between resources are never written in the clear.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/apply/apply.h"
#include "engine/graph/resource.h"
#include "providers/fake/fake_provider.h"
#include "state/local_backend.h"
#include "tests/fakes/mem_filesystem.h"

namespace crosslink::apply {
namespace {

using graph::MakeRef;
using graph::ResourceSpec;
using providers::ChangeAction;
using providers::fake::FakeProvider;
using ::testing::HasSubstr;
using ::testing::Not;

// Forwards everything but Persist: the process "dies" before the end of the run.
class CrashBeforePersist : public state::Backend {
 public:
  explicit CrashBeforePersist(state::Backend* inner) : inner_(inner) {}
  std::string Describe() const override { return inner_->Describe(); }
  Result<std::unique_ptr<state::StateLock>> Lock(state::LockInfo i) override {
    return inner_->Lock(std::move(i));
  }
  Result<std::optional<state::LockInfo>> LockHolder() override { return inner_->LockHolder(); }
  Status ForceUnlock(const std::string& id) override { return inner_->ForceUnlock(id); }
  Result<state::State> Load() override { return inner_->Load(); }
  Status RecordUpsert(const state::ResourceState& r) override { return inner_->RecordUpsert(r); }
  Status RecordRemove(const std::string& a) override { return inner_->RecordRemove(a); }
  Status Persist(state::State&) override { return Status::Ok(); }

 private:
  state::Backend* inner_;
};

ResourceSpec Spec(const std::string& address, const std::string& cluster, Value attributes) {
  ResourceSpec s;
  s.address = address;
  s.type = address.substr(0, address.find('.'));
  s.provider = "elasticsearch";
  s.cluster = cluster;
  s.attributes = std::move(attributes);
  return s;
}

plan::Plan CreatePlan(const std::vector<ResourceSpec>& specs) {
  plan::Plan p;
  for (const ResourceSpec& s : specs) {
    plan::ResourceChange c;
    c.address = s.address;
    c.type = s.type;
    c.provider = s.provider;
    c.cluster = s.cluster;
    c.action = ChangeAction::kCreate;
    c.desired = s;
    c.wait_for = s.AllDependencies();
    p.changes.push_back(std::move(c));
  }
  return p;
}

class ApplyLocalBackendTest : public ::testing::Test {
 protected:
  ApplyLocalBackendTest() {
    providers_.Add(&fake_);
    key_ = Spec("es_cross_cluster_api_key.logs.analytics", "logs", {{"name", "k"}});
    cred_ = Spec("es_keystore_credential.analytics.logs", "analytics",
                 {{"key_id", MakeRef(key_.address, "id")}});
    cred_.secret_inputs["credential"] = {key_.address, "encoded"};
    remote_ = Spec("es_remote_cluster.analytics.logs", "analytics", {{"alias", "logs"}});
    remote_.depends_on = {cred_.address};
    specs_ = {key_, cred_, remote_};
    fake_.LearnOutputs(specs_);
  }

  std::unique_ptr<state::Backend> NewBackend() {
    state::LocalBackendOptions o;
    o.path = "/work/crosslink.state.json";
    o.fs = &fs_;
    state::KeyOptions keys;
    keys.key_file = "/keys/state.key";
    o.keys = keys;
    o.lock_kind = state::LockKind::kInProcess;
    o.clock = &clock_;
    return state::NewLocalBackend(std::move(o));
  }
  std::string FileOrEmpty(const std::string& path) {
    Result<std::string> r = fs_.ReadFile(path);
    return r.ok() ? *r : "";
  }

  fakes::MemFileSystem fs_;
  FakeClock clock_;
  FakeProvider fake_{"elasticsearch"};
  providers::ProviderSet providers_;
  ApplyOptions opts_;
  ResourceSpec key_, cred_, remote_;
  std::vector<ResourceSpec> specs_;
};

TEST_F(ApplyLocalBackendTest, CompletedActionsSurviveACrashBeforeTheEndOfTheRun) {
  fake_.FailNext(remote_.address, Status::PermissionDenied("forbidden"));
  {
    std::unique_ptr<state::Backend> backend = NewBackend();
    auto lock = backend->Lock(state::LockInfo{});
    ASSERT_TRUE(lock.ok()) << lock.status().ToString();
    Result<state::State> loaded = backend->Load();
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    state::State st = *loaded;
    CrashBeforePersist crashing(backend.get());
    ApplySummary s = Apply(CreatePlan(specs_), st, crashing, providers_, clock_, opts_, nullptr);
    EXPECT_EQ(s.created, 2u);
    EXPECT_EQ(s.failed, 1u);
  }
  // The next run sees exactly the completed actions, secrets included.
  std::unique_ptr<state::Backend> backend = NewBackend();
  Result<state::State> st = backend->Load();
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  ASSERT_EQ(st->resources.size(), 2u);
  const state::ResourceState* key = st->Find(key_.address);
  ASSERT_NE(key, nullptr);
  std::optional<providers::LiveObject> live = fake_.GetLive(key_.address);
  ASSERT_TRUE(live.has_value());
  ASSERT_EQ(key->sensitive_outputs.count("encoded"), 1u);
  EXPECT_TRUE(key->sensitive_outputs.at("encoded") == live->sensitive_outputs.at("encoded"));
  EXPECT_EQ(st->Find(cred_.address)->attributes["key_id"], live->outputs["id"]);

  // Never in the clear on disk.
  const std::string secret = live->sensitive_outputs.at("encoded").expose();
  EXPECT_THAT(FileOrEmpty("/work/crosslink.state.json"), Not(HasSubstr(secret)));
  EXPECT_THAT(FileOrEmpty(state::StateJournalPath("/work/crosslink.state.json")),
              Not(HasSubstr(secret)));
}

TEST_F(ApplyLocalBackendTest, PersistCompactsAndBumpsTheSerialOnce) {
  std::unique_ptr<state::Backend> backend = NewBackend();
  auto lock = backend->Lock(state::LockInfo{});
  ASSERT_TRUE(lock.ok());
  state::State st = *backend->Load();
  ApplySummary s = Apply(CreatePlan(specs_), st, *backend, providers_, clock_, opts_, nullptr);
  ASSERT_TRUE(s.ok()) << s.failures[0].message;
  EXPECT_EQ(st.serial, 1u);
  EXPECT_FALSE(st.lineage.empty());
  Result<state::State> reloaded = NewBackend()->Load();
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(reloaded->serial, 1u);
  EXPECT_EQ(reloaded->resources.size(), 3u);
  EXPECT_EQ(FileOrEmpty(state::StateJournalPath("/work/crosslink.state.json")), "");
}

}  // namespace
}  // namespace crosslink::apply
