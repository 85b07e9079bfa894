#include "engine/core/value.h"

#include <gtest/gtest.h>

namespace crosslink {
namespace {

TEST(ValueTest, ParsesValidJson) {
  auto v = ParseJson(R"({"a": [1, 2], "b": "x"})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)["a"][1], 2);
  EXPECT_EQ(DumpJson(*v), R"({"a":[1,2],"b":"x"})");
}

TEST(ValueTest, SyntaxErrorIsAStatusNotAnException) {
  auto v = ParseJson(R"({"a": )");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(v.status().message().find("invalid JSON at byte"), std::string::npos);
}

}  // namespace
}  // namespace crosslink
