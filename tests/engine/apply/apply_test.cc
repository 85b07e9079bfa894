// Apply scenarios through the in-memory fake platform and an in-memory
// backend. Plans are written by hand here (the planner has its own tests):
// each test says which changes the planner would have produced.
#include "engine/apply/apply.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/graph/resource.h"
#include "providers/fake/fake_provider.h"
#include "tests/engine/apply/apply_test_support.h"
#include "tests/engine/apply/forwarding_provider.h"

namespace crosslink::apply {
namespace {

using graph::MakeRef;
using graph::ResourceMode;
using graph::ResourceSpec;
using plan::ResourceChange;
using providers::ChangeAction;
using providers::fake::FakeProvider;
using test_support::Change;
using test_support::DestroyPlan;
using test_support::ForwardingProvider;
using test_support::MemoryBackend;
using test_support::RecordingHooks;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// Wraps the fake to capture the secret inputs crosslink passes to Create.
class CapturingProvider : public ForwardingProvider {
 public:
  using ForwardingProvider::ForwardingProvider;
  providers::ApplyResponse Create(const providers::ApplyRequest& r) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [name, secret] : r.secret_inputs)
        secrets_[r.desired->address][name] = secret;
    }
    return ForwardingProvider::Create(r);
  }
  std::optional<Secret> secret(const std::string& address, const std::string& input) {
    std::lock_guard<std::mutex> lock(mu_);
    auto a = secrets_.find(address);
    if (a == secrets_.end() || !a->second.count(input)) return std::nullopt;
    return a->second.at(input);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::map<std::string, Secret>> secrets_;
};

ResourceSpec Spec(const std::string& address, const std::string& cluster, Value attributes,
                  ResourceMode mode = ResourceMode::kManaged) {
  ResourceSpec s;
  s.address = address;
  s.type = address.substr(0, address.find('.'));
  s.provider = "elasticsearch";
  s.cluster = cluster;
  s.mode = mode;
  s.attributes = std::move(attributes);
  return s;
}

// What the planner produces for `specs`: create what state lacks, no-op the rest.
plan::Plan CreatePlan(const std::vector<ResourceSpec>& specs, const state::State& st) {
  plan::Plan p;
  for (const ResourceSpec& s : specs) {
    ChangeAction a = st.Find(s.address) != nullptr   ? ChangeAction::kNoOp
                     : s.mode == ResourceMode::kData ? ChangeAction::kRead
                                                     : ChangeAction::kCreate;
    p.changes.push_back(Change(a, s));
  }
  return p;
}

size_t IndexOf(const std::vector<providers::fake::Call>& calls, const std::string& address) {
  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].address == address) return i;
  }
  return calls.size();
}

class ApplyTest : public ::testing::Test {
 protected:
  ApplyTest() : fake_("elasticsearch") {
    providers_.Add(&fake_);
    opts_.jitter_seed = 42;
    // The API-key model for analytics -> logs (DOMAIN.md §1), cut down:
    //   server(logs) <- key(logs) <- credential(analytics) <- remote(analytics) <- check
    server_ = Spec("es_remote_cluster_server.logs", "logs", {{"enabled", true}});
    key_ = Spec("es_cross_cluster_api_key.logs.analytics", "logs",
                {{"name", "crosslink-analytics"}, {"access", {{"search", {"logs-*"}}}}});
    key_.depends_on = {server_.address};
    credential_ = Spec("es_keystore_credential.analytics.logs", "analytics",
                       {{"alias", "logs"}, {"key_id", MakeRef(key_.address, "id")}});
    credential_.secret_inputs["credential"] = {key_.address, "encoded"};
    remote_ = Spec("es_remote_cluster.analytics.logs", "analytics",
                   {{"alias", "logs"},
                    {"proxy_address", MakeRef(server_.address, "endpoint")},
                    {"server_name", MakeRef(server_.address, "server_name")}});
    remote_.depends_on = {credential_.address};
    check_ = Spec("check_connected.analytics.logs", "analytics", {{"alias", "logs"}},
                  ResourceMode::kCheck);
    check_.depends_on = {remote_.address};
    // An independent branch: analytics' own remote cluster server.
    other_ = Spec("es_remote_cluster_server.analytics", "analytics", {{"enabled", true}});
    specs_ = {server_, key_, credential_, remote_, check_, other_};
    fake_.LearnOutputs(specs_);
  }

  ApplySummary Run(const plan::Plan& p) {
    return Apply(p, state_, backend_, providers_, clock_, opts_, &hooks_);
  }
  std::set<std::string> StateAddresses() const {
    std::set<std::string> out;
    for (const auto& [address, r] : state_.resources) out.insert(address);
    return out;
  }

  FakeProvider fake_;
  providers::ProviderSet providers_;
  MemoryBackend backend_;
  FakeClock clock_;
  RecordingHooks hooks_;
  ApplyOptions opts_;
  state::State state_;
  ResourceSpec server_, key_, credential_, remote_, check_, other_;
  std::vector<ResourceSpec> specs_;
};

TEST_F(ApplyTest, CreatesTheChainAndPassesTheKeyThroughSecretInputs) {
  CapturingProvider capturing(&fake_);
  providers_.Add(&capturing);  // replaces the fake under "elasticsearch"
  ApplySummary s = Run(CreatePlan(specs_, state_));

  ASSERT_TRUE(s.ok()) << (s.failures.empty() ? "" : s.failures[0].message);
  EXPECT_EQ(s.created, 5u);
  EXPECT_EQ(s.checked, 1u);
  EXPECT_EQ(StateAddresses().size(), 6u);

  const state::ResourceState* key = state_.Find(key_.address);
  const state::ResourceState* cred = state_.Find(credential_.address);
  ASSERT_NE(key, nullptr);
  ASSERT_NE(cred, nullptr);
  ASSERT_EQ(key->sensitive_outputs.count("encoded"), 1u);
  // The consumer got the producer's secret, and its attributes hold resolved values only.
  std::optional<Secret> passed = capturing.secret(credential_.address, "credential");
  ASSERT_TRUE(passed.has_value());
  EXPECT_TRUE(*passed == key->sensitive_outputs.at("encoded"));
  EXPECT_EQ(cred->attributes["key_id"], key->outputs["id"]);
  EXPECT_EQ(state_.Find(remote_.address)->attributes["proxy_address"],
            "es_remote_cluster_server.logs/endpoint");
  EXPECT_EQ(cred->dependencies, std::vector<std::string>{key_.address});
  EXPECT_EQ(cred->created_at, FormatUtc(clock_.WallNow()));
  EXPECT_EQ(cred->mode, ResourceMode::kManaged);
  EXPECT_EQ(state_.Find(check_.address)->mode, ResourceMode::kCheck);

  // Dependencies were created first.
  std::vector<providers::fake::Call> creates = fake_.calls("create");
  EXPECT_LT(IndexOf(creates, server_.address), IndexOf(creates, key_.address));
  EXPECT_LT(IndexOf(creates, key_.address), IndexOf(creates, credential_.address));
  EXPECT_LT(IndexOf(creates, credential_.address), IndexOf(creates, remote_.address));
  EXPECT_LT(IndexOf(creates, remote_.address), IndexOf(creates, check_.address));
  EXPECT_EQ(backend_.persist_calls(), 1);
  EXPECT_EQ(backend_.persisted().resources.size(), 6u);
}

// Issue: "apply waits for the cluster to be Ready again (bounded, with
// progress)": what a provider reports while it works reaches the UI's hook
// with the change it works on, between its start and its end.
TEST_F(ApplyTest, ProviderProgressReachesOnProgressWithItsChange) {
  fake_.SetProgress(credential_.address, {"waiting for analytics to be Ready (phase "
                                          "ApplyingChanges)",
                                          "waiting for analytics to be Ready (phase Ready)"});
  fake_.SetProgress(check_.address, {"waiting for alias logs to connect (connected: false)"});
  ApplySummary s = Run(CreatePlan(specs_, state_));
  ASSERT_TRUE(s.ok()) << (s.failures.empty() ? "" : s.failures[0].message);

  EXPECT_THAT(hooks_.Matching("progress "),
              UnorderedElementsAre(
                  "progress " + credential_.address +
                      ": waiting for analytics to be Ready (phase ApplyingChanges)",
                  "progress " + credential_.address +
                      ": waiting for analytics to be Ready (phase Ready)",
                  "progress " + check_.address +
                      ": waiting for alias logs to connect (connected: false)"));
  std::vector<std::string> events = hooks_.events();
  auto at = [&](const std::string& e) {
    return std::find(events.begin(), events.end(), e) - events.begin();
  };
  const std::string first =
      "progress " + credential_.address + ": waiting for analytics to be Ready (phase "
      "ApplyingChanges)";
  EXPECT_LT(at("start " + credential_.address), at(first));
  EXPECT_LT(at(first), at("done " + credential_.address));
}

TEST_F(ApplyTest, ProgressOfUpdatesAndDeletesNamesTheirChange) {
  ASSERT_TRUE(Run(CreatePlan(specs_, state_)).ok());
  fake_.SetProgress(other_.address, {"updating"});
  fake_.SetProgress(server_.address, {"deleting"});
  plan::Plan p;
  ResourceSpec other = other_;
  other.attributes["enabled"] = false;
  p.changes.push_back(Change(ChangeAction::kUpdate, other));
  ResourceChange del;
  del.address = server_.address;
  del.type = server_.type;
  del.provider = server_.provider;
  del.cluster = server_.cluster;
  del.action = ChangeAction::kDelete;
  p.changes.push_back(del);
  ApplySummary s = Run(p);
  ASSERT_TRUE(s.ok()) << (s.failures.empty() ? "" : s.failures[0].message);
  EXPECT_THAT(hooks_.Matching("progress "),
              UnorderedElementsAre("progress " + other_.address + ": updating",
                                   "progress " + server_.address + ": deleting"));
}

TEST_F(ApplyTest, ProgressWithoutHooksIsHarmless) {
  fake_.SetProgress(server_.address, {"waiting"});
  ApplySummary s = Apply(CreatePlan(specs_, state_), state_, backend_, providers_, clock_, opts_,
                         nullptr);
  EXPECT_TRUE(s.ok());
}

TEST_F(ApplyTest, RecordsEachCompletedActionOnceBeforeDependentsStart) {
  opts_.parallelism = 4;
  ApplySummary s = Run(CreatePlan(specs_, state_));
  ASSERT_TRUE(s.ok());
  std::vector<std::string> journal = backend_.journal();
  EXPECT_EQ(journal.size(), specs_.size());
  for (const ResourceSpec& spec : specs_) {
    EXPECT_EQ(std::count(journal.begin(), journal.end(), "upsert " + spec.address), 1)
        << spec.address;
  }
  auto at = [&](const std::string& a) {
    return std::find(journal.begin(), journal.end(), "upsert " + a) - journal.begin();
  };
  EXPECT_LT(at(server_.address), at(key_.address));
  EXPECT_LT(at(key_.address), at(credential_.address));
  EXPECT_LT(at(remote_.address), at(check_.address));
}

TEST_F(ApplyTest, RetryableErrorsAreRetriedWithBackoffOnTheClock) {
  fake_.FailNext(key_.address, Status::Unavailable("429 Too Many Requests"), 2);
  ApplySummary s = Run(CreatePlan(specs_, state_));
  ASSERT_TRUE(s.ok());
  std::vector<providers::fake::Call> creates = fake_.calls("create");
  EXPECT_EQ(std::count_if(creates.begin(), creates.end(),
                          [&](const auto& c) { return c.address == key_.address; }),
            3);
  EXPECT_THAT(hooks_.Matching("retry"),
              ElementsAre("retry " + key_.address + " 1", "retry " + key_.address + " 2"));
  std::vector<std::chrono::milliseconds> delays = hooks_.delays();
  ASSERT_EQ(delays.size(), 2u);
  // Equal jitter: [initial/2, initial], then [initial, 2*initial].
  EXPECT_GE(delays[0].count(), 250);
  EXPECT_LE(delays[0].count(), 500);
  EXPECT_GE(delays[1].count(), 500);
  EXPECT_LE(delays[1].count(), 1000);
  EXPECT_EQ(clock_.elapsed(), delays[0] + delays[1]);
}

TEST_F(ApplyTest, SameSeedSameDelays) {
  fake_.FailNext(key_.address, Status::Unavailable("503"), 3);
  Run(CreatePlan(specs_, state_));
  std::vector<std::chrono::milliseconds> first = hooks_.delays();

  FakeProvider again("elasticsearch");
  again.LearnOutputs(specs_);
  providers::ProviderSet set;
  set.Add(&again);
  again.FailNext(key_.address, Status::Unavailable("503"), 3);
  state::State st;
  MemoryBackend backend;
  FakeClock clock;
  RecordingHooks hooks;
  Apply(CreatePlan(specs_, st), st, backend, set, clock, opts_, &hooks);
  EXPECT_EQ(hooks.delays(), first);
}

TEST_F(ApplyTest, BackoffDoublesUpToTheCap) {
  ApplyOptions o;
  o.initial_backoff = std::chrono::milliseconds(500);
  o.max_backoff = std::chrono::milliseconds(3000);
  EXPECT_EQ(BackoffDelay(o, 1, 0.0).count(), 250);
  EXPECT_EQ(BackoffDelay(o, 1, 1.0).count(), 500);
  EXPECT_EQ(BackoffDelay(o, 2, 1.0).count(), 1000);
  EXPECT_EQ(BackoffDelay(o, 3, 1.0).count(), 2000);
  EXPECT_EQ(BackoffDelay(o, 4, 1.0).count(), 3000);
  EXPECT_EQ(BackoffDelay(o, 40, 0.0).count(), 1500);
}

TEST_F(ApplyTest, GivesUpAfterMaxAttempts) {
  opts_.max_attempts = 3;
  fake_.FailNext(other_.address, Status::Unavailable("connection reset"), 10);
  ApplySummary s = Run(CreatePlan(specs_, state_));
  EXPECT_EQ(s.failed, 1u);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].address, other_.address);
  EXPECT_THAT(s.failures[0].message, HasSubstr("connection reset"));
  EXPECT_THAT(s.failures[0].message, HasSubstr("gave up after 3 attempts"));
  EXPECT_EQ(fake_.calls("create").size(), 5u + 3u);
}

TEST_F(ApplyTest, NonRetryableFailureSkipsDependentsAndIndependentBranchFinishes) {
  fake_.FailNext(key_.address, Status::PermissionDenied("API key lacks manage_security"), 1);
  ApplySummary s = Run(CreatePlan(specs_, state_));

  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.skipped, 3u);  // credential, remote, check
  EXPECT_EQ(s.created, 2u);  // the logs server and the independent analytics server
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].address, key_.address);
  EXPECT_EQ(s.failures[0].message, "API key lacks manage_security");
  EXPECT_THAT(hooks_.Matching("skipped"),
              UnorderedElementsAre(
                  "skipped " + credential_.address + ": dependency failed: " + key_.address,
                  "skipped " + remote_.address + ": dependency failed: " + key_.address,
                  "skipped " + check_.address + ": dependency failed: " + key_.address));
  EXPECT_THAT(StateAddresses(), UnorderedElementsAre(server_.address, other_.address));
  EXPECT_EQ(IndexOf(fake_.calls("create"), credential_.address), fake_.calls("create").size());
  EXPECT_EQ(backend_.persist_calls(), 1);  // persisted also after a failure
  EXPECT_EQ(backend_.persisted().resources.size(), 2u);

  // The next run (the planner now creates only what is missing) converges.
  ApplySummary again = Run(CreatePlan(specs_, state_));
  ASSERT_TRUE(again.ok()) << again.failures[0].message;
  EXPECT_EQ(again.created, 3u);
  EXPECT_EQ(again.checked, 1u);
  EXPECT_EQ(StateAddresses().size(), specs_.size());
  // Nothing left to do after that: the platform matches what state recorded.
  for (const ResourceSpec& spec : specs_) {
    providers::ReadRequest read;
    read.cluster = spec.cluster;
    read.items.push_back({spec.address, spec.type, &spec, state_.Find(spec.address)});
    providers::LiveObject live = fake_.Read(read).objects[spec.address];
    providers::PlanRequest req;
    req.desired = &spec;
    req.prior = state_.Find(spec.address);
    req.live = &live;
    req.attributes = req.prior->attributes;
    EXPECT_EQ(providers::Provider::DefaultPlan(req).action, ChangeAction::kNoOp) << spec.address;
  }
}

TEST_F(ApplyTest, FailedCheckFailsTheRunWithTheProvidersMessage) {
  fake_.SetConnected(check_.address, false);
  ApplySummary s = Run(CreatePlan(specs_, state_));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.checked, 0u);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].address, check_.address);
  EXPECT_THAT(s.failures[0].message, HasSubstr("does not report the connection as connected"));
  EXPECT_EQ(state_.Find(check_.address), nullptr);
  EXPECT_EQ(fake_.calls("create").size(), 6u);  // not retried
}

TEST_F(ApplyTest, DestroyWalksDependenciesBackwards) {
  ASSERT_TRUE(Run(CreatePlan(specs_, state_)).ok());
  fake_.ClearCalls();
  opts_.parallelism = 3;
  ApplySummary s = Run(DestroyPlan(state_));
  ASSERT_TRUE(s.ok()) << s.failures[0].message;
  EXPECT_EQ(s.deleted, 6u);
  EXPECT_THAT(state_.resources, IsEmpty());
  EXPECT_THAT(fake_.live_addresses(), ElementsAre(check_.address));  // a check is only forgotten
  std::vector<providers::fake::Call> deletes = fake_.calls("delete");
  EXPECT_EQ(deletes.size(), 5u);  // no provider call for the check
  EXPECT_LT(IndexOf(deletes, remote_.address), IndexOf(deletes, credential_.address));
  EXPECT_LT(IndexOf(deletes, credential_.address), IndexOf(deletes, key_.address));
  EXPECT_LT(IndexOf(deletes, key_.address), IndexOf(deletes, server_.address));
  std::vector<std::string> journal = backend_.journal();
  EXPECT_EQ(std::count_if(journal.begin(), journal.end(),
                          [](const std::string& e) { return e.rfind("remove ", 0) == 0; }),
            6);
}

TEST_F(ApplyTest, ReplaceDeletesThenCreatesWithANewIdentity) {
  ASSERT_TRUE(Run(CreatePlan(specs_, state_)).ok());
  std::string old_id = state_.Find(key_.address)->outputs["id"];
  std::string created_at = state_.Find(key_.address)->created_at;
  clock_.Advance(std::chrono::minutes(5));
  fake_.ClearCalls();

  plan::Plan p;
  p.changes.push_back(Change(ChangeAction::kReplace, key_));
  ResourceChange cred = Change(ChangeAction::kUpdate, credential_);
  p.changes.push_back(cred);
  ApplySummary s = Run(p);
  ASSERT_TRUE(s.ok()) << s.failures[0].message;
  EXPECT_EQ(s.replaced, 1u);
  EXPECT_EQ(s.updated, 1u);
  std::vector<providers::fake::Call> calls = fake_.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].op + " " + calls[0].address, "delete " + key_.address);
  EXPECT_EQ(calls[1].op + " " + calls[1].address, "create " + key_.address);
  EXPECT_EQ(calls[2].op + " " + calls[2].address, "update " + credential_.address);
  const state::ResourceState* key = state_.Find(key_.address);
  EXPECT_NE(key->outputs["id"], old_id);
  EXPECT_NE(key->created_at, created_at);
  // The dependent picked up the new key id.
  EXPECT_EQ(state_.Find(credential_.address)->attributes["key_id"], key->outputs["id"]);
  std::vector<std::string> journal = backend_.journal();
  std::vector<std::string> tail(journal.end() - 3, journal.end());
  EXPECT_THAT(tail, ElementsAre("remove " + key_.address, "upsert " + key_.address,
                                "upsert " + credential_.address));
}

TEST_F(ApplyTest, UpdateKeepsIdentityAndSecretsAndMovesUpdatedAt) {
  ASSERT_TRUE(Run(CreatePlan(specs_, state_)).ok());
  state::ResourceState before = *state_.Find(key_.address);
  clock_.Advance(std::chrono::hours(1));
  ResourceSpec changed = key_;
  changed.attributes["access"] = {{"search", {"logs-*", "metrics-*"}}};
  plan::Plan p;
  p.changes.push_back(Change(ChangeAction::kUpdate, changed));
  ASSERT_TRUE(Run(p).ok());
  const state::ResourceState& after = *state_.Find(key_.address);
  EXPECT_EQ(after.outputs["id"], before.outputs["id"]);
  EXPECT_TRUE(after.sensitive_outputs.at("encoded") == before.sensitive_outputs.at("encoded"));
  EXPECT_EQ(after.attributes["access"]["search"].size(), 2u);
  EXPECT_EQ(after.created_at, before.created_at);
  EXPECT_EQ(after.updated_at, FormatUtc(clock_.WallNow()));
  EXPECT_NE(after.updated_at, before.updated_at);
}

TEST_F(ApplyTest, ReadStoresTheDataSourcesOutputsForItsConsumers) {
  ResourceSpec ca =
      Spec("es_transport_ca.logs", "logs", {{"cluster", "logs"}}, ResourceMode::kData);
  ResourceSpec trust =
      Spec("es_trusted_ca.analytics.logs", "analytics", {{"pem", MakeRef(ca.address, "pem")}});
  fake_.LearnOutputs({ca, trust});
  plan::Plan p = CreatePlan({ca, trust}, state_);
  ASSERT_EQ(p.changes[0].action, ChangeAction::kRead);
  ApplySummary s = Run(p);
  ASSERT_TRUE(s.ok()) << s.failures[0].message;
  EXPECT_EQ(s.read, 1u);
  EXPECT_EQ(s.created, 1u);
  const state::ResourceState* stored = state_.Find(ca.address);
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(stored->mode, ResourceMode::kData);
  EXPECT_EQ(stored->outputs["pem"], "es_transport_ca.logs/pem");
  EXPECT_EQ(state_.Find(trust.address)->attributes["pem"], "es_transport_ca.logs/pem");
  std::vector<providers::fake::Call> reads = fake_.calls("read");
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_THAT(reads[0].addresses, ElementsAre(ca.address));
  EXPECT_EQ(reads[0].cluster, "logs");
}

TEST_F(ApplyTest, ReadIsRetriedLikeAnyCall) {
  ResourceSpec ca = Spec("es_transport_ca.logs", "logs", Value::object(), ResourceMode::kData);
  fake_.FailRead("logs", Status::Unavailable("502 Bad Gateway"), 1);
  ApplySummary s = Run(CreatePlan({ca}, state_));
  ASSERT_TRUE(s.ok()) << s.failures[0].message;
  EXPECT_EQ(s.read, 1u);
  EXPECT_EQ(fake_.read_calls(), 2u);
  EXPECT_THAT(hooks_.Matching("retry"), ElementsAre("retry " + ca.address + " 1"));
}

TEST_F(ApplyTest, DeletingDataOrCheckOnlyForgetsIt) {
  ResourceSpec ca = Spec("es_transport_ca.logs", "logs", Value::object(), ResourceMode::kData);
  ResourceSpec check = check_;
  check.depends_on = {ca.address};
  ASSERT_TRUE(Run(CreatePlan({ca, check}, state_)).ok());
  fake_.ClearCalls();
  ApplySummary s = Run(DestroyPlan(state_));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.deleted, 2u);
  EXPECT_THAT(fake_.calls(), IsEmpty());
  EXPECT_THAT(state_.resources, IsEmpty());
}

TEST_F(ApplyTest, OrphanDeleteCallsTheProviderWithoutTouchingState) {
  providers::Orphan o;
  o.address = "es_cross_cluster_api_key.logs.old";
  fake_.AddOrphan("logs", o);
  ResourceChange c;
  c.address = o.address;
  c.type = "es_cross_cluster_api_key";
  c.provider = "elasticsearch";
  c.cluster = "logs";
  c.action = ChangeAction::kDelete;
  c.orphan = true;
  plan::Plan p;
  p.changes.push_back(c);
  ApplySummary s = Run(p);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.deleted, 1u);
  EXPECT_FALSE(fake_.GetLive(o.address).has_value());
  EXPECT_THAT(backend_.journal(), IsEmpty());
}

TEST_F(ApplyTest, MissingOutputNamesBothAddresses) {
  ResourceSpec bad = Spec("es_remote_cluster.analytics.x", "analytics",
                          {{"proxy_address", MakeRef(server_.address, "no_such_output")}});
  plan::Plan p = CreatePlan({server_, bad}, state_);
  ApplySummary s = Run(p);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].address, bad.address);
  EXPECT_EQ(s.failures[0].message, bad.address + ": needs output \"no_such_output\" of " +
                                       server_.address + ", which has no such output");
}

TEST_F(ApplyTest, RecordFailureFailsTheActionAndStopsTheRun) {
  opts_.parallelism = 1;
  backend_.FailRecordsFor(server_.address);
  ApplySummary s = Run(CreatePlan(specs_, state_));
  EXPECT_EQ(s.failed, 1u);
  ASSERT_GE(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].address, server_.address);
  EXPECT_THAT(s.failures[0].message, HasSubstr("could not be recorded in the state"));
  EXPECT_THAT(s.failures[0].message, HasSubstr("disk full"));
  EXPECT_EQ(s.created, 0u);
  EXPECT_EQ(s.skipped, specs_.size() - 1);
  for (const std::string& e : hooks_.Matching("skipped")) {
    EXPECT_THAT(e, ::testing::AnyOf(HasSubstr("dependency failed"), HasSubstr("run stopped")));
  }
  EXPECT_EQ(fake_.calls("create").size(), 1u);  // nothing new started
  // The object exists on the platform, so the final save keeps it.
  EXPECT_EQ(backend_.persist_calls(), 1);
  EXPECT_NE(backend_.persisted().Find(server_.address), nullptr);
}

TEST_F(ApplyTest, PersistErrorIsReported) {
  backend_.FailPersist(Status::IoError("rename failed: read-only file system"));
  ApplySummary s = Run(CreatePlan(specs_, state_));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.failed, 0u);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].address, "");
  EXPECT_EQ(s.failures[0].message, "saving the state failed: rename failed: read-only file system");
}

TEST_F(ApplyTest, BrokenPlanGraphRunsNothing) {
  plan::Plan p = CreatePlan({credential_}, state_);  // waits for a key that is nowhere
  ApplySummary s = Run(p);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].message, "the plan cannot be applied: " + credential_.address +
                                       " waits for " + key_.address +
                                       ", which is not part of the run");
  EXPECT_THAT(fake_.calls(), IsEmpty());
  EXPECT_EQ(backend_.persist_calls(), 1);
}

TEST_F(ApplyTest, DependencyAlreadyInStateAndNotInPlanIsSatisfied) {
  ASSERT_TRUE(Run(CreatePlan({server_, key_}, state_)).ok());
  plan::Plan p;
  p.changes.push_back(Change(ChangeAction::kCreate, credential_));  // waits for key_, not in plan
  ApplySummary s = Run(p);
  ASSERT_TRUE(s.ok()) << s.failures[0].message;
  EXPECT_EQ(s.created, 1u);
}

TEST_F(ApplyTest, MissingProviderFailsTheChange) {
  ResourceSpec eck = Spec("eck_secret.logs.x", "logs", Value::object());
  eck.provider = "eck";
  ApplySummary s = Run(CreatePlan({eck}, state_));
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].message, "no provider \"eck\" is configured for eck_secret.logs.x");
}

TEST_F(ApplyTest, ParallelismBoundHoldsWithSlowProvider) {
  std::vector<ResourceSpec> many;
  for (int i = 0; i < 24; ++i) {
    many.push_back(
        Spec("es_role.c" + std::to_string(i) + ".r", "c" + std::to_string(i), {{"i", i}}));
  }
  fake_.SetLatency(std::chrono::milliseconds(2));
  opts_.parallelism = 3;
  ApplySummary s = Run(CreatePlan(many, state_));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.created, 24u);
  EXPECT_LE(fake_.max_concurrency_seen(), 3);
  EXPECT_GE(fake_.max_concurrency_seen(), 1);
}

TEST_F(ApplyTest, HooksSeeEveryChangeStartAndFinish) {
  plan::Plan p = CreatePlan(specs_, state_);
  p.changes.push_back(Change(ChangeAction::kNoOp, Spec("es_role.x.y", "x", Value::object())));
  ASSERT_TRUE(Run(p).ok());
  EXPECT_EQ(hooks_.Matching("start").size(), specs_.size());  // no hook for the no-op
  EXPECT_EQ(hooks_.Matching("done").size(), specs_.size());
  EXPECT_THAT(hooks_.Matching("failed"), IsEmpty());
}

// A platform whose Update answers with no outputs (only what changed: nothing).
class TerseUpdateProvider : public ForwardingProvider {
 public:
  using ForwardingProvider::ForwardingProvider;
  providers::ApplyResponse Update(const providers::ApplyRequest& r) override {
    providers::ApplyResponse resp = ForwardingProvider::Update(r);
    resp.result.outputs = Value::object();
    return resp;
  }
};

// What the planner produces for an orphan found at `spec`'s address.
ResourceChange Adoption(ChangeAction action, const ResourceSpec& spec, Value live_outputs) {
  ResourceChange c = Change(action, spec);
  c.orphan = true;
  c.before = spec.attributes;
  c.before_outputs = std::move(live_outputs);
  return c;
}

TEST_F(ApplyTest, AdoptionRecordsWhatThePlanSawWithoutAProviderCall) {
  plan::Plan p;
  p.changes.push_back(Adoption(ChangeAction::kNoOp, other_, {{"id", "srv-9"}}));
  ApplySummary s = Run(p);
  ASSERT_TRUE(s.ok()) << (s.failures.empty() ? "skipped" : s.failures[0].message);
  EXPECT_EQ(s.adopted, 1u);
  EXPECT_EQ(s.created + s.updated + s.replaced + s.deleted + s.read + s.checked, 0u);
  EXPECT_THAT(fake_.calls(), IsEmpty());
  const state::ResourceState* r = state_.Find(other_.address);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->attributes, other_.attributes);
  EXPECT_EQ(r->outputs, (Value{{"id", "srv-9"}}));
  EXPECT_TRUE(r->sensitive_outputs.empty());
  EXPECT_EQ(r->type, other_.type);
  EXPECT_EQ(r->cluster, "analytics");
  EXPECT_EQ(r->created_at, FormatUtc(clock_.WallNow()));
  EXPECT_THAT(backend_.journal(), ElementsAre("upsert " + other_.address));
  EXPECT_THAT(hooks_.events(), ElementsAre("start " + other_.address, "done " + other_.address));
}

TEST_F(ApplyTest, AdoptionWaitsForItsDependencies) {
  fake_.FailNext(server_.address, Status::PermissionDenied("no"));
  plan::Plan p;
  p.changes.push_back(Change(ChangeAction::kCreate, server_));
  p.changes.push_back(Adoption(ChangeAction::kNoOp, key_, {{"id", "k-1"}}));
  ApplySummary s = Run(p);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.skipped, 1u);
  EXPECT_EQ(s.adopted, 0u);
  EXPECT_EQ(state_.Find(key_.address), nullptr);
  EXPECT_THAT(hooks_.Matching("skipped"),
              ElementsAre("skipped " + key_.address + ": dependency failed: " + server_.address));
}

TEST_F(ApplyTest, AdoptedUpdateKeepsTheOutputsThePlanSaw) {
  TerseUpdateProvider terse(&fake_);
  providers_.Add(&terse);  // replaces the fake under "elasticsearch"
  providers::Orphan o;
  o.address = other_.address;
  o.live.attributes = {{"enabled", false}};
  o.live.outputs = {{"id", "srv-9"}};
  fake_.AddOrphan("analytics", o);
  plan::Plan p;
  p.changes.push_back(Adoption(ChangeAction::kUpdate, other_, o.live.outputs));
  ApplySummary s = Run(p);
  ASSERT_TRUE(s.ok()) << (s.failures.empty() ? "skipped" : s.failures[0].message);
  EXPECT_EQ(s.updated, 1u);
  EXPECT_EQ(s.adopted, 0u);
  const state::ResourceState* r = state_.Find(other_.address);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->outputs, o.live.outputs);
  EXPECT_EQ(r->attributes, other_.attributes);
}

}  // namespace
}  // namespace crosslink::apply
