// Operator logs in the state tests follow CROSSLINK_LOG like the CLI does
// (ctest sets it to "off"; run the binary by hand to see them at "warn").
#include <gtest/gtest.h>

#include "engine/core/logging.h"

namespace {

class QuietLogs : public ::testing::Environment {
 public:
  void SetUp() override { ASSERT_TRUE(crosslink::ConfigureLogging("", "").ok()); }
};

const auto* const kQuietLogs = ::testing::AddGlobalTestEnvironment(new QuietLogs);

}  // namespace
