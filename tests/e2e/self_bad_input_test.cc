// Bad input on a self-managed node (issue #6), with the shipped crosslink
// against sandbox/configs/self-pair.yaml (edge -> core, API key model: the
// first changes land on core's node): a config directory crosslink cannot
// write into, a missing keystore tool, a restart command that fails, a
// malformed elasticsearch.yml. Each time: exit 1 with an error naming the
// node and the file or command, and how to fix it; core's files exactly as
// they were; the node still running. Then the fix, an apply that connects,
// and a destroy that leaves both clusters as they were.
//
// "Unwritable config dir": the tests run as root, which ignores mode bits,
// so `chmod 0555 config` would not stop anything. What the node layer
// really hits instead is a path it cannot create: config/crosslink is a
// regular file, so crosslink's directory cannot be made there.

#include <filesystem>

#include "tests/e2e/self_fixture.h"

namespace crosslink::e2e {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEdgeToCore[] = R"(  - local: edge
    remote: core
    alias: core
    access: { search: [ { names: ["logs-*"] } ] }
)";

class SelfBadInputTest : public SelfTest {
 protected:
  void SetUp() override {
    StartCloudSandbox("self-pair.yaml", /*ec_api_key=*/false);
    home_ = Homes("core").front();
    edge_before_ = SnapshotNodes("edge");
    core_before_ = SnapshotNodes("core");
  }

  // core's nodes restart with `core_restart` ("" = their bin/restart).
  std::string Topology(const std::string& core_restart = "") {
    return "version: 1\nclusters:\n" + SelfCluster("edge") + SelfCluster("core", "", core_restart) +
           "connections:\n" + kEdgeToCore;
  }

  // An apply that must fail: exit 1, nothing claimed done, core's node as
  // `broken` (its files when the bad input was in place) and running.
  Outcome RefusedApply(const std::vector<NodeSnapshot>& broken) {
    Outcome apply = Apply();
    EXPECT_EQ(apply.code, 1) << Show(apply);
    EXPECT_THAT(apply.out, Not(HasSubstr("Apply complete!")));
    EXPECT_THAT(apply.err, HasSubstr("node-0")) << Show(apply);
    ExpectNodesAsBefore(broken);
    ExpectNodesRunning("core");
    EXPECT_FALSE(SelfInspect("core")["listeners"].contains("rcs"));
    RememberNodeSecrets("edge");
    RememberNodeSecrets("core");
    return apply;
  }

  // After the fix: applies, connects, destroys; both clusters as at start.
  void ExpectFixedThenClean() {
    WriteTopology(Topology());
    Outcome apply = Apply();
    ASSERT_EQ(apply.code, 0) << Show(apply);
    RememberNodeSecrets("edge");
    RememberNodeSecrets("core");
    EXPECT_TRUE(Connected("edge", "core", /*api_key_model=*/true));
    Outcome destroy = Destroy();
    ASSERT_EQ(destroy.code, 0) << Show(destroy);
    ExpectNodesAsBefore(edge_before_);
    ExpectNodesAsBefore(core_before_);
    ExpectNoSecretLeaked();
  }

  std::string home_;
  std::vector<NodeSnapshot> edge_before_, core_before_;
};

TEST_F(SelfBadInputTest, ConfigDirectoryCrosslinkCannotWriteInto) {
  const std::string blocker = home_ + "/config/crosslink";
  WriteFile(blocker, "not crosslink's directory\n");
  const std::vector<NodeSnapshot> broken = SnapshotNodes("core");
  WriteTopology(Topology());
  Outcome apply = RefusedApply(broken);
  EXPECT_THAT(apply.err, HasSubstr(blocker)) << Show(apply);
  EXPECT_THAT(apply.err, HasSubstr("Not a directory")) << Show(apply);
  EXPECT_EQ(ReadText(blocker), "not crosslink's directory\n");

  std::filesystem::remove(blocker);
  ExpectFixedThenClean();
}

TEST_F(SelfBadInputTest, MissingKeystoreTool) {
  const std::string tool = home_ + "/bin/elasticsearch-keystore";
  std::filesystem::rename(tool, tool + ".moved");
  WriteTopology(Topology());
  Outcome apply = RefusedApply(core_before_);
  EXPECT_THAT(apply.err, HasSubstr(tool + " does not exist")) << Show(apply);
  EXPECT_THAT(apply.err, HasSubstr("check that `home` is the Elasticsearch home")) << Show(apply);

  std::filesystem::rename(tool + ".moved", tool);
  ExpectFixedThenClean();
}

TEST_F(SelfBadInputTest, RestartCommandFails) {
  WriteTopology(Topology("false"));
  Outcome apply = RefusedApply(core_before_);
  EXPECT_THAT(apply.err, HasSubstr("the restart command `false` failed")) << Show(apply);
  EXPECT_THAT(apply.err, HasSubstr("the node's files were restored")) << Show(apply);
  EXPECT_THAT(apply.err, HasSubstr("fix the command")) << Show(apply);

  ExpectFixedThenClean();
}

TEST_F(SelfBadInputTest, MalformedElasticsearchYml) {
  const std::string yml = home_ + "/config/elasticsearch.yml";
  const std::string original = ReadText(yml);
  WriteFile(yml, original + "xpack.security.transport.ssl.verification_mode: [certificate\n");
  const std::vector<NodeSnapshot> broken = SnapshotNodes("core");
  WriteTopology(Topology());
  Outcome plan = Plan();
  EXPECT_EQ(plan.code, 1) << Show(plan);
  EXPECT_THAT(plan.err, HasSubstr(yml)) << Show(plan);
  Outcome apply = RefusedApply(broken);
  // The file and where in it (file:line:column: yaml-cpp's mark of the
  // unclosed sequence), and the fix.
  EXPECT_THAT(apply.err, HasSubstr(yml + ":")) << Show(apply);
  EXPECT_THAT(apply.err, ContainsRegex("elasticsearch\\.yml:[0-9]+:[0-9]+: ")) << Show(apply);
  EXPECT_THAT(apply.err, HasSubstr("fix the file")) << Show(apply);

  WriteFile(yml, original);
  ExpectFixedThenClean();
}

}  // namespace
}  // namespace crosslink::e2e
