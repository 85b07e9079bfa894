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
// The sandbox's bin/elasticsearch-keystore execs THIS test binary with
// `keystore ...` (the sandbox runs in-process): self_main.cc serves it.

#include <filesystem>
#include <map>
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

class SelfTest : public CloudTest {
 protected:
  static constexpr const char* kKeystoreFile = "config/elasticsearch.keystore";

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
