// One node's delivery with an in-memory file system and a scripted command
// runner: what is written where with which mode, what runs, and that every
// failure leaves the node's files as they were.

#include "providers/self/node.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "tests/fakes/faulty_filesystem.h"
#include "tests/fakes/mem_filesystem.h"

namespace crosslink::providers::self {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kHome = "/es";
constexpr const char* kYml = "/es/config/elasticsearch.yml";
constexpr const char* kTool = "/es/bin/elasticsearch-keystore";
const std::string kOriginalYml = "cluster.name: onprem\r\n# keep me \xE2\x9C\x93\r\nnode.name: es1";
const std::string kCredential = "ZW5jb2RlZC1jcm9zcy1jbHVzdGVyLWtleS1zZWNyZXQ=";
const std::string kP12Password = "p12-password-Very-Secret-42";

// A keystore tool and restart command, scripted.
class FakeRunner : public CommandRunner {
 public:
  Result<CommandResult> Run(const Command& command) override {
    calls.push_back(command);
    if (command.argv.front() == "/bin/sh") {
      CommandResult r;
      r.exit_code = restart_exit;
      r.err = restart_exit ? "systemctl: unit failed" : "";
      ++restarts;
      if (restart_exit && fail_restart_once) restart_exit = 0;
      return r;
    }
    if (!tool_present) return Status::NotFound(command.argv.front() + " does not exist");
    CommandResult r;
    r.exit_code = 0;
    const std::string& verb = command.argv[1];
    if (verb == "list") {
      for (const auto& [k, v] : keystore) r.out += k + "\n";
    } else if (verb == "add") {
      const std::string& setting = command.argv.back();
      if (fail_add == setting) {
        r.exit_code = 65;
        r.err = "ERROR: cannot add";
        return r;
      }
      keystore[setting] = command.stdin_data.expose();
    } else if (verb == "show") {
      auto it = keystore.find(command.argv[2]);
      if (it == keystore.end()) {
        r.exit_code = 78;
        r.err = "ERROR: Setting [" + command.argv[2] + "] does not exist in the keystore.";
      } else {
        r.out = it->second + "\n";
      }
    } else if (verb == "remove") {
      if (!keystore.erase(command.argv[2])) {
        r.exit_code = 78;
        r.err = "ERROR: Setting [" + command.argv[2] + "] does not exist in the keystore.";
      }
    }
    return r;
  }

  std::vector<Command> calls;
  std::map<std::string, std::string> keystore = {{"keystore.seed", "seed"}};
  bool tool_present = true;
  std::string fail_add;
  int restart_exit = 0;
  bool fail_restart_once = false;
  int restarts = 0;
};

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mem_.MakeDirs("/es/bin", 0755);
    mem_.SetFile(kYml, kOriginalYml, 0660);
    mem_.SetFile(kTool, "#!/bin/sh\n", 0755);
  }

  std::unique_ptr<Node> Local(const std::string& restart = "systemctl restart elasticsearch",
                              FileSystem* fs = nullptr) {
    topology::NodeDelivery d;
    d.name = "es1";
    d.kind = topology::NodeDelivery::Kind::kLocal;
    d.home = kHome;
    d.restart = restart;
    NodeOptions o;
    o.fs = fs ? fs : &mem_;
    o.runner = &runner_;
    o.keystore_password = Secret("keystore-pass-word-123");
    auto node = NewNode(d, o);
    EXPECT_TRUE(node.ok()) << node.status().ToString();
    return std::move(node).value();
  }

  std::unique_ptr<Node> Bundle(FileSystem* fs = nullptr) {
    topology::NodeDelivery d;
    d.name = "es2";
    d.kind = topology::NodeDelivery::Kind::kBundle;
    d.bundle_dir = "/out/es2";
    NodeOptions o;
    o.fs = fs ? fs : &mem_;
    o.runner = &runner_;
    auto node = NewNode(d, o);
    EXPECT_TRUE(node.ok()) << node.status().ToString();
    return std::move(node).value();
  }

  static NodeChange FullChange() {
    NodeChange c;
    c.settings = ManagedSettings{
        {"remote_cluster_server.enabled", true},
        {"xpack.security.remote_cluster_server.ssl.keystore.path", "crosslink/rcs.p12"}};
    c.write_files = {NodeFile::Sensitive("rcs.p12", Secret("P12-BYTES-secret-key-material")),
                     NodeFile::Public("remote-ca.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n")};
    c.keystore_add = {{"cluster.remote.logs.credentials", Secret(kCredential)},
                      {"xpack.security.remote_cluster_server.ssl.keystore.secure_password",
                       Secret(kP12Password)}};
    c.restart = true;
    return c;
  }

  // Every file's bytes and mode.
  std::map<std::string, std::pair<std::string, uint32_t>> Snapshot() {
    std::map<std::string, std::pair<std::string, uint32_t>> out;
    for (const auto& [path, data] : mem_.Files()) out[path] = {data, *mem_.FileMode(path)};
    return out;
  }

  fakes::MemFileSystem mem_;
  FakeRunner runner_;
};

TEST_F(NodeTest, LocalApplyWritesBlockFilesKeystoreAndRestarts) {
  auto node = Local();
  Result<NodeApplyResult> r = node->Apply(FullChange());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->restart, RestartOutcome::kDone);

  std::string yml = *mem_.Get(kYml);
  EXPECT_EQ(yml.substr(0, kOriginalYml.size()), kOriginalYml);
  EXPECT_THAT(yml, HasSubstr("\r\nremote_cluster_server.enabled: true\r\n"));
  EXPECT_EQ(*mem_.FileMode(kYml), 0660u) << "the yml keeps its mode";
  EXPECT_EQ(*mem_.Get("/es/config/crosslink/rcs.p12"), "P12-BYTES-secret-key-material");
  EXPECT_EQ(*mem_.FileMode("/es/config/crosslink/rcs.p12"), 0600u);
  EXPECT_EQ(*mem_.FileMode("/es/config/crosslink/remote-ca.crt"), 0644u);
  for (const auto& [path, data] : mem_.Files()) {
    EXPECT_THAT(path, Not(HasSubstr("crosslink-new"))) << "temp file left";
  }
  EXPECT_EQ(runner_.keystore["cluster.remote.logs.credentials"], kCredential);
  EXPECT_EQ(runner_.restarts, 1);

  // Commands: no shell for the tool, values on stdin only, password in env.
  for (const Command& c : runner_.calls) {
    if (c.argv.front() == "/bin/sh") {
      EXPECT_EQ(c.argv,
                (std::vector<std::string>{"/bin/sh", "-c", "systemctl restart elasticsearch"}));
      continue;
    }
    EXPECT_EQ(c.argv.front(), kTool);
    EXPECT_EQ(c.env.at("KEYSTORE_PASSWORD").expose(), "keystore-pass-word-123");
    for (const std::string& a : c.argv) {
      EXPECT_THAT(a, Not(HasSubstr(kCredential)));
      EXPECT_THAT(a, Not(HasSubstr(kP12Password)));
    }
    EXPECT_THAT(c.Describe(), Not(HasSubstr("keystore-pass-word")));
  }
  EXPECT_EQ(runner_.calls[1].argv, (std::vector<std::string>{kTool, "add", "-x", "-f",
                                                             "cluster.remote.logs.credentials"}));

  // Read back.
  Result<NodeReadback> back = node->Read();
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->block);
  EXPECT_EQ(back->block->settings, *FullChange().settings);
  EXPECT_EQ(back->drift, "");
  EXPECT_EQ(back->files.at("rcs.p12"), Sha256Hex("P12-BYTES-secret-key-material"));
  EXPECT_EQ(back->keystore_names,
            (std::vector<std::string>{
                "cluster.remote.logs.credentials", "keystore.seed",
                "xpack.security.remote_cluster_server.ssl.keystore.secure_password"}));
}

TEST_F(NodeTest, DestroyRestoresTheOriginalBytes) {
  auto node = Local();
  ASSERT_TRUE(node->Apply(FullChange()).ok());
  NodeChange undo;
  undo.settings = ManagedSettings{};
  undo.remove_files = {"rcs.p12", "remote-ca.crt"};
  undo.keystore_remove = {"cluster.remote.logs.credentials", "not.there"};
  undo.restart = true;
  Result<NodeApplyResult> r = node->Apply(undo);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*mem_.Get(kYml), kOriginalYml);
  EXPECT_FALSE(mem_.Exists("/es/config/crosslink/rcs.p12"));
  EXPECT_FALSE(runner_.keystore.count("cluster.remote.logs.credentials"));
  for (const Command& c : runner_.calls) {
    EXPECT_NE(c.argv, (std::vector<std::string>{kTool, "remove", "not.there"}))
        << "absent settings are skipped";
  }
}

TEST_F(NodeTest, HandEditIsReadAsDrift) {
  auto node = Local();
  ASSERT_TRUE(node->Apply(FullChange()).ok());
  std::string yml = *mem_.Get(kYml);
  yml.replace(yml.find("enabled: true"), 13, "enabled: false");
  mem_.SetFile(kYml, yml, 0660);
  Result<NodeReadback> back = node->Read();
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->drift, std::string(kYml) +
                             ":4-8: crosslink's managed block was edited by hand (its checksum no "
                             "longer matches); the next apply rewrites it");
  EXPECT_THAT(DescribeDrift(kYml, *back->block, *FullChange().settings),
              HasSubstr("keys changed: remote_cluster_server.enabled"));
}

TEST_F(NodeTest, MalformedYmlChangesNothing) {
  mem_.SetFile(kYml, "cluster.name: [oops\n", 0660);
  auto before = Snapshot();
  auto node = Local();
  Result<NodeApplyResult> r = node->Apply(FullChange());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("node es1 (local /es)"));
  EXPECT_THAT(r.status().message(), HasSubstr(std::string(kYml) + ":"));
  EXPECT_THAT(r.status().message(), HasSubstr("not valid YAML"));
  EXPECT_EQ(Snapshot(), before);
  EXPECT_TRUE(runner_.calls.empty()) << "nothing ran";
}

TEST_F(NodeTest, ConflictChangesNothing) {
  mem_.SetFile(kYml, "remote_cluster_server.enabled: false\n", 0660);
  auto before = Snapshot();
  Result<NodeApplyResult> r = Local()->Apply(FullChange());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr(std::string(kYml) + ":1: `remote_cluster_server.enabled`"));
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(NodeTest, MissingKeystoreToolChangesNothing) {
  runner_.tool_present = false;
  auto before = Snapshot();
  Result<NodeApplyResult> r = Local()->Apply(FullChange());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("node es1"));
  EXPECT_THAT(r.status().message(), HasSubstr(std::string(kTool) + " does not exist"));
  EXPECT_THAT(r.status().message(), HasSubstr("Elasticsearch home directory"));
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(NodeTest, UnwritableConfigDirChangesNothing) {
  // Every mutation fails in turn: whichever it is, the files stay as they were.
  for (int n = 1; n <= 12; ++n) {
    fakes::MemFileSystem mem;
    mem.MakeDirs("/es/bin", 0755);
    mem.SetFile(kYml, kOriginalYml, 0660);
    mem.SetFile("/es/config/crosslink/rcs.p12", "OLD", 0600);
    auto before = mem.Files();
    fakes::FaultyFileSystem faulty(&mem);
    faulty.FailAt(n, Status::PermissionDenied("cannot write: Permission denied"));
    runner_ = FakeRunner();
    Result<NodeApplyResult> r =
        Local("systemctl restart elasticsearch", &faulty)->Apply(FullChange());
    if (faulty.mutations() < n) {
      EXPECT_TRUE(r.ok()) << "mutation " << n << ": " << r.status().ToString();
      break;
    }
    ASSERT_FALSE(r.ok()) << "mutation " << n;
    EXPECT_THAT(r.status().message(), HasSubstr("node es1")) << n;
    EXPECT_THAT(r.status().message(), HasSubstr("Permission denied")) << n;
    EXPECT_EQ(mem.Files(), before) << "mutation " << n << ": " << r.status().message();
    EXPECT_EQ(*mem.FileMode(kYml), 0660u);
    EXPECT_EQ(runner_.restarts, 0);
  }
}

TEST_F(NodeTest, FailingRestartRestoresFilesAndKeystoreThenRestartsAgain) {
  mem_.SetFile("/es/config/crosslink/rcs.p12", "OLD-P12", 0600);
  auto before = Snapshot();
  runner_.restart_exit = 1;
  runner_.fail_restart_once = true;
  Result<NodeApplyResult> r = Local()->Apply(FullChange());
  ASSERT_FALSE(r.ok());
  const std::string& m = r.status().message();
  EXPECT_THAT(m, HasSubstr("node es1"));
  EXPECT_THAT(
      m, HasSubstr("the restart command `systemctl restart elasticsearch` failed (exit code 1: "
                   "systemctl: unit failed)"));
  EXPECT_THAT(m, HasSubstr("the node's files were restored"));
  EXPECT_THAT(m, HasSubstr("restarted with its previous configuration"));
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(runner_.keystore, (std::map<std::string, std::string>{{"keystore.seed", "seed"}}))
      << "settings added by the failed apply are removed again";
  EXPECT_EQ(runner_.restarts, 2);
}

// A failed restart puts back the previous VALUES of settings the change
// replaced or removed (read with `show` first): the restored PKCS#12 opens
// with its old password again.
TEST_F(NodeTest, FailingRestartRestoresReplacedAndRemovedKeystoreValues) {
  runner_.keystore["xpack.security.remote_cluster_server.ssl.keystore.secure_password"] =
      "old-password";
  runner_.keystore["cluster.remote.gone.credentials"] = "old-credential";
  const std::map<std::string, std::string> keystore_before = runner_.keystore;
  NodeChange change = FullChange();
  change.keystore_remove = {"cluster.remote.gone.credentials"};
  runner_.restart_exit = 1;
  runner_.fail_restart_once = true;
  Result<NodeApplyResult> r = Local()->Apply(change);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(runner_.keystore, keystore_before);
  EXPECT_THAT(r.status().message(), Not(HasSubstr("old-password")));
  for (const Command& c : runner_.calls) {
    for (const std::string& arg : c.argv) EXPECT_THAT(arg, Not(HasSubstr("old-")));
  }
}

TEST_F(NodeTest, RestartThatKeepsFailingSaysTheNodeMayBeDown) {
  runner_.restart_exit = 3;
  Result<NodeApplyResult> r = Local()->Apply(FullChange());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("failed too: the node may be down"));
  EXPECT_EQ(*mem_.Get(kYml), kOriginalYml);
}

TEST_F(NodeTest, FailingKeystoreAddRollsBack) {
  runner_.fail_add = "xpack.security.remote_cluster_server.ssl.keystore.secure_password";
  auto before = Snapshot();
  Result<NodeApplyResult> r = Local()->Apply(FullChange());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("`/es/bin/elasticsearch-keystore add -x -f "
                        "xpack.security.remote_cluster_server.ssl.keystore.secure_password` failed "
                        "(exit code 65: ERROR: cannot add)"));
  EXPECT_EQ(Snapshot(), before);
  EXPECT_FALSE(runner_.keystore.count("cluster.remote.logs.credentials"));
  EXPECT_EQ(runner_.restarts, 0);
}

TEST_F(NodeTest, NoRestartCommandLeavesTheRestartToTheUser) {
  Result<NodeApplyResult> r = Local("")->Apply(FullChange());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->restart, RestartOutcome::kUserRequired);
  EXPECT_THAT(r->note, HasSubstr("no restart command is configured for node es1"));
  EXPECT_EQ(runner_.restarts, 0);
}

TEST_F(NodeTest, InvalidChangesAreRefusedBeforeAnything) {
  auto node = Local();
  auto before = Snapshot();
  NodeChange c;
  c.write_files = {NodeFile::Public("../escape.crt", "x")};
  EXPECT_THAT(node->Apply(c).status().message(), HasSubstr("file name `../escape.crt`"));
  NodeChange k;
  k.keystore_add = {{"bad setting;rm", Secret("v")}};
  EXPECT_THAT(node->Apply(k).status().message(), HasSubstr("keystore setting `bad setting;rm`"));
  EXPECT_EQ(Snapshot(), before);
  EXPECT_TRUE(runner_.calls.empty());
}

TEST_F(NodeTest, BundleWritesFragmentFilesValuesScriptAndReadme) {
  auto node = Bundle();
  Result<NodeApplyResult> r = node->Apply(FullChange());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->restart, RestartOutcome::kUserRequired);
  EXPECT_EQ(r->note, "restart required (bundle: yours)");
  EXPECT_TRUE(runner_.calls.empty()) << "a bundle runs nothing";

  EXPECT_EQ(*mem_.Get("/out/es2/elasticsearch.crosslink.yml"), RenderBlock(*FullChange().settings));
  EXPECT_EQ(*mem_.FileMode("/out/es2/config/crosslink/rcs.p12"), 0600u);
  EXPECT_EQ(*mem_.FileMode("/out/es2/config/crosslink/remote-ca.crt"), 0644u);
  EXPECT_EQ(*mem_.Get("/out/es2/keystore/cluster.remote.logs.credentials"), kCredential);
  EXPECT_EQ(*mem_.FileMode("/out/es2/keystore/cluster.remote.logs.credentials"), 0600u);
  EXPECT_EQ(*mem_.FileMode("/out/es2/keystore.sh"), 0700u);
  std::string script = *mem_.Get("/out/es2/keystore.sh");
  std::string readme = *mem_.Get("/out/es2/README.txt");
  for (const std::string& text : {script, readme}) {
    EXPECT_THAT(text, Not(HasSubstr(kCredential)));
    EXPECT_THAT(text, Not(HasSubstr(kP12Password)));
    EXPECT_THAT(text, Not(HasSubstr("P12-BYTES")));
  }
  EXPECT_THAT(readme, HasSubstr("./keystore.sh <home>"));
  EXPECT_THAT(readme, HasSubstr("config/crosslink/rcs.p12"));
  EXPECT_THAT(readme, HasSubstr("adds     cluster.remote.logs.credentials"));
  EXPECT_THAT(readme, HasSubstr("restart required (bundle: yours)"));

  Result<NodeReadback> back = node->Read();
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->block->settings, *FullChange().settings);
  EXPECT_EQ(back->files.size(), 2u);
  EXPECT_EQ(back->keystore_names.size(), 2u);

  // Destroy: the block goes, the values go, removals are listed.
  NodeChange undo;
  undo.settings = ManagedSettings{};
  undo.remove_files = {"rcs.p12", "remote-ca.crt"};
  undo.keystore_remove = {"cluster.remote.logs.credentials",
                          "xpack.security.remote_cluster_server.ssl.keystore.secure_password"};
  undo.restart = true;
  ASSERT_TRUE(node->Apply(undo).ok());
  EXPECT_FALSE(mem_.Exists("/out/es2/elasticsearch.crosslink.yml"));
  EXPECT_FALSE(mem_.Exists("/out/es2/keystore/cluster.remote.logs.credentials"));
  EXPECT_EQ(*mem_.Get("/out/es2/keystore-remove.txt"),
            "cluster.remote.logs.credentials\n"
            "xpack.security.remote_cluster_server.ssl.keystore.secure_password\n");
  readme = *mem_.Get("/out/es2/README.txt");
  EXPECT_THAT(readme, HasSubstr("remove crosslink's managed block"));
  EXPECT_THAT(readme, HasSubstr("removes  cluster.remote.logs.credentials"));
}

TEST_F(NodeTest, BundleWriteFailureChangesNothing) {
  auto node = Bundle();
  ASSERT_TRUE(node->Apply(FullChange()).ok());
  for (int n = 1; n <= 20; ++n) {
    fakes::MemFileSystem& mem = mem_;
    auto before = mem.Files();
    fakes::FaultyFileSystem faulty(&mem);
    faulty.FailAt(n, Status::IoError("disk full"));
    NodeChange c = FullChange();
    c.keystore_add["cluster.remote.logs.credentials"] = Secret("another-credential-value");
    Result<NodeApplyResult> r = Bundle(&faulty)->Apply(c);
    if (faulty.mutations() < n) break;
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_THAT(r.status().message(), HasSubstr("node es2 (bundle /out/es2)"));
    EXPECT_EQ(mem.Files(), before) << "mutation " << n;
  }
}

// Every message, note and command line of every outcome, with redaction off
// so that a leak would show: no secret value in any of them.
TEST_F(NodeTest, SecretsNeverReachMessagesArgvOrScripts) {
  Redactor::SetEnabledForTesting(false);
  const std::vector<std::string> secrets = {kCredential, kP12Password, "keystore-pass-word-123",
                                            "P12-BYTES-secret-key-material"};
  std::vector<std::string> texts;
  auto outcome = [&](const Result<NodeApplyResult>& r) {
    texts.push_back(r.ok() ? r->note : r.status().ToString());
  };
  outcome(Local()->Apply(FullChange()));  // success
  runner_.restart_exit = 1;
  outcome(Local()->Apply(FullChange()));  // failing restart
  runner_.restart_exit = 0;
  runner_.fail_add = "cluster.remote.logs.credentials";  // failing keystore add
  outcome(Local()->Apply(FullChange()));
  runner_.tool_present = false;  // missing tool
  outcome(Local()->Apply(FullChange()));
  outcome(Bundle()->Apply(FullChange()));  // bundle
  Result<NodeReadback> back = Bundle()->Read();
  ASSERT_TRUE(back.ok());
  texts.push_back(back->drift);
  for (const auto& [name, hash] : back->files) texts.push_back(name + hash);
  texts.push_back(*mem_.Get("/out/es2/keystore.sh"));
  texts.push_back(*mem_.Get("/out/es2/README.txt"));
  texts.push_back(*mem_.Get("/out/es2/elasticsearch.crosslink.yml"));
  texts.push_back(*mem_.Get(kYml));
  for (const Command& c : runner_.calls) {
    texts.push_back(c.Describe());
    for (const std::string& a : c.argv) texts.push_back(a);
  }
  ASSERT_GT(texts.size(), 10u);
  for (const std::string& text : texts) {
    for (const std::string& secret : secrets) EXPECT_THAT(text, Not(HasSubstr(secret)));
  }
  Redactor::SetEnabledForTesting(true);
}

// Two resources sharing one node's block, each merging its own keys.
TEST_F(NodeTest, MergedChangesShareOneBlock) {
  auto node = Local();
  NodeChange rcs;
  rcs.set_settings = {{"remote_cluster_server.enabled", true}, {"remote_cluster.port", 9443}};
  NodeChange client;
  client.set_settings = {{"xpack.security.remote_cluster_client.ssl.certificate_authorities",
                          Value::array({"crosslink/a.crt"})}};
  ASSERT_TRUE(node->Apply(rcs).ok());
  ASSERT_TRUE(node->Apply(client).ok());
  Result<NodeReadback> back = node->Read();
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->block->settings.size(), 3u);
  EXPECT_EQ(back->drift, "");

  NodeChange unset_rcs;
  unset_rcs.unset_settings = {"remote_cluster_server.enabled", "remote_cluster.port"};
  ASSERT_TRUE(node->Apply(unset_rcs).ok());
  back = node->Read();
  EXPECT_EQ(back->block->settings,
            (ManagedSettings{{"xpack.security.remote_cluster_client.ssl.certificate_authorities",
                              Value::array({"crosslink/a.crt"})}}));
  NodeChange unset_client;
  unset_client.unset_settings = {
      "xpack.security.remote_cluster_client.ssl.certificate_authorities"};
  ASSERT_TRUE(node->Apply(unset_client).ok());
  EXPECT_EQ(*mem_.Get(kYml), kOriginalYml) << "the last key gone, the block goes";

  NodeChange both;
  both.settings = ManagedSettings{};
  both.set_settings = {{"a", 1}};
  EXPECT_THAT(node->Apply(both).status().message(), HasSubstr("not both"));

  // The same merge on a bundle's fragment.
  auto bundle = Bundle();
  ASSERT_TRUE(bundle->Apply(rcs).ok());
  ASSERT_TRUE(bundle->Apply(client).ok());
  EXPECT_EQ(*mem_.Get("/out/es2/elasticsearch.crosslink.yml"),
            RenderBlock({{"remote_cluster_server.enabled", true},
                         {"remote_cluster.port", 9443},
                         {"xpack.security.remote_cluster_client.ssl.certificate_authorities",
                          Value::array({"crosslink/a.crt"})}}));
  ASSERT_TRUE(bundle->Apply(unset_rcs).ok());
  ASSERT_TRUE(bundle->Apply(unset_client).ok());
  EXPECT_FALSE(mem_.Exists("/out/es2/elasticsearch.crosslink.yml"));
}

// Take-over of the user's own transport trust (issue #6, contract of
// session 5): the disabled lines are part of the all-or-nothing write.
const std::string kTrustYml =
    "cluster.name: onprem\r\n"
    "xpack.security.transport.ssl:\r\n"
    "  enabled: true\r\n"
    "  keystore.path: certs/transport.p12\r\n"
    "  truststore.path: certs/transport.p12\r\n"
    "node.name: es1\r\n";
constexpr const char* kTruststoreKey = "xpack.security.transport.ssl.truststore.path";

NodeChange TrustChange() {
  NodeChange c;
  c.set_settings = {{"xpack.security.transport.ssl.certificate_authorities",
                     Value::array({"crosslink/transport-ca.crt"})}};
  c.write_files = {NodeFile::Public("transport-ca.crt", "-----BEGIN CERTIFICATE-----\nMIIC\n")};
  c.take_over = std::vector<std::string>{kTruststoreKey};
  c.restart = true;
  return c;
}

TEST_F(NodeTest, LocalTakeOverDisablesTheUsersTrustAndDestroyReEnablesIt) {
  mem_.SetFile(kYml, kTrustYml, 0660);
  auto node = Local();
  // Without the take-over Elasticsearch would refuse both: a conflict.
  NodeChange plain = TrustChange();
  plain.take_over.reset();
  Result<NodeApplyResult> refused = node->Apply(plain);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("refuses both"));
  EXPECT_EQ(*mem_.Get(kYml), kTrustYml);

  Result<NodeApplyResult> r = node->Apply(TrustChange());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::string yml = *mem_.Get(kYml);
  EXPECT_THAT(yml,
              HasSubstr("\r\n#crosslink-disabled#   truststore.path: certs/transport.p12\r\n"));
  Result<NodeReadback> back = node->Read();
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->taken_over, std::vector<std::string>{kTruststoreKey});

  // A later change without take_over keeps it disabled.
  NodeChange other;
  other.set_settings = {{"remote_cluster_server.enabled", true}};
  ASSERT_TRUE(node->Apply(other).ok());
  EXPECT_THAT(*mem_.Get(kYml), HasSubstr("#crosslink-disabled#   truststore.path"));

  // Destroy: block gone, the user's line back, byte for byte.
  NodeChange undo;
  undo.settings = ManagedSettings{};
  undo.remove_files = {"transport-ca.crt"};
  undo.take_over = std::vector<std::string>{};
  undo.restart = true;
  ASSERT_TRUE(node->Apply(undo).ok());
  EXPECT_EQ(*mem_.Get(kYml), kTrustYml);
  back = node->Read();
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->taken_over.empty());
}

TEST_F(NodeTest, FailedRestartRestoresTheDisabledLinesToo) {
  mem_.SetFile(kYml, kTrustYml, 0660);
  auto before = Snapshot();
  runner_.restart_exit = 1;
  runner_.fail_restart_once = true;
  Result<NodeApplyResult> r = Local()->Apply(TrustChange());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("the node's files were restored"));
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(NodeTest, InvalidTakeOverKeyIsRefused) {
  NodeChange c;
  c.take_over = std::vector<std::string>{"bad key!"};
  Result<NodeApplyResult> r = Local()->Apply(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("setting to take over `bad key!`"));
}

TEST_F(NodeTest, BundleListsTheSettingsToDisable) {
  auto node = Bundle();
  NodeChange c = TrustChange();
  ASSERT_TRUE(node->Apply(c).ok());
  EXPECT_EQ(*mem_.Get("/out/es2/disable-settings.txt"), std::string(kTruststoreKey) + "\n");
  std::string readme = *mem_.Get("/out/es2/README.txt");
  EXPECT_THAT(readme, HasSubstr("remove or comment these lines of your elasticsearch.yml"));
  EXPECT_THAT(readme, HasSubstr("     " + std::string(kTruststoreKey) + "\n"));
  Result<NodeReadback> back = node->Read();
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->taken_over, std::vector<std::string>{kTruststoreKey});

  // nullopt keeps the list; an empty list removes it.
  NodeChange other;
  other.set_settings = {{"remote_cluster_server.enabled", true}};
  ASSERT_TRUE(node->Apply(other).ok());
  EXPECT_TRUE(mem_.Get("/out/es2/disable-settings.txt").has_value());
  NodeChange undo;
  undo.settings = ManagedSettings{};
  undo.take_over = std::vector<std::string>{};
  ASSERT_TRUE(node->Apply(undo).ok());
  EXPECT_FALSE(mem_.Get("/out/es2/disable-settings.txt").has_value());
  EXPECT_THAT(*mem_.Get("/out/es2/README.txt"), HasSubstr("none to change"));
  back = node->Read();
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->taken_over.empty());
}

TEST_F(NodeTest, BundleCannotReadTransportTls) {
  Result<TransportTls> tls = Bundle()->ReadTransportTls();
  ASSERT_FALSE(tls.ok());
  EXPECT_EQ(tls.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(tls.status().message(),
            "node es2 (bundle /out/es2): crosslink cannot read a bundle node's transport "
            "certificates; the certificate security model needs delivery: local for this "
            "cluster's nodes");
}

}  // namespace
}  // namespace crosslink::providers::self
