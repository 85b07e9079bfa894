#include "engine/core/secret.h"

#include <gtest/gtest.h>

namespace crosslink {
namespace {

TEST(SecretTest, ExposeGivesTheValueAndPlaceholderHidesIt) {
  Secret s("c2VjcmV0LWtleS12YWx1ZQ==");
  EXPECT_EQ(s.expose(), "c2VjcmV0LWtleS12YWx1ZQ==");
  EXPECT_EQ(Secret::Placeholder(), "(sensitive)");
  EXPECT_FALSE(s.empty());
  EXPECT_TRUE(Secret().empty());
}

TEST(SecretTest, EqualityComparesValues) {
  EXPECT_EQ(Secret("abcdefgh"), Secret("abcdefgh"));
  EXPECT_NE(Secret("abcdefgh"), Secret("abcdefgi"));
  EXPECT_NE(Secret("abc"), Secret("abcd"));
}

TEST(RedactorTest, EverySecretBuiltIsRedactedFromText) {
  Secret key("VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw");
  std::string line = "sending credentials VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw to logs";
  EXPECT_EQ(Redactor::Redact(line), "sending credentials (sensitive) to logs");
}

TEST(RedactorTest, ShortValuesAreNotRedactedToKeepTextReadable) {
  Secret tiny("abc");
  EXPECT_EQ(Redactor::Redact("abc def"), "abc def");
}

TEST(RedactorTest, RepeatedOccurrencesAreAllRedacted) {
  Secret pw("hunter2hunter2");
  EXPECT_EQ(Redactor::Redact("hunter2hunter2/hunter2hunter2"), "(sensitive)/(sensitive)");
}

}  // namespace
}  // namespace crosslink
