#pragma once
// End-to-end scenarios of the shipped `crosslink` with Elastic Cloud Hosted
// and ECE deployments (issue #5): CrosslinkTest plus what a Cloud scenario
// looks at through the sandbox's Cloud API, as a user of the console would —
// a deployment's trust settings and keystore names — and through the
// in-process twins what no API shows (effective keystore values, transport
// trust restrictions).
//
// "Entries crosslink did not create" are seeded by SeedUserEntries() before
// the first run: a keystore entry and a `direct` trust entry on a deployment,
// both made through the Cloud API like a user would. ExpectUserEntriesIntact()
// then checks, after destroy, that the deployment's whole trust object and
// keystore listing are byte-identical to what they were after seeding, and
// that the user's keystore value is still the effective one.

#include <string>
#include <vector>

#include "engine/core/pki.h"
#include "tests/e2e/crosslink_fixture.h"

namespace crosslink::e2e {

// A Cloud deployment under `clusters:` (see CloudTest::DeploymentCluster).
// Outside CloudTest so that `= {}` may stand as a default argument in it.
struct Deployment {
  std::string environment = "cloud";
  std::string id;                  // "": the sandbox's deployment of the cluster
  std::string version = "8.17.0";  // "": none written (the live version decides)
  bool ca_file = true;             // the deployment's own CA (<CLUSTER>_CA_FILE)
  bool credentials = true;         // elastic, ${env:<CLUSTER>_PASSWORD}
  std::string extra;               // more lines, each indented by 4 and ending in \n
};

class CloudTest : public CrosslinkTest {
 protected:
  // The user's keystore entry seeded by SeedUserEntries.
  static constexpr const char* kUserSetting = "xpack.notification.slack.account.ops.secure_url";
  static constexpr const char* kUserTrustName = "user-dc2-onprem";

  // What SeedUserEntries saw once the user's entries were in place.
  struct UserEntries {
    std::string env;
    std::string cluster;
    std::string keystore_value;
    Value keystore;  // GET …/keystore "secrets" (names and as_file)
    Value trust;     // settings.trust of the deployment
  };

  // Starts sandbox/configs/<config> (ECK restarts shortened) and exports,
  // as a user would from sandbox.env, every Cloud API key and password;
  // with `ec_api_key`, also the ECH environment's key as $EC_API_KEY (the
  // default api_key of an ech environment).
  void StartCloudSandbox(const std::string& config, bool ec_api_key) {
    StartSandboxConfig(config);
    for (const auto& [key, value] : sandbox_->env()) {
      if (EndsWith(key, "_API_KEY") || EndsWith(key, "_PASSWORD")) env_vars_[key] = value;
    }
    if (ec_api_key) env_vars_["EC_API_KEY"] = Env("CLOUD_API_KEY");
  }

  static bool EndsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  }

  std::string DeploymentId(const std::string& cluster) {
    return Env(EnvPrefix(cluster) + "_DEPLOYMENT_ID");
  }

  // ---------------------------------------------------------- topology text

  // "version: 1", the `environments:` block made of `entries` (from
  // CloudEnvironment / EckEnvironment), then "clusters:" for the entries
  // that follow.
  static std::string TopologyHead(const std::string& entries) {
    return "version: 1\nenvironments:\n" + entries + "clusters:\n";
  }

  // The sandbox's Cloud environment `name` (platform ech or ece) under
  // `environments:`, with its endpoint, CA and (ech) organization from
  // sandbox.env. `api_key`: a secret reference written as its api_key;
  // "" writes none (ech then uses ${env:EC_API_KEY}).
  std::string CloudEnvironment(const std::string& name, const std::string& platform,
                               const std::string& api_key = "") {
    const std::string prefix = EnvPrefix(name);
    std::string out = "  " + name + ":\n    platform: " + platform +
                      "\n    endpoint: " + Env(prefix + "_ENDPOINT") +
                      "\n    ca_file: " + Env(prefix + "_CA_FILE") + "\n";
    if (platform == "ech") {
      out += "    organization_id: \"" + Env(prefix + "_ORGANIZATION_ID") + "\"\n";
    }
    if (!api_key.empty()) out += "    api_key: \"" + api_key + "\"\n";
    return out;
  }

  // The sandbox's ECK environment `name` under `environments:`.
  std::string EckEnvironment(const std::string& name) {
    const std::string prefix = EnvPrefix(name);
    return "  " + name + ":\n    platform: eck\n    kubeconfig: " + Env(prefix + "_KUBECONFIG") +
           "\n    context: " + Env(prefix + "_CONTEXT") + "\n";
  }

  // The Cloud deployment of cluster `name` under `clusters:`, as a user
  // writes it from sandbox.env (deployment id, CA, elastic's password).
  std::string DeploymentCluster(const std::string& name, const Deployment& d = {}) {
    const std::string prefix = EnvPrefix(name);
    std::string out = "  " + name + ":\n    environment: " + d.environment +
                      "\n    deployment_id: " + (d.id.empty() ? DeploymentId(name) : d.id) +
                      "\n";
    if (!d.version.empty()) out += "    version: \"" + d.version + "\"\n";
    if (d.ca_file) out += "    ca_file: " + Env(prefix + "_CA_FILE") + "\n";
    out += d.extra;
    if (d.credentials) {
      out += "    credentials: { username: elastic, password: \"${env:" + prefix +
             "_PASSWORD}\" }\n";
    }
    return out;
  }

  // ---------------------------------------------------------------- Cloud API

  // GET /deployments/<id>?show_settings=true: the Elasticsearch resource.
  Value EsResource(const std::string& env, const std::string& cluster) {
    Reply reply =
        Cloud(env, "GET",
              "/deployments/" + DeploymentId(cluster) + "?show_settings=true&show_plans=true");
    EXPECT_EQ(reply.status, 200) << reply.body;
    const Value resources = reply.json.value("resources", Value::object());
    const Value list = resources.value("elasticsearch", Value::array());
    return list.empty() ? Value::object() : list[0];
  }

  // The deployment's trust settings (accounts, external, direct).
  Value Trust(const std::string& env, const std::string& cluster) {
    Value es = EsResource(env, cluster);
    return es.value("info", Value::object())
        .value("settings", Value::object())
        .value("trust", Value::object());
  }

  // The deployment's `direct` trust entry named `name` (null when none).
  Value DirectEntry(const std::string& env, const std::string& cluster, const std::string& name) {
    for (const Value& entry : Trust(env, cluster).value("direct", Value::array())) {
      if (entry.value("name", "") == name) return entry;
    }
    return Value();
  }

  // Names of every trust entry (accounts, external, direct) that starts with
  // "crosslink-": crosslink's marks.
  std::vector<std::string> CrosslinkTrustEntries(const std::string& env,
                                                 const std::string& cluster) {
    std::vector<std::string> out;
    const Value trust = Trust(env, cluster);
    for (const char* kind : {"accounts", "external", "direct"}) {
      for (const Value& entry : trust.value(kind, Value::array())) {
        const std::string name = entry.value("name", "");
        if (name.rfind("crosslink-", 0) == 0) out.push_back(std::string(kind) + " " + name);
      }
    }
    return out;
  }

  std::string KeystorePath(const std::string& cluster) {
    return "/deployments/" + DeploymentId(cluster) + "/elasticsearch/main-elasticsearch/keystore";
  }

  // GET …/keystore: {"<setting>": {"as_file": …}} (values never come back).
  Value Keystore(const std::string& env, const std::string& cluster) {
    Reply reply = Cloud(env, "GET", KeystorePath(cluster));
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply.json.value("secrets", Value::object());
  }

  // Keystore names of the form cluster.remote.*.credentials.
  std::vector<std::string> RemoteCredentialSettings(const std::string& env,
                                                    const std::string& cluster) {
    std::vector<std::string> out;
    const Value keystore = Keystore(env, cluster);
    for (const auto& item : keystore.items()) {
      if (item.key().rfind("cluster.remote.", 0) == 0) out.push_back(item.key());
    }
    return out;
  }

  // A user's keystore entry and a user's direct trust entry (a generic
  // trusted environment for a self-managed CA with node names), made
  // through the Cloud API before crosslink runs.
  UserEntries SeedUserEntries(const std::string& env, const std::string& cluster) {
    UserEntries user;
    user.env = env;
    user.cluster = cluster;
    user.keystore_value = "https://hooks.slack.example/services/T0001/B0002/user-" + cluster;
    secrets_.insert(user.keystore_value);
    Value patch = {{"secrets", {{kUserSetting, {{"value", user.keystore_value}}}}}};
    Reply set = Cloud(env, "PATCH", KeystorePath(cluster), patch.dump());
    EXPECT_EQ(set.status, 200) << set.body;

    pki::CertificateSpec spec;
    spec.common_name = "dc2 onprem transport CA";
    spec.is_ca = true;
    auto ca = pki::CreateCa(spec);
    EXPECT_TRUE(ca.ok()) << ca.status().ToString();
    Value entry = {{"type", "generic"},
                   {"name", kUserTrustName},
                   {"trust_all", false},
                   {"additional_node_names", Value::array({"es1.dc2.example.com"})},
                   {"certificates", Value::array({{{"pem", ca.ok() ? ca->LeafPem() : ""}}})}};
    Reply put = AddTrustEntry(env, cluster, "direct", entry);
    EXPECT_EQ(put.status, 200) << put.body;

    user.keystore = Keystore(env, cluster);
    user.trust = Trust(env, cluster);
    EXPECT_TRUE(user.keystore.contains(kUserSetting)) << user.keystore.dump();
    EXPECT_FALSE(DirectEntry(env, cluster, kUserTrustName).is_null()) << user.trust.dump();
    return user;
  }

  // Read-modify-write of the deployment's trust: `entry` appended to
  // trust.<kind>, with the resource version (optimistic concurrency).
  Reply AddTrustEntry(const std::string& env, const std::string& cluster, const std::string& kind,
                      const Value& entry) {
    const std::string path = "/deployments/" + DeploymentId(cluster);
    Reply deployment = Cloud(env, "GET", path + "?show_settings=true&show_plans=true");
    EXPECT_EQ(deployment.status, 200) << deployment.body;
    const Value es = deployment.json["resources"]["elasticsearch"][0];
    Value trust = es["info"].value("settings", Value::object()).value("trust", Value::object());
    if (!trust.contains(kind)) trust[kind] = Value::array();
    trust[kind].push_back(entry);
    Value resource = {{"ref_id", es["ref_id"]},
                      {"region", es["region"]},
                      {"plan", es["info"]["plan_info"]["current"]["plan"]},
                      {"settings", {{"trust", trust}}}};
    Value update = {{"prune_orphans", false},
                    {"resources", {{"elasticsearch", Value::array({resource})}}}};
    return Cloud(env, "PUT", path, update.dump());
  }

  // After destroy: the user's entries exactly as seeded, and nothing else
  // (crosslink's entries gone: the listings equal the seeded ones).
  void ExpectUserEntriesIntact(const UserEntries& user) {
    EXPECT_EQ(Keystore(user.env, user.cluster).dump(), user.keystore.dump())
        << "keystore of " << user.cluster << " differs from before the first run";
    EXPECT_EQ(Trust(user.env, user.cluster).dump(), user.trust.dump())
        << "trust settings of " << user.cluster << " differ from before the first run";
    const auto keystore = sandbox_->FindTwin(user.cluster)->config().keystore;
    auto it = keystore.find(kUserSetting);
    ASSERT_NE(it, keystore.end()) << "the user's keystore entry is no longer effective";
    EXPECT_TRUE(it->second == Secret(user.keystore_value)) << "the user's keystore value changed";
  }

  // ---------------------------------------------------------------- twins

  // Every effective keystore value of a twin, remembered for the secret scan
  // (the encoded cross-cluster keys crosslink stored there).
  void RememberKeystoreValues(const std::string& cluster) {
    for (const auto& [name, value] : sandbox_->FindTwin(cluster)->config().keystore) {
      if (name.rfind("cluster.remote.", 0) == 0) RememberEncodedKey(value.expose());
    }
  }

  // Active (not invalidated) cross-cluster API keys on `cluster` named
  // crosslink-* (crosslink's naming: crosslink-<local>-<alias>).
  std::vector<std::string> ActiveCrosslinkKeys(const std::string& cluster) {
    std::vector<std::string> out;
    Value inspect = sandbox_->FindTwin(cluster)->Inspect();
    for (const auto& key : inspect.value("api_keys", Value::array())) {
      const std::string name = key.value("name", "");
      if (name.rfind("crosslink-", 0) == 0 && !key.value("invalidated", false)) {
        out.push_back(name);
      }
    }
    return out;
  }

  // The persistent cluster settings of a twin, as JSON text.
  std::string Persistent(const std::string& cluster) {
    return sandbox_->FindTwin(cluster)->Inspect().value("persistent", Value::object()).dump();
  }

  // The plan says every address in `addresses` will be created.
  static void ExpectCreates(const Outcome& plan, const std::vector<std::string>& addresses) {
    for (const std::string& address : addresses) {
      EXPECT_THAT(plan.out, ::testing::HasSubstr(address + " will be created")) << address;
    }
  }

  // A second plan right after apply: nothing to do, no drift.
  void ExpectNoChanges() {
    Outcome again = Plan();
    EXPECT_EQ(again.code, 0) << Show(again);
    EXPECT_THAT(again.out, ::testing::HasSubstr("No changes"));
    EXPECT_THAT(again.out, ::testing::Not(::testing::HasSubstr("changed outside crosslink")));
  }
};

}  // namespace crosslink::e2e
