// The corpus of broken topologies: tests/data/topology/bad/NAME.yaml, each
// with NAME.expected holding the exact diagnostics text (file shown as
// "NAME.yaml"). One test per file. To regenerate the expectations after an
// intended wording change, run with CROSSLINK_UPDATE_EXPECTED=1 and review
// the diff.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/core/filesystem.h"
#include "engine/topology/loader.h"
#include "tests/fakes/mem_filesystem.h"

namespace crosslink::topology {
namespace {

const std::string kBadDir = std::string(CROSSLINK_SOURCE_DIR) + "/tests/data/topology/bad";

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  auto fs = NewPosixFileSystem();
  Result<std::vector<std::string>> entries = fs->ListDir(kBadDir);
  if (!entries.ok()) return names;
  for (const std::string& e : *entries) {
    const std::string suffix = ".yaml";
    if (e.size() > suffix.size() &&
        e.compare(e.size() - suffix.size(), suffix.size(), suffix) == 0) {
      names.push_back(e.substr(0, e.size() - suffix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

class BadTopologyTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BadTopologyTest, ReportsExactlyTheExpectedDiagnostics) {
  const std::string name = GetParam();
  auto disk = NewPosixFileSystem();
  Result<std::string> yaml = disk->ReadFile(kBadDir + "/" + name + ".yaml");
  ASSERT_TRUE(yaml.ok()) << yaml.status().ToString();

  // Load through the FileSystem seam, under the short name the expectation uses.
  fakes::MemFileSystem fs;
  fs.SetFile(name + ".yaml", *yaml);
  Diagnostics diags;
  std::optional<Topology> topology = LoadTopologyFile(name + ".yaml", fs, &diags);
  const std::string actual = diags.ToString();

  const std::string expected_path = kBadDir + "/" + name + ".expected";
  const char* update = std::getenv("CROSSLINK_UPDATE_EXPECTED");
  if (update != nullptr && std::string(update) == "1") {
    ASSERT_TRUE(disk->WriteFileAtomic(expected_path, actual, 0644).ok());
  }
  Result<std::string> expected = disk->ReadFile(expected_path);
  ASSERT_TRUE(expected.ok()) << "missing " << expected_path << "; actual output:\n" << actual;
  EXPECT_EQ(actual, *expected);
  EXPECT_TRUE(diags.has_errors()) << "a file in bad/ must have at least one error";
  EXPECT_FALSE(topology.has_value()) << "errors must mean no topology";
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadTopologyTest, ::testing::ValuesIn(CaseNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(BadTopologyCorpus, HasAtLeastFifteenCasesEachWithAnExpectation) {
  std::vector<std::string> names = CaseNames();
  EXPECT_GE(names.size(), 15u);
  auto disk = NewPosixFileSystem();
  Result<std::vector<std::string>> entries = disk->ListDir(kBadDir);
  ASSERT_TRUE(entries.ok());
  for (const std::string& e : *entries) {
    const bool yaml = e.size() > 5 && e.substr(e.size() - 5) == ".yaml";
    const bool expected = e.size() > 9 && e.substr(e.size() - 9) == ".expected";
    EXPECT_TRUE(yaml || expected) << "unexpected file in the corpus: " << e;
    if (expected) {
      std::string base = e.substr(0, e.size() - 9);
      EXPECT_NE(std::find(names.begin(), names.end(), base), names.end())
          << e << " has no matching .yaml";
    }
  }
}

}  // namespace
}  // namespace crosslink::topology
