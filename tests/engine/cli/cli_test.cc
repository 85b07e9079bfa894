// The whole engine through the `crosslink` command line: real topology
// loader, expansion, planner, scheduler and local state backend, with the
// in-memory FakeProvider standing in for every platform and an in-memory
// file system standing in for the disk.
#include "engine/cli/cli.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "engine/core/secret.h"
#include "engine/core/value.h"
#include "engine/graph/expand.h"
#include "engine/topology/loader.h"
#include "providers/fake/fake_provider.h"
#include "state/local_backend.h"
#include "tests/fakes/mem_filesystem.h"

namespace crosslink::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kTopologyPath = "/work/topology.yaml";
constexpr const char* kStatePath = "/work/topology.state.json";

// Two ECK clusters in different Kubernetes environments and an ECH
// deployment: API keys both ways plus one certificate-model link.
constexpr const char* kTopology = R"(version: 1
environments:
  k8s-a: { platform: eck, context: a }
  k8s-b: { platform: eck, context: b }
  cloud: { platform: ech, organization_id: "1053523734" }
clusters:
  logs:    { environment: k8s-a, namespace: observability, version: "8.15.0" }
  metrics: { environment: k8s-b, version: "8.15.0" }
  analytics:
    environment: cloud
    deployment_id: 0123456789abcdef0123456789abcdef
    version: "8.17.1"
    credentials: { username: elastic, password: "${env:ANALYTICS_PASSWORD}" }
connections:
  - local: analytics
    remote: logs
    alias: logs
    access:
      search: [ { names: ["logs-*"] } ]
  - local: logs
    remote: metrics
    alias: metrics
    access:
      search: [ { names: ["metrics-*"] } ]
)";

struct Outcome {
  int code = 0;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_.SetFile(kTopologyPath, kTopology, 0644);
    for (const char* name : {"elasticsearch", "eck", "ech", "ece", "self", "pki", "cloud"}) {
      providers_.AddAs(name, &fake_);
    }
    env_vars_["CROSSLINK_STATE_KEY_FILE"] = "/keys/state.key";
    env_vars_["ANALYTICS_PASSWORD"] = "analytics-password-value";
    LearnTopology(kTopology);
  }

  // Lets the fake produce every output the expanded graph references.
  void LearnTopology(const std::string& yaml) {
    Diagnostics diags;
    auto t = topology::LoadTopologyString(yaml, "topology.yaml", &diags);
    ASSERT_TRUE(t) << diags.ToString();
    auto g = graph::Expand(*t, &diags);
    ASSERT_TRUE(g) << diags.ToString();
    fake_.LearnOutputs(g->resources());
    for (const auto& spec : g->resources()) {
      if (spec.mode != graph::ResourceMode::kManaged) not_managed_.insert(spec.address);
    }
  }

  Outcome Run(std::vector<std::string> args, const std::string& stdin_text = "") {
    std::istringstream in(stdin_text);
    std::ostringstream out, err;
    CliEnv env;
    env.providers = &providers_;
    env.fs = &fs_;
    env.clock = &clock_;
    env.in = &in;
    env.out = &out;
    env.err = &err;
    env.in_process_locks = true;
    env.getenv = [this](const char* name) -> const char* {
      auto it = env_vars_.find(name);
      return it == env_vars_.end() ? nullptr : it->second.c_str();
    };
    Outcome o;
    o.code = RunCli(args, env);
    o.out = out.str();
    o.err = err.str();
    all_output_ += o.out + o.err;
    return o;
  }

  Outcome Apply() { return Run({"apply", "-f", kTopologyPath, "-auto-approve"}); }

  // Every secret value the fake platform handed out.
  std::vector<std::string> FakeSecrets() const {
    std::vector<std::string> out;
    for (const auto& addr : fake_.live_addresses()) {
      auto live = fake_.GetLive(addr);
      for (const auto& [name, secret] : live->sensitive_outputs) out.push_back(secret.expose());
    }
    return out;
  }

  fakes::MemFileSystem fs_;
  FakeClock clock_;
  providers::fake::FakeProvider fake_{"fake"};
  providers::ProviderSet providers_;
  std::map<std::string, std::string> env_vars_;
  std::string all_output_;
  std::set<std::string> not_managed_;  // data sources and checks: nothing to destroy
};

TEST_F(CliTest, ValidateSummarisesAValidTopology) {
  Outcome o = Run({"validate", "-f", kTopologyPath});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("is valid: 3 environments, 3 clusters, 2 connections"));
}

TEST_F(CliTest, ValidateReportsEveryProblemWithLocationAndExitsOne) {
  fs_.SetFile("/work/bad.yaml", R"(version: 1
clusters:
  logs: { environment: nowhere }
connections:
  - { local: logs, remote: logs, alias: "Bad Alias", access: { search: [ { names: x } ] } }
)");
  Outcome o = Run({"validate", "-f", "/work/bad.yaml"});
  EXPECT_EQ(o.code, 1);
  EXPECT_THAT(o.err, HasSubstr("/work/bad.yaml:3:"));
  EXPECT_THAT(o.err, HasSubstr("/work/bad.yaml:5:"));
  EXPECT_THAT(o.err, HasSubstr("nothing was changed"));
}

TEST_F(CliTest, GraphPrintsDot) {
  Outcome o = Run({"graph", "-f", kTopologyPath});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("digraph"));
  EXPECT_THAT(o.out, HasSubstr("es_remote_cluster.analytics.logs"));
}

TEST_F(CliTest, PlanApplyPlanIsEmptyThenDestroyLeavesNothing) {
  Outcome plan = Run({"plan", "-f", kTopologyPath, "-detailed-exitcode"});
  EXPECT_EQ(plan.code, 2) << plan.err;
  EXPECT_THAT(plan.out, HasSubstr("to add"));

  Outcome apply = Apply();
  ASSERT_EQ(apply.code, 0) << apply.out << apply.err;
  EXPECT_THAT(apply.out, HasSubstr("Apply complete!"));
  EXPECT_FALSE(fake_.live_addresses().empty());
  auto mode = fs_.FileMode(kStatePath);
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(*mode, 0600u);

  Outcome again = Run({"plan", "-f", kTopologyPath, "-detailed-exitcode"});
  EXPECT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_THAT(again.out, HasSubstr("No changes"));

  Outcome destroy = Run({"destroy", "-f", kTopologyPath, "-auto-approve"});
  ASSERT_EQ(destroy.code, 0) << destroy.out << destroy.err;
  EXPECT_THAT(destroy.out, HasSubstr("Destroy complete!"));
  // Only data sources (read, never created by crosslink) may remain on the platform.
  for (const auto& addr : fake_.live_addresses()) {
    EXPECT_TRUE(not_managed_.count(addr)) << addr << " survived destroy";
  }
  Outcome list = Run({"state", "list", "-f", kTopologyPath});
  EXPECT_EQ(list.code, 0);
  EXPECT_EQ(list.out, "");
}

TEST_F(CliTest, FailureMidApplyLeavesStateFromWhichTheNextApplyConverges) {
  fake_.FailNext("es_remote_cluster.analytics.logs",
                 Status::PermissionDenied("403: action [cluster:admin/settings/update] is unauthorized"), 1);
  Outcome first = Apply();
  EXPECT_EQ(first.code, 1);
  EXPECT_THAT(first.out, HasSubstr("Apply failed."));
  EXPECT_THAT(first.out, HasSubstr("es_remote_cluster.analytics.logs"));
  EXPECT_THAT(first.err, HasSubstr("skipped"));
  // The independent connection finished.
  EXPECT_TRUE(fake_.GetLive("es_remote_cluster.logs.metrics").has_value());

  Outcome second = Apply();
  ASSERT_EQ(second.code, 0) << second.out << second.err;
  Outcome plan = Run({"plan", "-f", kTopologyPath, "-detailed-exitcode"});
  EXPECT_EQ(plan.code, 0) << plan.out;
}

TEST_F(CliTest, SavedPlanAppliesOnceAndIsRefusedWhenStale) {
  Outcome plan = Run({"plan", "-f", kTopologyPath, "-out", "/work/plan.json"});
  ASSERT_EQ(plan.code, 0) << plan.err;
  EXPECT_THAT(plan.out, HasSubstr("crosslink apply /work/plan.json"));
  Outcome apply = Run({"apply", "/work/plan.json"});
  ASSERT_EQ(apply.code, 0) << apply.out << apply.err;
  // The state moved on: the same plan is stale now.
  Outcome stale = Run({"apply", "/work/plan.json"});
  EXPECT_EQ(stale.code, 1);
  EXPECT_THAT(stale.err, HasSubstr("stale"));
}

TEST_F(CliTest, SavedPlanIsRefusedWhenTheTopologyChanged) {
  ASSERT_EQ(Run({"plan", "-f", kTopologyPath, "-out", "/work/plan.json"}).code, 0);
  fs_.SetFile(kTopologyPath, std::string(kTopology) + "# edited\n", 0644);
  Outcome stale = Run({"apply", "/work/plan.json"});
  EXPECT_EQ(stale.code, 1);
  EXPECT_THAT(stale.err, HasSubstr("stale"));
  EXPECT_TRUE(fake_.calls("create").empty());
}

TEST_F(CliTest, ApplyAsksForConfirmationAndOnlyYesProceeds) {
  Outcome no = Run({"apply", "-f", kTopologyPath}, "no\n");
  EXPECT_EQ(no.code, 1);
  EXPECT_THAT(no.err, HasSubstr("cancelled"));
  EXPECT_TRUE(fake_.calls("create").empty());
  Outcome closed = Run({"apply", "-f", kTopologyPath}, "");
  EXPECT_EQ(closed.code, 1);
  EXPECT_THAT(closed.err, HasSubstr("-auto-approve"));
  Outcome yes = Run({"apply", "-f", kTopologyPath}, "yes\n");
  EXPECT_EQ(yes.code, 0) << yes.err;
  EXPECT_FALSE(fake_.calls("create").empty());
}

TEST_F(CliTest, ConcurrentRunFailsWithTheHolderAndForceUnlockHint) {
  state::LocalBackendOptions opts;
  opts.path = kStatePath;
  opts.fs = &fs_;
  opts.lock_kind = state::LockKind::kInProcess;
  opts.clock = &clock_;
  state::KeyOptions keys;
  keys.key_file = "/keys/state.key";
  opts.keys = keys;
  auto other = state::NewLocalBackend(opts);
  state::LockInfo info;
  info.id = "11111111-2222-4333-8444-555555555555";
  info.operation = "apply";
  info.who = "alice@ws1";
  info.created = "2026-11-25T22:24:43Z";
  auto held = other->Lock(info);
  ASSERT_TRUE(held.ok()) << held.status().ToString();

  Outcome o = Apply();
  EXPECT_EQ(o.code, 1);
  EXPECT_THAT(o.err, HasSubstr("alice@ws1"));
  EXPECT_THAT(o.err, HasSubstr("force-unlock 11111111-2222-4333-8444-555555555555"));
  EXPECT_TRUE(fake_.calls("create").empty());
}

TEST_F(CliTest, DriftIsShownApartAndRepaired) {
  ASSERT_EQ(Apply().code, 0);
  ASSERT_TRUE(fake_.EraseLive("es_remote_cluster.analytics.logs"));
  Outcome plan = Run({"plan", "-f", kTopologyPath});
  EXPECT_EQ(plan.code, 0) << plan.err;
  EXPECT_THAT(plan.out, HasSubstr("outside crosslink"));
  EXPECT_THAT(plan.out, HasSubstr("es_remote_cluster.analytics.logs"));
  ASSERT_EQ(Apply().code, 0);
  EXPECT_TRUE(fake_.GetLive("es_remote_cluster.analytics.logs").has_value());
  EXPECT_EQ(Run({"plan", "-f", kTopologyPath, "-detailed-exitcode"}).code, 0);
}

TEST_F(CliTest, JsonOutputsParse) {
  Outcome plan = Run({"plan", "-f", kTopologyPath, "-json"});
  ASSERT_EQ(plan.code, 0) << plan.err;
  auto v = ParseJson(plan.out);
  ASSERT_TRUE(v.ok()) << plan.out;
  EXPECT_TRUE((*v).contains("changes"));
  ASSERT_EQ(Run({"apply", "-f", kTopologyPath, "-auto-approve", "-json"}).code, 0);
  Outcome show = Run({"show", "-f", kTopologyPath, "-json"});
  auto s = ParseJson(show.out);
  ASSERT_TRUE(s.ok()) << show.out;
  EXPECT_FALSE((*s)["resources"].empty());
  Outcome version = Run({"version", "-json"});
  EXPECT_TRUE(ParseJson(version.out).ok());
}

TEST_F(CliTest, StateRmForgetsWithoutDestroying) {
  ASSERT_EQ(Apply().code, 0);
  Outcome show = Run({"state", "show", "-f", kTopologyPath, "es_remote_cluster.analytics.logs"});
  EXPECT_EQ(show.code, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr("es_remote_cluster.analytics.logs"));
  Outcome rm = Run({"state", "rm", "-f", kTopologyPath, "es_remote_cluster.analytics.logs"});
  EXPECT_EQ(rm.code, 0) << rm.err;
  EXPECT_TRUE(fake_.GetLive("es_remote_cluster.analytics.logs").has_value());
  Outcome list = Run({"state", "list", "-f", kTopologyPath});
  EXPECT_THAT(list.out, Not(HasSubstr("es_remote_cluster.analytics.logs\n")));
  Outcome missing = Run({"state", "show", "-f", kTopologyPath, "es_remote_cluster.nope.x"});
  EXPECT_EQ(missing.code, 1);
}

TEST_F(CliTest, NoSecretReachesOutputPlanFilesStateOrLogs) {
  // Without the Redactor's last line of defence: a leak must show here.
  Redactor::SetEnabledForTesting(false);
  struct Restore {
    ~Restore() { Redactor::SetEnabledForTesting(true); }
  } restore;
  char tmpl[] = "/tmp/crosslink-cli-log-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string log_file = std::string(tmpl) + "/crosslink.log";
  ASSERT_EQ(Run({"apply", "-f", kTopologyPath, "-auto-approve", "--log-level", "trace", "--log-file",
                 log_file})
                .code,
            0);
  ASSERT_EQ(Run({"plan", "-f", kTopologyPath, "-out", "/work/plan.json", "--log-level", "trace",
                 "--log-file", log_file})
                .code,
            0);
  Run({"show", "-f", kTopologyPath});
  Run({"show", "-f", kTopologyPath, "-json"});
  for (const auto& addr : fake_.live_addresses()) {
    Run({"state", "show", "-f", kTopologyPath, addr});
  }
  std::ifstream log_in(log_file);
  std::string logs((std::istreambuf_iterator<char>(log_in)), std::istreambuf_iterator<char>());
  std::vector<std::string> secrets = FakeSecrets();
  ASSERT_FALSE(secrets.empty()) << "the fake should have issued API keys";
  secrets.push_back(env_vars_["ANALYTICS_PASSWORD"]);
  EXPECT_FALSE(logs.empty()) << "trace logging should have written something to check";
  std::filesystem::remove_all(tmpl);
  for (const auto& secret : secrets) {
    EXPECT_THAT(all_output_, Not(HasSubstr(secret)));
    EXPECT_THAT(logs, Not(HasSubstr(secret)));
    for (const auto& [path, bytes] : fs_.Files()) {
      EXPECT_THAT(bytes, Not(HasSubstr(secret))) << path;
    }
  }
}

TEST_F(CliTest, TargetLimitsTheRunToOneConnectionChain) {
  Outcome o = Run({"apply", "-f", kTopologyPath, "-auto-approve", "-target",
                   "es_remote_connection_check.logs.metrics", "-target", "es_remote_cluster.logs.metrics"});
  ASSERT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(fake_.GetLive("es_remote_cluster.logs.metrics").has_value());
  EXPECT_FALSE(fake_.GetLive("es_remote_cluster.analytics.logs").has_value());
  Outcome rest = Run({"plan", "-f", kTopologyPath, "-detailed-exitcode"});
  EXPECT_EQ(rest.code, 2) << "the other connection is still to be created";
}

TEST_F(CliTest, JsonApplyNeedsAutoApproveAndSavedPlansRefusePlanningFlags) {
  Outcome json = Run({"apply", "-f", kTopologyPath, "-json"});
  EXPECT_EQ(json.code, 1);
  EXPECT_THAT(json.err, HasSubstr("-auto-approve"));
  ASSERT_EQ(Run({"plan", "-f", kTopologyPath, "-out", "/work/plan.json"}).code, 0);
  Outcome targeted = Run({"apply", "-target", "es_remote_cluster.logs.metrics", "/work/plan.json"});
  EXPECT_EQ(targeted.code, 1);
  EXPECT_THAT(targeted.err, HasSubstr("saved plan"));
  EXPECT_TRUE(fake_.calls("create").empty());
}

TEST_F(CliTest, UnknownFlagIsAnErrorWithUsageHint) {
  Outcome o = Run({"plan", "-f", kTopologyPath, "-no-such-flag"});
  EXPECT_EQ(o.code, 1);
  EXPECT_THAT(o.err, HasSubstr("--help"));
}

TEST(NormalizeArgsTest, TerraformStyleFlagsBecomeLongOptions) {
  EXPECT_EQ(NormalizeArgs({"plan", "-out=p.json", "-f", "t.yaml", "-refresh=false", "--json", "-"}),
            (std::vector<std::string>{"plan", "--out=p.json", "-f", "t.yaml", "--refresh=false",
                                      "--json", "-"}));
  EXPECT_EQ(NormalizeArgs({"plan", "-f=t.yaml"}), (std::vector<std::string>{"plan", "-f", "t.yaml"}));
}

}  // namespace
}  // namespace crosslink::cli
