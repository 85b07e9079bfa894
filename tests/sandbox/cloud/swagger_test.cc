// The Cloud API contract: loading, routing and request checking.

#include "sandbox/cloud/swagger.h"

#include <gtest/gtest.h>

#include "tests/sandbox/cloud/cloud_test_util.h"

namespace crosslink::sandbox::cloud {
namespace {

using testing::EceSwagger;
using testing::EchSwagger;
using testing::Request;

TEST(SwaggerTest, MissingContractIsAClearError) {
  auto r = Swagger::Load("/nonexistent/cloud-api/apidocs.json", "Elastic Cloud Enterprise API");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/nonexistent/cloud-api/apidocs.json"), std::string::npos);
}

TEST(SwaggerTest, TheReversedFileNamesAreCaughtByTitle) {
  auto r = Swagger::Load(testing::ContractsDir() + "/cloud-api/apidocs.json", "Elastic Cloud API");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Elastic Cloud Enterprise API"), std::string::npos);
}

TEST(SwaggerTest, LiteralSegmentsWinOverParameters) {
  bool exists = false;
  auto m = EchSwagger()->Find("GET", "/deployments/traffic-filter/rulesets", &exists);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->operation->operation_id, "get-traffic-filter-rulesets");
  m = EchSwagger()->Find("GET", "/deployments/abc/elasticsearch/main-elasticsearch/keystore", &exists);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->operation->operation_id, "get-deployment-es-resource-keystore");
  EXPECT_EQ(m->path_params.at("deployment_id"), "abc");
  EXPECT_EQ(m->path_params.at("ref_id"), "main-elasticsearch");
}

TEST(SwaggerTest, UnknownPathAndWrongMethodAreTold) {
  bool exists = true;
  EXPECT_FALSE(EchSwagger()->Find("GET", "/no/such/path", &exists));
  EXPECT_FALSE(exists);
  EXPECT_FALSE(EchSwagger()->Find("PATCH", "/deployments/abc", &exists));
  EXPECT_TRUE(exists);
}

TEST(SwaggerTest, PlatformOperationsExistOnlyInEce) {
  bool exists = false;
  EXPECT_FALSE(EchSwagger()->Find("GET", "/platform/configuration/security/tls/proxy", &exists));
  EXPECT_TRUE(EceSwagger()->Find("GET", "/platform/configuration/security/tls/proxy", &exists));
}

TEST(SwaggerTest, MissingRequiredBodyFieldIsNamed) {
  bool exists = false;
  auto m = EchSwagger()->Find("PUT", "/deployments/abc", &exists);
  ASSERT_TRUE(m);
  Value body;
  auto e = EchSwagger()->Validate(*m, Request("PUT", "/x", R"({"name":"x"})"), &body);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, 400);
  EXPECT_EQ(e->code, "root.invalid_json_request");
  EXPECT_EQ(e->fields, std::vector<std::string>{"prune_orphans"});
  EXPECT_NE(e->message.find("prune_orphans"), std::string::npos);
}

TEST(SwaggerTest, NestedEnumViolationNamesThePath) {
  bool exists = false;
  auto m = EchSwagger()->Find("PUT", "/deployments/abc", &exists);
  ASSERT_TRUE(m);
  Value body;
  std::string json = R"({"prune_orphans":false,"resources":{"elasticsearch":[{"ref_id":"main-elasticsearch",
    "region":"eu-west-1","plan":{"cluster_topology":[],"elasticsearch":{}},
    "settings":{"trust":{"direct":[{"name":"x","trust_all":false,"type":"bogus","certificates":[]}]}}}]}})";
  auto e = EchSwagger()->Validate(*m, Request("PUT", "/x", json), &body);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->fields.size(), 1u);
  EXPECT_EQ(e->fields[0], "resources.elasticsearch[0].settings.trust.direct[0].type");
}

TEST(SwaggerTest, TypeMismatchAndInvalidJsonAreRejected) {
  bool exists = false;
  auto m = EchSwagger()->Find("PUT", "/deployments/abc", &exists);
  Value body;
  auto e = EchSwagger()->Validate(*m, Request("PUT", "/x", R"({"prune_orphans":"yes"})"), &body);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->fields, std::vector<std::string>{"prune_orphans"});
  e = EchSwagger()->Validate(*m, Request("PUT", "/x", "{not json"), &body);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "root.invalid_json_request");
  e = EchSwagger()->Validate(*m, Request("PUT", "/x", ""), &body);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "The request body is required");
}

TEST(SwaggerTest, KeystoreValueIsFreeForm) {
  bool exists = false;
  auto m = EchSwagger()->Find("PATCH", "/deployments/abc/elasticsearch/main-elasticsearch/keystore", &exists);
  ASSERT_TRUE(m);
  Value body;
  EXPECT_FALSE(EchSwagger()->Validate(
      *m, Request("PATCH", "/x", R"({"secrets":{"a":{"value":"s"},"b":{"value":{"k":1}},"c":null}})"), &body));
  EXPECT_TRUE(body["secrets"].contains("a"));
  auto e = EchSwagger()->Validate(*m, Request("PATCH", "/x", R"({"secrets":{"a":{"as_file":"no"}}})"), &body);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->fields, std::vector<std::string>{"secrets.a.as_file"});
}

TEST(SwaggerTest, QueryParametersAreTyped) {
  bool exists = false;
  auto m = EchSwagger()->Find("GET", "/deployments/abc", &exists);
  Value body;
  auto e = EchSwagger()->Validate(*m, Request("GET", "/x?show_settings=maybe"), &body);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "root.invalid_data");
  EXPECT_EQ(e->fields, std::vector<std::string>{"show_settings"});
  EXPECT_FALSE(EchSwagger()->Validate(*m, Request("GET", "/x?show_settings=true&unknown=1"), &body));
  auto tls = EceSwagger()->Find("GET", "/platform/configuration/security/tls/nope", &exists);
  ASSERT_TRUE(tls);
  e = EceSwagger()->Validate(*tls, Request("GET", "/x"), &body);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->fields, std::vector<std::string>{"service_name"});
}

TEST(SwaggerTest, ErrorReplyHasTheCloudShape) {
  ApiError e;
  e.status = 400;
  e.code = "root.invalid_data";
  e.message = "bad";
  e.fields = {"a.b"};
  net::HttpResponse r = e.ToResponse();
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.headers["x-cloud-error-codes"], "root.invalid_data");
  Value v = testing::Body(r);
  EXPECT_EQ(v["errors"][0]["code"], "root.invalid_data");
  EXPECT_EQ(v["errors"][0]["fields"][0], "a.b");
}

}  // namespace
}  // namespace crosslink::sandbox::cloud
