// The ECH and ECE API twins driven through HandleApi: every served endpoint's
// happy and error paths, and their effect on the Elasticsearch twins.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "sandbox/cloud/environment.h"
#include "sandbox/es/twin.h"
#include "tests/sandbox/cloud/cloud_test_util.h"

namespace crosslink::sandbox::cloud {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;
using testing::Body;
using testing::Request;

const std::string kOrg = "1053523734";
const std::string kProd = "0123456789abcdef0123456789abcdef";
const std::string kLogs = "fedcba9876543210fedcba9876543210";

class CloudApiTest : public ::testing::Test {
 protected:
  void Make(Flavor flavor, const std::string& prod_version = "8.15.0",
            const std::string& logs_version = "8.15.0") {
    EnvironmentOptions o;
    o.key = flavor == Flavor::kEch ? "ech" : "ece";
    o.flavor = flavor;
    o.scope_id = flavor == Flavor::kEch ? kOrg : "00112233445566778899aabbccddeeff";
    o.region = flavor == Flavor::kEch ? "eu-west-1" : "ece-region";
    o.domain = flavor == Flavor::kEch ? "eu-west-1.ech.ech.localhost" : "ece.ece.localhost";
    o.api_key = Secret("test-api-key");
    o.public_ca = testing::PublicCa();
    o.swagger = flavor == Flavor::kEch ? testing::EchSwagger() : testing::EceSwagger();
    es::Dialer dialer = [](const std::string&, uint16_t, net::DialOptions, std::string_view) {
      net::DialResult r;
      r.stage = net::DialResult::Stage::kConnect;
      r.error = "Connection refused";
      return r;
    };
    auto env = Environment::Create(o, clock_, dialer);
    ASSERT_TRUE(env.ok()) << env.status().ToString();
    env_ = std::move(*env);
    DeploymentSpec prod;
    prod.key = "prod";
    prod.version = prod_version;
    prod.deployment_id = kProd;
    prod.password = Secret("prod-password");
    Status added = env_->AddDeployment(prod);
    ASSERT_TRUE(added.ok()) << added.ToString();
    DeploymentSpec logs;
    logs.key = "logs";
    logs.version = logs_version;
    logs.deployment_id = kLogs;
    ASSERT_TRUE(env_->AddDeployment(logs).ok());
    env_->SetProxyHttpsPort(44321);
  }

  net::HttpResponse Call(const std::string& method, const std::string& target, const std::string& body = "") {
    return env_->HandleApi(Request(method, "/api/v1" + target, body));
  }
  std::string ErrorCode(const net::HttpResponse& r) {
    Value v = Body(r);
    return v.contains("errors") ? v["errors"][0].value("code", "") : "";
  }
  std::string ErrorField(const net::HttpResponse& r) {
    Value v = Body(r);
    return v.contains("errors") && v["errors"][0].contains("fields") ? v["errors"][0]["fields"][0].get<std::string>() : "";
  }
  // A trust-only update, as a client does it: resend the current plan.
  std::string TrustUpdate(const std::string& trust_json) {
    Value current = Body(Call("GET", "/deployments/" + kProd));
    Value payload = {{"ref_id", "main-elasticsearch"},
                     {"region", current["resources"]["elasticsearch"][0]["region"]},
                     {"plan", current["resources"]["elasticsearch"][0]["info"]["plan_info"]["current"]["plan"]},
                     {"settings", {{"trust", *ParseJson(trust_json)}}}};
    return DumpJson(Value{{"prune_orphans", false}, {"resources", {{"elasticsearch", Value::array({payload})}}}});
  }
  es::Twin* prod() { return env_->FindTwin("prod"); }

  FakeClock clock_;
  std::unique_ptr<Environment> env_;
};

// --- authentication and routing ---

TEST_F(CloudApiTest, MissingOrWrongApiKeyIsUnauthorized) {
  Make(Flavor::kEch);
  for (const std::string& key : {std::string(), std::string("wrong")}) {
    net::HttpResponse r = env_->HandleApi(Request("GET", "/api/v1/deployments", "", key));
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(ErrorCode(r), "root.unauthorized");
    EXPECT_EQ(Body(r)["errors"][0]["message"], "The supplied authentication is invalid");
  }
  net::HttpRequest basic = Request("GET", "/api/v1/deployments", "", "");
  basic.headers["authorization"] = "Basic dGVzdC1hcGkta2V5";
  EXPECT_EQ(env_->HandleApi(basic).status, 401);
}

TEST_F(CloudApiTest, UnknownPathIsResourceNotFound) {
  Make(Flavor::kEch);
  net::HttpResponse r = Call("GET", "/no/such/thing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCode(r), "root.resource_not_found");
  EXPECT_EQ(env_->HandleApi(Request("GET", "/elsewhere")).status, 404);
}

TEST_F(CloudApiTest, EcePlatformEndpointsDoNotExistOnEch) {
  Make(Flavor::kEch);
  EXPECT_EQ(Call("GET", "/platform/configuration/security/tls/proxy").status, 404);
  EXPECT_EQ(Call("GET", "/platform/configuration/trust-relationships").status, 404);
}

TEST_F(CloudApiTest, OperationsOutsideTheSimulatedSubsetSayNotImplemented) {
  Make(Flavor::kEch);
  net::HttpResponse r = Call("POST", "/deployments", R"({"resources":{}})");
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(ErrorCode(r), "root.not_implemented");
}

// --- deployments ---

TEST_F(CloudApiTest, ListDeployments) {
  Make(Flavor::kEch);
  net::HttpResponse r = Call("GET", "/deployments");
  ASSERT_EQ(r.status, 200);
  Value v = Body(r);
  ASSERT_EQ(v["deployments"].size(), 2u);
  EXPECT_EQ(v["deployments"][0]["id"], kProd);
  EXPECT_EQ(v["deployments"][0]["resources"][0]["kind"], "elasticsearch");
  EXPECT_FALSE(testing::EchSwagger()->ValidateDefinition("DeploymentsListResponse", v, ""));
}

TEST_F(CloudApiTest, GetDeploymentShowsEndpointPortsPlanAndConformsToTheSchema) {
  Make(Flavor::kEch);
  net::HttpResponse r = Call("GET", "/deployments/" + kProd);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["x-cloud-resource-version"], "1");
  Value v = Body(r);
  auto conformance = testing::EchSwagger()->ValidateDefinition("DeploymentGetResponse", v, "");
  EXPECT_FALSE(conformance) << conformance->message;
  const Value& es = v["resources"]["elasticsearch"][0];
  EXPECT_EQ(es["ref_id"], "main-elasticsearch");
  EXPECT_EQ(es["region"], "eu-west-1");
  const Value& info = es["info"];
  std::string cluster_id = info["cluster_id"];
  EXPECT_EQ(cluster_id.size(), 32u);
  EXPECT_EQ(info["deployment_id"], kProd);
  EXPECT_EQ(info["status"], "started");
  EXPECT_EQ(info["metadata"]["endpoint"], cluster_id + ".eu-west-1.ech.ech.localhost");
  EXPECT_EQ(info["metadata"]["service_url"], "https://" + cluster_id + ".eu-west-1.ech.ech.localhost:44321");
  EXPECT_EQ(info["metadata"]["ports"]["https"], 44321);
  EXPECT_EQ(info["metadata"]["ports"]["transport_passthrough"], 9400);
  EXPECT_EQ(info["plan_info"]["current"]["plan"]["elasticsearch"]["version"], "8.15.0");
  EXPECT_FALSE(info.contains("settings"));  // show_settings defaults to false
  EXPECT_EQ(prod()->name(), cluster_id);
}

TEST_F(CloudApiTest, ShowSettingsReturnsTrustAndShowPlansFalseHidesThePlan) {
  Make(Flavor::kEch);
  Value v = Body(Call("GET", "/deployments/" + kProd + "?show_settings=true&show_plans=false"));
  const Value& info = v["resources"]["elasticsearch"][0]["info"];
  EXPECT_EQ(info["settings"]["trust"]["accounts"][0]["account_id"], kOrg);
  EXPECT_EQ(info["settings"]["trust"]["accounts"][0]["trust_all"], true);
  EXPECT_FALSE(info["plan_info"].contains("current"));
}

TEST_F(CloudApiTest, UnknownDeploymentAndResource) {
  Make(Flavor::kEch);
  net::HttpResponse r = Call("GET", "/deployments/00000000000000000000000000000000");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCode(r), "deployments.deployment_not_found");
  EXPECT_EQ(r.headers["x-cloud-error-codes"], "deployments.deployment_not_found");
  r = Call("GET", "/deployments/" + kProd + "/elasticsearch/other-es");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCode(r), "deployments.deployment_resource_not_found");
}

TEST_F(CloudApiTest, EsResourceInfoAcceptsMainAlias) {
  Make(Flavor::kEch);
  for (const char* ref : {"main-elasticsearch", "_main"}) {
    net::HttpResponse r = Call("GET", "/deployments/" + kProd + "/elasticsearch/" + ref + "?show_settings=true");
    ASSERT_EQ(r.status, 200);
    Value v = Body(r);
    EXPECT_FALSE(testing::EchSwagger()->ValidateDefinition("ElasticsearchResourceInfo", v, ""));
    EXPECT_TRUE(v["info"]["settings"].contains("trust"));
  }
}

// --- keystore ---

TEST_F(CloudApiTest, KeystorePatchIsIncrementalAndNeverReturnsValues) {
  Make(Flavor::kEch);
  const std::string path = "/deployments/" + kProd + "/elasticsearch/main-elasticsearch/keystore";
  net::HttpResponse r = Call("PATCH", path, R"({"secrets":{"cluster.remote.logs.credentials":{"value":"s3cr3t-encoded-key"},
      "xpack.other":{"value":{"json":true}}}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("s3cr3t-encoded-key"), std::string::npos);
  Value v = Body(r);
  EXPECT_EQ(v["secrets"]["cluster.remote.logs.credentials"], Value({{"as_file", false}}));
  EXPECT_EQ(v["secrets"]["xpack.other"], Value({{"as_file", true}}));

  // Unlisted keys are kept; a new one is added.
  ASSERT_EQ(Call("PATCH", path, R"({"secrets":{"third":{"value":"x","as_file":true}}})").status, 200);
  r = Call("GET", path);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find("s3cr3t-encoded-key"), std::string::npos);
  EXPECT_EQ(Body(r)["secrets"].size(), 3u);

  // null removes; so does an entry without value.
  ASSERT_EQ(Call("PATCH", path, R"({"secrets":{"xpack.other":null,"third":{"as_file":false}}})").status, 200);
  Value left = Body(Call("GET", path));
  EXPECT_EQ(left, Value::parse(R"({"secrets":{"cluster.remote.logs.credentials":{"as_file":false}}})"));
}

TEST_F(CloudApiTest, KeystoreTakesEffectAtOnceFrom814) {
  Make(Flavor::kEch, "8.15.0");
  int restarts = prod()->restarts();
  ASSERT_EQ(Call("PATCH", "/deployments/" + kProd + "/elasticsearch/_main/keystore",
                 R"({"secrets":{"cluster.remote.logs.credentials":{"value":"abc"}}})").status, 200);
  EXPECT_THAT(prod()->keystore_keys(), ElementsAre("cluster.remote.logs.credentials"));
  EXPECT_EQ(prod()->config().keystore.at("cluster.remote.logs.credentials").expose(), "abc");
  EXPECT_EQ(prod()->restarts(), restarts);
  EXPECT_TRUE(env_->Inspect()["deployments"][0]["pending_keystore_keys"].empty());
}

TEST_F(CloudApiTest, KeystoreBefore814WaitsForRestart) {
  Make(Flavor::kEch, "8.13.4");
  int restarts = prod()->restarts();
  ASSERT_EQ(Call("PATCH", "/deployments/" + kProd + "/elasticsearch/_main/keystore",
                 R"({"secrets":{"cluster.remote.logs.credentials":{"value":"abc"}}})").status, 200);
  EXPECT_TRUE(prod()->keystore_keys().empty());
  EXPECT_THAT(env_->Inspect()["deployments"][0]["pending_keystore_keys"], ElementsAre("cluster.remote.logs.credentials"));

  net::HttpResponse r = Call("POST", "/deployments/" + kProd + "/elasticsearch/main-elasticsearch/_restart");
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(prod()->restarts(), restarts + 1);
  EXPECT_THAT(prod()->keystore_keys(), ElementsAre("cluster.remote.logs.credentials"));
  EXPECT_TRUE(env_->Inspect()["deployments"][0]["pending_keystore_keys"].empty());
}

TEST_F(CloudApiTest, KeystorePatchValidation) {
  Make(Flavor::kEch);
  net::HttpResponse r = Call("PATCH", "/deployments/" + kProd + "/elasticsearch/_main/keystore", R"({"secret":{}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorCode(r), "root.invalid_json_request");
  EXPECT_EQ(ErrorField(r), "secrets");
  r = Call("PATCH", "/deployments/" + kProd + "/elasticsearch/nope/keystore", R"({"secrets":{}})");
  EXPECT_EQ(r.status, 404);
}

TEST_F(CloudApiTest, RestartUnknownDeployment) {
  Make(Flavor::kEch);
  EXPECT_EQ(Call("POST", "/deployments/" + std::string(32, '0') + "/elasticsearch/_main/_restart").status, 404);
}

// --- update (trust) ---

TEST_F(CloudApiTest, TrustUpdateRestartsWithDerivedNodeConfig) {
  Make(Flavor::kEch);
  int restarts = prod()->restarts();
  std::string ca = testing::PemOfNewCa("Self-managed CA");
  Value direct = {{"name", "self-managed"}, {"type", "generic"}, {"trust_all", false}, {"scope_id", "myscope"},
                  {"trust_allowlist", {"abcd"}}, {"additional_node_names", {"node1.example.com"}},
                  {"certificates", Value::array({Value{{"pem", ca}}})}};
  Value trust = {{"accounts", Value::array({Value{{"account_id", kOrg}, {"trust_all", true}}})},
                 {"direct", Value::array({direct})}};
  net::HttpResponse r = Call("PUT", "/deployments/" + kProd, TrustUpdate(DumpJson(trust)));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["x-cloud-resource-version"], "2");
  EXPECT_FALSE(testing::EchSwagger()->ValidateDefinition("DeploymentUpdateResponse", Body(r), ""));
  EXPECT_EQ(prod()->restarts(), restarts + 1);
  es::NodeConfig config = prod()->config();
  EXPECT_THAT(config.transport_ca_pems, Contains(ca));
  EXPECT_THAT(config.transport_ca_pems, Contains(env_->transport_ca().LeafPem()));
  EXPECT_THAT(config.transport_trust_restrictions, Contains("*.node.abcd.cluster.myscope.account"));
  EXPECT_THAT(config.transport_trust_restrictions, Contains("node1.example.com"));
  EXPECT_THAT(config.transport_trust_restrictions, Contains("*.node.*.cluster." + kOrg + ".account"));

  Value read = Body(Call("GET", "/deployments/" + kProd + "?show_settings=true"));
  const Value& stored = read["resources"]["elasticsearch"][0]["info"]["settings"]["trust"];
  EXPECT_FALSE(stored["direct"][0].value("uid", "").empty());
  EXPECT_TRUE(stored["direct"][0]["certificates"][0]["metadata"].contains("fingerprint"));

  // Sending the same trust again is no plan change: no restart.
  Value same = stored;
  ASSERT_EQ(Call("PUT", "/deployments/" + kProd, TrustUpdate(DumpJson(same))).status, 200);
  EXPECT_EQ(prod()->restarts(), restarts + 1);
}

TEST_F(CloudApiTest, TrustProvidedReplacesTheWholeObjectAndNullRevertsToDefault) {
  Make(Flavor::kEch);
  ASSERT_EQ(Call("PUT", "/deployments/" + kProd, TrustUpdate(R"({"accounts":[{"account_id":"83988631","trust_all":true}]})")).status, 200);
  EXPECT_THAT(prod()->config().transport_trust_restrictions, Not(Contains("*.node.*.cluster." + kOrg + ".account")));
  ASSERT_EQ(Call("PUT", "/deployments/" + kProd, TrustUpdate("null")).status, 200);
  EXPECT_THAT(prod()->config().transport_trust_restrictions, Contains("*.node.*.cluster." + kOrg + ".account"));
}

TEST_F(CloudApiTest, ProxyTrustConfiguresTheRemoteClusterClientCa) {
  Make(Flavor::kEch);
  std::string ca = testing::PemOfNewCa("ECE proxy root");
  Value trust = {{"direct", Value::array({Value{{"name", "ece proxy"}, {"type", "proxy"}, {"trust_all", false},
                                                 {"certificates", Value::array({Value{{"pem", ca}}})}}})}};
  ASSERT_EQ(Call("PUT", "/deployments/" + kProd, TrustUpdate(DumpJson(trust))).status, 200);
  EXPECT_THAT(prod()->config().rcs_client_ca_pems, ElementsAre(ca));
  EXPECT_THAT(prod()->config().transport_ca_pems, Not(Contains(ca)));
}

TEST_F(CloudApiTest, TrustValidationErrorsNameTheField) {
  Make(Flavor::kEch);
  std::string ca = testing::PemOfNewCa("x");
  int restarts = prod()->restarts();
  Value bad_scope = {{"direct", Value::array({Value{{"name", "x"}, {"trust_all", true}, {"scope_id", "Bad*Scope"},
                                                     {"certificates", Value::array({Value{{"pem", ca}}})}}})}};
  net::HttpResponse r = Call("PUT", "/deployments/" + kProd, TrustUpdate(DumpJson(bad_scope)));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorCode(r), "root.invalid_data");
  EXPECT_EQ(ErrorField(r), "resources.elasticsearch[0].settings.trust.direct[0].scope_id");

  Value proxy_allowlist = {{"direct", Value::array({Value{{"name", "x"}, {"type", "proxy"}, {"trust_all", false},
                                                           {"trust_allowlist", {"c1"}},
                                                           {"certificates", Value::array({Value{{"pem", ca}}})}}})}};
  r = Call("PUT", "/deployments/" + kProd, TrustUpdate(DumpJson(proxy_allowlist)));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorField(r), "resources.elasticsearch[0].settings.trust.direct[0].trust_allowlist");

  r = Call("PUT", "/deployments/" + kProd, TrustUpdate(R"({"direct":[{"name":"x","trust_all":"yes","certificates":[]}]})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorCode(r), "root.invalid_json_request");
  EXPECT_EQ(ErrorField(r), "resources.elasticsearch[0].settings.trust.direct[0].trust_all");
  EXPECT_EQ(prod()->restarts(), restarts);
}

TEST_F(CloudApiTest, UpdateNeedsThePlanAndPruneOrphans) {
  Make(Flavor::kEch);
  net::HttpResponse r = Call("PUT", "/deployments/" + kProd,
                             R"({"prune_orphans":false,"resources":{"elasticsearch":[{"ref_id":"main-elasticsearch","region":"eu-west-1"}]}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorField(r), "resources.elasticsearch[0].plan");
  r = Call("PUT", "/deployments/" + kProd, R"({"resources":{}})");
  EXPECT_EQ(ErrorField(r), "prune_orphans");
  r = Call("PUT", "/deployments/" + kProd, R"({"prune_orphans":true})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorField(r), "resources.elasticsearch");
}

TEST_F(CloudApiTest, UpdateRejectsWrongRegionAndVersionChange) {
  Make(Flavor::kEch);
  std::string update = TrustUpdate("null");
  Value u = *ParseJson(update);
  u["resources"]["elasticsearch"][0]["region"] = "us-east-1";
  EXPECT_EQ(ErrorField(Call("PUT", "/deployments/" + kProd, DumpJson(u))), "resources.elasticsearch[0].region");
  u = *ParseJson(update);
  u["resources"]["elasticsearch"][0]["plan"]["elasticsearch"]["version"] = "9.0.0";
  EXPECT_EQ(ErrorField(Call("PUT", "/deployments/" + kProd, DumpJson(u))),
            "resources.elasticsearch[0].plan.elasticsearch.version");
}

TEST_F(CloudApiTest, VersionConflictIs409) {
  Make(Flavor::kEch);
  net::HttpResponse got = Call("GET", "/deployments/" + kProd);
  std::string version = got.headers["x-cloud-resource-version"];
  ASSERT_EQ(Call("PUT", "/deployments/" + kProd + "?version=" + version, TrustUpdate("null")).status, 200);
  net::HttpResponse stale = Call("PUT", "/deployments/" + kProd + "?version=" + version, TrustUpdate("null"));
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(ErrorCode(stale), "deployments.version_conflict");
}

TEST_F(CloudApiTest, ValidateOnlyChangesNothing) {
  Make(Flavor::kEch);
  int restarts = prod()->restarts();
  net::HttpResponse r = Call("PUT", "/deployments/" + kProd + "?validate_only=true",
                             TrustUpdate(R"({"accounts":[{"account_id":"83988631","trust_all":true}]})"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(prod()->restarts(), restarts);
  EXPECT_EQ(Call("GET", "/deployments/" + kProd).headers["x-cloud-resource-version"], "1");
}

TEST_F(CloudApiTest, KeystoreContentsInAnUpdateArePatched) {
  Make(Flavor::kEch);
  Value u = *ParseJson(TrustUpdate("null"));
  u["resources"]["elasticsearch"][0]["settings"]["keystore_contents"] = {{"secrets", {{"a.b", {{"value", "v"}}}}}};
  ASSERT_EQ(Call("PUT", "/deployments/" + kProd, DumpJson(u)).status, 200);
  EXPECT_THAT(prod()->keystore_keys(), ElementsAre("a.b"));
}

// --- certificate authority ---

TEST_F(CloudApiTest, CertificateAuthorityIsTheTransportCa) {
  Make(Flavor::kEch);
  net::HttpResponse r = Call("GET", "/deployments/" + kProd + "/certificate-authority");
  ASSERT_EQ(r.status, 200);
  Value v = Body(r);
  EXPECT_FALSE(testing::EchSwagger()->ValidateDefinition("CertificateAuthority", v, ""));
  EXPECT_EQ(v["public_certificates"][0]["pem"], env_->transport_ca().LeafPem());
  EXPECT_EQ(v["public_certificates"][0]["active"], true);
  std::string cluster_id = prod()->name();
  EXPECT_EQ(v["recommended_trust_restriction"], "*.node." + cluster_id + ".cluster." + kOrg + ".account");
  // The node certificate is what that CA signed, with the Elastic naming.
  auto info = pki::InspectCertificate(prod()->config().transport_identity->chain_pem);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->common_name, "instance-0000000000");
  EXPECT_THAT(info->other_names, ElementsAre("instance-0000000000.node." + cluster_id + ".cluster." + kOrg + ".account"));
  EXPECT_EQ(Call("GET", "/deployments/" + std::string(32, 'a') + "/certificate-authority").status, 404);
}

// --- remote clusters ---

TEST_F(CloudApiTest, RemoteClustersPutReplacesTheListAndSetsClusterSettings) {
  Make(Flavor::kEch);
  const std::string path = "/deployments/" + kProd + "/elasticsearch/main-elasticsearch/remote-clusters";
  std::string logs_endpoint = env_->FindTwin("logs")->name() + ".eu-west-1.ech.ech.localhost";
  net::HttpResponse r = Call("PUT", path, R"({"resources":[{"deployment_id":")" + kLogs +
                                              R"(","elasticsearch_ref_id":"main-elasticsearch","alias":"logs","skip_unavailable":true}]})");
  ASSERT_EQ(r.status, 202) << r.body;
  Value settings = Body(prod()->CallInternal("GET", "/_cluster/settings?flat_settings=true", std::nullopt));
  EXPECT_EQ(settings["persistent"]["cluster.remote.logs.proxy_address"], logs_endpoint + ":9400");
  EXPECT_EQ(settings["persistent"]["cluster.remote.logs.server_name"], logs_endpoint);
  EXPECT_EQ(settings["persistent"]["cluster.remote.logs.mode"], "proxy");

  Value list = Body(Call("GET", path));
  EXPECT_FALSE(testing::EchSwagger()->ValidateDefinition("RemoteResources", list, ""));
  ASSERT_EQ(list["resources"].size(), 1u);
  EXPECT_EQ(list["resources"][0]["alias"], "logs");
  const Value& info = list["resources"][0]["info"];
  EXPECT_EQ(info["healthy"], true);
  EXPECT_EQ(info["compatible"], true);
  EXPECT_EQ(info["trusted"], true);       // default: trust all of the own organisation
  EXPECT_EQ(info["trusted_back"], true);
  EXPECT_EQ(info["connected"], false);    // the fake dialer refuses every connection

  // Replace with another alias: the old one is gone from the list and the settings.
  r = Call("PUT", path, R"({"resources":[{"deployment_id":")" + kLogs +
                            R"(","elasticsearch_ref_id":"_main","alias":"logs2"}]})");
  ASSERT_EQ(r.status, 202);
  list = Body(Call("GET", path));
  ASSERT_EQ(list["resources"].size(), 1u);
  EXPECT_EQ(list["resources"][0]["alias"], "logs2");
  settings = Body(prod()->CallInternal("GET", "/_cluster/settings?flat_settings=true", std::nullopt));
  EXPECT_FALSE(settings["persistent"].contains("cluster.remote.logs.proxy_address"));
  EXPECT_TRUE(settings["persistent"].contains("cluster.remote.logs2.proxy_address"));

  // An empty list removes everything.
  ASSERT_EQ(Call("PUT", path, R"({"resources":[]})").status, 202);
  EXPECT_TRUE(Body(Call("GET", path))["resources"].empty());
}

TEST_F(CloudApiTest, RemoteClustersTrustedReflectsTrustSettings) {
  Make(Flavor::kEch);
  const std::string path = "/deployments/" + kProd + "/elasticsearch/main-elasticsearch/remote-clusters";
  ASSERT_EQ(Call("PUT", "/deployments/" + kProd, TrustUpdate(R"({"accounts":[]})")).status, 200);
  ASSERT_EQ(Call("PUT", path, R"({"resources":[{"deployment_id":")" + kLogs +
                                  R"(","elasticsearch_ref_id":"main-elasticsearch","alias":"logs"}]})").status, 202);
  Value info = Body(Call("GET", path))["resources"][0]["info"];
  EXPECT_EQ(info["trusted"], false);
  EXPECT_EQ(info["trusted_back"], true);
}

TEST_F(CloudApiTest, RemoteClustersOnlySameOrganisationAndValidAliases) {
  Make(Flavor::kEch);
  const std::string path = "/deployments/" + kProd + "/elasticsearch/main-elasticsearch/remote-clusters";
  net::HttpResponse r = Call("PUT", path, R"({"resources":[{"deployment_id":"99999999999999999999999999999999","elasticsearch_ref_id":"main-elasticsearch","alias":"x"}]})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorField(r), "resources[0].deployment_id");
  r = Call("PUT", path, R"({"resources":[{"deployment_id":")" + kLogs + R"(","elasticsearch_ref_id":"main-elasticsearch","alias":"bad alias"}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorField(r), "resources[0].alias");
  r = Call("PUT", path, R"({"resources":[{"deployment_id":")" + kLogs + R"("}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorCode(r), "root.invalid_json_request");
}

TEST_F(CloudApiTest, RemoteClustersCompatibilityFollowsVersions) {
  Make(Flavor::kEch, "9.0.0", "8.17.0");
  const std::string path = "/deployments/" + kProd + "/elasticsearch/main-elasticsearch/remote-clusters";
  ASSERT_EQ(Call("PUT", path, R"({"resources":[{"deployment_id":")" + kLogs + R"(","elasticsearch_ref_id":"_main","alias":"old"}]})").status, 202);
  EXPECT_EQ(Body(Call("GET", path))["resources"][0]["info"]["compatible"], false);
}

// --- ECE ---

TEST_F(CloudApiTest, EceProxyChainIsPrivateAndEndsAtTheInstallationCa) {
  Make(Flavor::kEce);
  net::HttpResponse r = Call("GET", "/platform/configuration/security/tls/proxy");
  ASSERT_EQ(r.status, 200);
  Value v = Body(r);
  EXPECT_FALSE(testing::EceSwagger()->ValidateDefinition("TlsPublicCertChain", v, ""));
  ASSERT_EQ(v["chain"].size(), 3u);
  EXPECT_EQ(v["user_supplied"], false);
  auto leaf = pki::InspectCertificate(v["chain"][0].get<std::string>());
  auto inter = pki::InspectCertificate(v["chain"][1].get<std::string>());
  auto root = pki::InspectCertificate(v["chain"][2].get<std::string>());
  ASSERT_TRUE(leaf.ok() && inter.ok() && root.ok());
  EXPECT_THAT(leaf->dns_names, Contains("*.ece.ece.localhost"));
  EXPECT_EQ(leaf->issuer, inter->subject);
  EXPECT_EQ(inter->issuer, root->subject);
  EXPECT_TRUE(inter->is_ca);
  Value ca = Body(Call("GET", "/deployments/" + kProd + "/certificate-authority"));
  EXPECT_EQ(ca["public_certificates"][0]["pem"], v["chain"][2]);
  EXPECT_EQ(Call("GET", "/platform/configuration/security/tls/other").status, 400);
}

TEST_F(CloudApiTest, EceDeploymentInfoHasLockedAndEceEndpoint) {
  Make(Flavor::kEce);
  Value v = Body(Call("GET", "/deployments/" + kProd));
  EXPECT_FALSE(testing::EceSwagger()->ValidateDefinition("DeploymentGetResponse", v, ""));
  const Value& info = v["resources"]["elasticsearch"][0]["info"];
  EXPECT_EQ(info["locked"], false);
  EXPECT_EQ(info["metadata"]["endpoint"], info["cluster_id"].get<std::string>() + ".ece.ece.localhost");
}

TEST_F(CloudApiTest, EceTrustRelationshipsLifecycle) {
  Make(Flavor::kEce);
  Value local = Body(Call("GET", "/platform/configuration/trust-relationships?filter=local&include_certificate=true"));
  EXPECT_FALSE(testing::EceSwagger()->ValidateDefinition("TrustRelationshipsListResponse", local, ""));
  ASSERT_EQ(local["trust_relationships"].size(), 1u);
  EXPECT_EQ(local["trust_relationships"][0]["local"], true);
  EXPECT_EQ(local["trust_relationships"][0]["installation_id"], "00112233445566778899aabbccddeeff");
  EXPECT_EQ(local["trust_relationships"][0]["public_ca_cert"], env_->transport_ca().LeafPem());
  Value without = Body(Call("GET", "/platform/configuration/trust-relationships"));
  EXPECT_FALSE(without["trust_relationships"][0].contains("public_ca_cert"));

  std::string other_ca = testing::PemOfNewCa("ECE2 root");
  Value create = {{"name", "ECE2"}, {"public_ca_cert", other_ca}, {"installation_id", "abababababababababababababababab"},
                  {"account_ids", {"abababababababababababababababab"}}, {"trust_by_default", false}};
  net::HttpResponse r = Call("POST", "/platform/configuration/trust-relationships", DumpJson(create));
  ASSERT_EQ(r.status, 201) << r.body;
  std::string id = Body(r)["id"];
  EXPECT_EQ(Body(Call("GET", "/platform/configuration/trust-relationships?filter=non-local"))["trust_relationships"].size(), 1u);
  r = Call("GET", "/platform/configuration/trust-relationships/" + id);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["name"], "ECE2");

  // A deployment trusting it gets its CA.
  ASSERT_EQ(Call("PUT", "/deployments/" + kProd,
                 TrustUpdate(R"({"external":[{"trust_relationship_id":")" + id + R"(","trust_all":true}]})")).status, 200);
  EXPECT_THAT(prod()->config().transport_ca_pems, Contains(other_ca));
  EXPECT_THAT(prod()->config().transport_trust_restrictions, Contains("*.node.*.cluster.abababababababababababababababab.account"));

  // In use: cannot be deleted; update renames.
  EXPECT_EQ(Call("DELETE", "/platform/configuration/trust-relationships/" + id).status, 400);
  r = Call("PUT", "/platform/configuration/trust-relationships/" + id, R"({"name":"ECE2 renamed"})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["name"], "ECE2 renamed");
  ASSERT_EQ(Call("PUT", "/deployments/" + kProd, TrustUpdate("null")).status, 200);
  EXPECT_EQ(Call("DELETE", "/platform/configuration/trust-relationships/" + id).status, 200);
  r = Call("GET", "/platform/configuration/trust-relationships/" + id);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCode(r), "trust_relationships.not_found");
}

TEST_F(CloudApiTest, EceTrustRelationshipValidation) {
  Make(Flavor::kEce);
  net::HttpResponse r = Call("POST", "/platform/configuration/trust-relationships", R"({"name":"x","public_ca_cert":"nope"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorField(r), "public_ca_cert");
  r = Call("POST", "/platform/configuration/trust-relationships", R"({"name":"x"})");
  EXPECT_EQ(ErrorField(r), "public_ca_cert");
  r = Call("GET", "/platform/configuration/trust-relationships?filter=bogus");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorField(r), "filter");
  std::string local_id = Body(Call("GET", "/platform/configuration/trust-relationships"))["trust_relationships"][0]["id"];
  EXPECT_EQ(Call("DELETE", "/platform/configuration/trust-relationships/" + local_id).status, 400);
  EXPECT_EQ(Call("PUT", "/deployments/" + kProd, TrustUpdate(R"({"external":[{"trust_relationship_id":"nope","trust_all":true}]})")).status, 400);
}

TEST_F(CloudApiTest, InspectShowsDeploymentsWithoutSecrets) {
  Make(Flavor::kEch);
  ASSERT_EQ(Call("PATCH", "/deployments/" + kProd + "/elasticsearch/_main/keystore",
                 R"({"secrets":{"k":{"value":"very-secret-value"}}})").status, 200);
  Value v = env_->Inspect();
  EXPECT_EQ(v["organization_id"], kOrg);
  EXPECT_EQ(v["deployments"].size(), 2u);
  EXPECT_THAT(v["deployments"][0]["keystore_keys"], ElementsAre("k"));
  EXPECT_EQ(DumpJson(v).find("very-secret-value"), std::string::npos);
  EXPECT_EQ(DumpJson(v).find("prod-password"), std::string::npos);
  net::HttpRequest control = Request("GET", "");
  EXPECT_EQ(env_->HandleControl(control, "").status, 200);
  EXPECT_EQ(env_->HandleControl(control, "nope").status, 404);
}

TEST(CloudEnvironmentTest, DeploymentIdsAreValidated) {
  FakeClock clock;
  EnvironmentOptions o;
  o.key = "ech";
  o.scope_id = "1";
  o.region = "eu-west-1";
  o.domain = "eu-west-1.ech.ech.localhost";
  o.public_ca = testing::PublicCa();
  o.swagger = testing::EchSwagger();
  auto env = Environment::Create(o, clock, nullptr);
  ASSERT_TRUE(env.ok());
  DeploymentSpec bad;
  bad.key = "x";
  bad.deployment_id = "NOT-HEX";
  auto s = (*env)->AddDeployment(bad);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("deployment_id"), std::string::npos);
  DeploymentSpec ok;
  ok.key = "x";
  EXPECT_TRUE((*env)->AddDeployment(ok).ok());
  EXPECT_FALSE((*env)->AddDeployment(ok).ok());
}

}  // namespace
}  // namespace crosslink::sandbox::cloud
