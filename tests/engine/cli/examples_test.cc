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
    // As `crosslink validate` in CI: no environment, so the examples'
    // ${env:NAME} values are warnings (the sandbox-specific locations) and
    // nothing else may be (tests/e2e/examples_test.cc runs them for real).
    topology::LoadOptions offline;
    offline.getenv = [](const char*) -> const char* { return nullptr; };
    offline.unset_variables_are_errors = false;
    auto t = topology::LoadTopologyFile(entry.path().string(), *fs, &diags, offline);
    ASSERT_TRUE(t) << diags.ToString();
    for (const Diagnostic& d : diags.items()) {
      EXPECT_NE(d.summary.find("is not set"), std::string::npos) << d.ToString();
    }
    auto g = graph::Expand(*t, &diags);
    ASSERT_TRUE(g) << diags.ToString();
    EXPECT_FALSE(g->resources().empty()) << entry.path();
  }
  EXPECT_GE(seen, 1);
}

}  // namespace
}  // namespace crosslink
