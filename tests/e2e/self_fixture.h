#pragma once
// End-to-end scenarios with self-managed clusters (issue #6): CloudTest (and
// so CrosslinkTest, with the ECK and Cloud helpers) plus what a scenario
// looks at on a self-managed node of the sandbox — its install directory
// (sandbox/self/install.h: config/elasticsearch.yml, config/crosslink/,
// config/elasticsearch.keystore) and, through the in-process twin, what the
// node runs with.
//
// A node's "files" are every regular file under <home>/config, by path
// relative to the home, with their bytes; the keystore is compared by its
// entries (names and values) because the keystore tool re-encrypts the
// whole file on every change. SnapshotNodes() before the first run and
// ExpectNodesAsBefore() after destroy (or after a refused apply) check that
// crosslink left each node exactly as it found it: elasticsearch.yml and
// every other file byte-identical, no file of crosslink's (config/crosslink
// gone or empty), the same keystore entries.
//
// Snapshot(cluster) / ExpectAsBefore(cluster, before) do the same for a
// cluster of any platform: ECK spec and crosslink-labelled objects, Cloud
// keystore listing and trust settings (after seeding a user's entries that
// destroy must keep) and an ECE installation's trust relationships, the
// self-managed nodes as above; for every platform the persistent settings
// and the active API keys.
//
// The sandbox's bin/elasticsearch-keystore execs THIS test binary with
// `keystore ...` (the sandbox runs in-process): self_main.cc serves it.

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/core/http.h"
#include "engine/core/pki.h"
#include "sandbox/self/install.h"
#include "tests/e2e/cloud_fixture.h"

namespace crosslink::e2e {

// One self-managed node as it was at some point of a scenario.
struct NodeSnapshot {
  std::string cluster;
  std::string home;
  std::map<std::string, std::string> files;     // path relative to home -> bytes
  std::map<std::string, std::string> keystore;  // entry -> value
};

// A cluster of the sandbox as a scenario snapshots it.
struct ClusterRef {
  std::string name;         // the sandbox's cluster (its twin)
  std::string platform;     // eck, ech, ece, self
  std::string environment;  // "" for self
  std::string ns;           // eck
  std::string es_name;      // eck: the Elasticsearch resource ("": name)
};

class SelfTest : public CloudTest {
 protected:
  static constexpr const char* kKeystoreFile = "config/elasticsearch.keystore";

  // What a cluster looked like before the first run (see the header).
  struct ClusterBefore {
    std::string eck_spec;
    std::vector<std::string> eck_objects;
    std::string keystore;             // Cloud keystore listing
    std::string trust;                // Cloud trust settings
    std::string trust_relationships;  // ECE installation
    UserEntries user;                 // Cloud: seeded before the first run
    std::vector<NodeSnapshot> nodes;  // self-managed
    std::string persistent;
    std::set<std::string> active_keys;
  };

  // Install directories of a self-managed cluster of the sandbox
  // ($<CLUSTER>_HOME_0, _1, ...).
  std::vector<std::string> Homes(const std::string& cluster) {
    std::vector<std::string> out;
    for (int i = 0;; ++i) {
      const std::string home = sandbox_->Env(EnvPrefix(cluster) + "_HOME_" + std::to_string(i));
      if (home.empty()) break;
      out.push_back(home);
    }
    EXPECT_FALSE(out.empty()) << "sandbox.env has no " << EnvPrefix(cluster) << "_HOME_0";
    return out;
  }

  // A self-managed cluster under `clusters:`, as a user writes it from
  // sandbox.env: url, CA, elastic's password, every node local with its
  // bin/restart (or `restart` for every node when given). `extra`: more
  // lines, each indented by 4 and ending in \n.
  std::string SelfCluster(const std::string& name, const std::string& extra = "",
                          const std::string& restart = "") {
    const std::string prefix = EnvPrefix(name);
    std::string out = "  " + name + ":\n    platform: self\n    url: " + Env(prefix + "_URL") +
                      "\n    ca_file: " + Env(prefix + "_CA_FILE") +
                      "\n    version: \"8.17.0\"\n    credentials: { username: " +
                      Env(prefix + "_USERNAME") + ", password: \"${env:" + prefix +
                      "_PASSWORD}\" }\n" + extra + "    nodes:\n";
    const std::vector<std::string> homes = Homes(name);
    for (size_t i = 0; i < homes.size(); ++i) {
      out += "      - { name: node-" + std::to_string(i) + ", delivery: local, home: " + homes[i] +
             ", restart: \"" + (restart.empty() ? homes[i] + "/bin/restart" : restart) + "\" }\n";
    }
    return out;
  }

  // ---------------------------------------------------------------- files

  static std::map<std::string, std::string> ConfigFiles(const std::string& home) {
    std::map<std::string, std::string> out;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(home + "/config", ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      const std::string path = it->path().string();
      out[path.substr(home.size() + 1)] = ReadText(path);
    }
    return out;
  }

  // Keystore entries with their values (the sandbox's keystores have no
  // password unless a scenario sets one).
  static std::map<std::string, std::string> KeystoreEntries(const std::string& home) {
    std::map<std::string, std::string> out;
    auto entries = sandbox::self::ReadKeystoreEntries(home, Secret());
    EXPECT_TRUE(entries.ok()) << home << ": " << entries.status().ToString();
    if (!entries.ok()) return out;
    for (const auto& [name, value] : *entries) out[name] = value.expose();
    return out;
  }

  static std::vector<std::string> KeystoreNames(const std::string& home) {
    std::vector<std::string> out;
    for (const auto& [name, value] : KeystoreEntries(home)) out.push_back(name);
    return out;
  }

  std::vector<NodeSnapshot> SnapshotNodes(const std::string& cluster) {
    std::vector<NodeSnapshot> out;
    for (const std::string& home : Homes(cluster)) {
      NodeSnapshot node{cluster, home, ConfigFiles(home), KeystoreEntries(home)};
      node.files.erase(kKeystoreFile);
      out.push_back(std::move(node));
    }
    return out;
  }

  static std::string Yml(const std::string& home) {
    return ReadText(home + "/config/elasticsearch.yml");
  }

  // Every node of `before` exactly as it was then (see the header).
  void ExpectNodesAsBefore(const std::vector<NodeSnapshot>& before) {
    for (const NodeSnapshot& node : before) {
      SCOPED_TRACE(node.cluster + " " + node.home);
      EXPECT_EQ(Yml(node.home), node.files.at("config/elasticsearch.yml"))
          << "elasticsearch.yml is not byte-identical to before";
      const std::string own = node.home + "/config/crosslink";
      // (A regular file there before, as a bad-input scenario puts it, is
      // compared below like every other file.)
      EXPECT_TRUE(node.files.count("config/crosslink") || !std::filesystem::exists(own) ||
                  (std::filesystem::is_directory(own) && std::filesystem::is_empty(own)))
          << own << " still holds files";
      std::map<std::string, std::string> files = ConfigFiles(node.home);
      files.erase(kKeystoreFile);
      std::vector<std::string> differ;
      for (const auto& [path, bytes] : files) {
        auto it = node.files.find(path);
        if (it == node.files.end()) differ.push_back("new " + path);
        else if (it->second != bytes) differ.push_back("changed " + path);
      }
      for (const auto& [path, bytes] : node.files) {
        if (!files.count(path)) differ.push_back("removed " + path);
      }
      EXPECT_THAT(differ, ::testing::IsEmpty());
      const std::map<std::string, std::string> keystore = KeystoreEntries(node.home);
      std::vector<std::string> entries;
      for (const auto& [name, value] : keystore) {
        auto it = node.keystore.find(name);
        if (it == node.keystore.end()) entries.push_back("added " + name);
        else if (it->second != value) entries.push_back("changed " + name);
      }
      for (const auto& [name, value] : node.keystore) {
        if (!keystore.count(name)) entries.push_back("removed " + name);
      }
      EXPECT_THAT(entries, ::testing::IsEmpty()) << "keystore entries differ from before";
    }
  }

  // ---------------------------------------------------------------- nodes

  // The sandbox's view of a self-managed cluster: nodes (running, failure,
  // keystore names at start), listeners.
  Value SelfInspect(const std::string& cluster) const {
    return sandbox_->FindPlatform("self")->Inspect()["clusters"][cluster];
  }

  // Every node of `cluster` is running (a refused configuration stops it).
  void ExpectNodesRunning(const std::string& cluster) {
    const Value nodes = SelfInspect(cluster)["nodes"];
    ASSERT_EQ(nodes.size(), Homes(cluster).size()) << cluster << ": " << DumpJson(nodes);
    for (const auto& node : nodes.items()) {
      EXPECT_TRUE(node.value().value("running", false))
          << cluster << "/" << node.key() << " is down: " << node.value().value("failure", "");
    }
  }

  // How often each node of `cluster` has (re)started, by node name.
  std::map<std::string, int> Starts(const std::string& cluster) {
    std::map<std::string, int> out;
    const Value nodes = SelfInspect(cluster)["nodes"];
    for (const auto& node : nodes.items()) {
      out[node.key()] = node.value().value("starts", 0);
    }
    EXPECT_EQ(out.size(), Homes(cluster).size()) << cluster << ": " << DumpJson(nodes);
    return out;
  }

  // The node's config/crosslink/<name>, "" when absent.
  static std::string CrosslinkFile(const std::string& home, const std::string& name) {
    const std::string path = home + "/config/crosslink/" + name;
    return std::filesystem::exists(path) ? ReadText(path) : std::string();
  }

  // The CA certificates of the remote cluster server's PKCS#12 that
  // crosslink installed on `home` (opened with the password it put in the
  // keystore), "" when none.
  std::string RcsCaPem(const std::string& home) {
    const auto keystore = KeystoreEntries(home);
    auto pw = keystore.find("xpack.security.remote_cluster_server.ssl.keystore.secure_password");
    if (pw == keystore.end()) return "";
    for (const auto& [path, bytes] : ConfigFiles(home)) {
      if (path.rfind("config/crosslink/", 0) != 0 || path.size() < 4 ||
          path.substr(path.size() - 4) != ".p12") {
        continue;
      }
      auto id = pki::ReadPkcs12(bytes, Secret(pw->second));
      EXPECT_TRUE(id.ok()) << path << ": " << id.status().ToString();
      if (!id.ok()) continue;
      std::vector<std::string> certs = pki::SplitPemCertificates(id->chain_pem);
      std::string out;
      for (size_t i = 1; i < certs.size(); ++i) out += certs[i];
      return out;
    }
    return "";
  }

  // ---------------------------------------------------------------- secrets

  // Every keystore value of every node of `cluster` (the install's own p12
  // passwords and seed, and what crosslink stored: the RCS keystore
  // password, encoded cross-cluster keys), and every PKCS#12 crosslink
  // wrote, base64-encoded as its state holds it: remembered for the scan.
  void RememberNodeSecrets(const std::string& cluster) {
    for (const std::string& home : Homes(cluster)) {
      for (const auto& [name, value] : KeystoreEntries(home)) {
        if (name.rfind("cluster.remote.", 0) == 0) RememberEncodedKey(value);
        else if (value.size() >= 8) secrets_.insert(value);
      }
      for (const auto& [path, bytes] : ConfigFiles(home)) {
        if (path.rfind("config/crosslink/", 0) == 0 && path.size() > 4 &&
            path.substr(path.size() - 4) == ".p12") {
          secrets_.insert(http::Base64Encode(bytes));
        }
      }
    }
  }

  // Every secret a run put on `c` for the scan: the twin's effective
  // keystore values (encoded cross-cluster keys), a self-managed node's
  // keystores and PKCS#12s, the data of every Secret crosslink labelled in
  // an ECK cluster's namespace. Call it once the run's connections are up.
  void RememberClusterSecrets(const ClusterRef& c) {
    RememberKeystoreValues(c.name);
    if (c.platform == "self") RememberNodeSecrets(c.name);
    if (c.platform == "eck") RememberLabelledSecrets(c.environment, c.ns);
  }

  // ---------------------------------------------------------------- snapshots

  Value EckSpec(const ClusterRef& c) {
    return Elasticsearch(c.environment, c.ns, c.es_name.empty() ? c.name : c.es_name)
        .value("spec", Value::object());
  }

  // "name (id)" of every active (not invalidated) API key of a cluster's twin.
  std::set<std::string> ActiveApiKeys(const std::string& cluster) {
    std::set<std::string> out;
    Value inspect = sandbox_->FindTwin(cluster)->Inspect();
    for (const auto& key : inspect.value("api_keys", Value::array())) {
      if (!key.value("invalidated", false)) {
        out.insert(key.value("name", "") + " (" + key.value("id", "") + ")");
      }
    }
    return out;
  }

  // The trust settings of a deployment without empty lists: an absent list
  // and an empty one (what remains once crosslink removed the last entry of
  // "direct" or "external") trust the same.
  std::string TrustSettings(const std::string& env, const std::string& cluster) {
    Value trust = Trust(env, cluster);
    Value out = Value::object();
    for (const auto& item : trust.items()) {
      if (!(item.value().is_array() && item.value().empty())) out[item.key()] = item.value();
    }
    return out.dump();
  }

  std::string TrustRelationships(const std::string& env) {
    Reply reply = Cloud(env, "GET", "/platform/configuration/trust-relationships");
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply.json.dump();
  }

  // `c` before the first run; a Cloud deployment gets a user's keystore
  // entry and trust entry first, which destroy must keep.
  ClusterBefore Snapshot(const ClusterRef& c) {
    ClusterBefore b;
    if (c.platform == "eck") {
      b.eck_spec = EckSpec(c).dump();
      b.eck_objects = CrosslinkObjects(c.environment, c.ns);
    } else if (c.platform == "self") {
      b.nodes = SnapshotNodes(c.name);
    } else {
      b.user = SeedUserEntries(c.environment, c.name);
      b.keystore = Keystore(c.environment, c.name).dump();
      b.trust = TrustSettings(c.environment, c.name);
      if (c.platform == "ece") b.trust_relationships = TrustRelationships(c.environment);
    }
    b.persistent = Persistent(c.name);
    b.active_keys = ActiveApiKeys(c.name);
    return b;
  }

  // `c` exactly as Snapshot saw it (what the ECK operator and the twins do
  // on their own threads may follow a run: polled).
  void ExpectAsBefore(const ClusterRef& c, const ClusterBefore& b) {
    SCOPED_TRACE("cluster " + c.name);
    if (c.platform == "eck") {
      std::string spec;
      EXPECT_TRUE(Eventually([&] { return (spec = EckSpec(c).dump()) == b.eck_spec; }))
          << "Elasticsearch spec differs from before the first run:\n  before " << b.eck_spec
          << "\n  after  " << spec;
      EXPECT_EQ(CrosslinkObjects(c.environment, c.ns), b.eck_objects);
    } else if (c.platform == "self") {
      ExpectNodesAsBefore(b.nodes);
      ExpectNodesRunning(c.name);
    } else {
      // (Compared without empty lists, unlike ExpectUserEntriesIntact.)
      const auto keystore = sandbox_->FindTwin(c.name)->config().keystore;
      auto it = keystore.find(kUserSetting);
      ASSERT_NE(it, keystore.end()) << "the user's keystore entry is no longer effective";
      EXPECT_TRUE(it->second == Secret(b.user.keystore_value)) << "the user's value changed";
      EXPECT_FALSE(DirectEntry(c.environment, c.name, kUserTrustName).is_null());
      EXPECT_EQ(Keystore(c.environment, c.name).dump(), b.keystore) << "keystore listing";
      EXPECT_EQ(TrustSettings(c.environment, c.name), b.trust) << "trust settings";
      if (c.platform == "ece") {
        EXPECT_EQ(TrustRelationships(c.environment), b.trust_relationships);
      }
    }
    std::string persistent;
    EXPECT_TRUE(Eventually([&] { return (persistent = Persistent(c.name)) == b.persistent; }))
        << "persistent settings: before " << b.persistent << "\n  after " << persistent;
    std::set<std::string> keys;
    EXPECT_TRUE(Eventually([&] { return (keys = ActiveApiKeys(c.name)) == b.active_keys; }))
        << "active API keys differ: " << ::testing::PrintToString(keys) << " before "
        << ::testing::PrintToString(b.active_keys);
  }

  // Persistent cluster settings of a twin mentioning `alias`: none left.
  void ExpectNoRemoteSettings(const std::string& cluster, const std::string& alias) {
    EXPECT_THAT(Persistent(cluster), ::testing::Not(::testing::HasSubstr("cluster.remote." + alias)))
        << cluster;
    EXPECT_THAT(Persistent(cluster),
                ::testing::Not(::testing::HasSubstr("\"" + alias + "\":")))
        << cluster;
  }
};

}  // namespace crosslink::e2e
