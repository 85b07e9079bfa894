// Seed 000 (issue #4): an ECK cluster (site-a) connected by the shipped
// crosslink to a cluster its operator does not manage — an ECK cluster in
// another Kubernetes cluster (site-b) with its own kubeconfig and private
// CA (sandbox/configs/eck-to-external.yaml) — with the API key model: plan, apply
// with one restart per cluster, connected with cluster credentials, empty
// re-plan, in-place key update, destroy leaving nothing; then drift: a
// deleted credential Secret, removed cluster settings and a rotated CA.

#include "tests/e2e/crosslink_fixture.h"

namespace crosslink::e2e {
namespace {

using providers::eck::Kind;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kKeyName[] = "crosslink-search-logs";
constexpr char kCredentialSecret[] = "search-crosslink-remote-logs";

class Seed000Test : public CrosslinkTest {
 protected:
  void SetUp() override { StartSandboxConfig("eck-to-external.yaml"); }

  // The topology as a user writes it, with the sandbox's kubeconfigs.
  std::string Topology(const std::string& access) {
    return Fill(R"(version: 1
environments:
  site-a:
    platform: eck
    kubeconfig: @A_KUBECONFIG@
    context: @A_CONTEXT@
  site-b:
    platform: eck
    kubeconfig: @B_KUBECONFIG@
    context: @B_CONTEXT@
clusters:
  search: { environment: site-a, namespace: apps, version: "8.17.0" }
  logs: { environment: site-b, namespace: observability, version: "8.17.0" }
connections:
  - local: search
    remote: logs
    alias: logs
    access:
)",
                {{"A_KUBECONFIG", Env("SITE_A_KUBECONFIG")},
                 {"A_CONTEXT", Env("SITE_A_CONTEXT")},
                 {"B_KUBECONFIG", Env("SITE_B_KUBECONFIG")},
                 {"B_CONTEXT", Env("SITE_B_CONTEXT")}}) +
           access;
  }
  std::string DefaultTopology() { return Topology("      search: [ { names: [\"logs-*\"] } ]\n"); }

  // Applies the default topology; returns false (with failures) if it did
  // not converge to a connected link.
  bool ApplyConnected() {
    WriteTopology(DefaultTopology());
    Outcome apply = Apply();
    EXPECT_EQ(apply.code, 0) << Show(apply);
    return apply.code == 0 && Connected("search", "logs", /*api_key_model=*/true);
  }

  std::vector<Value> ActiveKeys() {
    std::vector<Value> out;
    for (const Value& key : ApiKeys("logs", kKeyName)) {
      if (!key.value("invalidated", false)) out.push_back(key);
    }
    return out;
  }

  // Everything of the link that lives on the local's Elasticsearch resource.
  std::string LocalSpec() { return Elasticsearch("site-a", "apps", "search")["spec"].dump(); }

  Value Persistent(const std::string& cluster) {
    return sandbox_->FindTwin(cluster)->Inspect().value("persistent", Value::object());
  }

  Reply Control(const std::string& method, const std::string& path) {
    http::Request request;
    request.method = method;
    request.url = sandbox_->control_url() + path;
    return Send(request, Env("SANDBOX_PUBLIC_CA"));
  }
};

TEST_F(Seed000Test, ApiKeyModelWithPrivateCaPlanApplyUpdateDestroy) {
  WriteTopology(DefaultTopology());
  Outcome plan = SavePlan("create.plan");
  ASSERT_EQ(plan.code, 2) << Show(plan);
  for (const char* address :
       {"eck_remote_cluster_server.logs", "eck_remote_cluster_service.logs",
        "es_cross_cluster_api_key.search.logs", "eck_remote_credential.search.logs",
        "eck_remote_client_tls.search", "es_remote_cluster.search.logs"}) {
    EXPECT_THAT(plan.out, HasSubstr(std::string(address) + " will be created")) << address;
  }
  EXPECT_THAT(plan.out, HasSubstr("eck_transport_ca.logs will be read"));
  EXPECT_THAT(plan.out, HasSubstr("These clusters will restart: "));
  EXPECT_THAT(plan.out, ContainsRegex("restart: .*search \\(once, for 2 changes\\)"));
  EXPECT_THAT(plan.out, ContainsRegex("restart: .*logs \\(once\\)"));

  const int search_restarts = Restarts("search");
  const int logs_restarts = Restarts("logs");
  Outcome apply = Crosslink({"apply", "-auto-approve", Path("create.plan")});
  ASSERT_EQ(apply.code, 0) << Show(apply);
  // The credential Secret and the client TLS change are ONE update of the
  // search resource: one rolling restart; enabling the server restarts logs once.
  EXPECT_EQ(Restarts("search") - search_restarts, 1);
  EXPECT_EQ(Restarts("logs") - logs_restarts, 1);
  EXPECT_TRUE(Connected("search", "logs", /*api_key_model=*/true));
  std::vector<Value> keys = ActiveKeys();
  ASSERT_EQ(keys.size(), 1u);
  const std::string key_id = keys[0].value("id", "");
  RememberSecretData("site-a", "apps", kCredentialSecret);
  EXPECT_THAT(LocalSpec(), HasSubstr(kCredentialSecret));
  EXPECT_THAT(LocalSpec(), HasSubstr("remote_cluster_client"));

  Outcome again = Plan();
  EXPECT_EQ(again.code, 0) << Show(again);
  EXPECT_THAT(again.out, HasSubstr("No changes"));
  EXPECT_THAT(again.out, Not(HasSubstr("changed outside crosslink")));

  // Wider access: the same key updated in place, no restart.
  WriteTopology(
      Topology("      search: [ { names: [\"logs-*\", \"metrics-*\"] } ]\n"
               "      replication: [ { names: [\"orders\"] } ]\n"));
  Outcome update = Plan();
  ASSERT_EQ(update.code, 2) << Show(update);
  EXPECT_THAT(update.out,
              HasSubstr("es_cross_cluster_api_key.search.logs will be updated in-place"));
  EXPECT_THAT(update.out, HasSubstr("0 to add, 1 to change, 0 to destroy"));
  EXPECT_THAT(update.out, Not(HasSubstr("will restart")));
  Outcome updated = Apply();
  ASSERT_EQ(updated.code, 0) << Show(updated);
  keys = ActiveKeys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].value("id", ""), key_id);
  EXPECT_THAT(keys[0]["access"].dump(), HasSubstr("metrics-*"));
  EXPECT_THAT(keys[0]["access"].dump(), HasSubstr("orders"));
  EXPECT_TRUE(Connected("search", "logs", true));
  EXPECT_EQ(Plan().code, 0);
  // What a user inspects afterwards (scanned for secrets below).
  Outcome show = Crosslink(Args({"show", "-json"}));
  EXPECT_EQ(show.code, 0) << Show(show);
  EXPECT_THAT(show.out, HasSubstr("eck_remote_credential.search.logs"));
  Outcome key_state = Crosslink(
      {"state", "show", "-f", Path("topology.yaml"), "es_cross_cluster_api_key.search.logs"});
  EXPECT_EQ(key_state.code, 0) << Show(key_state);
  EXPECT_THAT(key_state.out, HasSubstr(key_id));

  Outcome destroy = Destroy();
  ASSERT_EQ(destroy.code, 0) << Show(destroy);
  EXPECT_THAT(ActiveKeys(), IsEmpty());
  EXPECT_THAT(ApiKeys("logs", kKeyName), Not(IsEmpty()));  // invalidated, still visible
  auto secret = GetObject("site-a", Kind::Secret(), "apps", kCredentialSecret);
  EXPECT_EQ(secret.status().code(), StatusCode::kNotFound) << secret.status().ToString();
  const std::string local_spec = LocalSpec();
  EXPECT_THAT(local_spec, Not(HasSubstr(kCredentialSecret)));
  EXPECT_THAT(local_spec, Not(HasSubstr("remote_cluster_client")));
  EXPECT_THAT(local_spec, Not(HasSubstr("crosslink")));
  EXPECT_THAT(CrosslinkObjects("site-a", "apps"), IsEmpty());
  EXPECT_THAT(CrosslinkObjects("site-b", "observability"), IsEmpty());
  Value remote_spec = Elasticsearch("site-b", "observability", "logs")["spec"];
  EXPECT_FALSE(remote_spec.value("remoteClusterServer", Value::object()).value("enabled", false))
      << remote_spec.dump();
  EXPECT_FALSE(remote_spec.value("remoteClusterServer", Value::object()).contains("service"))
      << remote_spec.dump();
  EXPECT_THAT(Persistent("search").dump(), Not(HasSubstr("cluster.remote.logs")));
  ExpectNoSecretLeaked();
}

// Drift, repaired by the next apply: the credential Secret deleted by hand.
TEST_F(Seed000Test, DeletedCredentialSecretIsRecreated) {
  ASSERT_TRUE(ApplyConnected());
  RememberSecretData("site-a", "apps", kCredentialSecret);
  ASSERT_TRUE(Kube("site-a").Delete(Kind::Secret(), "apps", kCredentialSecret).ok());

  Outcome plan = Plan();
  ASSERT_EQ(plan.code, 2) << Show(plan);
  EXPECT_THAT(plan.out, HasSubstr("eck_remote_credential.search.logs has been deleted"));
  EXPECT_THAT(plan.out, HasSubstr("eck_remote_credential.search.logs will be created"));
  Outcome apply = Apply();
  ASSERT_EQ(apply.code, 0) << Show(apply);
  EXPECT_TRUE(GetObject("site-a", Kind::Secret(), "apps", kCredentialSecret).ok());
  EXPECT_TRUE(Connected("search", "logs", true));
  RememberSecretData("site-a", "apps", kCredentialSecret);
  EXPECT_EQ(Plan().code, 0);
  ExpectNoSecretLeaked();
}

// Drift: cluster.remote.logs.* removed with PUT _cluster/settings nulls.
TEST_F(Seed000Test, RemovedRemoteSettingsAreRestored) {
  ASSERT_TRUE(ApplyConnected());
  RememberSecretData("site-a", "apps", kCredentialSecret);
  Reply put =
      Es("search", "PUT", "/_cluster/settings", R"({"persistent":{"cluster.remote.logs.*":null}})");
  ASSERT_EQ(put.status, 200) << put.body;
  ASSERT_THAT(Persistent("search").dump(), Not(HasSubstr("cluster.remote.logs")));

  Outcome plan = Plan();
  ASSERT_EQ(plan.code, 2) << Show(plan);
  EXPECT_THAT(plan.out, HasSubstr("es_remote_cluster.search.logs has been deleted"));
  EXPECT_THAT(plan.out, HasSubstr("es_remote_cluster.search.logs will be created"));
  Outcome apply = Apply();
  ASSERT_EQ(apply.code, 0) << Show(apply);
  EXPECT_TRUE(Connected("search", "logs", true));
  EXPECT_EQ(Plan().code, 0);
  ExpectNoSecretLeaked();
}

// Drift: the remote's transport CA rotated by the operator. The local must
// trust the new CA (eck_remote_client_tls), one restart of search.
TEST_F(Seed000Test, RotatedRemoteCaIsTrustedAgain) {
  ASSERT_TRUE(ApplyConnected());
  RememberSecretData("site-a", "apps", kCredentialSecret);
  Reply rotate = Control(
      "POST", "/_sandbox/platforms/site-b/namespaces/observability/elasticsearches/logs/rotate-ca");
  ASSERT_EQ(rotate.status, 200) << rotate.body;
  // Once logs serves the new certificate, search no longer trusts it.
  Value info = RemoteInfo("search", "logs", false);
  ASSERT_FALSE(info.value("connected", true)) << info.dump();
  EXPECT_THAT(FailureReason("search", "logs"), HasSubstr("PKIX"));

  Outcome plan = Plan();
  ASSERT_EQ(plan.code, 2) << Show(plan);
  EXPECT_THAT(plan.out, HasSubstr("eck_remote_client_tls.search will be updated in-place"));
  const int search_restarts = Restarts("search");
  Outcome apply = Apply();
  ASSERT_EQ(apply.code, 0) << Show(apply);
  EXPECT_EQ(Restarts("search") - search_restarts, 1);
  EXPECT_TRUE(Connected("search", "logs", true));
  EXPECT_EQ(Plan().code, 0);
  ExpectNoSecretLeaked();
}

// The documented example, as a user runs it: sandbox.env sourced (its
// ${env:...} kubeconfigs and contexts). examples_test.cc runs the whole cycle.
TEST_F(Seed000Test, DocumentedExamplePlansAgainstTheSandbox) {
  WriteTopology(
      ReadText(std::string(CROSSLINK_SOURCE_DIR) + "/examples/eck-to-external.yaml"));
  SourceSandboxEnv();
  Outcome plan = Plan();
  ASSERT_EQ(plan.code, 2) << Show(plan);
  EXPECT_THAT(plan.out, HasSubstr("es_cross_cluster_api_key.search.logs will be created"));
  ExpectNoSecretLeaked();
}

}  // namespace
}  // namespace crosslink::e2e
