// The Kubernetes API server twin, driven through its HTTP handler the way
// kubectl and client-go drive a real one.
#include "sandbox/k8s/api_server.h"

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/core/http.h"
#include "sandbox/k8s/es_webhook.h"
#include "sandbox/k8s/objects.h"
#include "sandbox/util.h"

namespace crosslink::sandbox::k8s {
namespace {

using ::testing::HasSubstr;

const std::string kToken = "sandbox-token-0123456789";

class ApiServerTest : public ::testing::Test {
 protected:
  ApiServerTest() {
    Result<CrdSchema> crd = CrdSchema::LoadFile(std::string(CROSSLINK_CONTRACTS_DIR) + "/eck-elasticsearch-crd.yaml");
    EXPECT_TRUE(crd.ok()) << crd.status().ToString();
    ApiServer::Options options;
    options.token = kToken;
    options.elasticsearch_crd = std::make_shared<const CrdSchema>(*crd);
    options.webhooks.push_back(ElasticsearchWebhook());
    options.allocate_load_balancer_ip = [this] { return "127.9.0." + std::to_string(++next_ip_); };
    server_ = std::make_unique<ApiServer>(std::move(options), clock_);
    server_->Subscribe([this](const WatchEvent& e) { events_.push_back(e.type + " " + e.resource->plural + " " + NameOf(e.object)); });
  }

  net::HttpResponse Call(const std::string& method, const std::string& path, const std::string& body = "",
                         const std::string& content_type = "application/json", std::map<std::string, std::string> query = {}) {
    net::HttpRequest req;
    req.method = method;
    req.path = path;
    req.query = std::move(query);
    req.body = body;
    req.headers["authorization"] = "Bearer " + kToken;
    if (!body.empty()) req.headers["content-type"] = content_type;
    return server_->Handle(req);
  }
  static Value Body(const net::HttpResponse& r) { return Value::parse(r.body); }

  net::HttpResponse CreateNamespace(const std::string& name) {
    return Call("POST", "/api/v1/namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" + name + "\"}}");
  }
  net::HttpResponse CreateEs(const std::string& ns, const std::string& json, std::map<std::string, std::string> query = {}) {
    return Call("POST", "/apis/elasticsearch.k8s.elastic.co/v1/namespaces/" + ns + "/elasticsearches", json,
                "application/json", std::move(query));
  }

  FakeClock clock_;
  int next_ip_ = 0;
  std::vector<std::string> events_;
  std::unique_ptr<ApiServer> server_;
};

constexpr char kProd[] = R"({"apiVersion":"elasticsearch.k8s.elastic.co/v1","kind":"Elasticsearch",
  "metadata":{"name":"prod"},"spec":{"version":"8.15.0","nodeSets":[{"name":"default","count":1}]}})";

TEST_F(ApiServerTest, RequestsWithoutTheBearerTokenAreUnauthorized) {
  net::HttpRequest req;
  req.method = "GET";
  req.path = "/api/v1/namespaces";
  net::HttpResponse r = server_->Handle(req);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Body(r), Value::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
                                     "message":"Unauthorized","reason":"Unauthorized","code":401})"));
  req.headers["authorization"] = "Bearer wrong";
  EXPECT_EQ(server_->Handle(req).status, 401);
  req.headers["authorization"] = "Bearer " + kToken;
  EXPECT_EQ(server_->Handle(req).status, 200);
  req.headers.clear();
  req.path = "/version";
  EXPECT_EQ(server_->Handle(req).status, 200);  // public, as on a real cluster
}

TEST_F(ApiServerTest, DiscoveryListsTheServedResources) {
  Value core = Body(Call("GET", "/api/v1"));
  std::vector<std::string> names;
  for (const auto& r : core["resources"]) names.push_back(r["name"]);
  EXPECT_THAT(names, ::testing::IsSupersetOf({"namespaces", "secrets", "configmaps", "services", "services/status"}));
  Value groups = Body(Call("GET", "/apis"));
  EXPECT_EQ(groups["groups"][0]["name"], "elasticsearch.k8s.elastic.co");
  Value es = Body(Call("GET", "/apis/elasticsearch.k8s.elastic.co/v1"));
  EXPECT_EQ(es["resources"][0]["kind"], "Elasticsearch");
  EXPECT_EQ(es["resources"][0]["shortNames"][0], "es");
  EXPECT_EQ(Call("GET", "/apis/nope/v1/things").status, 404);
}

TEST_F(ApiServerTest, SecretLifecycle) {
  net::HttpResponse created = Call("POST", "/api/v1/namespaces/default/secrets",
                                   R"({"metadata":{"name":"creds","labels":{"app":"x"}},"stringData":{"password":"s3cret"},"data":{"user":"ZWxhc3RpYw=="}})");
  ASSERT_EQ(created.status, 201) << created.body;
  Value s = Body(created);
  EXPECT_EQ(s["type"], "Opaque");
  EXPECT_FALSE(s.contains("stringData"));
  EXPECT_EQ(SecretData(s, "password"), "s3cret");
  EXPECT_EQ(SecretData(s, "user"), "elastic");
  EXPECT_FALSE(s["metadata"]["uid"].get<std::string>().empty());
  const std::string rv = s["metadata"]["resourceVersion"];

  net::HttpResponse dup = Call("POST", "/api/v1/namespaces/default/secrets", R"({"metadata":{"name":"creds"}})");
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(Body(dup)["reason"], "AlreadyExists");
  EXPECT_EQ(Body(dup)["message"], "secrets \"creds\" already exists");

  // Replace with the right resourceVersion, then with the stale one.
  s["data"]["user"] = http::Base64Encode("admin");
  net::HttpResponse replaced = Call("PUT", "/api/v1/namespaces/default/secrets/creds", s.dump());
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_NE(Body(replaced)["metadata"]["resourceVersion"], rv);
  net::HttpResponse stale = Call("PUT", "/api/v1/namespaces/default/secrets/creds", s.dump());
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(Body(stale)["reason"], "Conflict");
  EXPECT_EQ(Body(stale)["message"],
            "Operation cannot be fulfilled on secrets \"creds\": the object has been modified; please apply your changes "
            "to the latest version and try again");

  // Merge patch with stringData adds a key and keeps the rest.
  net::HttpResponse patched = Call("PATCH", "/api/v1/namespaces/default/secrets/creds", R"({"stringData":{"extra":"v"}})",
                                   "application/merge-patch+json");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(SecretData(Body(patched), "extra"), "v");
  EXPECT_EQ(SecretData(Body(patched), "user"), "admin");

  net::HttpResponse del = Call("DELETE", "/api/v1/namespaces/default/secrets/creds");
  ASSERT_EQ(del.status, 200);
  EXPECT_EQ(Body(del)["status"], "Success");
  net::HttpResponse gone = Call("GET", "/api/v1/namespaces/default/secrets/creds");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(Body(gone)["message"], "secrets \"creds\" not found");
  EXPECT_EQ(Body(gone)["details"]["kind"], "secrets");
  EXPECT_THAT(events_, ::testing::ElementsAre("ADDED secrets creds", "MODIFIED secrets creds", "MODIFIED secrets creds",
                                              "DELETED secrets creds"));
}

TEST_F(ApiServerTest, SecretDataMustBeBase64AndKeysValid) {
  net::HttpResponse r = Call("POST", "/api/v1/namespaces/default/secrets", R"({"metadata":{"name":"x"},"data":{"k":"not base64!"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(Body(r)["message"].get<std::string>(), HasSubstr("illegal base64 data at input byte 3"));
  r = Call("POST", "/api/v1/namespaces/default/secrets", R"({"metadata":{"name":"x"},"data":{"k":"YWRtaW4"}})");
  EXPECT_EQ(r.status, 400);  // unpadded: Go's StdEncoding stops at the last quantum
  EXPECT_THAT(Body(r)["message"].get<std::string>(), HasSubstr("illegal base64 data at input byte 4"));
  r = Call("POST", "/api/v1/namespaces/default/secrets", R"({"metadata":{"name":"x"},"stringData":{"bad key":"v"}})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(Body(r)["details"]["causes"][0]["field"], "data[bad key]");
  r = Call("POST", "/api/v1/namespaces/default/secrets", R"({"metadata":{"name":"Bad_Name"}})");
  EXPECT_EQ(r.status, 422);
  EXPECT_THAT(Body(r)["message"].get<std::string>(), HasSubstr("Secret \"Bad_Name\" is invalid: metadata.name: Invalid value"));
}

TEST_F(ApiServerTest, WritesIntoAMissingNamespaceAreNotFound) {
  net::HttpResponse r = Call("POST", "/api/v1/namespaces/ghost/configmaps", R"({"metadata":{"name":"x"}})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Body(r)["message"], "namespaces \"ghost\" not found");
  ASSERT_EQ(CreateNamespace("ghost").status, 201);
  EXPECT_EQ(Call("POST", "/api/v1/namespaces/ghost/configmaps", R"({"metadata":{"name":"x"}})").status, 201);
  EXPECT_EQ(Call("DELETE", "/api/v1/namespaces/ghost").status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/ghost/configmaps/x").status, 404);
}

TEST_F(ApiServerTest, LabelAndFieldSelectors) {
  for (auto [name, labels] : std::vector<std::pair<std::string, std::string>>{
           {"a", R"({"tier":"hot","app":"es"})"}, {"b", R"({"tier":"warm","app":"es"})"}, {"c", R"({"tier":"cold"})"}}) {
    ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/configmaps",
                   R"({"metadata":{"name":")" + name + R"(","labels":)" + labels + R"(},"data":{"k":"v"}})")
                  .status,
              201);
  }
  auto names = [&](std::map<std::string, std::string> q) {
    net::HttpResponse r = Call("GET", "/api/v1/namespaces/default/configmaps", "", "", std::move(q));
    std::vector<std::string> out;
    if (r.status != 200) return std::vector<std::string>{"HTTP " + std::to_string(r.status)};
    const Value list = Body(r);
    for (const auto& i : list["items"]) out.push_back(i["metadata"]["name"]);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names({{"labelSelector", "tier=hot"}}), V({"a"}));
  EXPECT_EQ(names({{"labelSelector", "tier==warm,app=es"}}), V({"b"}));
  EXPECT_EQ(names({{"labelSelector", "tier!=hot"}}), V({"b", "c"}));
  EXPECT_EQ(names({{"labelSelector", "tier in (hot, cold)"}}), V({"a", "c"}));
  EXPECT_EQ(names({{"labelSelector", "tier notin (hot)"}}), V({"b", "c"}));
  EXPECT_EQ(names({{"labelSelector", "app"}}), V({"a", "b"}));
  EXPECT_EQ(names({{"labelSelector", "!app"}}), V({"c"}));
  EXPECT_EQ(names({{"fieldSelector", "metadata.name=b"}}), V({"b"}));
  EXPECT_EQ(names({{"fieldSelector", "spec.foo=b"}}), V({"HTTP 400"}));
  EXPECT_EQ(names({{"labelSelector", "tier in hot"}}), V({"HTTP 400"}));
  Value list = Body(Call("GET", "/api/v1/configmaps"));
  EXPECT_EQ(list["kind"], "ConfigMapList");
  EXPECT_EQ(list["items"].size(), 3u);
}

TEST_F(ApiServerTest, LoadBalancerServicesGetTheirOwnAddress) {
  net::HttpResponse lb = Call("POST", "/api/v1/namespaces/default/services",
                              R"({"metadata":{"name":"prod-lb"},"spec":{"type":"LoadBalancer","ports":[{"port":9443}],
                                  "selector":{"elasticsearch.k8s.elastic.co/cluster-name":"prod"}}})");
  ASSERT_EQ(lb.status, 201) << lb.body;
  Value svc = Body(lb);
  EXPECT_EQ(svc["status"]["loadBalancer"]["ingress"][0]["ip"], "127.9.0.1");
  EXPECT_EQ(svc["spec"]["ports"][0]["targetPort"], 9443);
  EXPECT_EQ(svc["spec"]["ports"][0]["protocol"], "TCP");
  // A second LB gets another address; a headless ClusterIP service none.
  Value other = Body(Call("POST", "/api/v1/namespaces/default/services",
                          R"({"metadata":{"name":"other"},"spec":{"type":"LoadBalancer","ports":[{"port":9200}]}})"));
  EXPECT_EQ(other["status"]["loadBalancer"]["ingress"][0]["ip"], "127.9.0.2");
  Value headless = Body(Call("POST", "/api/v1/namespaces/default/services",
                             R"({"metadata":{"name":"hl"},"spec":{"clusterIP":"None","ports":[{"port":9300,"name":"tls-transport"}]}})"));
  EXPECT_EQ(headless["spec"]["clusterIP"], "None");
  EXPECT_EQ(headless["status"]["loadBalancer"], Value::object());
  // Status sent by clients on the main resource is ignored; the address stays.
  svc["status"]["loadBalancer"]["ingress"][0]["ip"] = "1.2.3.4";
  svc["metadata"]["labels"]["x"] = "y";
  Value replaced = Body(Call("PUT", "/api/v1/namespaces/default/services/prod-lb", svc.dump()));
  EXPECT_EQ(replaced["status"]["loadBalancer"]["ingress"][0]["ip"], "127.9.0.1");
  net::HttpResponse bad = Call("POST", "/api/v1/namespaces/default/services",
                               R"({"metadata":{"name":"bad"},"spec":{"type":"Weird","ports":[{"port":1},{"port":70000}]}})");
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(Body(bad)["details"]["causes"].size(), 4u);  // type, ports[0].name, ports[1].port, ports[1].name
}

TEST_F(ApiServerTest, UpstreamRecipeIsAcceptedAndGenerationTracksSpec) {
  std::ifstream in(std::string(CROSSLINK_CONTRACTS_DIR) + "/eck-recipes-remoteclusters/elasticsearch.yaml");
  std::stringstream buf;
  buf << in.rdbuf();
  Result<std::vector<Value>> docs = ParseYamlDocuments(buf.str());
  ASSERT_TRUE(docs.ok());
  for (const Value& doc : *docs) {
    if (doc["kind"] == "Namespace") {
      ASSERT_EQ(Call("POST", "/api/v1/namespaces", doc.dump()).status, 201);
    } else if (doc["kind"] == "Elasticsearch") {
      net::HttpResponse r = CreateEs(NamespaceOf(doc), doc.dump());
      ASSERT_EQ(r.status, 201) << r.body;
      EXPECT_EQ(Body(r)["metadata"]["generation"], 1);
      EXPECT_EQ(r.headers.count("Warning"), 0u);
    }
  }
  Value all = Body(Call("GET", "/apis/elasticsearch.k8s.elastic.co/v1/elasticsearches"));
  ASSERT_EQ(all["items"].size(), 2u);
  EXPECT_EQ(all["kind"], "ElasticsearchList");

  const std::string path = "/apis/elasticsearch.k8s.elastic.co/v1/namespaces/ns2/elasticsearches/cluster2";
  Value label = Body(Call("PATCH", path, R"({"metadata":{"labels":{"team":"a"}}})", "application/merge-patch+json"));
  EXPECT_EQ(label["metadata"]["generation"], 1);  // metadata only
  Value spec = Body(Call("PATCH", path, R"({"spec":{"nodeSets":[{"name":"default","count":1}]}})", "application/merge-patch+json"));
  EXPECT_EQ(spec["metadata"]["generation"], 2);
  // Strategic merge patch is not served for custom resources.
  EXPECT_EQ(Call("PATCH", path, R"({"spec":{}})", "application/strategic-merge-patch+json").status, 415);
  // JSON patch works too.
  net::HttpResponse jp = Call("PATCH", path, R"([{"op":"replace","path":"/spec/nodeSets/0/count","value":2}])", "application/json-patch+json");
  ASSERT_EQ(jp.status, 200) << jp.body;
  EXPECT_EQ(Body(jp)["spec"]["nodeSets"][0]["count"], 2);
}

TEST_F(ApiServerTest, StatusSubresourceIsTheOnlyWayToChangeStatus) {
  ASSERT_EQ(CreateEs("default", kProd).status, 201);
  const std::string path = "/apis/elasticsearch.k8s.elastic.co/v1/namespaces/default/elasticsearches/prod";
  net::HttpResponse st = Call("PATCH", path + "/status", R"({"status":{"phase":"Ready","health":"green"},"spec":{"version":"9.0.0"}})",
                              "application/merge-patch+json");
  ASSERT_EQ(st.status, 200) << st.body;
  EXPECT_EQ(Body(st)["status"]["phase"], "Ready");
  EXPECT_EQ(Body(st)["spec"]["version"], "8.15.0");  // spec untouched through /status
  Value obj = Body(Call("GET", path));
  obj["status"]["phase"] = "Hacked";
  obj["spec"]["version"] = "8.16.0";
  Value after = Body(Call("PUT", path, obj.dump()));
  EXPECT_EQ(after["status"]["phase"], "Ready");  // main resource ignores status
  EXPECT_EQ(after["spec"]["version"], "8.16.0");
  EXPECT_EQ(Body(Call("GET", path + "/status"))["status"]["health"], "green");
  // Custom resources need a resourceVersion on update.
  after["metadata"].erase("resourceVersion");
  net::HttpResponse unconditional = Call("PUT", path, after.dump());
  EXPECT_EQ(unconditional.status, 422);
  EXPECT_THAT(Body(unconditional)["message"].get<std::string>(), HasSubstr("must be specified for an update"));
}

TEST_F(ApiServerTest, SchemaViolationsAre422WithEveryCause) {
  net::HttpResponse r = CreateEs("default", R"({"metadata":{"name":"prod"},"spec":{"version":"8.15.0",
      "nodeSets":[{"name":"default","count":"three"},{"count":1}]}})");
  ASSERT_EQ(r.status, 422);
  Value s = Body(r);
  EXPECT_EQ(s["reason"], "Invalid");
  EXPECT_EQ(s["code"], 422);
  EXPECT_EQ(s["details"]["kind"], "Elasticsearch");
  EXPECT_EQ(s["details"]["group"], "elasticsearch.k8s.elastic.co");
  EXPECT_EQ(s["message"],
            "Elasticsearch.elasticsearch.k8s.elastic.co \"prod\" is invalid: [spec.nodeSets[0].count: Invalid value: "
            "\"string\": spec.nodeSets[0].count in body must be of type integer: \"string\", spec.nodeSets[1].name: "
            "Required value]");
  EXPECT_EQ(s["details"]["causes"][1],
            Value::parse(R"({"reason":"FieldValueRequired","message":"Required value","field":"spec.nodeSets[1].name"})"));
  EXPECT_EQ(Call("GET", "/apis/elasticsearch.k8s.elastic.co/v1/namespaces/default/elasticsearches/prod").status, 404);
}

TEST_F(ApiServerTest, UnknownFieldsWarnByDefaultAndFailWhenStrict) {
  const std::string body = R"({"metadata":{"name":"prod"},"spec":{"version":"8.15.0","foo":1,"nodeSets":[{"name":"default","count":1}]}})";
  net::HttpResponse strict = CreateEs("default", body, {{"fieldValidation", "Strict"}});
  EXPECT_EQ(strict.status, 400);
  EXPECT_EQ(Body(strict)["message"],
            "Elasticsearch in version \"v1\" cannot be handled as a Elasticsearch: strict decoding error: unknown field \"spec.foo\"");
  net::HttpResponse warn = CreateEs("default", body);
  ASSERT_EQ(warn.status, 201);
  EXPECT_EQ(warn.headers["Warning"], "299 - \"unknown field \\\"spec.foo\\\"\"");
  EXPECT_FALSE(Body(warn)["spec"].contains("foo"));
}

TEST_F(ApiServerTest, WebhookDenials) {
  auto denied = [&](const std::string& name, const std::string& spec) {
    net::HttpResponse r = CreateEs("default", R"({"metadata":{"name":")" + name + R"("},"spec":)" + spec + "}");
    EXPECT_EQ(r.status, 422) << r.body;
    return Body(r)["message"].get<std::string>();
  };
  const std::string ok_spec = R"({"version":"8.15.0","nodeSets":[{"name":"default","count":1}]})";
  EXPECT_THAT(denied(std::string(37, 'a'), ok_spec),
              HasSubstr("admission webhook \"elastic-es-validation-v1.k8s.elastic.co\" denied the request: "
                        "Elasticsearch.elasticsearch.k8s.elastic.co \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" is invalid: "
                        "metadata.name: Invalid value"));
  EXPECT_THAT(denied("v", R"({"version":"eight","nodeSets":[{"name":"default","count":1}]})"),
              HasSubstr("spec.version: Invalid value: \"eight\": Cannot parse Elasticsearch version"));
  EXPECT_THAT(denied("rcs", R"({"version":"8.10.0","remoteClusterServer":{"enabled":true},"nodeSets":[{"name":"default","count":1}]})"),
              HasSubstr("spec.remoteClusterServer.enabled: Forbidden"));
  EXPECT_THAT(denied("key", R"({"version":"8.9.0","remoteClusters":[{"name":"r","elasticsearchRef":{"name":"x"},"apiKey":{"access":{"search":{"names":["*"]}}}}],"nodeSets":[{"name":"default","count":1}]})"),
              HasSubstr("spec.remoteClusters[0].apiKey: Forbidden"));
  EXPECT_THAT(denied("dup", R"({"version":"8.15.0","nodeSets":[{"name":"a","count":1},{"name":"a","count":1}]})"),
              HasSubstr("spec.nodeSets[1].name: Duplicate value: \"a\""));
  EXPECT_THAT(denied("dupr", R"({"version":"8.15.0","remoteClusters":[{"name":"r"},{"name":"r"}],"nodeSets":[{"name":"a","count":1}]})"),
              HasSubstr("spec.remoteClusters[1].name: Duplicate value: \"r\""));
  EXPECT_EQ(CreateEs("default", R"({"metadata":{"name":")" + std::string(36, 'a') + R"("},"spec":)" + ok_spec + "}").status, 201);
  // 8.10.1 is the first version with the remote cluster server.
  EXPECT_EQ(CreateEs("default", R"({"metadata":{"name":"rcs-ok"},"spec":{"version":"8.10.1","remoteClusterServer":{"enabled":true},"nodeSets":[{"name":"default","count":1}]}})").status, 201);
}

TEST(SecretValueTest, DecodesPaddedBase64AndNamesTheBadByte) {
  EXPECT_EQ(DecodeSecretValue("YWRtaW4="), "admin");
  EXPECT_EQ(DecodeSecretValue(""), "");
  std::string why;
  EXPECT_FALSE(DecodeSecretValue("YW=RtaW4", &why));
  EXPECT_EQ(why, "illegal base64 data at input byte 2");
  EXPECT_FALSE(DecodeSecretValue("YWRtaW4=YQ==", &why));
  EXPECT_EQ(why, "illegal base64 data at input byte 8");
  EXPECT_FALSE(DecodeSecretValue("YWRt*W4=", &why));
  EXPECT_EQ(why, "illegal base64 data at input byte 4");
}

// The webhook's version parser (sandbox::ParseVersionStrict) accepts exactly
// {major}.{minor}.{patch}[-{label}].
TEST(StrictVersionTest, AcceptsOnlyTheWebhookFormat) {
  ASSERT_TRUE(ParseVersionStrict("8.15.0"));
  EXPECT_EQ(*ParseVersionStrict("8.15.0"), (Version{8, 15, 0}));
  EXPECT_EQ(*ParseVersionStrict("9.0.0-SNAPSHOT"), (Version{9, 0, 0}));
  EXPECT_EQ(*ParseVersionStrict("8.10.1-rc.1"), (Version{8, 10, 1}));
  for (const char* bad : {"", "8", "8.15", "8.15.", "8.15.0-", "8.15.0.1", "v8.15.0", "8.x.0", "8.15.0 ", "-1.0.0",
                          "8.15.0-a_b", "99999999999.0.0"}) {
    EXPECT_FALSE(ParseVersionStrict(bad)) << bad;
  }
  EXPECT_LT((Version{8, 9, 9}), (Version{8, 10, 0}));
  EXPECT_LE((Version{8, 10, 0}), (Version{8, 10, 0}));
  EXPECT_TRUE((Version{7, 17, 0}).AtLeast(7, 17));
  EXPECT_FALSE((Version{7, 16, 9}).AtLeast(7, 17));
}

TEST_F(ApiServerTest, MalformedRequests) {
  EXPECT_EQ(Call("POST", "/api/v1/namespaces/default/secrets", "{not json").status, 400);
  EXPECT_EQ(Call("POST", "/api/v1/namespaces/default/secrets", "a: b", "text/plain").status, 415);
  EXPECT_EQ(Call("POST", "/api/v1/namespaces/default/secrets/x", "{}").status, 405);
  EXPECT_EQ(Call("PATCH", "/api/v1/namespaces/default/secrets/missing", "{}", "application/merge-patch+json").status, 404);
  net::HttpResponse yaml = Call("POST", "/api/v1/namespaces/default/configmaps", "metadata:\n  name: fromyaml\ndata:\n  a: '1'\n", "application/yaml");
  EXPECT_EQ(yaml.status, 201) << yaml.body;
  net::HttpResponse rename = Call("PUT", "/api/v1/namespaces/default/configmaps/fromyaml", R"({"metadata":{"name":"other"}})");
  EXPECT_EQ(rename.status, 400);
}

}  // namespace
}  // namespace crosslink::sandbox::k8s
