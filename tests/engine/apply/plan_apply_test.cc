// The planner and apply together, through the fake platform: what apply
// leaves behind must be what the next plan considers converged.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "engine/apply/apply.h"
#include "engine/graph/resource.h"
#include "engine/plan/planner.h"
#include "providers/fake/fake_provider.h"
#include "tests/engine/apply/forwarding_provider.h"

namespace crosslink::apply {
namespace {

using graph::MakeRef;
using graph::ResourceMode;
using graph::ResourceSpec;
using providers::ChangeAction;
using providers::fake::FakeProvider;
using ::testing::IsEmpty;

// Journal-less backend: apply only needs Record*/Persist to succeed here.
class NullBackend : public state::Backend {
 public:
  std::string Describe() const override { return "null"; }
  Result<std::unique_ptr<state::StateLock>> Lock(state::LockInfo) override {
    return Status::Internal("unused");
  }
  Result<std::optional<state::LockInfo>> LockHolder() override {
    return std::optional<state::LockInfo>();
  }
  Status ForceUnlock(const std::string&) override { return Status::Ok(); }
  Result<state::State> Load() override { return state::State(); }
  Status RecordUpsert(const state::ResourceState&) override { return Status::Ok(); }
  Status RecordRemove(const std::string&) override { return Status::Ok(); }
  Status Persist(state::State&) override { return Status::Ok(); }
};

// Forwards to the fake and keeps the prior each Delete request carried.
class DeleteRecorder : public test_support::ForwardingProvider {
 public:
  using ForwardingProvider::ForwardingProvider;
  providers::ApplyResponse Delete(const providers::ApplyRequest& r) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      deleted_.push_back(r.prior != nullptr ? *r.prior : state::ResourceState{});
    }
    return ForwardingProvider::Delete(r);
  }
  std::vector<state::ResourceState> deleted() {
    std::lock_guard<std::mutex> lock(mu_);
    return deleted_;
  }

 private:
  std::mutex mu_;
  std::vector<state::ResourceState> deleted_;
};

ResourceSpec Spec(const std::string& address, const std::string& provider,
                  const std::string& cluster, Value attributes,
                  ResourceMode mode = ResourceMode::kManaged) {
  ResourceSpec s;
  s.address = address;
  s.type = address.substr(0, address.find('.'));
  s.provider = provider;
  s.cluster = cluster;
  s.mode = mode;
  s.attributes = std::move(attributes);
  return s;
}

class PlanApplyTest : public ::testing::Test {
 protected:
  PlanApplyTest() {
    // One fake serves every platform name the specs use.
    for (const char* name : {"elasticsearch", "eck", "pki"}) providers_.AddAs(name, &fake_);
    ResourceSpec ca = Spec("pki_ca.logs", "pki", "logs", {{"cn", "logs"}}, ResourceMode::kData);
    ResourceSpec server = Spec("eck_remote_cluster_server.logs", "eck", "logs",
                               {{"enabled", true}, {"ca", MakeRef(ca.address, "pem")}});
    ResourceSpec key = Spec("es_cross_cluster_api_key.logs.analytics", "elasticsearch", "logs",
                            {{"name", "crosslink-analytics"}});
    key.depends_on = {server.address};
    ResourceSpec cred = Spec("es_keystore_credential.analytics.logs", "elasticsearch", "analytics",
                             {{"key_id", MakeRef(key.address, "id")}});
    cred.secret_inputs["credential"] = {key.address, "encoded"};
    ResourceSpec remote = Spec("es_remote_cluster.analytics.logs", "elasticsearch", "analytics",
                               {{"proxy_address", MakeRef(server.address, "endpoint")}});
    remote.depends_on = {cred.address};
    ResourceSpec check = Spec("check_connected.analytics.logs", "elasticsearch", "analytics",
                              {{"alias", "logs"}}, ResourceMode::kCheck);
    check.depends_on = {remote.address};
    specs_ = {ca, server, key, cred, remote, check};
    fake_.LearnOutputs(specs_);
    opts_.jitter_seed = 7;
  }

  plan::Plan MustPlan(bool destroy = false) {
    plan::PlanOptions po;
    po.destroy = destroy;
    Result<plan::Plan> p =
        plan::MakePlan(destroy ? std::vector<ResourceSpec>{} : specs_, state_, providers_, po);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *p : plan::Plan();
  }
  ApplySummary MustApply(const plan::Plan& p) {
    ApplySummary s = Apply(p, state_, backend_, providers_, clock_, opts_, nullptr);
    EXPECT_TRUE(s.ok()) << (s.failures.empty() ? "skipped changes" : s.failures[0].message);
    return s;
  }

  FakeProvider fake_{"fake"};
  providers::ProviderSet providers_;
  NullBackend backend_;
  FakeClock clock_;
  ApplyOptions opts_;
  state::State state_;
  std::vector<ResourceSpec> specs_;
};

TEST_F(PlanApplyTest, ApplyThenPlanShowsNoChangesAndDestroyLeavesNothing) {
  ApplySummary first = MustApply(MustPlan());
  EXPECT_EQ(first.read, 1u);
  EXPECT_EQ(first.created, 4u);
  EXPECT_EQ(first.checked, 1u);
  EXPECT_EQ(state_.resources.size(), specs_.size());

  plan::Plan again = MustPlan();
  EXPECT_FALSE(again.HasChanges());
  for (const plan::ResourceChange& c : again.changes) {
    EXPECT_EQ(c.action, ChangeAction::kNoOp) << c.address << ": " << c.reason;
  }

  MustApply(MustPlan(/*destroy=*/true));
  EXPECT_THAT(state_.resources, IsEmpty());
  // Only the data source (never crosslink's) and the check (a verification) remain.
  EXPECT_EQ(fake_.live_addresses(),
            (std::vector<std::string>{"check_connected.analytics.logs", "pki_ca.logs"}));
}

TEST_F(PlanApplyTest, FailureMidApplyConvergesOnTheNextRun) {
  fake_.FailNext("es_keystore_credential.analytics.logs",
                 Status::PermissionDenied("keystore is read-only"));
  ApplySummary failed = Apply(MustPlan(), state_, backend_, providers_, clock_, opts_, nullptr);
  EXPECT_EQ(failed.failed, 1u);
  EXPECT_EQ(failed.skipped, 2u);

  ApplySummary second = MustApply(MustPlan());
  EXPECT_EQ(second.created, 2u);  // credential and remote
  EXPECT_EQ(second.checked, 1u);
  EXPECT_FALSE(MustPlan().HasChanges());
}

TEST_F(PlanApplyTest, ChangeOutsideCrosslinkIsRepairedAndDisconnectionFailsTheCheck) {
  MustApply(MustPlan());
  ASSERT_TRUE(fake_.SetLiveAttributes("es_remote_cluster.analytics.logs",
                                      {{"proxy_address", "elsewhere:9443"}}));
  plan::Plan drift = MustPlan();
  ASSERT_TRUE(drift.HasChanges());
  ApplySummary repaired = MustApply(drift);
  EXPECT_EQ(repaired.updated, 1u);
  EXPECT_FALSE(MustPlan().HasChanges());

  fake_.SetConnected("check_connected.analytics.logs", false);
  plan::Plan recheck = MustPlan();
  ASSERT_TRUE(recheck.HasChanges());
  ApplySummary s = Apply(recheck, state_, backend_, providers_, clock_, opts_, nullptr);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].address, "check_connected.analytics.logs");
}

TEST_F(PlanApplyTest, AdoptedOrphanIsRecordedOnceWithoutTouchingThePlatform) {
  MustApply(MustPlan());
  // An interrupted run: the server exists on the platform but state lost it
  // (no secret of it is needed, so it is adopted as it is).
  const std::string key = "eck_remote_cluster_server.logs";
  const state::ResourceState lost = state_.resources.at(key);
  state_.resources.erase(key);
  plan::Plan adopt = MustPlan();
  ASSERT_TRUE(adopt.HasChanges());
  fake_.ClearCalls();

  ApplySummary s = MustApply(adopt);
  EXPECT_EQ(s.adopted, 1u);
  EXPECT_EQ(s.created + s.updated + s.replaced + s.deleted, 0u);
  for (const char* op : {"create", "update", "delete"}) EXPECT_THAT(fake_.calls(op), IsEmpty());
  const state::ResourceState* adopted = state_.Find(key);
  ASSERT_NE(adopted, nullptr);
  EXPECT_EQ(adopted->outputs["id"], lost.outputs["id"]);
  EXPECT_EQ(adopted->attributes, lost.attributes);
  EXPECT_EQ(adopted->dependencies, lost.dependencies);
  EXPECT_EQ(adopted->provider, "eck");
  EXPECT_EQ(adopted->cluster, "logs");

  plan::Plan again = MustPlan();
  EXPECT_FALSE(again.HasChanges());
  for (const plan::ResourceChange& c : again.changes) EXPECT_FALSE(c.orphan) << c.address;
}

TEST_F(PlanApplyTest, AdoptedApiKeyWithoutItsSecretIsReplaced) {
  MustApply(MustPlan());
  const std::string key = "es_cross_cluster_api_key.logs.analytics";
  const std::string cred = "es_keystore_credential.analytics.logs";
  const std::string old_id = state_.resources.at(key).outputs["id"];
  state_.resources.erase(key);  // created, but the run died before state was saved
  plan::Plan p = MustPlan();
  ASSERT_FALSE(p.diagnostics.has_errors());
  for (const plan::ResourceChange& c : p.changes) {
    if (c.address == key) {
      EXPECT_EQ(c.action, ChangeAction::kReplace);
      EXPECT_EQ(c.reason, "its secret cannot be read back; a new one will be issued");
    }
    if (c.address == cred) {
      EXPECT_EQ(c.action, ChangeAction::kUpdate);
      EXPECT_THAT(c.wait_for, ::testing::Contains(key));
    }
  }
  ApplySummary s = MustApply(p);
  EXPECT_EQ(s.replaced, 1u);
  EXPECT_EQ(s.updated, 1u);
  ASSERT_NE(state_.Find(key), nullptr);
  EXPECT_EQ(state_.Find(key)->sensitive_outputs.count("encoded"), 1u);
  EXPECT_NE(state_.Find(key)->outputs["id"], old_id);
  EXPECT_FALSE(MustPlan().HasChanges());
  // Every later apply works: the secret is there now.
  ApplySummary again = MustApply(MustPlan());
  EXPECT_TRUE(again.failures.empty());
}

TEST_F(PlanApplyTest, UnmarkedObjectIsNeitherAdoptedNorDestroyed) {
  const std::string key = "es_cross_cluster_api_key.logs.analytics";
  providers::LiveObject foreign;  // managed_by_crosslink = false: someone else's
  foreign.attributes = {{"name", "crosslink-analytics"}};
  foreign.outputs = {{"id", "theirs"}};
  fake_.SetLive(key, foreign, "logs");
  plan::Plan p = MustPlan();
  EXPECT_TRUE(p.diagnostics.has_errors());
  for (const plan::ResourceChange& c : p.changes) {
    if (c.address == key) {
      EXPECT_FALSE(c.orphan);
    }
  }
  plan::Plan destroy = MustPlan(/*destroy=*/true);
  for (const plan::ResourceChange& c : destroy.changes) EXPECT_NE(c.address, key);
  MustApply(destroy);
  ASSERT_TRUE(fake_.GetLive(key).has_value());
  EXPECT_EQ(fake_.GetLive(key)->outputs["id"], "theirs");
}

TEST_F(PlanApplyTest, RemovedOptionalAttributeIsApplied) {
  const std::string remote = "es_remote_cluster.analytics.logs";
  for (ResourceSpec& s : specs_) {
    if (s.address == remote) s.attributes["skip_unavailable"] = true;
  }
  MustApply(MustPlan());
  ASSERT_TRUE(fake_.GetLive(remote)->attributes.contains("skip_unavailable"));
  for (ResourceSpec& s : specs_) {
    if (s.address == remote) s.attributes.erase("skip_unavailable");
  }
  plan::Plan p = MustPlan();
  ASSERT_TRUE(p.HasChanges());
  ApplySummary s = MustApply(p);
  EXPECT_EQ(s.updated, 1u);
  EXPECT_FALSE(fake_.GetLive(remote)->attributes.contains("skip_unavailable"));
  EXPECT_FALSE(state_.Find(remote)->attributes.contains("skip_unavailable"));
  EXPECT_FALSE(MustPlan().HasChanges());
}

TEST_F(PlanApplyTest, UnchangedResourceWithMovedDependencyRefreshesStateDependencies) {
  // The check moves from the remote (A) to the credential (C).
  const std::string check = "check_connected.analytics.logs";
  const std::string remote = "es_remote_cluster.analytics.logs";
  const std::string cred = "es_keystore_credential.analytics.logs";
  MustApply(MustPlan());
  for (ResourceSpec& s : specs_) {
    if (s.address == check) s.depends_on = {cred};
  }
  plan::Plan p = MustPlan();
  ASSERT_TRUE(p.HasChanges());
  fake_.ClearCalls();
  ApplySummary s = MustApply(p);
  EXPECT_EQ(s.created + s.updated + s.replaced + s.deleted + s.checked + s.adopted, 0u);
  for (const char* op : {"create", "update", "delete"}) EXPECT_THAT(fake_.calls(op), IsEmpty());
  EXPECT_EQ(state_.Find(check)->dependencies, std::vector<std::string>{cred});
  EXPECT_FALSE(MustPlan().HasChanges());

  // Destroy orders by the new dependencies: the credential's delete waits
  // for the check's removal, the remote's does not.
  plan::Plan destroy = MustPlan(/*destroy=*/true);
  for (const plan::ResourceChange& c : destroy.changes) {
    if (c.address == cred) {
      EXPECT_THAT(c.wait_for, ::testing::Contains(check));
    }
    if (c.address == remote) {
      EXPECT_THAT(c.wait_for, ::testing::Not(::testing::Contains(check)));
    }
  }
}

TEST_F(PlanApplyTest, OrphanNotDesiredIsDeletedByItsId) {
  MustApply(MustPlan());
  DeleteRecorder recorder(&fake_);
  // Every scope of cluster logs reports the orphan: watch them all.
  for (const char* name : {"elasticsearch", "eck", "pki"}) providers_.AddAs(name, &recorder);
  providers::Orphan stray;
  stray.address = "es_cross_cluster_api_key.logs.gone";
  stray.type = "es_cross_cluster_api_key";
  stray.live.attributes = {{"name", "crosslink-gone"}};
  stray.live.outputs = {{"id", "k-17"}};
  fake_.AddOrphan("logs", stray);

  ApplySummary s = MustApply(MustPlan());
  EXPECT_EQ(s.deleted, 1u);
  EXPECT_EQ(s.adopted, 0u);
  std::vector<state::ResourceState> deleted = recorder.deleted();
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(deleted[0].address, stray.address);
  EXPECT_EQ(deleted[0].outputs, stray.live.outputs);  // the provider can delete it by id
  EXPECT_EQ(deleted[0].attributes, stray.live.attributes);
  EXPECT_FALSE(fake_.GetLive(stray.address).has_value());
  EXPECT_EQ(state_.Find(stray.address), nullptr);
  EXPECT_FALSE(MustPlan().HasChanges());
}

}  // namespace
}  // namespace crosslink::apply
