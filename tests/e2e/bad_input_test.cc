// Bad input and a broken outside world (issue #4), on the eck-to-external sandbox:
// each failure exits non-zero with an error that names the cluster or
// environment and what to check, leaves the state consistent, and the next
// correct run converges.

#include "tests/e2e/crosslink_fixture.h"

namespace crosslink::e2e {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class BadInputTest : public CrosslinkTest {
 protected:
  void SetUp() override { StartSandboxConfig("eck-to-external.yaml"); }

  // `overrides` replace the defaults below (kubeconfig, context, namespace,
  // extra fields of logs).
  std::string Topology(std::map<std::string, std::string> overrides = {}) {
    std::map<std::string, std::string> vars = {
        {"A_KUBECONFIG", Env("SITE_A_KUBECONFIG")}, {"A_CONTEXT", Env("SITE_A_CONTEXT")},
        {"B_KUBECONFIG", Env("SITE_B_KUBECONFIG")}, {"B_CONTEXT", Env("SITE_B_CONTEXT")},
        {"LOGS_NAMESPACE", "observability"},        {"LOGS_EXTRA", ""}};
    for (const auto& [key, value] : overrides) vars[key] = value;
    return Fill(R"(version: 1
environments:
  site-a: { platform: eck, kubeconfig: @A_KUBECONFIG@, context: @A_CONTEXT@ }
  site-b: { platform: eck, kubeconfig: @B_KUBECONFIG@, context: @B_CONTEXT@ }
clusters:
  search: { environment: site-a, namespace: apps, version: "8.17.0" }
  logs:
    environment: site-b
    namespace: @LOGS_NAMESPACE@
    version: "8.17.0"
@LOGS_EXTRA@
connections:
  - local: search
    remote: logs
    alias: logs
    access: { search: [ { names: ["logs-*"] } ] }
)",
                vars);
  }

  // A failed run: exit 1, an error, no "Apply complete".
  void ExpectFailure(const Outcome& o) {
    EXPECT_EQ(o.code, 1) << Show(o);
    EXPECT_THAT(o.err, HasSubstr("Error"));
    EXPECT_THAT(o.out, ::testing::Not(HasSubstr("complete!")));
  }

  // The correct topology converges from whatever the failed runs left.
  void ExpectConverges() {
    WriteTopology(Topology());
    Outcome apply = Apply();
    ASSERT_EQ(apply.code, 0) << Show(apply);
    EXPECT_TRUE(Connected("search", "logs", /*api_key_model=*/true));
    Outcome plan = Plan();
    EXPECT_EQ(plan.code, 0) << Show(plan);
  }

  Reply Faults(const std::string& method, const std::string& body) {
    http::Request request =
        http::Request::Json(method, sandbox_->control_url() + "/_sandbox/faults", body);
    return Send(request, Env("SANDBOX_PUBLIC_CA"));
  }
};

TEST_F(BadInputTest, UnknownContextNamesTheEnvironmentAndTheContexts) {
  WriteTopology(Topology({{"B_CONTEXT", "prod"}}));
  Outcome plan = Plan();
  ExpectFailure(plan);
  EXPECT_THAT(plan.err, AllOf(HasSubstr("site-b"), HasSubstr("prod"), HasSubstr("context")));
  EXPECT_THAT(plan.err, HasSubstr(Env("SITE_B_CONTEXT")));  // the contexts the file has
  ExpectFailure(Apply());
  ExpectConverges();
  ExpectNoSecretLeaked();
}

TEST_F(BadInputTest, WrongApiServerNamesTheServer) {
  // A copy of site-b's kubeconfig whose server nobody listens on.
  std::string kubeconfig = ReadText(Env("SITE_B_KUBECONFIG"));
  YAML::Node node = YAML::Load(kubeconfig);
  const std::string server = node["clusters"][0]["cluster"]["server"].as<std::string>();
  kubeconfig.replace(kubeconfig.find(server), server.size(), "https://127.0.0.1:1");
  WriteFile(Path("wrong-kubeconfig"), kubeconfig);
  WriteTopology(Topology({{"B_KUBECONFIG", Path("wrong-kubeconfig")}}));
  Outcome plan = Plan();
  ExpectFailure(plan);
  EXPECT_THAT(plan.err, AllOf(HasSubstr("logs"), HasSubstr("127.0.0.1:1")));
  ExpectConverges();
  ExpectNoSecretLeaked();
}

// The Kubernetes API of site-b goes down after a successful apply: every
// verb fails clearly; once it is back, the state is intact (no changes) and
// destroy works.
TEST_F(BadInputTest, ApiServerDownAfterApplyLeavesAConsistentState) {
  ExpectConverges();
  RememberSecretData("site-a", "apps", "search-crosslink-remote-logs");
  Reply down = Faults("PUT", R"({"target":"eck/site-b/api","down":true})");
  ASSERT_EQ(down.status, 200) << down.body;

  Outcome plan = Plan();
  ExpectFailure(plan);
  EXPECT_THAT(plan.err, AllOf(HasSubstr("logs"), HasSubstr("site-b")));
  ExpectFailure(Destroy());

  Reply up = Faults("DELETE", "");
  ASSERT_EQ(up.status, 200) << up.body;
  Outcome again = Plan();
  EXPECT_EQ(again.code, 0) << Show(again);
  Outcome destroy = Destroy();
  EXPECT_EQ(destroy.code, 0) << Show(destroy);
  ExpectNoSecretLeaked();
}

TEST_F(BadInputTest, MissingElasticsearchResourceNamesTheResource) {
  WriteTopology(Topology({{"LOGS_NAMESPACE", "wrong-ns"}}));
  Outcome plan = Plan();
  ExpectFailure(plan);
  EXPECT_THAT(plan.err, AllOf(HasSubstr("logs"), HasSubstr("wrong-ns")));
  ExpectFailure(Apply());
  ExpectConverges();
  ExpectNoSecretLeaked();
}

TEST_F(BadInputTest, WrongPasswordNamesTheClusterAndTheCredentials) {
  env_vars_["LOGS_PASSWORD"] = "wrong-password-0f9e8d";
  secrets_.insert("wrong-password-0f9e8d");
  WriteTopology(
      Topology({{"LOGS_EXTRA",
                 "    credentials: { username: elastic, password: \"${env:LOGS_PASSWORD}\" }\n"}}));
  Outcome plan = Plan();
  ExpectFailure(plan);
  EXPECT_THAT(plan.err, AllOf(HasSubstr("\"logs\""), HasSubstr("credentials")));
  ExpectFailure(Apply());
  EXPECT_TRUE(ApiKeys("logs", "crosslink-search-logs").empty());
  ExpectConverges();
  ExpectNoSecretLeaked();
}

}  // namespace
}  // namespace crosslink::e2e
