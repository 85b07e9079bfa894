// Saved plan files: round trip, atomic 0600 writes, version checks, and the
// staleness check that makes apply refuse a plan the world has moved past.

#include "engine/plan/plan_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "engine/core/version.h"
#include "tests/engine/plan/plan_test_support.h"
#include "tests/fakes/mem_filesystem.h"

namespace crosslink::plan {
namespace {

using testing::Conn;
using testing::Expand;
using ::testing::HasSubstr;
using testing::kAnalytics;
using testing::KeyAddr;
using testing::kOnprem;

class PlanFileTest : public testing::PlanScenario {
 protected:
  // A plan with every kind of content: updates, deletes, drift, restarts,
  // unknowns, sensitive markers, diagnostics.
  Plan RichPlan() {
    Converge(Expand({kAnalytics, kOnprem}));
    world_.SetAttribute(testing::RemoteAddr(kAnalytics), "proxy_address", "x:1");
    PlanOptions opts;
    opts.replace = {KeyAddr(kAnalytics), testing::ServerAddr("logs"), "nope.nope"};
    opts.topology_file = "topology.yaml";
    opts.topology_digest = std::string(64, 'a');
    auto specs = Expand({kAnalytics});
    specs[0].origin = SourceLocation{"topology.yaml", 12, 5};
    specs[0].needed_by = {"analytics->logs"};
    return MakeOk(specs, opts);
  }

  fakes::MemFileSystem fs_;
};

TEST_F(PlanFileTest, RoundTripKeepsEverythingApplyNeeds) {
  const Plan original = RichPlan();
  ASSERT_FALSE(original.drift.empty());
  ASSERT_FALSE(original.restarts.empty());
  ASSERT_FALSE(original.diagnostics.empty());

  ASSERT_TRUE(WritePlanFile(fs_, "/plan.out", original).ok());
  Result<Plan> read = ReadPlanFile(fs_, "/plan.out");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(DumpJson(PlanToFileJson(*read)), DumpJson(PlanToFileJson(original)));

  // The desired specs come back whole: apply does not expand the topology again.
  const ResourceChange& server = read->changes[0];
  ASSERT_TRUE(server.desired.has_value());
  EXPECT_EQ(server.desired->origin.ToString(), "topology.yaml:12:5");
  EXPECT_EQ(server.desired->needed_by, std::vector<std::string>{"analytics->logs"});
  EXPECT_TRUE(server.desired->restarts_cluster);
  const ResourceChange& ks = read->changes[3];
  ASSERT_TRUE(ks.desired.has_value());
  ASSERT_EQ(ks.desired->secret_inputs.count("credential"), 1u);
  EXPECT_EQ(ks.desired->secret_inputs.at("credential").address, KeyAddr(kAnalytics));
  EXPECT_EQ(ks.desired->AllDependencies(), original.changes[3].desired->AllDependencies());
  EXPECT_EQ(read->state_serial, original.state_serial);
  EXPECT_EQ(read->state_lineage, original.state_lineage);
  EXPECT_EQ(read->HasChanges(), original.HasChanges());
}

TEST_F(PlanFileTest, WrittenAtomicallyWithMode0600) {
  ASSERT_TRUE(WritePlanFile(fs_, "/plan.out", RichPlan()).ok());
  Result<uint32_t> mode = fs_.FileMode("/plan.out");
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(*mode, 0600u);
  EXPECT_EQ(fs_.Files().size(), 1u);
}

TEST_F(PlanFileTest, RealFileSystemWritesMode0600) {
  // Explicitly about the real file system: a per-test temporary directory.
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("crosslink-plan-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "saved.plan").string();
  auto fs = NewPosixFileSystem();
  ASSERT_TRUE(WritePlanFile(*fs, path, RichPlan()).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(ReadPlanFile(*fs, path).ok());
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) entries += e.exists() ? 1 : 0;
  EXPECT_EQ(entries, 1u);  // no temporary file left behind
  std::filesystem::remove_all(dir);
}

TEST_F(PlanFileTest, OtherFormatVersionIsRefused) {
  Value doc = PlanToFileJson(RichPlan());
  // 1: made before restart groups existed.
  doc["format_version"] = 1;
  doc.erase("restart_groups");
  fs_.SetFile("/plan.out", DumpJson(doc));
  Result<Plan> r = ReadPlanFile(fs_, "/plan.out");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(),
            "saved plan /plan.out has format_version 1; this crosslink reads format_version 2: "
            "run crosslink plan again");
}

TEST_F(PlanFileTest, PlanFromAnotherCrosslinkVersionIsRefused) {
  Value doc = PlanToFileJson(RichPlan());
  doc["tool_version"] = "0.0.1-other";
  fs_.SetFile("/plan.out", DumpJson(doc));
  Result<Plan> r = ReadPlanFile(fs_, "/plan.out");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("was made by crosslink 0.0.1-other"));
}

TEST_F(PlanFileTest, DamagedOrForeignFilesAreRefused) {
  fs_.SetFile("/garbage", "{ not json");
  fs_.SetFile("/state.json", R"({"format_version":1,"lineage":"x","serial":3,"resources":[]})");
  Value doc = PlanToFileJson(RichPlan());
  doc["changes"][0]["action"] = "explode";
  fs_.SetFile("/bad-action", DumpJson(doc));
  doc = PlanToFileJson(RichPlan());
  doc["state"].erase("serial");
  fs_.SetFile("/no-serial", DumpJson(doc));

  for (const char* path : {"/garbage", "/state.json", "/bad-action", "/no-serial"}) {
    Result<Plan> r = ReadPlanFile(fs_, path);
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << path;
    EXPECT_THAT(r.status().message(), HasSubstr(path));
  }
  EXPECT_THAT(ReadPlanFile(fs_, "/bad-action").status().message(),
              HasSubstr("unknown action \"explode\""));
  EXPECT_THAT(ReadPlanFile(fs_, "/no-serial").status().message(),
              HasSubstr("missing field \"serial\""));
  EXPECT_THAT(ReadPlanFile(fs_, "/state.json").status().message(),
              HasSubstr("not a crosslink plan file"));
  EXPECT_FALSE(ReadPlanFile(fs_, "/missing").ok());
}

TEST(CheckPlanFreshTest, FreshPlanIsAccepted) {
  Plan p;
  p.state_lineage = "L1";
  p.state_serial = 3;
  p.topology_digest = "d1";
  EXPECT_TRUE(CheckPlanFresh(p, "L1", 3, "d1").ok());
}

TEST(CheckPlanFreshTest, StateSerialMovedIsStale) {
  Plan p;
  p.state_lineage = "L1";
  p.state_serial = 3;
  p.topology_digest = "d1";
  Status s = CheckPlanFresh(p, "L1", 4, "d1");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "saved plan is stale: the state changed since it was made (serial 4, plan made at "
            "serial 3); run crosslink plan again");
}

TEST(CheckPlanFreshTest, OtherLineageIsStale) {
  Plan p;
  p.state_lineage = "L1";
  p.state_serial = 3;
  Status s = CheckPlanFresh(p, "L2", 3, "");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "saved plan is stale: it was made for another state (lineage L1, current state "
            "lineage L2); run crosslink plan again");

  Plan before_state;  // made when no state existed yet
  Status created = CheckPlanFresh(before_state, "L9", 1, "");
  EXPECT_EQ(created.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(created.message(), HasSubstr("made before any state existed"));
}

TEST(CheckPlanFreshTest, ChangedTopologyIsStale) {
  Plan p;
  p.state_lineage = "L1";
  p.state_serial = 3;
  p.topology_digest = std::string(64, 'a');
  Status s = CheckPlanFresh(p, "L1", 3, std::string(64, 'b'));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "saved plan is stale: the topology file changed since it was made (digest "
            "bbbbbbbbbbbb, plan made with aaaaaaaaaaaa); run crosslink plan again");
}

TEST_F(PlanFileTest, PlanMadeBeforeAnApplyIsStaleAfterIt) {
  const auto specs = Expand({kAnalytics});
  Converge(specs);
  Plan p = MakeOk(Expand({Conn{"analytics", "logs", "logs", {"x-*"}}}));
  ASSERT_TRUE(CheckPlanFresh(p, state_.lineage, state_.serial, "").ok());
  testing::ApplySimulator(&world_, &state_).Apply(MakeOk(Expand({kAnalytics, kOnprem})));
  EXPECT_EQ(CheckPlanFresh(p, state_.lineage, state_.serial, "").code(),
            StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace crosslink::plan
