#include "engine/core/status.h"

#include <gtest/gtest.h>

namespace crosslink {
namespace {

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(StatusTest, UnavailableIsRetryableAndSaysSo) {
  Status s = Status::Unavailable("connection refused");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.retryable());
  EXPECT_EQ(s.ToString(), "unavailable: connection refused (retryable)");
}

TEST(StatusTest, PermissionDeniedIsNotRetryable) {
  EXPECT_FALSE(Status::PermissionDenied("403").retryable());
}

TEST(StatusTest, WithContextPrefixesAndKeepsCode) {
  Status s = Status::NotFound("no such secret").WithContext("cluster logs");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "cluster logs: no such secret");
  EXPECT_TRUE(Status::Ok().WithContext("x").ok());
}

Result<int> Half(int x) {
  if (x % 2) return Status::InvalidArgument("odd");
  return x / 2;
}

Status UseHalf(int x, int* out) {
  auto r = Half(x);
  CROSSLINK_RETURN_IF_ERROR(r.status());
  *out = *r;
  return Status::Ok();
}

TEST(StatusTest, ResultCarriesValueOrStatus) {
  int v = 0;
  EXPECT_TRUE(UseHalf(8, &v).ok());
  EXPECT_EQ(v, 4);
  Status s = UseHalf(3, &v);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(v, 4);
}

}  // namespace
}  // namespace crosslink
