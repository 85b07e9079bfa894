// The ECK operator twin: what it creates for an Elasticsearch resource, how
// it restarts, and same-operator remote clusters.
#include <gmock/gmock.h>

#include "engine/core/pki.h"
#include "tests/sandbox/eck/fixture.h"

namespace crosslink::sandbox::eck {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using k8s::ApiServer;
using k8s::SecretData;

constexpr char kProd[] = R"({"metadata":{"name":"prod"},"spec":{"version":"8.15.0",
  "http":{"service":{"spec":{"type":"LoadBalancer"}}},
  "nodeSets":[{"name":"default","count":2}]}})";

class OperatorTest : public OperatorFixture {
 protected:
  void SetUp() override {
    OperatorOptions o;
    o.restart = std::chrono::milliseconds(150);
    o.resync = std::chrono::milliseconds(10);
    SetUpWith(o);
  }
};

TEST_F(OperatorTest, CreatesTheObjectsEckCreates) {
  CreateEs("default", kProd);
  // First the cluster is being created, then it is Ready.
  ASSERT_TRUE(Eventually([&] { return Phase("default", "prod") == "ApplyingChanges"; }));
  ASSERT_TRUE(Eventually([&] { return Ready("default", "prod"); }));
  Value status = Es("default", "prod")["status"];
  EXPECT_EQ(status["health"], "green");
  EXPECT_EQ(status["availableNodes"], 2);
  EXPECT_EQ(status["version"], "8.15.0");
  EXPECT_EQ(status["observedGeneration"], 1);

  Value pub = SecretObj("default", "prod-es-transport-certs-public");
  ASSERT_FALSE(pub.is_null());
  EXPECT_FALSE(pub["metadata"].contains("ownerReferences"));
  Result<pki::CertificateInfo> ca = pki::InspectCertificate(*SecretData(pub, "ca.crt"));
  ASSERT_TRUE(ca.ok());
  EXPECT_TRUE(ca->is_ca);
  Value http = SecretObj("default", "prod-es-http-certs-public");
  Result<pki::CertificateInfo> http_cert = pki::InspectCertificate(*SecretData(http, "tls.crt"));
  ASSERT_TRUE(http_cert.ok());
  EXPECT_THAT(http_cert->dns_names, Contains("prod-es-http.default.svc"));
  EXPECT_THAT(http_cert->dns_names, Contains("prod-es-http"));
  Value user = SecretObj("default", "prod-es-elastic-user");
  EXPECT_GE(SecretData(user, "elastic")->size(), 20u);
  EXPECT_EQ(user["metadata"]["ownerReferences"][0]["kind"], "Elasticsearch");
  EXPECT_FALSE(SecretObj("default", "prod-es-remote-ca").is_null());

  Value svc = Service("default", "prod-es-http");
  EXPECT_EQ(svc["spec"]["type"], "LoadBalancer");
  EXPECT_EQ(svc["spec"]["ports"][0]["port"], 9200);
  EXPECT_EQ(svc["spec"]["selector"]["elasticsearch.k8s.elastic.co/cluster-name"], "prod");
  const std::string lb_ip = svc["status"]["loadBalancer"]["ingress"][0]["ip"];
  EXPECT_EQ(lb_ip.rfind("127.", 0), 0u);
  Value transport = Service("default", "prod-es-transport");
  EXPECT_EQ(transport["spec"]["clusterIP"], "None");
  EXPECT_EQ(transport["spec"]["ports"][0]["name"], "tls-transport");
  EXPECT_EQ(transport["spec"]["ports"][0]["port"], 9300);
  EXPECT_TRUE(Service("default", "prod-es-remote-cluster").is_null());

  // The twin runs with the operator's certificates, on the pod address.
  es::Twin* twin = op_->FindTwin("prod");
  ASSERT_NE(twin, nullptr);
  EXPECT_EQ(twin->restarts(), 1);
  es::NodeConfig config = twin->config();
  EXPECT_FALSE(config.rcs_enabled);
  Result<pki::CertificateInfo> node = pki::InspectCertificate(config.transport_identity->LeafPem());
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(node->common_name, "prod-es-default-0.node.prod.default.es.local");
  EXPECT_THAT(node->dns_names, Contains("prod-es-default-1.prod-es-default.default.svc"));
  EXPECT_THAT(node->dns_names, Contains("prod-es-transport.default.svc"));
  EXPECT_THAT(node->other_names, Contains("prod-es-default-1.node.prod.default.es.local"));
  EXPECT_EQ(host_->Resolve("prod-es-http.default.svc"), op_->PodAddress("prod"));
  EXPECT_EQ(host_->Resolve("prod-es-default-0.prod-es-default.default.svc"), op_->PodAddress("prod"));
  EXPECT_TRUE(host_->server().Has("es/prod/rest"));
  EXPECT_TRUE(host_->server().Has("es/prod/transport"));
  EXPECT_TRUE(Eventually([&] { return host_->server().Has("eck/test/lb/default/prod-es-http/9200"); }));

  // Deleting the resource removes what it owned and closes its ports.
  ASSERT_TRUE(api_->Delete(ApiServer::Elasticsearches(), "default", "prod").ok());
  EXPECT_TRUE(Eventually([&] { return SecretObj("default", "prod-es-elastic-user").is_null(); }));
  EXPECT_TRUE(Eventually([&] { return !host_->server().Has("es/prod/rest"); }));
  EXPECT_TRUE(Eventually([&] { return !host_->server().Has("eck/test/lb/default/prod-es-http/9200"); }));
}

TEST_F(OperatorTest, EnablingTheRemoteClusterServerAddsTheServiceAndRestarts) {
  CreateEs("default", kProd);
  ASSERT_TRUE(Eventually([&] { return Ready("default", "prod"); }));
  PatchEs("default", "prod", R"({"spec":{"remoteClusterServer":{"enabled":true}}})");
  ASSERT_TRUE(Eventually([&] { return !Service("default", "prod-es-remote-cluster").is_null(); }));
  Value rcs = Service("default", "prod-es-remote-cluster");
  EXPECT_EQ(rcs["spec"]["ports"][0]["name"], "rcs");
  EXPECT_EQ(rcs["spec"]["ports"][0]["port"], 9443);
  EXPECT_EQ(rcs["spec"]["clusterIP"], "None");
  es::Twin* twin = op_->FindTwin("prod");
  ASSERT_TRUE(Eventually([&] { return twin->restarts() == 2 && Ready("default", "prod"); }));
  EXPECT_TRUE(twin->config().rcs_enabled);
  EXPECT_EQ(Es("default", "prod")["status"]["observedGeneration"], 2);
  Result<pki::CertificateInfo> node = pki::InspectCertificate(twin->config().transport_identity->LeafPem());
  EXPECT_THAT(node->dns_names, Contains("prod-es-remote-cluster.default.svc"));
  EXPECT_EQ(host_->Resolve("prod-es-remote-cluster.default.svc"), op_->PodAddress("prod"));

  // ECK >= 3.3 exposes it through spec.remoteClusterServer.service.
  PatchEs("default", "prod", R"({"spec":{"remoteClusterServer":{"service":{"spec":{"type":"LoadBalancer"}}}}})");
  ASSERT_TRUE(Eventually([&] { return Service("default", "prod-es-remote-cluster")["spec"]["type"] == "LoadBalancer"; }));
  EXPECT_TRUE(Eventually([&] { return host_->server().Has("eck/test/lb/default/prod-es-remote-cluster/9443"); }));
  // Disabling it removes the Service (and restarts).
  PatchEs("default", "prod", R"({"spec":{"remoteClusterServer":{"enabled":false}}})");
  EXPECT_TRUE(Eventually([&] { return Service("default", "prod-es-remote-cluster").is_null(); }));
  EXPECT_TRUE(Eventually([&] { return !twin->config().rcs_enabled; }));
}

TEST_F(OperatorTest, UserMadeLoadBalancerServicesGetListenersUntilDeleted) {
  CreateEs("default", R"({"metadata":{"name":"prod"},"spec":{"version":"8.15.0","remoteClusterServer":{"enabled":true},
                          "nodeSets":[{"name":"default","count":1}]}})");
  ASSERT_TRUE(Eventually([&] { return Ready("default", "prod"); }));
  // kubectl expose service prod-es-remote-cluster --name=prod-rcs-lb --type=LoadBalancer --port=443 --target-port=9443
  k8s::ApiResult r = api_->Create(ApiServer::Services(), "default", Value::parse(R"({"metadata":{"name":"prod-rcs-lb"},
      "spec":{"type":"LoadBalancer","ports":[{"port":443,"targetPort":"rcs"}],
              "selector":{"elasticsearch.k8s.elastic.co/cluster-name":"prod"}}})"));
  ASSERT_TRUE(r.ok());
  const std::string ip = r.object["status"]["loadBalancer"]["ingress"][0]["ip"];
  EXPECT_NE(ip, op_->PodAddress("prod"));
  EXPECT_TRUE(Eventually([&] { return host_->server().Has("eck/test/lb/default/prod-rcs-lb/443"); }));
  ASSERT_TRUE(api_->Delete(ApiServer::Services(), "default", "prod-rcs-lb").ok());
  EXPECT_TRUE(Eventually([&] { return !host_->server().Has("eck/test/lb/default/prod-rcs-lb/443"); }));
}

TEST_F(OperatorTest, SecureSettingsChangeIsARollingRestart) {
  CreateNamespace("default");
  ASSERT_TRUE(api_->Create(ApiServer::Secrets(), "default",
                           Value::parse(R"({"metadata":{"name":"remote-api-keys"},"stringData":{"cluster.remote.a.credentials":"one"}})"))
                  .ok());
  CreateEs("default", R"({"metadata":{"name":"prod"},"spec":{"version":"8.15.0","secureSettings":[{"secretName":"remote-api-keys"}],
                          "nodeSets":[{"name":"default","count":1}]}})");
  ASSERT_TRUE(Eventually([&] { return Ready("default", "prod"); }));
  es::Twin* twin = op_->FindTwin("prod");
  EXPECT_THAT(twin->keystore_keys(), Contains("cluster.remote.a.credentials"));

  ASSERT_TRUE(api_->Patch(ApiServer::Secrets(), "default", "remote-api-keys", "application/merge-patch+json",
                          Value::parse(R"({"stringData":{"cluster.remote.b.credentials":"two"}})"))
                  .ok());
  ASSERT_TRUE(Eventually([&] { return Phase("default", "prod") == "ApplyingChanges"; }));
  // The keystore changes only with the restart: while the twin has not been
  // restarted again, the new entry is not there.
  const int restarts_before = twin->restarts();
  const std::vector<std::string> keys = twin->keystore_keys();
  if (restarts_before == 1 && twin->restarts() == 1) {
    EXPECT_THAT(keys, ::testing::Not(Contains("cluster.remote.b.credentials")));
  }
  ASSERT_TRUE(Eventually([&] { return Ready("default", "prod") && twin->restarts() == 2; }));
  EXPECT_THAT(twin->keystore_keys(), Contains("cluster.remote.b.credentials"));
  EXPECT_EQ(twin->restarts(), 2);
  EXPECT_EQ(twin->config().keystore.at("cluster.remote.b.credentials").expose(), "two");
  EXPECT_EQ(SecretData(SecretObj("default", "prod-es-secure-settings"), "cluster.remote.b.credentials"), "two");
}

TEST_F(OperatorTest, MissingSecureSettingsSecretBlocksTheRestartUntilItExists) {
  CreateEs("default", R"({"metadata":{"name":"prod"},"spec":{"version":"8.15.0","secureSettings":[{"secretName":"later",
                          "entries":[{"key":"k","path":"cluster.remote.x.credentials"}]}],"nodeSets":[{"name":"default","count":1}]}})");
  ASSERT_TRUE(Eventually([&] { return HasEvent("Secret \"later\" not found"); }));
  EXPECT_EQ(Phase("default", "prod"), "ApplyingChanges");
  EXPECT_EQ(op_->FindTwin("prod")->restarts(), 0);
  ASSERT_TRUE(api_->Create(ApiServer::Secrets(), "default", Value::parse(R"({"metadata":{"name":"later"},"stringData":{"k":"v","other":"w"}})")).ok());
  ASSERT_TRUE(Eventually([&] { return Ready("default", "prod"); }));
  EXPECT_EQ(op_->FindTwin("prod")->keystore_keys(), std::vector<std::string>{"cluster.remote.x.credentials"});
}

TEST_F(OperatorTest, ClientCaFromMountedConfigMapAndTrustRestrictions) {
  CreateNamespace("default");
  pki::CertificateSpec spec;
  spec.common_name = "other-ca";
  spec.is_ca = true;
  Result<pki::Identity> other = pki::CreateCa(spec);
  ASSERT_TRUE(other.ok());
  Value cm = {{"metadata", {{"name", "remote-ca"}}}, {"data", {{"remote-cluster-ca.crt", other->LeafPem()}}}};
  ASSERT_TRUE(api_->Create(ApiServer::ConfigMaps(), "default", cm).ok());
  Value trust = {{"metadata", {{"name", "trust"}}}, {"data", {{"trust.yml", "trust.subject_name:\n  - \"*.node.prod.default.es.local\"\n  - \"*.eu-west-1.aws.found.io\"\n"}}}};
  ASSERT_TRUE(api_->Create(ApiServer::ConfigMaps(), "default", trust).ok());
  CreateEs("default", R"({"metadata":{"name":"prod"},"spec":{"version":"8.15.0","nodeSets":[{"name":"default","count":1,
    "config":{"xpack.security.remote_cluster_client.ssl.enabled":true,
              "xpack.security.remote_cluster_client.ssl.certificate_authorities":["remote-certs/remote-cluster-ca.crt"],
              "xpack":{"security":{"transport":{"ssl":{"trust_restrictions":{"path":"/usr/share/elasticsearch/config/trust-filter/trust.yml"}}}}}},
    "podTemplate":{"spec":{"containers":[{"name":"elasticsearch","volumeMounts":[
        {"name":"remote-ca","mountPath":"/usr/share/elasticsearch/config/remote-certs"},
        {"name":"trust","mountPath":"/usr/share/elasticsearch/config/trust-filter"}]}],
      "volumes":[{"name":"remote-ca","configMap":{"name":"remote-ca"}},{"name":"trust","configMap":{"name":"trust"}}]}}}]}})");
  ASSERT_TRUE(Eventually([&] { return Ready("default", "prod"); }));
  es::NodeConfig config = op_->FindTwin("prod")->config();
  EXPECT_EQ(config.rcs_client_ca_pems, std::vector<std::string>{other->LeafPem()});
  EXPECT_EQ(config.transport_trust_restrictions,
            (std::vector<std::string>{"*.node.prod.default.es.local", "*.eu-west-1.aws.found.io"}));
}

TEST_F(OperatorTest, TransportCaRotationRestartsWithNewCertificates) {
  CreateEs("default", kProd);
  ASSERT_TRUE(Eventually([&] { return Ready("default", "prod"); }));
  const std::string before = *SecretData(SecretObj("default", "prod-es-transport-certs-public"), "ca.crt");
  es::Twin* twin = op_->FindTwin("prod");
  const std::string chain_before = twin->config().transport_identity->chain_pem;
  ASSERT_TRUE(op_->RotateTransportCa("default", "prod").ok());
  EXPECT_NE(*SecretData(SecretObj("default", "prod-es-transport-certs-public"), "ca.crt"), before);
  ASSERT_TRUE(Eventually([&] { return twin->restarts() == 2 && Ready("default", "prod"); }));
  EXPECT_NE(twin->config().transport_identity->chain_pem, chain_before);
  EXPECT_EQ(op_->RotateTransportCa("default", "nope").code(), StatusCode::kNotFound);
}

constexpr char kCluster2[] = R"({"metadata":{"name":"cluster2"},"spec":{"version":"9.1.0","remoteClusterServer":{"enabled":true},
  "nodeSets":[{"name":"default","count":1}]}})";
constexpr char kCluster1[] = R"({"metadata":{"name":"cluster1"},"spec":{"version":"9.1.0",
  "remoteClusters":[{"name":"to-ns2-cluster2","elasticsearchRef":{"name":"cluster2","namespace":"ns2"},
                     "apiKey":{"access":{"search":{"names":["kibana_sample_data_ecommerce"]}}}}],
  "nodeSets":[{"name":"default","count":1}]}})";

TEST_F(OperatorTest, SameOperatorRemoteClusterWithApiKey) {
  CreateEs("ns2", kCluster2);
  CreateEs("ns1", kCluster1);
  ASSERT_TRUE(Eventually([&] { return Ready("ns1", "cluster1") && Ready("ns2", "cluster2"); }));

  // CA copies both ways, with ECK's labels.
  ASSERT_TRUE(Eventually([&] { return !SecretObj("ns1", "cluster1-ns2-cluster2-es-remote-ca").is_null(); }));
  Value copy = SecretObj("ns1", "cluster1-ns2-cluster2-es-remote-ca");
  EXPECT_EQ(copy["metadata"]["labels"]["common.k8s.elastic.co/type"], "remote-ca");
  EXPECT_EQ(copy["metadata"]["labels"]["elasticsearch.k8s.elastic.co/remote-cluster-namespace"], "ns2");
  EXPECT_EQ(SecretData(copy, "ca.crt"), SecretData(SecretObj("ns2", "cluster2-es-transport-certs-public"), "ca.crt"));
  EXPECT_FALSE(SecretObj("ns2", "cluster2-ns1-cluster1-es-remote-ca").is_null());

  // The cross-cluster key on the server, the encoded key in the client's Secret.
  es::Twin* server = op_->FindTwin("cluster2");
  es::Twin* client = op_->FindTwin("cluster1");
  ASSERT_TRUE(Eventually([&] { return !SecretObj("ns1", "cluster1-es-remote-api-keys").is_null(); }))
      << op_->Inspect()["events"].dump(1);
  net::HttpResponse keys = server->CallInternal("GET", "/_security/api_key?active_only=true&name=eck-*", std::nullopt);
  Value listed = Value::parse(keys.body)["api_keys"];
  ASSERT_EQ(listed.size(), 1u) << keys.body;
  EXPECT_EQ(listed[0]["name"], "eck-ns1-cluster1-to-ns2-cluster2");
  EXPECT_EQ(listed[0]["metadata"]["elasticsearch.k8s.elastic.co/managed-by"], "eck");
  Value secret = SecretObj("ns1", "cluster1-es-remote-api-keys");
  EXPECT_EQ(secret["metadata"]["labels"]["common.k8s.elastic.co/type"], "remote-cluster-api-keys");
  EXPECT_EQ(secret["metadata"]["labels"]["eck.k8s.elastic.co/credentials"], "true");
  Value annotation = Value::parse(k8s::AnnotationOf(secret, "elasticsearch.k8s.elastic.co/remote-cluster-api-keys"));
  EXPECT_EQ(annotation["to-ns2-cluster2"]["id"], listed[0]["id"]);
  EXPECT_TRUE(SecretData(secret, "cluster.remote.to-ns2-cluster2.credentials").has_value());

  // The client gets the key with its next restart, and sniff seeds.
  ASSERT_TRUE(Eventually([&] {
    auto k = client->keystore_keys();
    return std::find(k.begin(), k.end(), "cluster.remote.to-ns2-cluster2.credentials") != k.end() && Ready("ns1", "cluster1");
  }));
  net::HttpResponse settings = client->CallInternal("GET", "/_cluster/settings?flat_settings=true", std::nullopt);
  EXPECT_THAT(settings.body, HasSubstr("cluster2-es-remote-cluster.ns2.svc:9443")) << settings.body;
  EXPECT_TRUE(Eventually([&] {
    return k8s::AnnotationOf(Es("ns1", "cluster1"), "elasticsearch.k8s.elastic.co/managed-remote-clusters") == "to-ns2-cluster2";
  }));
  // The connection is real: TLS to the server's RCS port, checked key.
  bool connected = Eventually([&] {
    net::HttpResponse info = client->CallInternal("GET", "/_remote/info", std::nullopt);
    Result<Value> v = ParseJson(info.body);
    return v.ok() && v->value("to-ns2-cluster2", Value::object()).value("connected", false);
  });
  EXPECT_TRUE(connected) << client->CallInternal("GET", "/_remote/info", std::nullopt).body;

  // Changing the access updates the key in place.
  const std::string id = listed[0]["id"];
  PatchEs("ns1", "cluster1", R"({"spec":{"remoteClusters":[{"name":"to-ns2-cluster2","elasticsearchRef":{"name":"cluster2","namespace":"ns2"},
      "apiKey":{"access":{"search":{"names":["logs-*"]}}}}]}})");
  ASSERT_TRUE(Eventually([&] {
    Value k = Value::parse(server->CallInternal("GET", "/_security/api_key?active_only=true&name=eck-*", std::nullopt).body)["api_keys"];
    return k.size() == 1 && k[0]["id"] == id && k[0]["access"].dump().find("logs-*") != std::string::npos;
  }));

  // Removing the entry: key invalidated, Secret deleted, seeds cleared.
  PatchEs("ns1", "cluster1", R"({"spec":{"remoteClusters":null}})");
  ASSERT_TRUE(Eventually([&] { return SecretObj("ns1", "cluster1-es-remote-api-keys").is_null(); }));
  EXPECT_TRUE(Eventually([&] {
    return Value::parse(server->CallInternal("GET", "/_security/api_key?active_only=true&name=eck-*", std::nullopt).body)["api_keys"].empty();
  }));
  EXPECT_TRUE(Eventually([&] {
    return client->CallInternal("GET", "/_cluster/settings", std::nullopt).body.find("cluster2-es-remote-cluster") == std::string::npos;
  }));
  EXPECT_TRUE(Eventually([&] { return SecretObj("ns1", "cluster1-ns2-cluster2-es-remote-ca").is_null(); }));
  EXPECT_TRUE(Eventually([&] {
    return k8s::AnnotationOf(Es("ns1", "cluster1"), "elasticsearch.k8s.elastic.co/managed-remote-clusters").empty();
  }));
}

TEST_F(OperatorTest, SameOperatorRemoteClusterWithoutApiKeyUsesTransportSeeds) {
  CreateEs("ns2", kCluster2);
  CreateEs("ns1", R"({"metadata":{"name":"cluster1"},"spec":{"version":"9.1.0",
    "remoteClusters":[{"name":"tls","elasticsearchRef":{"name":"cluster2","namespace":"ns2"}}],"nodeSets":[{"name":"default","count":1}]}})");
  ASSERT_TRUE(Eventually([&] { return Ready("ns1", "cluster1") && Ready("ns2", "cluster2"); }));
  es::Twin* client = op_->FindTwin("cluster1");
  EXPECT_TRUE(Eventually([&] {
    return client->CallInternal("GET", "/_cluster/settings", std::nullopt).body.find("cluster2-es-transport.ns2.svc:9300") != std::string::npos;
  }));
  EXPECT_TRUE(SecretObj("ns1", "cluster1-es-remote-api-keys").is_null());
  // Both sides trust each other's transport CA after their restarts.
  const std::string server_ca = *SecretData(SecretObj("ns2", "cluster2-es-transport-certs-public"), "ca.crt");
  EXPECT_TRUE(Eventually([&] {
    auto cas = client->config().transport_ca_pems;
    return std::find(cas.begin(), cas.end(), server_ca) != cas.end();
  }));
}

class OlderOperatorTest : public OperatorFixture {
 protected:
  void SetUp() override {
    OperatorOptions o;
    o.operator_version = {3, 2, 0};
    o.restart = std::chrono::milliseconds(10);
    o.resync = std::chrono::milliseconds(10);
    SetUpWith(o);
  }
};

TEST_F(OlderOperatorTest, RemoteClusterServerServiceTemplateNeedsEck33) {
  CreateEs("default", R"({"metadata":{"name":"prod"},"spec":{"version":"8.15.0","remoteClusterServer":{"enabled":true,
      "service":{"spec":{"type":"LoadBalancer"}}},"nodeSets":[{"name":"default","count":1}]}})");
  ASSERT_TRUE(Eventually([&] { return Ready("default", "prod") && !Service("default", "prod-es-remote-cluster").is_null(); }));
  Value rcs = Service("default", "prod-es-remote-cluster");
  EXPECT_EQ(rcs["spec"]["type"], "ClusterIP");
  EXPECT_EQ(rcs["spec"]["clusterIP"], "None");
}

class BasicLicenseOperatorTest : public OperatorFixture {
 protected:
  void SetUp() override {
    OperatorOptions o;
    o.license = "basic";
    o.restart = std::chrono::milliseconds(10);
    o.resync = std::chrono::milliseconds(10);
    SetUpWith(o);
  }
};

TEST_F(BasicLicenseOperatorTest, RemoteClustersNeedAnEnterpriseLicense) {
  CreateEs("ns2", kCluster2);
  CreateEs("ns1", kCluster1);
  ASSERT_TRUE(Eventually([&] { return Ready("ns1", "cluster1") && Ready("ns2", "cluster2"); }));
  EXPECT_TRUE(Eventually([&] { return HasEvent("require an enterprise license"); }));
  EXPECT_TRUE(SecretObj("ns1", "cluster1-es-remote-api-keys").is_null());
  EXPECT_TRUE(SecretObj("ns1", "cluster1-ns2-cluster2-es-remote-ca").is_null());
}

}  // namespace
}  // namespace crosslink::sandbox::eck
