// GET/PUT /_cluster/settings.

#include "tests/sandbox/es/es_test_util.h"

namespace crosslink::sandbox::es::testing {
namespace {

using SettingsTest = TwinTest;

constexpr const char* kProxy = R"({"persistent":{"cluster":{"remote":{"logs":{
    "mode":"proxy","proxy_address":"abc.found.io:9443","server_name":"abc.found.io",
    "skip_unavailable":true,"proxy_socket_connections":18}}}}})";

TEST_F(SettingsTest, PutNestedReadFlatStrings) {
  auto r = Call("PUT", "/_cluster/settings", kProxy);
  ASSERT_EQ(r.status, 200) << r.body;
  Value v = Body(r);
  EXPECT_EQ(v["acknowledged"], true);
  EXPECT_EQ(v["persistent"]["cluster"]["remote"]["logs"]["mode"], "proxy");
  EXPECT_EQ(v["persistent"]["cluster"]["remote"]["logs"]["skip_unavailable"], "true");
  v = Body(Call("GET", "/_cluster/settings?filter_path=persistent.cluster.remote&flat_settings=true"));
  EXPECT_EQ(v, Value::parse(R"({"persistent":{
      "cluster.remote.logs.mode":"proxy",
      "cluster.remote.logs.proxy_address":"abc.found.io:9443",
      "cluster.remote.logs.proxy_socket_connections":"18",
      "cluster.remote.logs.server_name":"abc.found.io",
      "cluster.remote.logs.skip_unavailable":"true"}})"));
  v = Body(Call("GET", "/_cluster/settings"));
  EXPECT_EQ(v["persistent"]["cluster"]["remote"]["logs"]["proxy_address"], "abc.found.io:9443");
  EXPECT_EQ(v["transient"], Value::object());
}

TEST_F(SettingsTest, MalformedNumbersAndPortsAreRejectedNotThrown) {
  for (const char* bad : {R"("-")", R"("--5")", R"("1-2")", R"("")"}) {
    auto r = Call("PUT", "/_cluster/settings",
                  std::string(R"({"persistent":{"cluster.remote.logs.mode":"proxy","cluster.remote.logs.proxy_address":"h:9443",)"
                              R"("cluster.remote.logs.proxy_socket_connections":)") + bad + "}}");
    EXPECT_EQ(r.status, 400) << bad << " " << r.body;
  }
  auto r = Call("PUT", "/_cluster/settings",
                R"({"persistent":{"cluster.remote.logs.mode":"proxy","cluster.remote.logs.proxy_address":"[::1]:"}})");
  EXPECT_EQ(r.status, 400) << r.body;
}

TEST_F(SettingsTest, NullRemovesAndWildcardNullRemovesAll) {
  ASSERT_EQ(Call("PUT", "/_cluster/settings", kProxy).status, 200);
  auto r = Call("PUT", "/_cluster/settings", R"({"persistent":{"cluster.remote.logs.skip_unavailable":null}})");
  ASSERT_EQ(r.status, 200) << r.body;
  Value v = Body(Call("GET", "/_cluster/settings?flat_settings=true"));
  EXPECT_FALSE(v["persistent"].contains("cluster.remote.logs.skip_unavailable"));
  EXPECT_TRUE(v["persistent"].contains("cluster.remote.logs.mode"));
  r = Call("PUT", "/_cluster/settings", R"({"persistent":{"cluster.remote.logs.*":null}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(Call("GET", "/_cluster/settings"))["persistent"], Value::object());
}

TEST_F(SettingsTest, ModeSpecificKeysFollowTheMode) {
  ASSERT_EQ(Call("PUT", "/_cluster/settings", kProxy).status, 200);
  auto r = Call("PUT", "/_cluster/settings", R"({"persistent":{"cluster.remote.logs.seeds":["h:9300"]}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorReason(Body(r)),
            "Setting \"cluster.remote.logs.seeds\" cannot be used with the configured \"cluster.remote.logs.mode\" "
            "[required=SNIFF, configured=PROXY]");
  // Switching modes works when the other mode's keys are nulled in the same request.
  r = Call("PUT", "/_cluster/settings", R"({"persistent":{"cluster":{"remote":{"logs":{
      "mode":"sniff","seeds":["h:9300"],"proxy_address":null,"server_name":null,"proxy_socket_connections":null}}}}})");
  EXPECT_EQ(r.status, 200) << r.body;
  // Sniff is the default mode.
  r = Call("PUT", "/_cluster/settings", R"({"persistent":{"cluster.remote.other.proxy_address":"h:9443"}})");
  EXPECT_NE(ErrorReason(Body(r)).find("[required=PROXY, configured=SNIFF]"), std::string::npos);
}

TEST_F(SettingsTest, ValidationErrors) {
  struct Case {
    std::string body, reason;
  } cases[] = {
      {R"({"persistent":{"cluster.remote.logs.bogus":"1"}})", "persistent setting [cluster.remote.logs.bogus], not recognized"},
      {R"({"transient":{"some.thing":"1"}})", "transient setting [some.thing], not recognized"},
      {R"({"persistent":{"cluster.remote.a b.mode":"proxy"}})", "persistent setting [cluster.remote.a b.mode], not recognized"},
      {R"({"persistent":{"cluster.remote.initial_connect_timeout":"10s"}})",
       "persistent setting [cluster.remote.initial_connect_timeout], not dynamically updateable"},
      {R"({"persistent":{"cluster.remote.logs.mode":"tunnel"}})",
       "illegal value can't update [cluster.remote.logs.mode] from [null] to [tunnel]"},
      {R"({"persistent":{"cluster.remote.logs.skip_unavailable":"maybe"}})",
       "illegal value can't update [cluster.remote.logs.skip_unavailable] from [null] to [maybe]"},
      {R"({"persistent":{"cluster.remote.logs.seeds":["nohost"]}})",
       "illegal value can't update [cluster.remote.logs.seeds] from [null] to [[\"nohost\"]]"},
  };
  for (const auto& c : cases) {
    auto r = Call("PUT", "/_cluster/settings", c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_EQ(ErrorReason(Body(r)), c.reason) << c.body;
  }
  Value v = Body(Call("PUT", "/_cluster/settings", R"({"persistent":{"cluster.remote.logs.skip_unavailable":"maybe"}})"));
  EXPECT_EQ(v["error"]["caused_by"]["reason"], "Failed to parse value [maybe] as only [true] or [false] are allowed.");
  v = Body(Call("PUT", "/_cluster/settings", R"({"persistent":{"cluster.remote.logs.mode":"proxy","cluster.remote.logs.proxy_address":"[::1]:9443","cluster.remote.logs.proxy_socket_connections":"0"}})"));
  EXPECT_EQ(v["error"]["caused_by"]["reason"],
            "Failed to parse value [0] for setting [cluster.remote.logs.proxy_socket_connections] must be >= 1");
  EXPECT_EQ(ErrorReason(Body(Call("PUT", "/_cluster/settings", "{}"))), "Validation Failed: 1: no settings to update;");
  EXPECT_EQ(Body(Call("GET", "/_cluster/settings"))["persistent"], Value::object());  // nothing half-applied
}

TEST_F(SettingsTest, TransientOverridesPersistentAndStatic) {
  NodeConfig config;
  config.static_settings["cluster.remote.logs.seeds"] = "static:9300";
  config.static_settings["cluster.remote.initial_connect_timeout"] = "45s";
  twin_->Restart(config);
  auto r = Call("PUT", "/_cluster/settings",
                R"({"persistent":{"cluster.remote.logs.skip_unavailable":"false"},
                    "transient":{"cluster.remote.logs.skip_unavailable":"true"}})");
  ASSERT_EQ(r.status, 200) << r.body;
  Value info = Body(Call("GET", "/_remote/info"));
  EXPECT_EQ(info["logs"]["seeds"], Value::array({"static:9300"}));
  EXPECT_EQ(info["logs"]["skip_unavailable"], true);
  EXPECT_EQ(info["logs"]["initial_connect_timeout"], "45s");
  Value v = Body(Call("GET", "/_cluster/settings?include_defaults=true&flat_settings=true"));
  EXPECT_EQ(v["defaults"]["cluster.remote.logs.seeds"], "static:9300");
  EXPECT_EQ(v["transient"]["cluster.remote.logs.skip_unavailable"], "true");
}

TEST_F(SettingsTest, FilterPathWildcards) {
  ASSERT_EQ(Call("PUT", "/_cluster/settings", kProxy).status, 200);
  Value v = Body(Call("GET", "/_cluster/settings?filter_path=*.cluster.remote.*.mode"));
  EXPECT_EQ(v, Value::parse(R"({"persistent":{"cluster":{"remote":{"logs":{"mode":"proxy"}}}}})"));
  v = Body(Call("GET", "/_cluster/settings?filter_path=transient.cluster"));
  EXPECT_EQ(v, Value::object());
}

}  // namespace
}  // namespace crosslink::sandbox::es::testing
