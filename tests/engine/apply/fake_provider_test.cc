// The fake provider is the platform of every engine test: these pin down the
// behaviour those tests rely on.
#include "providers/fake/fake_provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/graph/resource.h"

namespace crosslink::providers::fake {
namespace {

using graph::MakeRef;
using graph::ResourceMode;
using graph::ResourceSpec;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

ResourceSpec Spec(const std::string& address, const std::string& cluster, Value attributes,
                  ResourceMode mode = ResourceMode::kManaged) {
  ResourceSpec s;
  s.address = address;
  s.type = address.substr(0, address.find('.'));
  s.provider = "fake";
  s.cluster = cluster;
  s.mode = mode;
  s.attributes = std::move(attributes);
  return s;
}

ApplyRequest Req(const ResourceSpec& spec) {
  ApplyRequest r;
  r.desired = &spec;
  r.attributes = spec.attributes;
  return r;
}

class FakeProviderTest : public ::testing::Test {
 protected:
  FakeProviderTest() {
    key_ = Spec("es_cross_cluster_api_key.logs.analytics", "logs", {{"name", "k"}});
    cred_ = Spec("es_keystore_credential.analytics.logs", "analytics",
                 {{"key_id", MakeRef(key_.address, "id")},
                  {"endpoint", MakeRef("es_remote_cluster_server.logs", "endpoint")}});
    cred_.secret_inputs["credential"] = {key_.address, "encoded"};
    fake_.LearnOutputs({key_, cred_});
  }
  FakeProvider fake_;
  ResourceSpec key_, cred_;
};

TEST_F(FakeProviderTest, CreateProducesIdEchoAndLearnedOutputs) {
  ApplyResponse r1 = fake_.Create(Req(key_));
  ASSERT_TRUE(r1.status.ok()) << r1.status.ToString();
  EXPECT_EQ(r1.result.outputs["name"], "k");
  EXPECT_EQ(r1.result.outputs["id"].get<std::string>().rfind("es_cross_cluster_api_key-", 0), 0u);
  ASSERT_EQ(r1.result.sensitive_outputs.count("encoded"), 1u);
  EXPECT_EQ(r1.result.sensitive_outputs.at("encoded").expose().size(), 40u);
  EXPECT_FALSE(r1.result.outputs.contains("encoded"));  // sensitive never in outputs

  ResourceSpec server = Spec("es_remote_cluster_server.logs", "logs", Value::object());
  ApplyResponse r2 = fake_.Create(Req(server));
  EXPECT_EQ(r2.result.outputs["endpoint"], "es_remote_cluster_server.logs/endpoint");
  EXPECT_NE(r2.result.outputs["id"], r1.result.outputs["id"]);
}

TEST_F(FakeProviderTest, CreatingWhatExistsFailsAndUpdatingWhatIsMissingFails) {
  ASSERT_TRUE(fake_.Create(Req(key_)).status.ok());
  EXPECT_EQ(fake_.Create(Req(key_)).status.code(), StatusCode::kAlreadyExists);
  ResourceSpec other = Spec("es_role.analytics.x", "analytics", Value::object());
  EXPECT_EQ(fake_.Update(Req(other)).status.code(), StatusCode::kNotFound);
}

TEST_F(FakeProviderTest, UpdateKeepsIdAndSecretsAndReplacesAttributes) {
  ApplyResponse created = fake_.Create(Req(key_));
  ResourceSpec changed = key_;
  changed.attributes = {{"name", "k2"}};
  ApplyResponse updated = fake_.Update(Req(changed));
  ASSERT_TRUE(updated.status.ok());
  EXPECT_EQ(updated.result.outputs["id"], created.result.outputs["id"]);
  EXPECT_EQ(updated.result.outputs["name"], "k2");
  EXPECT_TRUE(updated.result.sensitive_outputs.at("encoded") ==
              created.result.sensitive_outputs.at("encoded"));
  EXPECT_EQ(fake_.GetLive(key_.address)->attributes, Value({{"name", "k2"}}));
}

TEST_F(FakeProviderTest, ReadAnswersEveryItemWithoutSecrets) {
  fake_.Create(Req(key_));
  ReadRequest req;
  req.cluster = "logs";
  req.items.push_back({key_.address, key_.type, &key_, nullptr});
  req.items.push_back({"es_role.logs.gone", "es_role", nullptr, nullptr});
  ReadResponse resp = fake_.Read(req);
  ASSERT_TRUE(resp.status.ok());
  ASSERT_EQ(resp.objects.size(), 2u);
  EXPECT_TRUE(resp.objects[key_.address].exists);
  EXPECT_TRUE(resp.objects[key_.address].sensitive_outputs.empty());
  EXPECT_FALSE(resp.objects["es_role.logs.gone"].exists);
  EXPECT_EQ(fake_.read_calls(), 1u);
  EXPECT_THAT(fake_.calls("read")[0].addresses, ElementsAre(key_.address, "es_role.logs.gone"));
}

TEST_F(FakeProviderTest, DataSourcesExistOnFirstRead) {
  ResourceSpec ca = Spec("es_http_ca.logs", "logs", {{"cluster", "logs"}}, ResourceMode::kData);
  ResourceSpec user = Spec("x.y", "logs", {{"ca", MakeRef(ca.address, "pem")}});
  fake_.LearnOutputs({ca, user});
  ReadRequest req;
  req.cluster = "logs";
  req.items.push_back({ca.address, ca.type, &ca, nullptr});
  ReadResponse first = fake_.Read(req);
  ASSERT_TRUE(first.objects[ca.address].exists);
  EXPECT_EQ(first.objects[ca.address].outputs["pem"], "es_http_ca.logs/pem");
  ReadResponse second = fake_.Read(req);
  EXPECT_EQ(second.objects[ca.address].outputs["id"], first.objects[ca.address].outputs["id"]);
}

TEST_F(FakeProviderTest, ChecksPassOnlyWhileConnected) {
  ResourceSpec check = Spec("check_connected.analytics.logs", "analytics", {{"alias", "logs"}},
                            ResourceMode::kCheck);
  fake_.SetConnected(check.address, false);
  ApplyResponse failed = fake_.Create(Req(check));
  EXPECT_EQ(failed.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(failed.status.retryable());
  EXPECT_THAT(failed.status.message(), HasSubstr("not"));
  EXPECT_THAT(failed.status.message(), HasSubstr("connected"));
  fake_.SetConnected(check.address, true);
  ASSERT_TRUE(fake_.Create(Req(check)).status.ok());

  ReadRequest req;
  req.cluster = "analytics";
  req.items.push_back({check.address, check.type, &check, nullptr});
  EXPECT_TRUE(fake_.Read(req).objects[check.address].exists);
  fake_.SetConnected(check.address, false);
  EXPECT_FALSE(fake_.Read(req).objects[check.address].exists);

  // Verifying again needs no live object.
  fake_.SetConnected(check.address, true);
  ASSERT_TRUE(fake_.EraseLive(check.address));
  EXPECT_TRUE(fake_.Update(Req(check)).status.ok());
}

TEST_F(FakeProviderTest, OrphansAreReportedToReadsOfTheirClusterThatDoNotNameThem) {
  Orphan o;
  o.address = "es_cross_cluster_api_key.logs.old";
  o.description = "API key 'crosslink-old'";
  o.live.attributes = {{"name", "crosslink-old"}};
  fake_.AddOrphan("logs", o);
  ReadRequest other;
  other.cluster = "analytics";
  EXPECT_TRUE(fake_.Read(other).orphans.empty());
  ReadRequest req;
  req.cluster = "logs";
  ReadResponse resp = fake_.Read(req);
  ASSERT_EQ(resp.orphans.size(), 1u);
  EXPECT_EQ(resp.orphans[0].address, o.address);
  EXPECT_EQ(resp.orphans[0].type, "es_cross_cluster_api_key");
  EXPECT_EQ(resp.orphans[0].description, "API key 'crosslink-old'");

  state::ResourceState prior;
  prior.address = o.address;
  prior.type = "es_cross_cluster_api_key";
  ApplyRequest del;
  del.prior = &prior;
  ASSERT_TRUE(fake_.Delete(del).status.ok());
  EXPECT_TRUE(fake_.Read(req).orphans.empty());
  EXPECT_FALSE(fake_.GetLive(o.address).has_value());
}

TEST_F(FakeProviderTest, InjectedFailuresAreConsumedInOrder) {
  fake_.FailNext(key_.address, Status::Unavailable("503"), 2);
  EXPECT_EQ(fake_.Create(Req(key_)).status.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(fake_.Create(Req(key_)).status.retryable());
  EXPECT_TRUE(fake_.Create(Req(key_)).status.ok());
  EXPECT_EQ(fake_.calls("create").size(), 3u);

  fake_.FailRead("logs", Status::PermissionDenied("401"));
  ReadRequest req;
  req.cluster = "logs";
  EXPECT_EQ(fake_.Read(req).status.code(), StatusCode::kPermissionDenied);
  fake_.FailRead("logs", Status::Ok());
  EXPECT_TRUE(fake_.Read(req).status.ok());

  fake_.FailRead("logs", Status::Unavailable("502"), 1);
  EXPECT_EQ(fake_.Read(req).status.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(fake_.Read(req).status.ok());

  // A mutation failure does not affect reads naming the address.
  fake_.FailNext(key_.address, Status::Unavailable("503"), 1);
  req.items.push_back({key_.address, key_.type, &key_, nullptr});
  EXPECT_TRUE(fake_.Read(req).status.ok());
  EXPECT_EQ(fake_.Update(Req(key_)).status.code(), StatusCode::kUnavailable);
}

TEST_F(FakeProviderTest, OutsideChangesAreVisibleToReads) {
  fake_.Create(Req(key_));
  ASSERT_TRUE(fake_.SetLiveAttributes(key_.address, {{"name", "edited"}}));
  ReadRequest req;
  req.cluster = "logs";
  req.items.push_back({key_.address, key_.type, &key_, nullptr});
  EXPECT_EQ(fake_.Read(req).objects[key_.address].attributes["name"], "edited");
  EXPECT_TRUE(fake_.EraseLive(key_.address));
  EXPECT_FALSE(fake_.Read(req).objects[key_.address].exists);
  LiveObject obj;
  obj.attributes = {{"name", "manual"}};
  fake_.SetLive(key_.address, obj, "logs");
  EXPECT_THAT(fake_.live_addresses(), ElementsAre(key_.address));
  EXPECT_TRUE(fake_.Read(req).objects[key_.address].exists);
}

TEST_F(FakeProviderTest, ServesEveryProviderName) {
  FakeProvider eck("eck");
  ProviderSet set;
  set.Add(&eck);
  set.AddAs("ech", &eck);
  EXPECT_EQ(set.Find("eck"), &eck);
  EXPECT_EQ(set.Find("ech"), &eck);
  EXPECT_EQ(eck.name(), "eck");
}

}  // namespace
}  // namespace crosslink::providers::fake
