// The crosslink-sandbox binary as scripts use it: serve --detach, the env
// file, the control API, stop; and its errors.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "engine/core/clock.h"
#include "engine/core/http.h"

namespace {

const std::string kBinary = CROSSLINK_BINARY_DIR "/bin/crosslink-sandbox";

struct Outcome {
  int code = -1;
  std::string output;
};

Outcome Execute(const std::string& args) {
  Outcome run;
  FILE* pipe = popen((kBinary + " " + args + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.output.append(buffer, n);
  int status = pclose(pipe);
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

class SandboxCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/crosslink-cli-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    Execute("stop --dir " + dir_);
    std::filesystem::remove_all(dir_);
  }
  std::string WriteConfig(const std::string& yaml) {
    const std::string path = dir_ + "/sandbox.yaml";
    std::ofstream(path) << yaml;
    return path;
  }
  std::string dir_;
};

TEST_F(SandboxCliTest, ServeDetachedWritesTheEnvFileAndStops) {
  const std::string config = WriteConfig("clusters:\n  edge: { platform: self }\n");
  Outcome serve = Execute("serve --detach --config " + config + " --dir " + dir_ + "/run");
  ASSERT_EQ(serve.code, 0) << serve.output;
  EXPECT_NE(serve.output.find("stop it with: crosslink-sandbox stop --dir"), std::string::npos);

  const std::string env_file = dir_ + "/run/sandbox.env";
  struct stat st {};
  ASSERT_EQ(stat(env_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the env file holds passwords";
  std::ifstream in(env_file);
  std::string line, control_url;
  bool has_url = false;
  while (std::getline(in, line)) {
    if (line.rfind("SANDBOX_CONTROL_URL=", 0) == 0) control_url = line.substr(21, line.size() - 22);
    if (line.rfind("EDGE_URL='https://127.", 0) == 0) has_url = true;
  }
  EXPECT_TRUE(has_url);
  ASSERT_FALSE(control_url.empty());

  crosslink::RealClock clock;
  crosslink::http::ClientOptions options;
  options.retry.max_attempts = 1;
  auto client = crosslink::http::NewCurlClient(options, clock);
  crosslink::http::Request request;
  request.url = control_url + "/_sandbox";
  auto summary = client->Send(request);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->status, 200);
  EXPECT_NE(summary->body.find("\"self\":[\"edge\"]"), std::string::npos) << summary->body;

  Outcome stop = Execute("stop --dir " + dir_ + "/run");
  EXPECT_EQ(stop.code, 0) << stop.output;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/run/sandbox.pid"));
  EXPECT_FALSE(client->Send(request).ok()) << "the control API is gone after stop";
}

TEST_F(SandboxCliTest, BadConfigIsAUsageErrorNamingTheLine) {
  const std::string config = WriteConfig("clusters:\n  edge: { environment: nowhere }\n");
  Outcome serve = Execute("serve --detach --config " + config + " --dir " + dir_ + "/run");
  EXPECT_EQ(serve.code, 2) << serve.output;
  EXPECT_NE(serve.output.find("sandbox.yaml:2:24: clusters.edge.environment: no environment \"nowhere\""),
            std::string::npos)
      << serve.output;
}

TEST_F(SandboxCliTest, StopWithoutASandboxFails) {
  Outcome stop = Execute("stop --dir " + dir_);
  EXPECT_EQ(stop.code, 1);
  EXPECT_NE(stop.output.find("no sandbox is serving from"), std::string::npos) << stop.output;
}

TEST_F(SandboxCliTest, MissingContractsAreNamed) {
  const std::string config = WriteConfig("clusters:\n  edge: { platform: self }\n");
  Outcome serve = Execute("serve --config " + config + " --dir " + dir_ + "/run --contracts /nonexistent");
  EXPECT_EQ(serve.code, 2);
  EXPECT_NE(serve.output.find("contracts not found in /nonexistent"), std::string::npos) << serve.output;
}

}  // namespace
