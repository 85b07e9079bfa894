// Planner scenarios: a miniature topology (tests/engine/plan/plan_test_support.h)
// planned against a platform double, applied by a simulator, planned again.

#include "engine/plan/planner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/plan/render.h"
#include "tests/engine/plan/plan_test_support.h"

namespace crosslink::plan {
namespace {

using graph::ResourceSpec;
using providers::LiveObject;
using testing::ApplySimulator;
using testing::CaAddr;
using testing::CaObject;
using testing::CheckAddr;
using testing::Conn;
using ::testing::ElementsAre;
using testing::Expand;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::kAnalytics;
using testing::KeyAddr;
using testing::KeystoreAddr;
using testing::kOnprem;
using testing::RecordingHooks;
using testing::RemoteAddr;
using testing::ServerAddr;
using testing::TestProvider;
using testing::World;

class PlannerTest : public testing::PlanScenario {};

TEST_F(PlannerTest, FirstPlanCreatesEverythingInDependencyOrder) {
  const auto specs = Expand({kAnalytics});
  Plan p = MakeOk(specs);

  EXPECT_THAT(Effective(p),
              ElementsAre("eck_remote_cluster_server.logs: create", "es_ca.logs: read",
                          "es_cross_cluster_api_key.logs.analytics: create",
                          "es_keystore_credential.analytics.logs: create",
                          "es_remote_cluster.analytics.logs: create",
                          "es_remote_connected.analytics.logs: create"));
  EXPECT_TRUE(p.HasChanges());
  EXPECT_EQ(p.Count(ChangeAction::kCreate), 5u);
  EXPECT_EQ(p.Count(ChangeAction::kRead), 1u);
  EXPECT_THAT(p.restarts, ElementsAre("logs"));

  EXPECT_THAT(Find(p, ServerAddr("logs"))->wait_for, IsEmpty());
  EXPECT_THAT(Find(p, KeyAddr(kAnalytics))->wait_for, ElementsAre(ServerAddr("logs")));
  EXPECT_THAT(Find(p, KeystoreAddr(kAnalytics))->wait_for, ElementsAre(KeyAddr(kAnalytics)));
  EXPECT_THAT(Find(p, RemoteAddr(kAnalytics))->wait_for,
              ElementsAre(ServerAddr("logs"), CaAddr("logs"), KeystoreAddr(kAnalytics)));
  EXPECT_THAT(Find(p, CheckAddr(kAnalytics))->wait_for, ElementsAre(RemoteAddr(kAnalytics)));

  // Values produced by resources still to be created are unknown.
  const ResourceChange* ks = Find(p, KeystoreAddr(kAnalytics));
  ASSERT_NE(ks, nullptr);
  ASSERT_TRUE(ks->desired.has_value());
  bool key_id_unknown = false;
  for (const AttributeChange& a : ks->attribute_changes) {
    if (a.path == "key_id") key_id_unknown = a.unknown_after;
  }
  EXPECT_TRUE(key_id_unknown);
  EXPECT_EQ(p.state_serial, 0u);
  EXPECT_EQ(p.state_lineage, "");
  EXPECT_FALSE(p.tool_version.empty());
}

TEST_F(PlannerTest, PlanAfterApplyHasNoChanges) {
  const auto specs = Expand({kAnalytics, kOnprem});
  Converge(specs);
  Plan p = MakeOk(specs);
  EXPECT_FALSE(p.HasChanges()) << RenderPlanText(p);
  EXPECT_THAT(Effective(p), IsEmpty());
  EXPECT_THAT(p.drift, IsEmpty());
  EXPECT_THAT(p.restarts, IsEmpty());
  EXPECT_EQ(p.changes.size(), specs.size());  // every resource considered, as no-ops
  EXPECT_EQ(p.state_serial, 1u);
}

TEST_F(PlannerTest, AttributeChangeIsAnUpdateWithPerAttributeDiff) {
  Converge(Expand({kAnalytics}));
  Conn wider = kAnalytics;
  wider.search = {"logs-*", "metrics-*"};
  Plan p = MakeOk(Expand({wider}));

  EXPECT_THAT(Effective(p), ElementsAre("es_cross_cluster_api_key.logs.analytics: update"));
  const ResourceChange* key = Find(p, KeyAddr(kAnalytics));
  ASSERT_EQ(key->attribute_changes.size(), 1u);
  const AttributeChange& a = key->attribute_changes[0];
  EXPECT_EQ(a.path, "access.search");
  EXPECT_EQ(a.before, Value::parse(R"([{"names":["logs-*"]}])"));
  EXPECT_EQ(a.after, Value::parse(R"([{"names":["logs-*","metrics-*"]}])"));
  EXPECT_FALSE(a.unknown_after);
  EXPECT_FALSE(a.forces_replace);
  EXPECT_THAT(key->wait_for, IsEmpty());  // the server does not change
}

TEST_F(PlannerTest, RequiresReplaceIsAReplaceAndItsDependentsSeeUnknowns) {
  Converge(Expand({kAnalytics}));
  es_.SetRequiresReplace("es_cross_cluster_api_key", {"name"});
  Conn renamed = kAnalytics;
  auto specs = Expand({renamed});
  specs[2].attributes["name"] = "crosslink-logs-analytics-v2";
  Plan p = MakeOk(specs);

  EXPECT_THAT(Effective(p), ElementsAre("es_cross_cluster_api_key.logs.analytics: replace",
                                        "es_keystore_credential.analytics.logs: update"));
  const ResourceChange* key = Find(p, KeyAddr(kAnalytics));
  EXPECT_THAT(key->requires_replace, ElementsAre("name"));
  ASSERT_EQ(key->attribute_changes.size(), 1u);
  EXPECT_TRUE(key->attribute_changes[0].forces_replace);

  const ResourceChange* ks = Find(p, KeystoreAddr(kAnalytics));
  EXPECT_THAT(ks->wait_for, ElementsAre(KeyAddr(kAnalytics)));
  ASSERT_EQ(ks->attribute_changes.size(), 2u);
  EXPECT_EQ(ks->attribute_changes[0].path, "credential");  // the secret input, (sensitive)
  EXPECT_EQ(ks->attribute_changes[1].path, "key_id");
  EXPECT_TRUE(ks->attribute_changes[1].unknown_after);
}

TEST_F(PlannerTest, ReplaceFlagForcesAReplacement) {
  const auto specs = Expand({kAnalytics});
  Converge(specs);
  PlanOptions opts;
  opts.replace = {KeyAddr(kAnalytics), "es_cross_cluster_api_key.nope"};
  Plan p = MakeOk(specs, opts);
  EXPECT_EQ(ActionOf(p, KeyAddr(kAnalytics)), ChangeAction::kReplace);
  EXPECT_EQ(Find(p, KeyAddr(kAnalytics))->reason, "replacement requested with -replace");
  EXPECT_EQ(ActionOf(p, KeystoreAddr(kAnalytics)), ChangeAction::kUpdate);
  ASSERT_EQ(p.diagnostics.warning_count(), 1u);
  EXPECT_THAT(p.diagnostics.items()[0].summary, HasSubstr("es_cross_cluster_api_key.nope"));
}

TEST_F(PlannerTest, RemovedConnectionIsDestroyedWhileSharedResourcesStay) {
  Converge(Expand({kAnalytics, kOnprem}));
  Plan p = MakeOk(Expand({kAnalytics}));

  // The remote cluster server and CA of "logs" serve analytics too: they stay.
  EXPECT_EQ(ActionOf(p, ServerAddr("logs")), ChangeAction::kNoOp);
  EXPECT_EQ(ActionOf(p, CaAddr("logs")), ChangeAction::kNoOp);
  // Dependents go first; the check is only forgotten.
  EXPECT_THAT(Effective(p), ElementsAre("es_remote_connected.onprem.logs: delete",
                                        "es_remote_cluster.onprem.logs: delete",
                                        "es_keystore_credential.onprem.logs: delete",
                                        "es_cross_cluster_api_key.logs.onprem: delete"));
  EXPECT_THAT(Find(p, CheckAddr(kOnprem))->wait_for, IsEmpty());
  EXPECT_THAT(Find(p, RemoteAddr(kOnprem))->wait_for, ElementsAre(CheckAddr(kOnprem)));
  EXPECT_THAT(Find(p, KeystoreAddr(kOnprem))->wait_for, ElementsAre(RemoteAddr(kOnprem)));
  EXPECT_THAT(Find(p, KeyAddr(kOnprem))->wait_for, ElementsAre(KeystoreAddr(kOnprem)));
  EXPECT_EQ(Find(p, KeyAddr(kOnprem))->reason, "not in the topology any more");
  EXPECT_FALSE(Find(p, KeyAddr(kOnprem))->desired.has_value());
  EXPECT_THAT(p.restarts, IsEmpty());

  // After apply, the shared server is still live and nothing else changes.
  ApplySimulator(&world_, &state_).Apply(p);
  EXPECT_TRUE(world_.Has(ServerAddr("logs")));
  EXPECT_FALSE(world_.Has(KeyAddr(kOnprem)));
  EXPECT_FALSE(MakeOk(Expand({kAnalytics})).HasChanges());
}

TEST_F(PlannerTest, DestroyRemovesEverythingDependentsFirst) {
  const auto specs = Expand({kAnalytics, kOnprem});
  Converge(specs);
  PlanOptions opts;
  opts.destroy = true;
  Plan p = MakeOk(specs, opts);

  EXPECT_TRUE(p.destroy);
  EXPECT_EQ(p.changes.size(), state_.resources.size());
  for (const ResourceChange& c : p.changes) EXPECT_EQ(c.action, ChangeAction::kDelete);
  // The shared server goes last, after everything that used it.
  EXPECT_EQ(p.changes.back().address, ServerAddr("logs"));
  EXPECT_THAT(Find(p, ServerAddr("logs"))->wait_for,
              ElementsAre(KeyAddr(kAnalytics), KeyAddr(kOnprem), RemoteAddr(kAnalytics),
                          RemoteAddr(kOnprem)));
  EXPECT_THAT(Find(p, CaAddr("logs"))->wait_for,
              ElementsAre(RemoteAddr(kAnalytics), RemoteAddr(kOnprem)));
  EXPECT_THAT(p.restarts, ElementsAre("logs"));

  ApplySimulator(&world_, &state_).Apply(p);
  EXPECT_TRUE(state_.resources.empty());
  for (const auto& [address, entry] : world_.Snapshot()) {
    // Left: the CA (read, never created) and the simulated "connected" facts.
    EXPECT_TRUE(entry.type == "es_ca" || entry.type == "es_remote_connected") << address;
  }
  EXPECT_TRUE(world_.Has(CaAddr("logs")));
}

TEST_F(PlannerTest, DriftIsReportedApartFromChanges) {
  const auto specs = Expand({kAnalytics});
  Converge(specs);
  world_.SetAttribute(RemoteAddr(kAnalytics), "proxy_address", "elsewhere.example.com:9443");
  world_.SetAttribute(RemoteAddr(kAnalytics), "skip_unavailable", true);  // not ours: ignored
  world_.Erase(KeystoreAddr(kAnalytics));
  Plan p = MakeOk(specs);

  ASSERT_EQ(p.drift.size(), 2u);
  EXPECT_EQ(p.drift[0].address, KeystoreAddr(kAnalytics));
  EXPECT_EQ(p.drift[0].kind, Drift::Kind::kDeleted);
  EXPECT_EQ(p.drift[1].address, RemoteAddr(kAnalytics));
  EXPECT_EQ(p.drift[1].kind, Drift::Kind::kChanged);
  ASSERT_EQ(p.drift[1].attribute_changes.size(), 1u);
  EXPECT_EQ(p.drift[1].attribute_changes[0].path, "proxy_address");
  EXPECT_EQ(p.drift[1].attribute_changes[0].after, "elsewhere.example.com:9443");

  EXPECT_THAT(Effective(p), ElementsAre("es_keystore_credential.analytics.logs: create",
                                        "es_remote_cluster.analytics.logs: update"));
  const ResourceChange* rc = Find(p, RemoteAddr(kAnalytics));
  ASSERT_EQ(rc->attribute_changes.size(), 1u);
  EXPECT_EQ(rc->attribute_changes[0].before, "elsewhere.example.com:9443");
  EXPECT_EQ(rc->attribute_changes[0].after, "logs.example.com:9443");
}

TEST_F(PlannerTest, DataSourceOutputChangePropagatesUnknownToDependents) {
  const auto specs = Expand({kAnalytics});
  Converge(specs);
  world_.SetOutput(CaAddr("logs"), "fingerprint", "CC:DD");  // the CA was rotated
  Plan p = MakeOk(specs);

  ASSERT_EQ(p.drift.size(), 1u);
  EXPECT_EQ(p.drift[0].address, CaAddr("logs"));
  EXPECT_EQ(p.drift[0].attribute_changes[0].path, "fingerprint");
  EXPECT_THAT(Effective(p),
              ElementsAre("es_ca.logs: read", "es_remote_cluster.analytics.logs: update"));
  EXPECT_EQ(Find(p, CaAddr("logs"))->reason, "its live value changed since the last apply");
  const ResourceChange* rc = Find(p, RemoteAddr(kAnalytics));
  ASSERT_EQ(rc->attribute_changes.size(), 1u);
  EXPECT_EQ(rc->attribute_changes[0].path, "ca_fingerprint");
  EXPECT_TRUE(rc->attribute_changes[0].unknown_after);
  EXPECT_THAT(rc->wait_for, ElementsAre(CaAddr("logs")));
  EXPECT_TRUE(p.HasChanges());
}

TEST_F(PlannerTest, FailingCheckIsVerifiedAgain) {
  const auto specs = Expand({kAnalytics});
  Converge(specs);
  es_.SetCheckFailing(CheckAddr(kAnalytics), "remote cluster \"logs\" is not connected");
  Plan p = MakeOk(specs);
  EXPECT_THAT(Effective(p), ElementsAre("es_remote_connected.analytics.logs: update"));
  EXPECT_EQ(Find(p, CheckAddr(kAnalytics))->reason, "remote cluster \"logs\" is not connected");
}

TEST_F(PlannerTest, UnrecordedObjectOfADesiredResourceIsAdoptedNotCreatedTwice) {
  const auto specs = Expand({kAnalytics});
  Converge(specs);
  // An interrupted run: the server exists but state lost it.
  state_.resources.erase(ServerAddr("logs"));
  Plan p = MakeOk(specs);
  const ResourceChange* server = Find(p, ServerAddr("logs"));
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->action, ChangeAction::kNoOp);
  EXPECT_TRUE(server->orphan);
  EXPECT_FALSE(server->before_outputs.is_null());  // apply records it with its outputs
  EXPECT_TRUE(p.HasChanges());
  EXPECT_THAT(Effective(p), ElementsAre("eck_remote_cluster_server.logs: no-op"));

  ApplySimulator(&world_, &state_).Apply(p);
  ASSERT_NE(state_.Find(ServerAddr("logs")), nullptr);
  EXPECT_FALSE(MakeOk(specs).HasChanges());
}

TEST_F(PlannerTest, AdoptedApiKeyWithoutItsSecretIsReplaced) {
  const auto specs = Expand({kAnalytics});
  Converge(specs);
  // The key exists (crosslink's) but state lost it, and with it the secret.
  state_.resources.erase(KeyAddr(kAnalytics));
  Plan p = MakeOk(specs);
  const ResourceChange* key = Find(p, KeyAddr(kAnalytics));
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->action, ChangeAction::kReplace);
  EXPECT_EQ(key->reason, "its secret cannot be read back; a new one will be issued");
  EXPECT_EQ(ActionOf(p, KeystoreAddr(kAnalytics)), ChangeAction::kUpdate);
  EXPECT_FALSE(p.diagnostics.has_errors());

  ApplySimulator(&world_, &state_).Apply(p);
  ASSERT_NE(state_.Find(KeyAddr(kAnalytics)), nullptr);
  EXPECT_EQ(state_.Find(KeyAddr(kAnalytics))->sensitive_outputs.count("encoded"), 1u);
  EXPECT_FALSE(MakeOk(specs).HasChanges());
}

TEST_F(PlannerTest, KeyInStateWithoutItsSecretIsReplaced) {
  const auto specs = Expand({kAnalytics});
  Converge(specs);
  // E.g. recorded after AlreadyExists on a retried create: no secret kept.
  state_.resources.at(KeyAddr(kAnalytics)).sensitive_outputs.clear();
  Plan p = MakeOk(specs);
  EXPECT_EQ(ActionOf(p, KeyAddr(kAnalytics)), ChangeAction::kReplace);
  EXPECT_THAT(Find(p, KeyAddr(kAnalytics))->reason, HasSubstr("cannot be read back"));
  EXPECT_EQ(ActionOf(p, KeystoreAddr(kAnalytics)), ChangeAction::kUpdate);
}

TEST_F(PlannerTest, UnmarkedObjectAtADesiredAddressIsAPlanErrorNotAdopted) {
  const auto specs = Expand({kAnalytics});
  LiveObject foreign;
  foreign.attributes = {{"name", "someone-elses-key"}};
  foreign.outputs = {{"id", "k-99"}};
  world_.SetForeign(KeyAddr(kAnalytics), "elasticsearch", "logs", foreign);
  Plan p = MakeOk(specs);
  ASSERT_TRUE(p.diagnostics.has_errors());
  bool named = false;
  for (const Diagnostic& d : p.diagnostics.items()) {
    if (d.severity == Severity::kError && d.summary.find(KeyAddr(kAnalytics)) != std::string::npos &&
        d.summary.find("exists but was not created by crosslink; remove it or change the "
                       "alias/name") != std::string::npos) {
      named = true;
    }
  }
  EXPECT_TRUE(named);
  const ResourceChange* key = Find(p, KeyAddr(kAnalytics));
  ASSERT_NE(key, nullptr);
  EXPECT_FALSE(key->orphan);
  EXPECT_NE(key->action, ChangeAction::kReplace);

  // Destroy never deletes an object state does not know unless it is crosslink's.
  PlanOptions destroy;
  destroy.destroy = true;
  Plan d = MakeOk(specs, destroy);
  EXPECT_EQ(Find(d, KeyAddr(kAnalytics)), nullptr);
}

TEST_F(PlannerTest, RemovedOptionalAttributeIsApplied) {
  auto specs = Expand({kAnalytics});
  for (ResourceSpec& s : specs) {
    if (s.address == RemoteAddr(kAnalytics)) s.attributes["skip_unavailable"] = true;
  }
  Converge(specs);
  specs = Expand({kAnalytics});  // the topology no longer sets skip_unavailable
  Plan p = MakeOk(specs);
  EXPECT_THAT(Effective(p), ElementsAre("es_remote_cluster.analytics.logs: update"));
  const ResourceChange* rc = Find(p, RemoteAddr(kAnalytics));
  ASSERT_NE(rc, nullptr);
  ASSERT_EQ(rc->attribute_changes.size(), 1u);
  EXPECT_EQ(rc->attribute_changes[0].path, "skip_unavailable");
  EXPECT_TRUE(rc->attribute_changes[0].after.is_null());
  ApplySimulator(&world_, &state_).Apply(p);
  EXPECT_FALSE(MakeOk(specs).HasChanges());
}

TEST_F(PlannerTest, WaitForIsTransitiveThroughUnchangedResources) {
  auto specs = Expand({kAnalytics});
  Converge(specs);
  specs[0].attributes["port"] = 9444;  // the server changes; key, keystore, remote do not
  ASSERT_EQ(specs[0].address, ServerAddr("logs"));
  es_.SetCheckFailing(CheckAddr(kAnalytics), "remote cluster \"logs\" is not connected");
  Plan p = MakeOk(specs);
  EXPECT_THAT(Effective(p), ElementsAre("eck_remote_cluster_server.logs: update",
                                        "es_remote_connected.analytics.logs: update"));
  // The check sits behind the no-op remote, keystore and key.
  EXPECT_THAT(Find(p, CheckAddr(kAnalytics))->wait_for, ElementsAre(ServerAddr("logs")));
}

TEST_F(PlannerTest, WaitForThroughManyUnchangedResourcesStaysSmall) {
  // A long chain of no-ops between two changes, with side branches: the
  // last change waits for the first only.
  std::vector<ResourceSpec> specs;
  const int n = 2000;
  for (int i = 0; i < n; ++i) {
    ResourceSpec s;
    s.address = "t.r" + std::to_string(i);
    s.type = "t";
    s.provider = "eck";
    s.cluster = "logs";
    s.attributes = {{"v", 1}};
    if (i > 0) s.depends_on = {"t.r" + std::to_string(i - 1)};
    if (i > 1) s.depends_on.push_back("t.r" + std::to_string(i - 2));
    specs.push_back(s);
  }
  Converge(specs);
  specs[0].attributes["v"] = 2;
  specs[n - 1].attributes["v"] = 2;
  Plan p = MakeOk(specs);
  ASSERT_EQ(p.Count(ChangeAction::kUpdate), 2u);
  EXPECT_THAT(Find(p, "t.r" + std::to_string(n - 1))->wait_for, ElementsAre("t.r0"));
  EXPECT_THAT(Find(p, "t.r0")->wait_for, IsEmpty());
}

TEST_F(PlannerTest, UnchangedResourceWithMovedDependencyRefreshesStateDependencies) {
  auto specs = Expand({kAnalytics});
  Converge(specs);
  for (ResourceSpec& s : specs) {
    if (s.address == RemoteAddr(kAnalytics)) s.depends_on = {KeyAddr(kAnalytics)};
  }
  Plan p = MakeOk(specs);
  const ResourceChange* rc = Find(p, RemoteAddr(kAnalytics));
  ASSERT_NE(rc, nullptr);
  EXPECT_EQ(rc->action, ChangeAction::kNoOp);
  EXPECT_TRUE(rc->refresh_dependencies);
  EXPECT_TRUE(p.HasChanges());
  ApplySimulator(&world_, &state_).Apply(p);
  EXPECT_FALSE(MakeOk(specs).HasChanges());
}

TEST_F(PlannerTest, ReportedOrphanAtADesiredAddressIsAdopted) {
  auto specs = Expand({kAnalytics});
  Converge(specs);
  state_.resources.erase(KeyAddr(kAnalytics));
  world_.Set(KeyAddr(kAnalytics), "elasticsearch", "logs", world_.Get(KeyAddr(kAnalytics)),
             /*unrecorded=*/true);
  es_.ReportNamedOrphans();  // the provider only finds it by its crosslink marks
  Conn wider = kAnalytics;
  wider.search = {"other-*"};
  Plan p = MakeOk(Expand({wider}));
  const ResourceChange* key = Find(p, KeyAddr(kAnalytics));
  // Planned against the live object; its secret is not in state, so the
  // keystore credential can only get one from a new key.
  EXPECT_EQ(key->action, ChangeAction::kReplace);
  EXPECT_TRUE(key->orphan);
  EXPECT_THAT(key->reason, HasSubstr("cannot be read back"));
  EXPECT_EQ(p.Count(ChangeAction::kCreate), 0u);
  EXPECT_EQ(p.Count(ChangeAction::kDelete), 0u);
}

TEST_F(PlannerTest, OrphanNotInTheTopologyIsRemoved) {
  const auto specs = Expand({kAnalytics});
  Converge(specs);
  LiveObject stray;
  stray.attributes = {{"name", "crosslink-logs-gone"}};
  stray.outputs = {{"id", "k-17"}};
  world_.Set("es_cross_cluster_api_key.logs.gone", "elasticsearch", "logs", stray,
             /*unrecorded=*/true);
  Plan p = MakeOk(specs);
  EXPECT_THAT(Effective(p), ElementsAre("es_cross_cluster_api_key.logs.gone: delete"));
  const ResourceChange* c = Find(p, "es_cross_cluster_api_key.logs.gone");
  EXPECT_TRUE(c->orphan);
  EXPECT_EQ(c->reason, "created by crosslink but missing from state (interrupted run?)");
  EXPECT_EQ(c->provider, "elasticsearch");
  EXPECT_EQ(c->cluster, "logs");
  EXPECT_EQ(c->type, "es_cross_cluster_api_key");
  EXPECT_EQ(c->before_outputs["id"], "k-17");
}

TEST_F(PlannerTest, TargetKeepsTheTargetAndWhatItNeeds) {
  PlanOptions opts;
  opts.targets = {"es_keystore_credential.onprem"};  // a prefix of whole address parts
  Plan p = MakeOk(Expand({kAnalytics, kOnprem}), opts);
  EXPECT_THAT(Addresses(p),
              ElementsAre(ServerAddr("logs"), KeyAddr(kOnprem), KeystoreAddr(kOnprem)));
  EXPECT_THAT(Find(p, KeystoreAddr(kOnprem))->wait_for, ElementsAre(KeyAddr(kOnprem)));

  opts.targets = {"es_keystore_credential.on"};  // not a whole part: matches nothing
  Plan none = MakeOk(Expand({kAnalytics, kOnprem}), opts);
  EXPECT_THAT(none.changes, IsEmpty());
  ASSERT_EQ(none.diagnostics.warning_count(), 1u);
  EXPECT_EQ(none.diagnostics.items()[0].path, "-target");
}

TEST_F(PlannerTest, DestroyTargetTakesEverythingThatDependsOnIt) {
  const auto specs = Expand({kAnalytics, kOnprem});
  Converge(specs);
  PlanOptions opts;
  opts.destroy = true;
  opts.targets = {KeyAddr(kAnalytics)};
  Plan p = MakeOk(specs, opts);
  EXPECT_THAT(Addresses(p), ElementsAre(CheckAddr(kAnalytics), RemoteAddr(kAnalytics),
                                        KeystoreAddr(kAnalytics), KeyAddr(kAnalytics)));
}

TEST_F(PlannerTest, RefreshReadsOncePerProviderAndCluster) {
  Conn third{"onprem", "analytics", "analytics"};
  world_.Set(CaAddr("analytics"), "eck", "analytics", CaObject("EE:FF"));
  const auto specs = Expand({kAnalytics, kOnprem, third});
  for (int parallelism : {1, 3, 16}) {
    eck_.ClearCounts();
    es_.ClearCounts();
    RecordingHooks hooks;
    PlanOptions opts;
    opts.parallelism = parallelism;
    MakeOk(specs, opts, &hooks);
    EXPECT_EQ(eck_.reads("logs"), 1);
    EXPECT_EQ(eck_.reads("analytics"), 1);
    EXPECT_EQ(eck_.total_reads(), 2);
    EXPECT_EQ(es_.reads("logs"), 1);       // both keys
    EXPECT_EQ(es_.reads("analytics"), 1);  // analytics' local chain and the key it issues
    EXPECT_EQ(es_.reads("onprem"), 1);
    EXPECT_EQ(es_.total_reads(), 3);
    EXPECT_THAT(es_.read_items("logs"), ElementsAre(KeyAddr(kAnalytics), KeyAddr(kOnprem)));
    EXPECT_LE(std::max(eck_.max_in_flight(), es_.max_in_flight()), parallelism);
    EXPECT_EQ(hooks.started.size(), 5u);
    EXPECT_EQ(hooks.done.size(), 5u);
  }
}

TEST_F(PlannerTest, RefreshFalseReadsNothingAndPlansAgainstState) {
  const auto specs = Expand({kAnalytics});
  Converge(specs);
  world_.Erase(KeyAddr(kAnalytics));  // invisible without refresh
  PlanOptions opts;
  opts.refresh = false;
  Plan p = MakeOk(specs, opts);
  EXPECT_EQ(eck_.total_reads() + es_.total_reads(), 0);
  EXPECT_FALSE(p.refreshed);
  EXPECT_FALSE(p.HasChanges());
  EXPECT_THAT(p.drift, IsEmpty());
}

TEST_F(PlannerTest, FailedReadFailsThePlan) {
  es_.FailRead("analytics", Status::Unavailable("connection refused"));
  Result<Plan> r = MakePlan(Expand({kAnalytics}), state_, providers_, PlanOptions{}, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(r.status().retryable());
  EXPECT_EQ(r.status().message(),
            "reading live state from provider \"elasticsearch\" for cluster \"analytics\": "
            "connection refused");
}

TEST_F(PlannerTest, MissingProviderIsNamedWithTheResource) {
  providers::ProviderSet only_es;
  only_es.Add(&es_);
  Result<Plan> r = MakePlan(Expand({kAnalytics}), state_, only_es, PlanOptions{}, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(),
            "no provider \"eck\" is available in this build (needed by "
            "eck_remote_cluster_server.logs)");
}

TEST_F(PlannerTest, DesiredResourcesOutOfDependencyOrderAreABug) {
  auto specs = Expand({kAnalytics});
  std::swap(specs[2], specs[3]);  // keystore before the key it references
  Result<Plan> r = MakePlan(specs, state_, providers_, PlanOptions{}, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_THAT(r.status().message(), HasSubstr("not in dependency order"));
}

TEST_F(PlannerTest, SensitiveOutputsAreNeverResolvedIntoAttributes) {
  auto specs = Expand({kAnalytics});
  Converge(specs);
  // A (broken) spec that puts a sensitive output into plain attributes.
  specs[3].attributes["leak"] = graph::MakeRef(KeyAddr(kAnalytics), "encoded");
  Plan p = MakeOk(specs);
  const ResourceChange* ks = Find(p, KeystoreAddr(kAnalytics));
  EXPECT_TRUE(graph::IsRef(ks->after["leak"], nullptr));
}

TEST_F(PlannerTest, DeletesAreOrderedByDependencyThenAddress) {
  // Two independent chains left in state only.
  Converge(Expand({kAnalytics, kOnprem}));
  PlanOptions opts;
  opts.destroy = true;
  Plan p = MakeOk({}, opts);
  EXPECT_THAT(
      Addresses(p),
      ElementsAre(CheckAddr(kAnalytics), RemoteAddr(kAnalytics), KeystoreAddr(kAnalytics),
                  KeyAddr(kAnalytics), CheckAddr(kOnprem), RemoteAddr(kOnprem), CaAddr("logs"),
                  KeystoreAddr(kOnprem), KeyAddr(kOnprem), ServerAddr("logs")));
}

TEST_F(PlannerTest, LargeTopologyPlansEveryResource) {
  // 2,000 connections to 50 remotes: one Read per (provider, cluster).
  auto name = [](char prefix, int n) { return std::string(1, prefix).append(std::to_string(n)); };
  std::vector<Conn> conns;
  for (int i = 0; i < 2000; ++i) {
    conns.push_back(Conn{name('l', i), name('r', i % 50), name('a', i)});
  }
  for (int r = 0; r < 50; ++r) {
    world_.Set(CaAddr(name('r', r)), "eck", name('r', r), CaObject("F"));
  }
  const auto specs = Expand(conns);
  Plan p = MakeOk(specs);
  EXPECT_EQ(p.changes.size(), specs.size());
  EXPECT_EQ(eck_.total_reads(), 50);
  EXPECT_EQ(es_.total_reads(), 2050);
}

}  // namespace
}  // namespace crosslink::plan
