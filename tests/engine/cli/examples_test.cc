// Every topology under examples/ must stay valid and expandable: they are
// what new users copy first.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/core/filesystem.h"
#include "engine/graph/expand.h"
#include "engine/topology/loader.h"

namespace crosslink {
namespace {

TEST(ExamplesTest, EveryExampleValidatesAndExpands) {
  auto fs = NewPosixFileSystem();
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(CROSSLINK_SOURCE_DIR "/examples")) {
    if (entry.path().extension() != ".yaml") continue;
    ++seen;
    Diagnostics diags;
    auto t = topology::LoadTopologyFile(entry.path().string(), *fs, &diags);
    ASSERT_TRUE(t) << diags.ToString();
    EXPECT_EQ(diags.warning_count(), 0u) << diags.ToString();
    auto g = graph::Expand(*t, &diags);
    ASSERT_TRUE(g) << diags.ToString();
    EXPECT_FALSE(g->resources().empty()) << entry.path();
  }
  EXPECT_GE(seen, 1);
}

}  // namespace
}  // namespace crosslink
