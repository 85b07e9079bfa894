// Every topology of examples/ (issue #7), run VERBATIM against the sandbox of
// the same name (sandbox/configs/<name>.yaml) by the shipped crosslink:
//
//   1. `validate` with no environment at all (as in CI): exit 0, the unset
//      ${env:NAME} values are warnings only;
//   2. sandbox.env put into crosslink's environment, as a user sources it;
//   3. plan (exit 2), apply -auto-approve, every connection of the file
//      connected (GET _remote/info on its local cluster), plan again (exit 0,
//      no changes), destroy;
//   4. nothing of crosslink's left (SelfTest::ExpectAsBefore): an empty state,
//      no active crosslink-* key, no remote setting for the aliases,
//      self-managed nodes byte-identical, ECK specs as before and no
//      labelled object, Cloud keystore listings and trust settings as after
//      a user's entries were seeded, the same persistent settings and active
//      API keys; no secret (nor PEM private key) in any output, log, plan or
//      state (scanned after apply and at the end).
//
// The examples are discovered from examples/*.yaml when the binary starts, so
// a new example without a sandbox config fails here.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>

#include "tests/e2e/self_fixture.h"

namespace crosslink::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const std::string kExamplesDir = std::string(CROSSLINK_SOURCE_DIR) + "/examples";
const std::string kConfigsDir = std::string(CROSSLINK_SOURCE_DIR) + "/sandbox/configs";

// The examples' names; `error`: why examples/ could not be listed ("" when
// it could).
std::vector<std::string> ExampleNames(std::string* error = nullptr) {
  std::vector<std::string> names;
  std::error_code ec;
  std::filesystem::directory_iterator it(kExamplesDir, ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->path().extension() == ".yaml") names.push_back(it->path().stem().string());
  }
  if (ec && error) *error = kExamplesDir + ": " + ec.message();
  std::sort(names.begin(), names.end());
  return names;
}

// The parameterized test below runs nothing when discovery finds nothing.
TEST(ExampleDiscovery, FindsTheExamples) {
  std::string error;
  const std::vector<std::string> names = ExampleNames(&error);
  EXPECT_EQ(error, "");
  EXPECT_FALSE(names.empty()) << "no examples/*.yaml in " << kExamplesDir;
}

// What the test needs to know of an example, read from the file itself.
using ExampleCluster = ClusterRef;
struct ExampleConnection {
  std::string local;
  std::string alias;
  bool api_key_model = true;
};
struct Example {
  std::vector<ExampleCluster> clusters;
  std::vector<ExampleConnection> connections;
};

Example ReadExample(const std::string& path) {
  Example ex;
  YAML::Node root = YAML::LoadFile(path);
  for (auto it : root["clusters"]) {
    ExampleCluster c;
    c.name = it.first.as<std::string>();
    c.environment = it.second["environment"].as<std::string>("");
    c.platform = c.environment.empty()
                     ? it.second["platform"].as<std::string>("")
                     : root["environments"][c.environment]["platform"].as<std::string>("");
    c.ns = it.second["namespace"].as<std::string>("default");
    c.es_name = it.second["name"].as<std::string>(c.name);
    ex.clusters.push_back(c);
  }
  for (auto conn : root["connections"]) {
    ExampleConnection c;
    c.local = conn["local"].as<std::string>();
    c.alias = conn["alias"].as<std::string>(conn["remote"].as<std::string>());
    c.api_key_model = conn["security"].as<std::string>("api_key") == "api_key";
    ex.connections.push_back(c);
  }
  return ex;
}

class ExampleTest : public SelfTest, public ::testing::WithParamInterface<std::string> {
 protected:
  std::string ExamplePath() const { return kExamplesDir + "/" + GetParam() + ".yaml"; }
  std::vector<std::string> ExampleArgs(std::vector<std::string> args) const {
    args.insert(args.begin() + 1, {"-f", ExamplePath()});
    return args;
  }

};

TEST_P(ExampleTest, ValidatesOfflineAndRunsTheWholeCycleInTheSandbox) {
  const std::string config = kConfigsDir + "/" + GetParam() + ".yaml";
  ASSERT_TRUE(std::filesystem::exists(config))
      << "examples/" << GetParam() << ".yaml has no sandbox: write sandbox/configs/" << GetParam()
      << ".yaml with the same clusters (see docs/sandbox.md)";
  const Example ex = ReadExample(ExamplePath());
  ASSERT_FALSE(ex.connections.empty()) << "an example without connections shows nothing";
  StartSandboxConfig(GetParam() + ".yaml");
  env_vars_["CROSSLINK_STATE"] = StatePath();

  // 1. Offline validation: no sandbox.env, no secret, no platform.
  Outcome validate = Crosslink(ExampleArgs({"validate"}));
  ASSERT_EQ(validate.code, 0) << Show(validate);
  EXPECT_THAT(validate.err, Not(HasSubstr("error:"))) << Show(validate);
  EXPECT_THAT(validate.err, HasSubstr("warning:")) << "the example uses no ${env:NAME}?\n"
                                                   << Show(validate);

  // 2. The environment a user gets from `. sandbox.env`.
  SourceSandboxEnv();

  // What must be as before after destroy (Cloud deployments get a user's
  // entries first).
  std::map<std::string, ClusterBefore> before;
  for (const ExampleCluster& c : ex.clusters) before[c.name] = Snapshot(c);

  // 3. The cycle, on the example file itself.
  plan_files_.push_back(Path("create.plan"));
  Outcome plan =
      Crosslink(ExampleArgs({"plan", "-detailed-exitcode", "-out=" + Path("create.plan")}));
  ASSERT_EQ(plan.code, 2) << Show(plan);
  Outcome apply = Crosslink(ExampleArgs({"apply", "-auto-approve"}));
  ASSERT_EQ(apply.code, 0) << Show(apply);
  for (const ExampleConnection& conn : ex.connections) {
    EXPECT_TRUE(Connected(conn.local, conn.alias, conn.api_key_model))
        << conn.local << " -> " << conn.alias;
  }
  // What the run put on the clusters, now that the connections are up; the
  // state holds the encrypted keys.
  for (const ExampleCluster& c : ex.clusters) RememberClusterSecrets(c);
  ExpectNoSecretLeaked();
  Outcome again = Crosslink(ExampleArgs({"plan", "-detailed-exitcode"}));
  EXPECT_EQ(again.code, 0) << Show(again);
  EXPECT_THAT(again.out, HasSubstr("No changes"));

  Outcome destroy = Crosslink(ExampleArgs({"destroy", "-auto-approve"}));
  ASSERT_EQ(destroy.code, 0) << Show(destroy);

  // 4. Nothing of crosslink's left.
  EXPECT_THAT(StateAddresses(ExamplePath()), IsEmpty());
  for (const ExampleCluster& c : ex.clusters) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ActiveCrosslinkKeys(c.name), IsEmpty());
    ExpectAsBefore(c, before.at(c.name));
  }
  for (const ExampleConnection& conn : ex.connections) {
    ExpectNoRemoteSettings(conn.local, conn.alias);
  }
  ExpectNoSecretLeaked();
}

INSTANTIATE_TEST_SUITE_P(Examples, ExampleTest, ::testing::ValuesIn(ExampleNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace crosslink::e2e
