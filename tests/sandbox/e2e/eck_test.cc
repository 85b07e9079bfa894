// Seeds 000 (ECK -> external), 001 (self-managed -> ECK), 002 (ECK <-> ECK)
// and 004 (ECH <-> ECK), done by hand through the Kubernetes API twin, the
// Cloud API twin and the Elasticsearch twins, as the manual procedures say.

#include <yaml-cpp/yaml.h>

#include <sstream>

#include "sandbox/self/keystore_cli.h"
#include "tests/sandbox/e2e/sandbox_fixture.h"

namespace crosslink::sandbox::e2e {
namespace {

constexpr char kConfig[] = R"(
environments:
  k8s: { platform: eck, operator_version: "3.3.0", restart_ms: 50 }
  cloud: { platform: ech, organization_id: "1053523734" }
clusters:
  east: { environment: k8s, namespace: ns1, version: "8.17.0" }
  west: { environment: k8s, namespace: ns2, version: "8.17.0" }
  analytics: { environment: cloud, version: "8.17.0", deployment_id: 0123456789abcdef0123456789abcdef }
  onprem: { platform: self, version: "8.17.0" }
)";
constexpr char kDeployment[] = "0123456789abcdef0123456789abcdef";
constexpr char kEsApi[] = "/apis/elasticsearch.k8s.elastic.co/v1/namespaces/";

class EckTest : public SandboxTest {
 protected:
  void SetUp() override {
    StartSandbox(kConfig);
    YAML::Node kubeconfig = YAML::LoadFile(Env("K8S_KUBECONFIG"));
    server_ = kubeconfig["clusters"][0]["cluster"]["server"].as<std::string>();
    token_ = Secret(kubeconfig["users"][0]["user"]["token"].as<std::string>());
    auto ca = http::Base64Decode(kubeconfig["clusters"][0]["cluster"]["certificate-authority-data"].as<std::string>());
    ASSERT_TRUE(ca.has_value());
    k8s_ca_file_ = dir_ + "/k8s-ca.pem";
    std::ofstream(k8s_ca_file_) << *ca;
    // Both Elasticsearch resources become Ready first.
    ASSERT_TRUE(WaitReady("ns1", "east"));
    ASSERT_TRUE(WaitReady("ns2", "west"));
  }

  Reply K8s(const std::string& method, const std::string& path, const std::string& body = "",
            const std::string& content_type = "application/json") {
    http::Request request;
    request.method = method;
    request.url = server_ + path;
    request.body = body;
    request.headers = {{"Content-Type", content_type}, {"Accept", "application/json"}};
    request.SetBearer(token_);
    return Send(request, k8s_ca_file_);
  }

  Reply PatchEs(const std::string& ns, const std::string& name, const Value& patch) {
    Reply reply = K8s("PATCH", kEsApi + ns + "/elasticsearches/" + name, patch.dump(),
                      "application/merge-patch+json");
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply;
  }

  bool WaitFor(const std::function<bool()>& done) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (done()) return true;
      clock_.Sleep(std::chrono::milliseconds(100));
    }
    return false;
  }

  // Ready with every spec change observed (the operator's rollout finished).
  bool WaitReady(const std::string& ns, const std::string& name) {
    return WaitFor([&] {
      Reply es = K8s("GET", kEsApi + ns + "/elasticsearches/" + name);
      const Value& status = es.json.value("status", Value::object());
      return status.value("phase", "") == "Ready" &&
             status.value("observedGeneration", 0) == es.json["metadata"].value("generation", -1);
    });
  }

  std::string SecretValue(const std::string& ns, const std::string& name, const std::string& key) {
    Reply secret = K8s("GET", "/api/v1/namespaces/" + ns + "/secrets/" + name);
    EXPECT_EQ(secret.status, 200) << secret.body;
    auto decoded = http::Base64Decode(secret.json["data"].value(key, ""));
    return decoded.value_or("");
  }

  // ECK.RCS.ENABLE + ECK.RCS.EXPOSE (operator >= 3.3): returns the LB address.
  std::string ExposeRemoteClusterServer(const std::string& ns, const std::string& name) {
    PatchEs(ns, name,
            {{"spec", {{"remoteClusterServer", {{"enabled", true},
                                                {"service", {{"spec", {{"type", "LoadBalancer"}}}}}}}}}});
    EXPECT_TRUE(WaitReady(ns, name));
    std::string ip;
    EXPECT_TRUE(WaitFor([&] {
      Reply svc = K8s("GET", "/api/v1/namespaces/" + ns + "/services/" + name + "-es-remote-cluster");
      if (svc.status != 200) return false;
      const Value& ingress = svc.json["status"]["loadBalancer"].value("ingress", Value::array());
      if (ingress.empty()) return false;
      ip = ingress[0].value("ip", "");
      return !ip.empty();
    }));
    return ip;
  }

  std::string server_;
  Secret token_;
  std::string k8s_ca_file_;
};

// Seed 002, same operator: the operator creates the key, the keystore Secret,
// copies the CAs and sets sniff seeds; the local restarts to load the key.
TEST_F(EckTest, SameOperatorRemoteClustersWithApiKeys) {
  PatchEs("ns2", "west", {{"spec", {{"remoteClusterServer", {{"enabled", true}}}}}});
  PatchEs("ns1", "east",
          {{"spec", {{"remoteClusters", Value::array({{{"name", "to-west"},
                                                       {"elasticsearchRef", {{"name", "west"}, {"namespace", "ns2"}}},
                                                       {"apiKey", {{"access", {{"search", {{"names", {"logs-*"}}}}}}}}}})}}}});
  ASSERT_TRUE(WaitReady("ns2", "west"));
  Value info = RemoteInfo("east", "to-west", true);
  EXPECT_TRUE(info.value("connected", false)) << info.dump() << FailureReason("east", "to-west");
  EXPECT_EQ(info.value("mode", ""), "sniff");
  EXPECT_EQ(info.value("cluster_credentials", ""), "::es_redacted::");

  Reply keys = Es("west", "GET", "/_security/api_key?name=eck-*&active_only=true");
  ASSERT_EQ(keys.json["api_keys"].size(), 1u) << keys.body;
  EXPECT_EQ(keys.json["api_keys"][0]["name"], "eck-ns1-east-to-west");
  EXPECT_EQ(K8s("GET", "/api/v1/namespaces/ns1/secrets/east-es-remote-api-keys").status, 200);

  // Removing the entry undoes it: key invalidated, alias gone.
  PatchEs("ns1", "east", {{"spec", {{"remoteClusters", nullptr}}}});
  ASSERT_TRUE(WaitFor([&] {
    Reply active = Es("west", "GET", "/_security/api_key?name=eck-*&active_only=true");
    return active.json.value("api_keys", Value::array()).empty();
  }));
  ASSERT_TRUE(WaitFor([&] { return !Es("east", "GET", "/_remote/info").json.contains("to-west"); }));
}

// Seed 001: self-managed local -> ECK remote through a LoadBalancer, trusting
// the ECK transport CA, with server_name = <es>-es-remote-cluster.<ns>.svc.
TEST_F(EckTest, SelfManagedLocalToEckRemote) {
  const std::string lb = ExposeRemoteClusterServer("ns2", "west");
  ASSERT_FALSE(lb.empty());
  const std::string ca = SecretValue("ns2", "west-es-transport-certs-public", "ca.crt");
  ASSERT_NE(ca.find("BEGIN CERTIFICATE"), std::string::npos);
  const std::string key = CreateCrossClusterKey("west", "rc-onprem-west");

  const std::string home = Env("ONPREM_HOME_0");
  std::ofstream(home + "/config/remote-cluster-ca.crt") << ca;
  std::ofstream(home + "/config/elasticsearch.yml", std::ios::app)
      << "xpack.security.remote_cluster_client.ssl.enabled: true\n"
      << "xpack.security.remote_cluster_client.ssl.certificate_authorities: [ \"remote-cluster-ca.crt\" ]\n";
  std::istringstream in(key);
  std::ostringstream out, err;
  ASSERT_EQ(self::RunKeystoreCli({"--home", home, "add", "-x", "cluster.remote.west.credentials"}, in, out, err), 0)
      << err.str();
  http::Request restart;
  restart.method = "POST";
  restart.url = sandbox_->control_url() + "/_sandbox/platforms/self/clusters/onprem/nodes/node-0/restart";
  ASSERT_EQ(Send(restart, Env("SANDBOX_PUBLIC_CA")).status, 200);

  // The LB address is not in ECK's certificate: without server_name it fails.
  Reply put = Es("onprem", "PUT", "/_cluster/settings",
                 R"({"persistent":{"cluster":{"remote":{"west":{"mode":"proxy","proxy_address":")" + lb +
                     R"(:9443"}}}}})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_FALSE(RemoteInfo("onprem", "west", false).value("connected", true));
  EXPECT_NE(FailureReason("onprem", "west").find("No subject alternative names matching IP address"),
            std::string::npos)
      << FailureReason("onprem", "west");

  put = Es("onprem", "PUT", "/_cluster/settings",
           R"({"persistent":{"cluster.remote.west.server_name":"west-es-remote-cluster.ns2.svc"}})");
  ASSERT_EQ(put.status, 200) << put.body;
  Value info = RemoteInfo("onprem", "west", true);
  EXPECT_TRUE(info.value("connected", false)) << info.dump() << FailureReason("onprem", "west");

  // Pointing the API key model at the transport port fails like real ES.
  put = Es("onprem", "PUT", "/_cluster/settings",
           R"({"persistent":{"cluster.remote.west.proxy_address":"west-es-transport.ns2.svc:9300"}})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_FALSE(RemoteInfo("onprem", "west", false).value("connected", true));
}

// Seed 000: ECK local -> an external (ECH) remote. The credential Secret is
// mounted through spec.secureSettings and only counts after the restart.
TEST_F(EckTest, EckLocalToCloudRemoteAfterRollingRestart) {
  Reply resource = Cloud("cloud", "GET", std::string("/deployments/") + kDeployment +
                                             "/elasticsearch/main-elasticsearch");
  ASSERT_EQ(resource.status, 200) << resource.body;
  const std::string endpoint = resource.json["info"]["metadata"]["endpoint"].get<std::string>();
  const std::string key = CreateCrossClusterKey("analytics", "rc-east-analytics");

  Reply put = Es("east", "PUT", "/_cluster/settings",
                 R"({"persistent":{"cluster":{"remote":{"analytics":{"mode":"proxy","proxy_address":")" +
                     endpoint + R"(:9443","server_name":")" + endpoint + R"("}}}}})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_FALSE(RemoteInfo("east", "analytics", false).value("connected", true));

  Value secret = {{"apiVersion", "v1"},
                  {"kind", "Secret"},
                  {"metadata", {{"name", "remote-api-keys"}, {"namespace", "ns1"}}},
                  {"stringData", {{"cluster.remote.analytics.credentials", key}}}};
  Reply created = K8s("POST", "/api/v1/namespaces/ns1/secrets", secret.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.body.find(key), std::string::npos) << "stringData is never echoed back";
  const int restarts_before = sandbox_->FindTwin("east")->restarts();
  PatchEs("ns1", "east", {{"spec", {{"secureSettings", Value::array({{{"secretName", "remote-api-keys"}}})}}}});
  ASSERT_TRUE(WaitReady("ns1", "east"));
  EXPECT_GT(sandbox_->FindTwin("east")->restarts(), restarts_before);

  Value info = RemoteInfo("east", "analytics", true);
  EXPECT_TRUE(info.value("connected", false)) << info.dump() << FailureReason("east", "analytics");
}

// Seed 004 (API key): ECH local -> ECK remote through a LoadBalancer; the
// ECK CA goes into the deployment's trust as a "proxy" entry.
TEST_F(EckTest, CloudLocalToEckRemoteWithPrivateCa) {
  const std::string lb = ExposeRemoteClusterServer("ns2", "west");
  const std::string ca = SecretValue("ns2", "west-es-transport-certs-public", "ca.crt");
  const std::string key = CreateCrossClusterKey("west", "rc-analytics-west");
  Reply patch = Cloud("cloud", "PATCH",
                      std::string("/deployments/") + kDeployment + "/elasticsearch/main-elasticsearch/keystore",
                      R"({"secrets":{"cluster.remote.west.credentials":{"value":")" + key + R"("}}})");
  ASSERT_EQ(patch.status, 200) << patch.body;
  Reply put = Es("analytics", "PUT", "/_cluster/settings",
                 R"({"persistent":{"cluster":{"remote":{"west":{"mode":"proxy","proxy_address":")" + lb +
                     R"(:9443","server_name":"west-es-remote-cluster.ns2.svc"}}}}})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_FALSE(RemoteInfo("analytics", "west", false).value("connected", true));

  Reply trust = TrustProxyCa("cloud", kDeployment, "eck ns2/west", ca);
  ASSERT_EQ(trust.status, 200) << trust.body;
  Value info = RemoteInfo("analytics", "west", true);
  EXPECT_TRUE(info.value("connected", false)) << info.dump() << FailureReason("analytics", "west");
}

// The Kubernetes API server rejects what the real one would.
TEST_F(EckTest, MalformedElasticsearchIsRejectedByTheCrdSchema) {
  Value bad = {{"apiVersion", "elasticsearch.k8s.elastic.co/v1"},
               {"kind", "Elasticsearch"},
               {"metadata", {{"name", "broken"}, {"namespace", "ns1"}}},
               {"spec", {{"version", "8.17.0"}, {"nodeSets", Value::array({{{"name", "default"}, {"count", "three"}}})}}}};
  Reply reply = K8s("POST", std::string(kEsApi) + "ns1/elasticsearches", bad.dump());
  EXPECT_EQ(reply.status, 422) << reply.body;
  EXPECT_EQ(reply.json.value("reason", ""), "Invalid");
  EXPECT_NE(reply.body.find("spec.nodeSets[0].count"), std::string::npos) << reply.body;
}

}  // namespace
}  // namespace crosslink::sandbox::e2e
