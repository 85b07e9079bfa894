// The CRD structural schema, loaded from the contract as installed.
#include "sandbox/k8s/crd_schema.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace crosslink::sandbox::k8s {
namespace {

const std::string kContracts = CROSSLINK_CONTRACTS_DIR;

std::shared_ptr<const CrdSchema> Crd() {
  static std::shared_ptr<const CrdSchema> crd = [] {
    Result<CrdSchema> s = CrdSchema::LoadFile(kContracts + "/eck-elasticsearch-crd.yaml");
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return std::make_shared<const CrdSchema>(*s);
  }();
  return crd;
}

Value Es(const std::string& spec_json) {
  Value v = Value::parse(R"({"apiVersion":"elasticsearch.k8s.elastic.co/v1","kind":"Elasticsearch","metadata":{"name":"prod"}})");
  v["spec"] = Value::parse(spec_json);
  return v;
}

TEST(CrdSchemaTest, LoadsV1WithStatusSubresource) {
  EXPECT_EQ(Crd()->kind(), "Elasticsearch");
  EXPECT_EQ(Crd()->plural(), "elasticsearches");
  EXPECT_EQ(Crd()->group(), "elasticsearch.k8s.elastic.co");
  EXPECT_TRUE(Crd()->has_status_subresource());
}

TEST(CrdSchemaTest, MissingFileIsAClearError) {
  Result<CrdSchema> s = CrdSchema::LoadFile("/nonexistent/eck-elasticsearch-crd.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_NE(s.status().message().find("/nonexistent/eck-elasticsearch-crd.yaml"), std::string::npos);
}

TEST(CrdSchemaTest, UpstreamRecipeIsAccepted) {
  std::ifstream in(kContracts + "/eck-recipes-remoteclusters/elasticsearch.yaml");
  std::stringstream buf;
  buf << in.rdbuf();
  Result<std::vector<Value>> docs = ParseYamlDocuments(buf.str());
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  int checked = 0;
  for (Value doc : *docs) {
    if (doc.value("kind", "") != "Elasticsearch") continue;
    SchemaOutcome out = Crd()->Apply(&doc);
    EXPECT_TRUE(out.errors.empty()) << out.errors[0].ToString();
    EXPECT_TRUE(out.unknown_fields.empty());
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

TEST(CrdSchemaTest, WrongTypeIsReportedWithTheApiServersWords) {
  Value es = Es(R"({"version":"8.15.0","nodeSets":[{"name":"default","count":"three"}]})");
  SchemaOutcome out = Crd()->Apply(&es);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].ToString(),
            "spec.nodeSets[0].count: Invalid value: \"string\": spec.nodeSets[0].count in body must be of type integer: \"string\"");
  EXPECT_EQ(out.errors[0].reason, "FieldValueInvalid");
}

TEST(CrdSchemaTest, EveryViolationIsReported) {
  Value es = Es(R"({"nodeSets":[{"count":1}],"volumeClaimDeletePolicy":"Sometimes"})");
  SchemaOutcome out = Crd()->Apply(&es);
  std::vector<std::string> got;
  for (const auto& e : out.errors) got.push_back(e.ToString());
  EXPECT_NE(std::find(got.begin(), got.end(), "spec.nodeSets[0].name: Required value"), got.end());
  EXPECT_NE(std::find(got.begin(), got.end(), "spec.version: Required value"), got.end());
  EXPECT_NE(std::find(got.begin(), got.end(),
                      "spec.volumeClaimDeletePolicy: Unsupported value: \"Sometimes\": supported values: "
                      "\"DeleteOnScaledownOnly\", \"DeleteOnScaledownAndClusterDeletion\""),
            got.end());
}

TEST(CrdSchemaTest, PatternMaxLengthAndMinItems) {
  Value es = Es(R"({"version":"8.15.0","nodeSets":[{"name":"a_very_long_node_set_name_x","count":1}]})");
  SchemaOutcome out = Crd()->Apply(&es);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].ToString(), "spec.nodeSets[0].name: Too long: may not be more than 23 bytes");
  Value bad_pattern = Es(R"({"version":"8.15.0","nodeSets":[{"name":"__","count":1}]})");
  out = Crd()->Apply(&bad_pattern);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].detail, "Invalid value: \"__\": spec.nodeSets[0].name in body should match '[a-zA-Z0-9-]+'");
  Value empty = Es(R"({"version":"8.15.0","nodeSets":[]})");
  out = Crd()->Apply(&empty);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].ToString(), "spec.nodeSets: Invalid value: 0: spec.nodeSets in body should have at least 1 items");
}

TEST(CrdSchemaTest, UnknownFieldsArePrunedAndPreserveUnknownFieldsKeepsConfig) {
  Value es = Es(R"({"version":"8.15.0","foo":1,"nodeSets":[{"name":"default","count":1,"bar":true,
                    "config":{"node.store.allow_mmap":false,"anything":{"goes":[1]}}}]})");
  SchemaOutcome out = Crd()->Apply(&es);
  EXPECT_TRUE(out.errors.empty());
  EXPECT_EQ(out.unknown_fields, (std::vector<std::string>{"spec.foo", "spec.nodeSets[0].bar"}));
  EXPECT_FALSE(es["spec"].contains("foo"));
  EXPECT_FALSE(es["spec"]["nodeSets"][0].contains("bar"));
  EXPECT_EQ(es["spec"]["nodeSets"][0]["config"]["anything"]["goes"][0], 1);
}

TEST(CrdSchemaTest, IntOrStringAndDefaults) {
  Value es = Es(R"({"version":"8.15.0","nodeSets":[{"name":"default","count":1}],
                    "http":{"service":{"spec":{"ports":[{"port":9200,"targetPort":"https"}]}}}})");
  SchemaOutcome out = Crd()->Apply(&es);
  EXPECT_TRUE(out.errors.empty()) << out.errors[0].ToString();
  EXPECT_EQ(es["spec"]["http"]["service"]["spec"]["ports"][0]["protocol"], "TCP");  // default filled in
  Value bad = Es(R"({"version":"8.15.0","nodeSets":[{"name":"default","count":1}],
                     "http":{"service":{"spec":{"ports":[{"port":9200,"targetPort":true}]}}}})");
  out = Crd()->Apply(&bad);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].field, "spec.http.service.spec.ports[0].targetPort");
}

TEST(CrdSchemaTest, Int32RangeAndNullsOfNonNullableFieldsAreDropped) {
  Value es = Es(R"({"version":"8.15.0","nodeSets":[{"name":"default","count":3000000000}],"image":null})");
  SchemaOutcome out = Crd()->Apply(&es);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].field, "spec.nodeSets[0].count");
  EXPECT_NE(out.errors[0].detail.find("must be of type int32"), std::string::npos);
  EXPECT_FALSE(es["spec"].contains("image"));
}

TEST(YamlTest, ScalarsAreTypedLikeTheYamlCoreSchema) {
  Result<std::vector<Value>> docs = ParseYamlDocuments("a: 1\nb: true\nc: '1'\nd: 1.5\ne: ~\nf: x\n---\ng: [1]\n");
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 2u);
  const Value& d = (*docs)[0];
  EXPECT_TRUE(d["a"].is_number_integer());
  EXPECT_TRUE(d["b"].is_boolean());
  EXPECT_TRUE(d["c"].is_string());
  EXPECT_TRUE(d["d"].is_number_float());
  EXPECT_TRUE(d["e"].is_null());
  EXPECT_EQ(d["f"], "x");
  EXPECT_FALSE(ParseYamlDocuments("a: [1\n").ok());
}

}  // namespace
}  // namespace crosslink::sandbox::k8s
