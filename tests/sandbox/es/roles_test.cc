// PUT/POST/GET/DELETE /_security/role.

#include "tests/sandbox/es/es_test_util.h"

namespace crosslink::sandbox::es::testing {
namespace {

using RolesTest = TwinTest;

constexpr const char* kRemoteSearch = R"({"remote_indices":[{"clusters":["logs"],"names":["target-*"],
    "privileges":["read","read_cross_cluster","view_index_metadata"]}],
    "remote_cluster":[{"clusters":["logs"],"privileges":["monitor_enrich"]}]})";

TEST_F(RolesTest, PutGetDelete) {
  auto r = Call("PUT", "/_security/role/remote-search", kRemoteSearch);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r), Value::parse(R"({"role":{"created":true}})"));
  r = Call("POST", "/_security/role/remote-search", kRemoteSearch);
  EXPECT_EQ(Body(r), Value::parse(R"({"role":{"created":false}})"));
  Value v = Body(Call("GET", "/_security/role/remote-search"));
  Value role = v["remote-search"];
  EXPECT_EQ(role["remote_indices"][0]["clusters"], Value::array({"logs"}));
  EXPECT_EQ(role["remote_indices"][0]["allow_restricted_indices"], false);
  EXPECT_EQ(role["remote_cluster"][0]["privileges"], Value::array({"monitor_enrich"}));
  EXPECT_EQ(role["cluster"], Value::array());
  EXPECT_TRUE(Body(Call("GET", "/_security/role")).contains("superuser"));
  EXPECT_TRUE(Body(Call("GET", "/_security/role/remote-*")).contains("remote-search"));
  EXPECT_EQ(Body(Call("DELETE", "/_security/role/remote-search")), Value::parse(R"({"found":true})"));
  r = Call("DELETE", "/_security/role/remote-search");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Body(r), Value::parse(R"({"found":false})"));
  r = Call("GET", "/_security/role/remote-search");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Body(r), Value::object());
}

TEST_F(RolesTest, Validation) {
  struct Case {
    std::string name, body, reason;
  } cases[] = {
      {"r", R"({"bogus":[]})", "failed to parse role [r]. unexpected field [bogus]"},
      {"r", R"({"cluster":["fly"]})", "unknown cluster privilege [fly]."},
      {"r", R"({"indices":[{"names":["a"],"privileges":["teleport"]}]})", "unknown index privilege [teleport]."},
      {"r", R"({"indices":[{"privileges":["read"]}]})",
       "failed to parse indices privileges for role [r]. missing required [names] field"},
      {"r", R"({"remote_indices":[{"names":["a"],"privileges":["read"]}]})",
       "failed to parse remote indices privileges for role [r]. missing required [clusters] field"},
      {"r", R"({"remote_cluster":[{"clusters":["a"],"privileges":["monitor_stats"]}]})",
       "Invalid remote_cluster permissions found. Please remove the following: [monitor_stats] Only [monitor_enrich] "
       "are allowed"},
      {"superuser", R"({})", "Validation Failed: 1: Role [superuser] is reserved and may not be used.;"},
  };
  for (const auto& c : cases) {
    auto r = Call("PUT", "/_security/role/" + c.name, c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_EQ(ErrorReason(Body(r)).rfind(c.reason, 0), 0u) << ErrorReason(Body(r));
  }
  EXPECT_EQ(ErrorReason(Body(Call("DELETE", "/_security/role/superuser"))),
            "role [superuser] is reserved and cannot be deleted");
  // cluster action patterns are allowed.
  EXPECT_EQ(Call("PUT", "/_security/role/p", R"({"cluster":["cluster:monitor/main"],"indices":[{"names":"x","privileges":["indices:admin/get"]}]})").status, 200);
}

TEST_F(RolesTest, RemoteFieldsAreVersionGated) {
  auto old = Make(Options("old", "8.13.4"));
  auto r = Call("PUT", "/_security/role/r", R"({"remote_indices":[{"clusters":["a"],"names":["b"],"privileges":["read"]}]})",
                BasicAuth("elastic", "changeme"), old.get());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorReason(Body(r)), "failed to parse role [r]. unexpected field [remote_indices]");
  auto v814 = Make(Options("mid", "8.14.3"));
  r = Call("PUT", "/_security/role/r", R"({"remote_cluster":[{"clusters":["a"],"privileges":["monitor_enrich"]}]})",
           BasicAuth("elastic", "changeme"), v814.get());
  EXPECT_EQ(ErrorReason(Body(r)), "failed to parse role [r]. unexpected field [remote_cluster]");
  auto v817 = Make(Options("new", "8.17.0"));
  r = Call("PUT", "/_security/role/r", R"({"remote_cluster":[{"clusters":["a"],"privileges":["monitor_stats"]}]})",
           BasicAuth("elastic", "changeme"), v817.get());
  EXPECT_EQ(r.status, 200) << r.body;
}

}  // namespace
}  // namespace crosslink::sandbox::es::testing
