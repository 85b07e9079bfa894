// Apply of restart groups (plan::Plan::restart_groups) through the fake
// platform: one ApplyGroup call per group once every member's dependencies
// are done, members recorded in state one by one, dependents of any member
// after the whole group, per-member retries and failures, destroy.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/apply/apply.h"
#include "engine/graph/resource.h"
#include "engine/plan/restart_groups.h"
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
using providers::fake::Call;
using providers::fake::FakeProvider;
using test_support::Change;
using test_support::MemoryBackend;
using test_support::RecordingHooks;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

ResourceSpec Spec(const std::string& address, const std::string& provider,
                  const std::string& cluster, Value attributes, bool restarts = false,
                  ResourceMode mode = ResourceMode::kManaged) {
  ResourceSpec s;
  s.address = address;
  s.type = address.substr(0, address.find('.'));
  s.provider = provider;
  s.cluster = cluster;
  s.mode = mode;
  s.restarts_cluster = restarts;
  s.attributes = std::move(attributes);
  return s;
}

// Position of the first call matching `op` and `address` (for "group": one
// of its addresses); calls.size() when absent.
size_t IndexOf(const std::vector<Call>& calls, const std::string& op, const std::string& address) {
  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].op != op) continue;
    if (calls[i].address == address) return i;
    const auto& a = calls[i].addresses;
    if (std::find(a.begin(), a.end(), address) != a.end()) return i;
  }
  return calls.size();
}

// ECK cluster "logs" connects to "apps" (API key model, cut down). Three
// changes restart logs: the server, the client TLS and the credential; they
// form one group whose members wait for the key (on apps) and the CA read.
class RestartGroupApplyTest : public ::testing::Test {
 protected:
  RestartGroupApplyTest() : fake_("elasticsearch") {
    providers_.Add(&fake_);
    providers_.AddAs("eck", &fake_);
    opts_.jitter_seed = 7;
    server_ = Spec("eck_remote_cluster_server.logs", "eck", "logs", {{"enabled", true}}, true);
    service_ = Spec("eck_remote_cluster_service.logs", "eck", "logs", {{"port", 9443}});
    service_.depends_on = {server_.address};
    ca_ = Spec("eck_transport_ca.apps", "eck", "apps", {{"secret", "apps-ca"}}, false,
               ResourceMode::kData);
    tls_ =
        Spec("eck_remote_client_tls.logs", "eck", "logs",
             {{"certificate_authorities", Value::array({MakeRef(ca_.address, "ca_pems")})}}, true);
    key_ = Spec("es_cross_cluster_api_key.logs.apps", "elasticsearch", "apps",
                {{"name", "crosslink-logs-apps"}});
    credential_ = Spec("eck_remote_credential.logs.apps", "eck", "logs",
                       {{"key_id", MakeRef(key_.address, "id")}}, true);
    credential_.secret_inputs["credentials"] = {key_.address, "encoded"};
    remote_ = Spec("es_remote_cluster.logs.apps", "elasticsearch", "logs",
                   {{"alias", "apps"}, {"proxy_address", "apps.example.com:9443"}});
    remote_.depends_on = {credential_.address, tls_.address};
    specs_ = {server_, service_, ca_, tls_, key_, credential_, remote_};
    fake_.LearnOutputs(specs_);
  }

  plan::Plan CreatePlan() {
    plan::Plan p;
    for (const ResourceSpec& s : specs_) {
      p.changes.push_back(
          Change(s.mode == ResourceMode::kData ? ChangeAction::kRead : ChangeAction::kCreate, s));
    }
    p.restart_groups = plan::FormRestartGroups(p.changes);
    return p;
  }

  // Deletes of everything in state, each waiting for its dependents' deletes.
  plan::Plan DestroyPlan() {
    plan::Plan p = test_support::DestroyPlan(state_, [](const state::ResourceState& r) {
      return r.mode == ResourceMode::kManaged &&
             (r.type == "eck_remote_cluster_server" || r.type == "eck_remote_client_tls" ||
              r.type == "eck_remote_credential");
    });
    p.restart_groups = plan::FormRestartGroups(p.changes);
    return p;
  }

  ApplySummary Run(const plan::Plan& p) {
    return Apply(p, state_, backend_, providers_, clock_, opts_, &hooks_);
  }

  std::vector<std::string> Members() const {
    return {server_.address, tls_.address, credential_.address};
  }

  FakeProvider fake_;
  providers::ProviderSet providers_;
  MemoryBackend backend_;
  FakeClock clock_;
  RecordingHooks hooks_;
  ApplyOptions opts_;
  state::State state_;
  ResourceSpec server_, service_, ca_, tls_, key_, credential_, remote_;
  std::vector<ResourceSpec> specs_;
};

TEST_F(RestartGroupApplyTest, OneApplyGroupCallPerGroupAfterEveryMembersDependencies) {
  const plan::Plan p = CreatePlan();
  ASSERT_EQ(p.restart_groups.size(), 1u);
  ASSERT_EQ(p.restart_groups[0].members, Members());
  opts_.parallelism = 4;
  ApplySummary s = Run(p);
  ASSERT_TRUE(s.ok()) << s.failures[0].message;
  EXPECT_EQ(s.created, 6u);
  EXPECT_EQ(s.read, 1u);

  const std::vector<Call> groups = fake_.calls("group");
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].addresses, Members());
  EXPECT_EQ(groups[0].cluster, "logs");
  // The members went through the group only.
  const std::vector<Call> calls = fake_.calls();
  for (const std::string& m : Members()) {
    EXPECT_EQ(std::count_if(calls.begin(), calls.end(),
                            [&](const Call& c) { return c.op == "create" && c.address == m; }),
              1)
        << m;
  }
  const size_t group = IndexOf(calls, "group", server_.address);
  // After what any member waits for (the key of the credential, the CA of
  // the client TLS), before what waits for any member.
  EXPECT_LT(IndexOf(calls, "create", key_.address), group);
  EXPECT_LT(IndexOf(calls, "read", ""), group);
  EXPECT_GT(IndexOf(calls, "create", service_.address), group);
  EXPECT_GT(IndexOf(calls, "create", remote_.address), group);

  // Every member is in state, its references resolved before the call.
  for (const std::string& m : Members()) EXPECT_NE(state_.Find(m), nullptr) << m;
  EXPECT_EQ(state_.Find(credential_.address)->attributes["key_id"],
            state_.Find(key_.address)->outputs["id"]);
  EXPECT_EQ(state_.Find(tls_.address)->attributes["certificate_authorities"][0],
            state_.Find(ca_.address)->outputs["ca_pems"]);
  EXPECT_EQ(state_.Find(credential_.address)->dependencies, std::vector<std::string>{key_.address});
  std::vector<std::string> journal = backend_.journal();
  for (const std::string& m : Members()) {
    EXPECT_EQ(std::count(journal.begin(), journal.end(), "upsert " + m), 1) << m;
  }
  // Hooks see each member as a change of its own.
  for (const std::string& m : Members()) {
    EXPECT_THAT(hooks_.events(), ::testing::Contains("start " + m));
    EXPECT_THAT(hooks_.events(), ::testing::Contains("done " + m));
  }
  // The key's secret reached the credential through its secret input only:
  // neither hooks, nor the journal, nor the recorded attributes show it.
  const std::string secret = state_.Find(key_.address)->sensitive_outputs.at("encoded").expose();
  ASSERT_FALSE(secret.empty());
  std::string seen;
  for (const std::string& e : hooks_.events()) seen += e + "\n";
  for (const std::string& e : backend_.journal()) seen += e + "\n";
  for (const auto& [address, r] : state_.resources) seen += DumpJson(r.attributes);
  EXPECT_EQ(seen.find(secret), std::string::npos);
}

TEST_F(RestartGroupApplyTest, FailureMessagesOfAGroupNeverCarryTheSecretInputs) {
  ASSERT_TRUE(Run(CreatePlan()).ok());
  const std::string secret = state_.Find(key_.address)->sensitive_outputs.at("encoded").expose();
  plan::Plan p;
  ResourceSpec tls = tls_;
  tls.attributes["config_map"] = "other";
  ResourceSpec credential = credential_;
  credential.attributes["note"] = "rotated";
  p.changes.push_back(Change(ChangeAction::kUpdate, tls));
  p.changes.push_back(Change(ChangeAction::kUpdate, credential));
  p.restart_groups = plan::FormRestartGroups(p.changes);
  ASSERT_EQ(p.restart_groups.size(), 1u);
  fake_.FailNext(credential_.address, Status::InvalidArgument("secureSettings rejected"), 1);
  ApplySummary s = Run(p);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].address, credential_.address);
  EXPECT_EQ(s.failures[0].message.find(secret), std::string::npos);
  for (const std::string& e : hooks_.events()) EXPECT_EQ(e.find(secret), std::string::npos);
}

TEST_F(RestartGroupApplyTest, RetryableFailureOfOneMemberRetriesOnlyThatMember) {
  fake_.FailNext(tls_.address, Status::Unavailable("operator busy"), 2);
  ApplySummary s = Run(CreatePlan());
  ASSERT_TRUE(s.ok()) << s.failures[0].message;
  const std::vector<Call> groups = fake_.calls("group");
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].addresses, Members());
  EXPECT_THAT(groups[1].addresses, ElementsAre(tls_.address));
  EXPECT_THAT(groups[2].addresses, ElementsAre(tls_.address));
  EXPECT_THAT(hooks_.Matching("retry"),
              ElementsAre("retry " + tls_.address + " 1", "retry " + tls_.address + " 2"));
  // Same backoff as one-by-one retries, slept on the clock.
  std::vector<std::chrono::milliseconds> delays = hooks_.delays();
  ASSERT_EQ(delays.size(), 2u);
  EXPECT_GE(delays[0].count(), 250);
  EXPECT_LE(delays[0].count(), 500);
  EXPECT_GE(delays[1].count(), 500);
  EXPECT_LE(delays[1].count(), 1000);
  EXPECT_EQ(clock_.elapsed(), delays[0] + delays[1]);
  // The others were recorded after the first call, once.
  std::vector<std::string> journal = backend_.journal();
  EXPECT_EQ(std::count(journal.begin(), journal.end(), "upsert " + server_.address), 1);
  EXPECT_LT(std::find(journal.begin(), journal.end(), "upsert " + server_.address),
            std::find(journal.begin(), journal.end(), "upsert " + tls_.address));
  EXPECT_EQ(s.created, 6u);
}

TEST_F(RestartGroupApplyTest, RetryableFailureGivesUpAfterMaxAttempts) {
  opts_.max_attempts = 2;
  fake_.FailNext(credential_.address, Status::Unavailable("connection reset"), 5);
  ApplySummary s = Run(CreatePlan());
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.skipped, 1u);  // the remote cluster settings wait for the credential
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].address, credential_.address);
  EXPECT_THAT(s.failures[0].message, HasSubstr("gave up after 2 attempts"));
  EXPECT_EQ(fake_.calls("group").size(), 2u);
}

TEST_F(RestartGroupApplyTest, PermanentFailureSkipsOnlyThatMembersDependents) {
  fake_.FailNext(server_.address, Status::PermissionDenied("forbidden: elasticsearches"), 1);
  ApplySummary s = Run(CreatePlan());
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.skipped, 1u);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].address, server_.address);
  EXPECT_EQ(s.failures[0].message, "forbidden: elasticsearches");
  EXPECT_THAT(hooks_.Matching("skipped"), ElementsAre("skipped " + service_.address +
                                                      ": dependency failed: " + server_.address));
  // The other members and what waits only for them went on.
  EXPECT_NE(state_.Find(tls_.address), nullptr);
  EXPECT_NE(state_.Find(credential_.address), nullptr);
  EXPECT_NE(state_.Find(remote_.address), nullptr);
  EXPECT_EQ(state_.Find(server_.address), nullptr);
  EXPECT_EQ(fake_.calls("group").size(), 1u);  // not retried
}

TEST_F(RestartGroupApplyTest, MemberWhoseReferencesCannotBeResolvedFailsAlone) {
  plan::Plan p = CreatePlan();
  // The credential now needs an output the key does not have.
  for (ResourceChange& c : p.changes) {
    if (c.address == credential_.address) c.desired->attributes["x"] = MakeRef(key_.address, "no");
  }
  ApplySummary s = Run(p);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].address, credential_.address);
  EXPECT_THAT(s.failures[0].message, HasSubstr("needs output \"no\" of " + key_.address));
  const std::vector<Call> groups = fake_.calls("group");
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_THAT(groups[0].addresses, ElementsAre(server_.address, tls_.address));
}

TEST_F(RestartGroupApplyTest, RecordFailureFailsThatMemberAndStopsTheRun) {
  backend_.FailRecordsFor(tls_.address);
  ApplySummary s = Run(CreatePlan());
  EXPECT_EQ(s.failed, 1u);
  ASSERT_GE(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].address, tls_.address);
  EXPECT_THAT(s.failures[0].message, HasSubstr("could not be recorded"));
  // The other members were recorded and count as created, not as skipped.
  EXPECT_EQ(s.created, 3u);  // the key, the server and the credential
  EXPECT_NE(state_.Find(credential_.address), nullptr);
  EXPECT_THAT(hooks_.Matching("skipped"),
              UnorderedElementsAre(HasSubstr(service_.address), HasSubstr(remote_.address)));
  EXPECT_EQ(s.skipped, 2u);
}

TEST_F(RestartGroupApplyTest, ReplaceAndUpdateInOneGroup) {
  ASSERT_TRUE(Run(CreatePlan()).ok());
  const std::string old_id = state_.Find(server_.address)->outputs["id"];
  fake_.ClearCalls();
  plan::Plan p;
  ResourceSpec server = server_;
  server.attributes["port"] = 9444;
  ResourceSpec tls = tls_;
  tls.attributes["config_map"] = "other";
  p.changes.push_back(Change(ChangeAction::kReplace, server));
  p.changes.push_back(Change(ChangeAction::kUpdate, tls));
  p.restart_groups = plan::FormRestartGroups(p.changes);
  ASSERT_EQ(p.restart_groups.size(), 1u);
  ApplySummary s = Run(p);
  ASSERT_TRUE(s.ok()) << s.failures[0].message;
  EXPECT_EQ(s.replaced, 1u);
  EXPECT_EQ(s.updated, 1u);
  EXPECT_EQ(fake_.calls("group").size(), 1u);
  EXPECT_NE(state_.Find(server_.address)->outputs["id"], old_id);
  EXPECT_EQ(state_.Find(server_.address)->attributes["port"], 9444);
  EXPECT_EQ(state_.Find(tls_.address)->attributes["config_map"], "other");
  EXPECT_EQ(fake_.GetLive(server_.address)->attributes["port"], 9444);
}

// A restart group's members each carry their own progress: what the
// provider reports for a member reaches OnProgress with that member.
TEST_F(RestartGroupApplyTest, ProgressOfAMemberIsReportedForThatMember) {
  fake_.SetProgress(tls_.address, {"waiting for default/logs to be Ready (phase ApplyingChanges)"});
  fake_.SetProgress(credential_.address, {"waiting for the ECK operator"});
  ApplySummary s = Run(CreatePlan());
  ASSERT_TRUE(s.ok()) << (s.failures.empty() ? "" : s.failures[0].message);
  EXPECT_EQ(fake_.calls("group").size(), 1u);
  EXPECT_THAT(hooks_.Matching("progress "),
              UnorderedElementsAre(
                  "progress " + tls_.address +
                      ": waiting for default/logs to be Ready (phase ApplyingChanges)",
                  "progress " + credential_.address + ": waiting for the ECK operator"));
}

TEST_F(RestartGroupApplyTest, DestroyGroupsTheDeletesOfOneCluster) {
  ASSERT_TRUE(Run(CreatePlan()).ok());
  fake_.ClearCalls();
  const plan::Plan p = DestroyPlan();
  ASSERT_EQ(p.restart_groups.size(), 1u);
  // Deletes come in state (address) order.
  EXPECT_THAT(p.restart_groups[0].members,
              ElementsAre(tls_.address, server_.address, credential_.address));
  opts_.parallelism = 3;
  ApplySummary s = Run(p);
  ASSERT_TRUE(s.ok()) << s.failures[0].message;
  EXPECT_EQ(s.deleted, 7u);
  EXPECT_THAT(state_.resources, IsEmpty());
  const std::vector<Call> calls = fake_.calls();
  ASSERT_EQ(fake_.calls("group").size(), 1u);
  const size_t group = IndexOf(calls, "group", server_.address);
  // Dependents of members first (remote settings, service), the key after
  // the credential that used it.
  EXPECT_LT(IndexOf(calls, "delete", remote_.address), group);
  EXPECT_LT(IndexOf(calls, "delete", service_.address), group);
  EXPECT_GT(IndexOf(calls, "delete", key_.address), group);
}

TEST_F(RestartGroupApplyTest, GroupThatIsNotMadeOfThePlansChangesRunsNothing) {
  plan::Plan p = CreatePlan();
  p.restart_groups[0].members.push_back("eck_cloud_trust.logs");
  ApplySummary s = Run(p);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].address, "");
  EXPECT_THAT(s.failures[0].message,
              HasSubstr("restart group of cluster logs (eck) names eck_cloud_trust.logs, which "
                        "is not a change of the plan"));
  EXPECT_THAT(fake_.calls(), IsEmpty());

  plan::Plan q = CreatePlan();
  q.restart_groups[0].members.push_back(remote_.address);  // not restarting, and waits for one
  s = Run(q);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_THAT(s.failures[0].message, HasSubstr("cannot be part of it"));
  EXPECT_THAT(s.failures[0].message, HasSubstr("make the plan again"));
}

// A provider whose ApplyGroup breaks its contract: too few answers, or an
// exception. Every member fails naming the provider and the group, nothing
// is recorded, and what waits for the members is skipped.
class BrokenGroupProvider : public test_support::ForwardingProvider {
 public:
  BrokenGroupProvider(providers::fake::FakeProvider* fake, bool throws)
      : ForwardingProvider(fake), throws_(throws) {}
  std::vector<providers::ApplyResponse> ApplyGroup(
      const std::vector<providers::GroupChange>&) override {
    if (throws_) throw std::runtime_error("boom");
    return {providers::ApplyResponse{}};
  }

 private:
  bool throws_;
};

class BrokenGroupTest : public RestartGroupApplyTest, public ::testing::WithParamInterface<bool> {};

TEST_P(BrokenGroupTest, EveryMemberFailsNamingTheProviderAndTheGroup) {
  const bool throws = GetParam();
  BrokenGroupProvider broken(&fake_, throws);
  providers_.AddAs("eck", &broken);
  const plan::Plan p = CreatePlan();
  ASSERT_EQ(p.restart_groups.size(), 1u);
  ApplySummary s = Run(p);
  ASSERT_EQ(s.failures.size(), p.restart_groups[0].members.size());
  for (const ApplyFailure& f : s.failures) {
    EXPECT_THAT(f.message, HasSubstr("restart group eck/logs"));
    EXPECT_THAT(f.message, HasSubstr(throws ? "threw an exception (boom)"
                                            : "answered 1 results for 3 changes"));
    EXPECT_EQ(state_.Find(f.address), nullptr);
  }
  EXPECT_EQ(state_.Find(remote_.address), nullptr);  // waits for the credential: skipped
  EXPECT_GE(s.skipped, 1u);
}

INSTANTIATE_TEST_SUITE_P(ShortAnswerOrException, BrokenGroupTest, ::testing::Bool());

}  // namespace
}  // namespace crosslink::apply
