// Cross-cluster and REST API keys: create, update, get, invalidate.

#include <algorithm>

#include "tests/sandbox/es/es_test_util.h"

namespace crosslink::sandbox::es::testing {
namespace {

using ApiKeysTest = TwinTest;

std::string Str(const Value& v) { return v.get<std::string>(); }

TEST_F(ApiKeysTest, CreateCrossClusterKeyReturnsSecretOnce) {
  auto r = Call("POST", "/_security/cross_cluster/api_key", R"({
    "name": "rc-local-logs", "expiration": "1d",
    "access": {"search": [{"names": ["logs-*"]}], "replication": [{"names": "archive-*"}]},
    "metadata": {"managed-by": "crosslink"}})");
  ASSERT_EQ(r.status, 200) << r.body;
  Value v = Body(r);
  EXPECT_EQ(Str(v["id"]).size(), 20u);
  EXPECT_EQ(v["name"], "rc-local-logs");
  EXPECT_EQ(Str(v["encoded"]), B64(Str(v["id"]) + ":" + Str(v["api_key"])));
  EXPECT_EQ(v["expiration"].get<int64_t>(), 1767225600000 + 86400000);
  // Reading back never shows the secret, and shows what ES derives from access.
  auto got = Call("GET", "/_security/api_key?id=" + Str(v["id"]));
  EXPECT_EQ(got.body.find(Str(v["api_key"])), std::string::npos);
  Value key = Body(got)["api_keys"][0];
  EXPECT_EQ(key["type"], "cross_cluster");
  EXPECT_EQ(key["creation"], 1767225600000);
  EXPECT_EQ(key["invalidated"], false);
  EXPECT_EQ(key["username"], "elastic");
  EXPECT_EQ(key["realm"], "reserved");
  EXPECT_EQ(key["metadata"]["managed-by"], "crosslink");
  EXPECT_EQ(key["access"], Value::parse(R"({"search":[{"names":["logs-*"],"allow_restricted_indices":false}],
      "replication":[{"names":["archive-*"],"allow_restricted_indices":false}]})"));
  Value role = key["role_descriptors"]["cross_cluster"];
  EXPECT_EQ(role["cluster"], Value::parse(R"(["cross_cluster_search","monitor_enrich","cross_cluster_replication"])"));
  EXPECT_EQ(role["indices"][0]["privileges"], Value::parse(R"(["read","read_cross_cluster","view_index_metadata"])"));
  EXPECT_EQ(role["indices"][1]["privileges"],
            Value::parse(R"(["cross_cluster_replication","cross_cluster_replication_internal"])"));
  EXPECT_EQ(twin_->Inspect().dump().find(Str(v["api_key"])), std::string::npos);
}

TEST_F(ApiKeysTest, CrossClusterKeyCannotBeCreatedWithAnApiKey) {
  Value rest = CreateRestKey("admin-key");
  auto r = Call("POST", "/_security/cross_cluster/api_key", R"({"name":"x","access":{"search":[{"names":["a"]}]}})",
                "ApiKey " + Str(rest["encoded"]));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorType(Body(r)), "illegal_argument_exception");
  EXPECT_EQ(ErrorReason(Body(r)),
            "authentication via API key not supported: An API key cannot be used to create a cross-cluster API key");
}

TEST_F(ApiKeysTest, CreateValidatesTheBody) {
  struct Case {
    std::string body;
    std::string reason;
  } cases[] = {
      {R"({"name":"k"})", "Required [access]"},
      {R"({"access":{"search":[{"names":["a"]}]}})", "Required [name]"},
      {R"({"name":"k","access":null})", "access doesn't support values of type: VALUE_NULL"},
      {R"({"name":"k","access":{}})", "must specify non-empty access for either [search] or [replication]"},
      {R"({"name":"k","access":{"search":[],"replication":[]}})",
       "must specify non-empty access for either [search] or [replication]"},
      {R"({"name":"k","access":{"search":[{"privileges":["read"]}]}})",
       "failed to parse indices privileges for role [cross_cluster]. unexpected field [privileges]"},
      {R"({"name":"k","access":{"search":[{}]}})",
       "failed to parse indices privileges for role [cross_cluster]. missing required [names] field"},
      {R"({"name":"k","access":{"replication":[{"names":["a"],"query":{"term":{"a":1}}}]}})",
       "replication does not support document or field level security"},
      {R"({"name":"k","access":{"search":[{"names":["a"],"query":{"match_all":{}}}],"replication":[{"names":["b"]}]}})",
       "search does not support document or field level security if replication is assigned"},
      {R"({"name":"k","access":{"search":[{"names":["a"]}]},"metadata":{"_x":1}})",
       "Validation Failed: 1: API key metadata keys may not start with [_];"},
      {R"({"name":"k","access":{"search":[{"names":["a"]}]},"bogus":1})",
       "[cross_cluster_api_key_request] unknown field [bogus]"},
      {R"({"name":"k","access":{"search":[{"names":["a"]}]},"certificate_identity":"CN=x"})",
       "[cross_cluster_api_key_request] unknown field [certificate_identity]"},
      {R"({"name":"k","access":{"search":[{"names":["a"]}]},"expiration":"10years"})",
       "failed to parse setting [expiration] with value [10years] as a time value: unit is missing or unrecognized"},
      {R"({"name":"_k","access":{"search":[{"names":["a"]}]}})",
       "Validation Failed: 1: api key name may not begin with an underscore;"},
  };
  for (const auto& c : cases) {
    auto r = Call("POST", "/_security/cross_cluster/api_key", c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_EQ(ErrorReason(Body(r)), c.reason) << c.body;
  }
  EXPECT_EQ(ErrorReason(Body(Call("POST", "/_security/cross_cluster/api_key"))), "request body is required");
  EXPECT_TRUE(Body(Call("GET", "/_security/api_key"))["api_keys"].empty());
}

TEST_F(ApiKeysTest, CertificateIdentityExistsFrom93) {
  auto twin = Make(Options("new", "9.3.0"));
  auto r = Call("POST", "/_security/cross_cluster/api_key",
                R"({"name":"k","access":{"search":[{"names":["a"]}]},"certificate_identity":"CN=.*"})",
                BasicAuth("elastic", "changeme"), twin.get());
  ASSERT_EQ(r.status, 200) << r.body;
  Value key = Body(Call("GET", "/_security/api_key", "", BasicAuth("elastic", "changeme"), twin.get()))["api_keys"][0];
  EXPECT_EQ(key["certificate_identity"], "CN=.*");
}

TEST_F(ApiKeysTest, OldVersionsHaveNoCrossClusterKeys) {
  auto twin = Make(Options("old", "8.9.2"));
  auto r = Call("POST", "/_security/cross_cluster/api_key", R"({"name":"k","access":{"search":[{"names":["a"]}]}})",
                BasicAuth("elastic", "changeme"), twin.get());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"], "no handler found for uri [/_security/cross_cluster/api_key] and method [POST]");
  r = Call("GET", "/_security/api_key?active_only=true", "", BasicAuth("elastic", "changeme"), twin.get());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorReason(Body(r)), "request [/_security/api_key] contains unrecognized parameter: [active_only]");
}

TEST_F(ApiKeysTest, LicenseMustAllowAdvancedRemoteClusterSecurity) {
  auto options = Options("basic");
  options.license = "basic";
  auto twin = Make(options);
  auto r = Call("POST", "/_security/cross_cluster/api_key", R"({"name":"k","access":{"search":[{"names":["a"]}]}})",
                BasicAuth("elastic", "changeme"), twin.get());
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ErrorReason(Body(r)), "current license is non-compliant for [advanced-remote-cluster-security]");
}

TEST_F(ApiKeysTest, UpdateReplacesAccessAndMetadata) {
  Value created = CreateCcKey("rc", R"(,"metadata":{"v":1})");
  std::string path = "/_security/cross_cluster/api_key/" + Str(created["id"]);
  auto r = Call("PUT", path, R"({"access":{"replication":[{"names":["b-*"]}]},"metadata":{"v":2}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r), Value::parse(R"({"updated":true})"));
  Value key = Body(Call("GET", "/_security/api_key?id=" + Str(created["id"])))["api_keys"][0];
  EXPECT_EQ(key["access"], Value::parse(R"({"replication":[{"names":["b-*"],"allow_restricted_indices":false}]})"));
  EXPECT_EQ(key["metadata"], Value::parse(R"({"v":2})"));
  EXPECT_EQ(key["role_descriptors"]["cross_cluster"]["cluster"], Value::array({"cross_cluster_replication"}));
  // Same content again: nothing changes.
  r = Call("PUT", path, R"({"access":{"replication":[{"names":["b-*"]}]},"metadata":{"v":2}})");
  EXPECT_EQ(Body(r), Value::parse(R"({"updated":false})"));
  // The encoded credential is unchanged and still authenticates on the RCS.
  r = Call("PUT", path, R"({"expiration":"30d"})");
  EXPECT_EQ(Body(r)["updated"], true);
}

TEST_F(ApiKeysTest, UpdateErrors) {
  Value created = CreateCcKey("rc");
  std::string id = Str(created["id"]);
  std::string path = "/_security/cross_cluster/api_key/" + id;
  auto r = Call("PUT", path, "{}");
  EXPECT_EQ(ErrorReason(Body(r)),
            "Validation Failed: 1: must update either [access] or [metadata] for cross-cluster API keys;");
  r = Call("PUT", path, R"({"access":{}})");
  EXPECT_EQ(ErrorReason(Body(r)), "must specify non-empty access for either [search] or [replication]");
  EXPECT_EQ(ErrorReason(Body(Call("PUT", path))), "request body is required");
  // Another user is not the owner.
  r = Call("PUT", path, R"({"metadata":{}})", BasicAuth("admin2", "s3cret-2"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorType(Body(r)), "resource_not_found_exception");
  EXPECT_EQ(ErrorReason(Body(r)), "no API key owned by requesting user found for ID [" + id + "]");
  // API-key authentication is refused.
  Value rest = CreateRestKey("rest");
  r = Call("PUT", path, R"({"metadata":{}})", "ApiKey " + Str(rest["encoded"]));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorReason(Body(r)), "authentication via API key not supported: only the owner user can update an API key");
  // A REST key through the cross-cluster API.
  r = Call("PUT", "/_security/cross_cluster/api_key/" + Str(rest["id"]), R"({"metadata":{}})");
  EXPECT_EQ(ErrorReason(Body(r)), "cannot update API key of type [rest] while expected type is [cross_cluster]");
  // Expired and invalidated keys.
  Value short_lived = CreateCcKey("short", R"(,"expiration":"1m")");
  clock_.Advance(std::chrono::minutes(2));
  r = Call("PUT", "/_security/cross_cluster/api_key/" + Str(short_lived["id"]), R"({"metadata":{"a":1}})");
  EXPECT_EQ(ErrorReason(Body(r)), "cannot update expired API key [" + Str(short_lived["id"]) + "]");
  Call("DELETE", "/_security/api_key", R"({"ids":[")" + id + R"("]})");
  r = Call("PUT", path, R"({"metadata":{"a":1}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorReason(Body(r)), "cannot update invalidated API key [" + id + "]");
}

TEST_F(ApiKeysTest, GetFiltersByNameUserAndActivity) {
  Value a = CreateCcKey("rc-local1-logs");
  Value b = CreateCcKey("rc-local1-metrics");
  Value c = CreateCcKey("other");
  Call("POST", "/_security/cross_cluster/api_key", R"({"name":"by-admin2","access":{"search":[{"names":["a"]}]}})",
       BasicAuth("admin2", "s3cret-2"));
  auto names = [&](const std::string& query, const std::string& auth = BasicAuth("elastic", "changeme")) {
    std::vector<std::string> out;
    Value body = Body(Call("GET", "/_security/api_key" + query, "", auth));
    for (const auto& k : body["api_keys"]) {
      out.push_back(Str(k["name"]));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(names("?name=rc-local1-*"), (std::vector<std::string>{"rc-local1-logs", "rc-local1-metrics"}));
  EXPECT_EQ(names("?name=*-logs"), (std::vector<std::string>{"rc-local1-logs"}));
  EXPECT_EQ(names("?name=missing"), std::vector<std::string>{});
  EXPECT_EQ(names("?username=admin2"), (std::vector<std::string>{"by-admin2"}));
  EXPECT_EQ(names("?owner=true", BasicAuth("admin2", "s3cret-2")), (std::vector<std::string>{"by-admin2"}));
  EXPECT_EQ(names("?realm_name=default_native"), (std::vector<std::string>{"by-admin2"}));
  Call("DELETE", "/_security/api_key", R"({"name":"other"})");
  EXPECT_EQ(names("?active_only=true&name=other"), std::vector<std::string>{});
  EXPECT_EQ(names("?name=other"), std::vector<std::string>{"other"});
  auto r = Call("GET", "/_security/api_key?id=x&name=y");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorReason(Body(r)), "Validation Failed: 1: only one of [api key id, api key name] can be specified;");
}

TEST_F(ApiKeysTest, InvalidateByIdsOrName) {
  Value a = CreateCcKey("a");
  Value b = CreateCcKey("b");
  auto r = Call("DELETE", "/_security/api_key", R"({"ids":[")" + Str(a["id"]) + R"("]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r), (Value{{"invalidated_api_keys", {a["id"]}},
                            {"previously_invalidated_api_keys", Value::array()},
                            {"error_count", 0}}));
  r = Call("DELETE", "/_security/api_key", R"({"ids":[")" + Str(a["id"]) + R"(",")" + Str(b["id"]) + R"("]})");
  EXPECT_EQ(Body(r)["invalidated_api_keys"], Value::array({b["id"]}));
  EXPECT_EQ(Body(r)["previously_invalidated_api_keys"], Value::array({a["id"]}));
  Value key = Body(Call("GET", "/_security/api_key?id=" + Str(a["id"])))["api_keys"][0];
  EXPECT_EQ(key["invalidated"], true);
  EXPECT_EQ(key["invalidation"], 1767225600000);
  // Invalidated keys are purged after the 7 day retention period.
  clock_.Advance(std::chrono::hours(24 * 8));
  EXPECT_TRUE(Body(Call("GET", "/_security/api_key"))["api_keys"].empty());
}

TEST_F(ApiKeysTest, InvalidateValidation) {
  auto r = Call("DELETE", "/_security/api_key", R"({"ids":["a"],"name":"b"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorReason(Body(r)), "Validation Failed: 1: only one of [api key id(s), api key name] can be specified;");
  r = Call("DELETE", "/_security/api_key", "{}");
  EXPECT_EQ(ErrorType(Body(r)), "action_request_validation_exception");
  r = Call("DELETE", "/_security/api_key", R"({"ids":["nope"]})");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(Body(r)["invalidated_api_keys"].empty());
}

TEST_F(ApiKeysTest, RestKeyCreationValidates) {
  auto r = Call("POST", "/_security/api_key", R"({"expiration":"1d"})");
  EXPECT_EQ(ErrorReason(Body(r)), "Validation Failed: 1: api key name is required;");
  r = Call("POST", "/_security/api_key", R"({"name":"n","role_descriptors":{"r":{"cluster":["all"]}}})");
  ASSERT_EQ(r.status, 200);
  Value key = Body(Call("GET", "/_security/api_key?name=n&with_limited_by=true"))["api_keys"][0];
  EXPECT_EQ(key["type"], "rest");
  EXPECT_EQ(key["role_descriptors"]["r"]["cluster"], Value::array({"all"}));
  EXPECT_TRUE(key["limited_by"].is_array());
}

}  // namespace
}  // namespace crosslink::sandbox::es::testing
