// The Cloud API contract checker itself: it must accept what the contract
// allows and name what it does not, so that tests using it can fail.

#include "tests/providers/contracts/cloud_api_spec.h"

#include <gtest/gtest.h>

namespace crosslink::contracts {
namespace {

using providers::cloud::Flavor;

constexpr const char* kBase = "https://api.example.test/api/v1";
constexpr const char* kKey = "c2VjcmV0LWFwaS1rZXktdmFsdWU=";

http::Request Req(const std::string& method, const std::string& path,
                  const std::string& body = "") {
  http::Request r = http::Request::Json(method, std::string(kBase) + path, body);
  r.SetApiKey(Secret(kKey));
  return r;
}

std::string Problems(Flavor flavor, const http::Request& r, std::string* op = nullptr) {
  std::string out;
  for (const std::string& p : CheckCloudRequest(flavor, r, op)) out += p + "\n";
  return out;
}

// An inner client that answers 200 {} and counts.
class Answer : public http::HttpClient {
 public:
  explicit Answer(int* calls) : calls_(calls) {}
  Result<http::Response> Send(const http::Request&) override {
    ++*calls_;
    http::Response r;
    r.status = 200;
    r.body = "{}";
    return r;
  }

 private:
  int* calls_;
};

TEST(CloudApiSpecTest, ConformingRequestsPassOnBothFlavors) {
  for (Flavor f : {Flavor::kEch, Flavor::kEce}) {
    std::string op;
    EXPECT_EQ(
        Problems(
            f,
            Req("GET", "/deployments/abc?show_settings=true&show_plans=true&clear_transient=true"),
            &op),
        "");
    EXPECT_EQ(op, "get-deployment");
    EXPECT_EQ(Problems(f,
                       Req("PATCH", "/deployments/abc/elasticsearch/main-elasticsearch/keystore",
                           R"({"secrets":{"a.b":{"value":"v","as_file":false},"c":null}})"),
                       &op),
              "");
    EXPECT_EQ(op, "set-deployment-es-resource-keystore");
  }
  std::string op;
  EXPECT_EQ(
      Problems(
          Flavor::kEce,
          Req("GET",
              "/platform/configuration/trust-relationships?include_certificate=true&filter=local"),
          &op),
      "");
  EXPECT_EQ(op, "get-trust-relationships");
}

TEST(CloudApiSpecTest, NamesEveryKindOfViolation) {
  // Unknown query parameter (the real API would silently ignore it).
  EXPECT_NE(Problems(Flavor::kEch, Req("GET", "/deployments/abc?show_setting=true"))
                .find("unknown query parameter show_setting"),
            std::string::npos);
  // Wrong type of a query parameter.
  EXPECT_NE(Problems(Flavor::kEch, Req("GET", "/deployments/abc?show_settings=yes"))
                .find("show_settings"),
            std::string::npos);
  // ECE-only operation on ECH.
  EXPECT_NE(Problems(Flavor::kEch, Req("GET", "/platform/configuration/security/tls/proxy"))
                .find("no such path"),
            std::string::npos);
  // A method the path does not have.
  EXPECT_NE(Problems(Flavor::kEch, Req("POST", "/deployments/abc/certificate-authority"))
                .find("no POST operation"),
            std::string::npos);
  // Body schema: prune_orphans is required.
  EXPECT_NE(Problems(Flavor::kEch, Req("PUT", "/deployments/abc", R"({"resources":{}})"))
                .find("prune_orphans"),
            std::string::npos);
  // Enum in the body.
  EXPECT_NE(
      Problems(
          Flavor::kEce,
          Req("PUT", "/deployments/abc",
              R"({"prune_orphans":false,"resources":{"elasticsearch":[{"ref_id":"m","region":"r","plan":{"cluster_topology":[]},"settings":{"trust":{"direct":[{"name":"n","type":"bogus","trust_all":false,"certificates":[{"pem":"x"}]}]}}}]}})"))
          .find("enum"),
      std::string::npos);
  // A body where none is taken.
  EXPECT_NE(
      Problems(Flavor::kEch, Req("GET", "/deployments/abc", "{}")).find("takes no request body"),
      std::string::npos);
  // Outside the base path.
  http::Request outside =
      http::Request::Json("GET", "https://api.example.test/deployments/abc", "");
  outside.SetApiKey(Secret(kKey));
  EXPECT_NE(Problems(Flavor::kEch, outside).find("basePath"), std::string::npos);
  // No ApiKey authorization.
  http::Request basic = Req("GET", "/deployments/abc");
  basic.SetBasicAuth("elastic", Secret("password1"));
  EXPECT_NE(Problems(Flavor::kEch, basic).find("ApiKey"), std::string::npos);
}

TEST(CloudApiSpecTest, ClientRecordsAndForwardsWithoutSecrets) {
  int calls = 0;
  auto log = std::make_shared<CloudContractLog>();
  auto client = NewCloudContractClient(Flavor::kEch, std::make_unique<Answer>(&calls), log);
  const std::string secret_value = "keystore-secret-value-123";
  // Conforming.
  ASSERT_TRUE(client->Send(Req("GET", "/deployments/abc/elasticsearch/main/keystore")).ok());
  // Violating, with a secret in the body: type error on secrets.
  ASSERT_TRUE(client
                  ->Send(Req("PATCH", "/deployments/abc/elasticsearch/main/keystore",
                             R"({"secrets":")" + secret_value + R"("})"))
                  .ok());
  ASSERT_TRUE(
      client->Send(Req("GET", "/deployments/abc/elasticsearch/main/keystore?x=)" + secret_value))
          .ok());
  EXPECT_EQ(calls, 3);  // forwarded even when violating
  EXPECT_EQ(log->checked(), 3u);
  EXPECT_EQ(log->operations(), std::set<std::string>{"get-deployment-es-resource-keystore"});
  std::vector<CloudContractViolation> v = log->violations();
  ASSERT_EQ(v.size(), 2u) << log->Summary();
  EXPECT_EQ(v[0].method, "PATCH");
  EXPECT_EQ(v[0].path, "/api/v1/deployments/abc/elasticsearch/main/keystore");
  EXPECT_NE(v[0].reason.find("secrets"), std::string::npos) << v[0].reason;
  EXPECT_EQ(log->Summary().find(secret_value), std::string::npos) << log->Summary();
  EXPECT_EQ(log->Summary().find(kKey), std::string::npos);
  log->Clear();
  EXPECT_EQ(log->checked(), 0u);
  EXPECT_TRUE(log->violations().empty());
}

}  // namespace
}  // namespace crosslink::contracts
