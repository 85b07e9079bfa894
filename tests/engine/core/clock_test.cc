#include "engine/core/clock.h"

#include <gtest/gtest.h>

namespace crosslink {
namespace {

TEST(FakeClockTest, SleepAdvancesWithoutWaiting) {
  FakeClock c;
  auto t0 = c.Now();
  c.Sleep(std::chrono::milliseconds(30000));
  EXPECT_EQ(c.Now() - t0, std::chrono::milliseconds(30000));
  EXPECT_EQ(c.elapsed(), std::chrono::milliseconds(30000));
}

TEST(FakeClockTest, WallTimeStartsAtAFixedEpoch) {
  FakeClock c;
  EXPECT_EQ(FormatUtc(c.WallNow()), "2026-01-01T00:00:00Z");
  c.Advance(std::chrono::milliseconds(61000));
  EXPECT_EQ(FormatUtc(c.WallNow()), "2026-01-01T00:01:01Z");
}

}  // namespace
}  // namespace crosslink
