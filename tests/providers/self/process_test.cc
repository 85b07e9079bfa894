// The real process runner, and a local node in a temp dir with fake tools
// (shell scripts that record how they were called): a missing tool, a
// failing restart command, an unwritable config dir, secrets never in argv.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "providers/self/command.h"
#include "providers/self/node.h"

namespace crosslink::providers::self {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteText(const std::string& path, const std::string& text, mode_t mode = 0644) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  ::chmod(path.c_str(), mode);
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 07777;
}

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/crosslink-selfnode-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Result<CommandResult> Run(Command c) { return runner_->Run(c); }

  std::string dir_;
  RealClock clock_;
  std::unique_ptr<CommandRunner> runner_ = NewProcessRunner(clock_);
};

using CommandTest = TempDirTest;

TEST_F(CommandTest, RunsWithoutAShellFeedsStdinAndCapturesOutput) {
  Command c;
  c.argv = {"/bin/echo", "a; echo injected", "$HOME"};
  Result<CommandResult> r = Run(c);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out, "a; echo injected $HOME\n") << "argv is not interpreted by a shell";

  Command cat;
  cat.argv = {"/bin/cat"};
  cat.stdin_data = Secret(std::string(300000, 'x'));  // larger than a pipe buffer
  cat.output_limit = 1000;
  Result<CommandResult> big = Run(cat);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->exit_code, 0);
  EXPECT_EQ(big->out.size(), 1000u);
  EXPECT_TRUE(big->truncated);
}

TEST_F(CommandTest, ExitCodeEnvWorkingDirAndShell) {
  Command c = ShellCommand("cd_is=$(pwd); echo \"$cd_is $MY_VAR\"; echo 'bad thing' >&2; exit 7");
  c.env["MY_VAR"] = Secret("value-of-my-var");
  c.working_dir = dir_;
  Result<CommandResult> r = Run(c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 7);
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->out, dir_ + " (sensitive)\n") << "env values are redacted from output";
  EXPECT_EQ(r->Summary(c.timeout), "exit code 7: bad thing");
}

TEST_F(CommandTest, SecretsEchoedBackAreRedacted) {
  Command c;
  c.argv = {"/bin/cat"};
  c.stdin_data = Secret("the-stdin-secret-value");
  Result<CommandResult> r = Run(c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "(sensitive)");
}

TEST_F(CommandTest, TimeoutKillsTheProcessGroup) {
  Command c = ShellCommand("sleep 30 & sleep 30; echo never");
  c.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  Result<CommandResult> r = Run(c);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->Summary(c.timeout), "timed out after 300 ms (the process group was killed)");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST_F(CommandTest, MissingOrNonExecutableProgramIsAStatus) {
  Command missing;
  missing.argv = {dir_ + "/nope"};
  EXPECT_EQ(Run(missing).status().code(), StatusCode::kNotFound);
  WriteText(dir_ + "/plain", "#!/bin/sh\n", 0644);
  Command plain;
  plain.argv = {dir_ + "/plain"};
  EXPECT_EQ(Run(plain).status().code(), StatusCode::kPermissionDenied);
  Command bad_dir;
  bad_dir.argv = {"/bin/true"};
  bad_dir.working_dir = dir_ + "/no/such/dir";
  Result<CommandResult> r = Run(bad_dir);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("no/such/dir"));
}

// A local node in a temp home whose bin/elasticsearch-keystore records its
// argv and environment key names (not values) and keeps values in files.
class LocalProcessTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    home_ = dir_ + "/home";
    WriteText(home_ + "/config/elasticsearch.yml", kYml, 0660);
    WriteText(
        home_ + "/bin/elasticsearch-keystore",
        "#!/bin/sh\n"
        "echo \"$*\" >> \"$0.argv\"\n"
        "env | cut -d= -f1 | sort > \"$0.envnames\"\n"
        "[ \"$KEYSTORE_PASSWORD\" = \"ks-password-xyz-987\" ] || { echo 'ERROR: Provided keystore "
        "password was incorrect' >&2; exit 65; }\n"
        "store=\"$0.store\"; mkdir -p \"$store\"\n"
        "case \"$1\" in\n"
        "  list) ls \"$store\" ;;\n"
        "  add) cat > \"$store/$4\" ;;\n"
        "  remove) rm \"$store/$2\" ;;\n"
        "esac\n",
        0755);
    WriteText(home_ + "/bin/restart", "#!/bin/sh\necho restarted >> \"$0.log\"\n", 0755);
  }

  std::unique_ptr<Node> Local(const std::string& restart, bool password = true) {
    topology::NodeDelivery d;
    d.name = "es1";
    d.home = home_;
    d.restart = restart;
    NodeOptions o;
    o.fs = fs_.get();
    o.runner = runner_.get();
    if (password) o.keystore_password = Secret("ks-password-xyz-987");
    auto node = NewNode(d, o);
    EXPECT_TRUE(node.ok());
    return std::move(node).value();
  }

  static NodeChange Change() {
    NodeChange c;
    c.settings =
        ManagedSettings{{"xpack.security.remote_cluster_client.ssl.certificate_authorities",
                         Value::array({"crosslink/eck-logs-ca.crt"})}};
    c.write_files = {NodeFile::Public("eck-logs-ca.crt", "-----BEGIN CERTIFICATE-----\n")};
    c.keystore_add = {
        {"cluster.remote.logs.credentials", Secret("Y3JlZGVudGlhbC1zZWNyZXQtdmFsdWU=")}};
    c.restart = true;
    return c;
  }

  const std::string kYml = "# Elasticsearch\ncluster.name: onprem\n";
  std::unique_ptr<FileSystem> fs_ = NewPosixFileSystem();
  std::string home_;
};

TEST_F(LocalProcessTest, AppliesThroughRealProcesses) {
  Result<NodeApplyResult> r = Local(home_ + "/bin/restart")->Apply(Change());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->restart, RestartOutcome::kDone);
  EXPECT_EQ(ReadText(home_ + "/bin/restart.log"), "restarted\n");
  EXPECT_EQ(ReadText(home_ + "/bin/elasticsearch-keystore.store/cluster.remote.logs.credentials"),
            "Y3JlZGVudGlhbC1zZWNyZXQtdmFsdWU=");
  EXPECT_EQ(ModeOf(home_ + "/config/elasticsearch.yml"), 0660u);
  EXPECT_EQ(ModeOf(home_ + "/config/crosslink/eck-logs-ca.crt"), 0644u);
  std::string argv = ReadText(home_ + "/bin/elasticsearch-keystore.argv");
  EXPECT_EQ(argv, "list\nadd -x -f cluster.remote.logs.credentials\n");
  EXPECT_THAT(ReadText(home_ + "/bin/elasticsearch-keystore.envnames"),
              HasSubstr("KEYSTORE_PASSWORD\n"));
  Result<NodeReadback> back = Local("")->Read();
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->keystore_names, std::vector<std::string>{"cluster.remote.logs.credentials"});
}

TEST_F(LocalProcessTest, MissingToolIsAClearErrorAndChangesNothing) {
  std::filesystem::remove(home_ + "/bin/elasticsearch-keystore");
  Result<NodeApplyResult> r = Local(home_ + "/bin/restart")->Apply(Change());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("node es1 (local " + home_ + "): " + home_ +
                        "/bin/elasticsearch-keystore does not exist; check that `home` is the "
                        "Elasticsearch home directory"));
  EXPECT_EQ(ReadText(home_ + "/config/elasticsearch.yml"), kYml);
  EXPECT_FALSE(std::filesystem::exists(home_ + "/config/crosslink"));
  EXPECT_FALSE(std::filesystem::exists(home_ + "/bin/restart.log"));
}

TEST_F(LocalProcessTest, WrongKeystorePasswordSaysSo) {
  Result<NodeApplyResult> r = Local(home_ + "/bin/restart", false)->Apply(Change());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("`" + home_ +
                        "/bin/elasticsearch-keystore list` failed (exit code 65: ERROR: Provided "
                        "keystore password was incorrect)"));
  EXPECT_THAT(r.status().message(), HasSubstr("KEYSTORE_PASSWORD"));
  EXPECT_EQ(ReadText(home_ + "/config/elasticsearch.yml"), kYml);
}

TEST_F(LocalProcessTest, FailingRestartCommandRestoresTheFiles) {
  Result<NodeApplyResult> r =
      Local("echo 'Job for elasticsearch.service failed' >&2; exit 1")->Apply(Change());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("failed (exit code 1: Job for elasticsearch.service failed)"));
  EXPECT_THAT(r.status().message(), HasSubstr("the node's files were restored"));
  EXPECT_EQ(ReadText(home_ + "/config/elasticsearch.yml"), kYml);
  EXPECT_EQ(ModeOf(home_ + "/config/elasticsearch.yml"), 0660u);
  EXPECT_FALSE(std::filesystem::exists(home_ + "/config/crosslink/eck-logs-ca.crt"));
  EXPECT_FALSE(std::filesystem::exists(
      home_ + "/bin/elasticsearch-keystore.store/cluster.remote.logs.credentials"));
  for (const auto& entry : std::filesystem::recursive_directory_iterator(home_)) {
    EXPECT_THAT(entry.path().string(), Not(HasSubstr(".crosslink-new")));
    EXPECT_THAT(entry.path().string(), Not(HasSubstr(".tmp.")));
  }
}

TEST_F(LocalProcessTest, ConfigDirUnderAFileIsAClearError) {
  // Root ignores chmod: make config/crosslink impossible by a file in the way.
  WriteText(home_ + "/config/crosslink", "a file, not a directory");
  Result<NodeApplyResult> r = Local(home_ + "/bin/restart")->Apply(Change());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("node es1"));
  EXPECT_THAT(r.status().message(), HasSubstr(home_ + "/config/crosslink"));
  EXPECT_EQ(ReadText(home_ + "/config/elasticsearch.yml"), kYml);
  EXPECT_FALSE(std::filesystem::exists(home_ + "/bin/restart.log"));
}

}  // namespace
}  // namespace crosslink::providers::self
