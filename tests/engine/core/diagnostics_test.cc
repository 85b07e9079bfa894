#include "engine/core/diagnostics.h"

#include <gtest/gtest.h>

namespace crosslink {
namespace {

TEST(DiagnosticsTest, RendersLocationPathSummaryAndHint) {
  Diagnostics d;
  d.Error({"topology.yaml", 12, 9}, "connections[1].alias", "\"Logs\" is not a valid alias",
          "use lower-case letters, digits, '-' and '_' only");
  EXPECT_EQ(d.ToString(),
            "topology.yaml:12:9: error: connections[1].alias: \"Logs\" is not a valid alias\n"
            "  hint: use lower-case letters, digits, '-' and '_' only\n");
}

TEST(DiagnosticsTest, CountsErrorsAndWarningsSeparately) {
  Diagnostics d;
  d.Warning({"t.yaml", 1, 1}, "", "inline secret");
  EXPECT_FALSE(d.has_errors());
  d.Error({"t.yaml", 2, 0}, "x", "bad");
  Diagnostics other;
  other.Error({}, "", "worse");
  d.Append(other);
  EXPECT_EQ(d.error_count(), 2u);
  EXPECT_EQ(d.warning_count(), 1u);
  EXPECT_EQ(d.items()[1].ToString(), "t.yaml:2: error: x: bad\n");
  EXPECT_EQ(d.items()[2].ToString(), "error: worse\n");
}

}  // namespace
}  // namespace crosslink
