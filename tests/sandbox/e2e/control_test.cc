// The control API: fault injection at run time, taking a twin down, events.

#include "tests/sandbox/e2e/sandbox_fixture.h"

namespace crosslink::sandbox::e2e {
namespace {

class ControlTest : public SandboxTest {
 protected:
  void SetUp() override {
    StartSandbox(R"(
clusters:
  edge: { platform: self, version: "8.17.0" }
  core: { platform: self, version: "8.17.0" }
faults:
  - { target: "es/core/rest", latency_ms: 30 }
)");
  }

  Reply Control(const std::string& method, const std::string& path, const std::string& body = "") {
    http::Request request = http::Request::Json(method, sandbox_->control_url() + path, body);
    return Send(request, Env("SANDBOX_PUBLIC_CA"));
  }

  Result<http::Response> RawEs(const std::string& key) {
    http::Request request;
    request.url = Env(EnvPrefix(key) + "_URL") + "/";
    request.SetBasicAuth("elastic", Secret(Env(EnvPrefix(key) + "_PASSWORD")));
    return Client(Env(EnvPrefix(key) + "_CA_FILE")).Send(request);
  }
};

TEST_F(ControlTest, FaultsFromTheConfigAreActive) {
  Reply faults = Control("GET", "/_sandbox/faults");
  ASSERT_EQ(faults.status, 200);
  EXPECT_NE(faults.body.find("es/core/rest"), std::string::npos) << faults.body;
  auto started = std::chrono::steady_clock::now();
  auto reply = RawEs("core");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(30));
}

TEST_F(ControlTest, ErrorRateAnswersWithTheInjectedStatusUntilCleared) {
  Reply set = Control("PUT", "/_sandbox/faults", R"({"target":"es/edge/*","error_rate":1,"error_status":429})");
  ASSERT_EQ(set.status, 200) << set.body;
  auto reply = RawEs("edge");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->status, 429);
  EXPECT_EQ(reply->Header("retry-after"), "1");
  EXPECT_NE(reply->body.find("\"status\":429"), std::string::npos) << reply->body;
  auto other = RawEs("core");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->status, 200) << "a rule only hits its target";

  ASSERT_EQ(Control("DELETE", "/_sandbox/faults?target=es/edge/*").status, 200);
  reply = RawEs("edge");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->status, 200);
}

TEST_F(ControlTest, BadFaultRulesAreRefused) {
  EXPECT_EQ(Control("PUT", "/_sandbox/faults", R"({"error_rate":1})").status, 400);
  EXPECT_EQ(Control("PUT", "/_sandbox/faults", R"({"target":"x","error_rate":2})").status, 400);
  EXPECT_EQ(Control("PUT", "/_sandbox/faults", R"({"target":"x","error_status":418})").status, 400);
}

TEST_F(ControlTest, DownTwinResetsConnectionsUntilUp) {
  ASSERT_EQ(Control("POST", "/_sandbox/clusters/edge/down").status, 200);
  auto reply = RawEs("edge");
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable) << reply.status().ToString();
  ASSERT_EQ(Control("POST", "/_sandbox/clusters/edge/up").status, 200);
  reply = RawEs("edge");
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 200);
  Reply events = Control("GET", "/_sandbox/events");
  EXPECT_NE(events.body.find("\"kind\":\"down\""), std::string::npos) << events.body;
}

TEST_F(ControlTest, InspectionAndUnknownPaths) {
  Reply twin = Control("GET", "/_sandbox/clusters/edge");
  ASSERT_EQ(twin.status, 200);
  EXPECT_EQ(twin.json.value("name", ""), "edge");
  EXPECT_EQ(Control("GET", "/_sandbox/clusters/nope").status, 404);
  EXPECT_EQ(Control("GET", "/_sandbox/nothing").status, 404);
  EXPECT_EQ(Control("GET", "/_sandbox/platforms/self").status, 200);
  // Regression: a non-GET on the root read past the end of the path.
  EXPECT_EQ(Control("POST", "/_sandbox").status, 405);
}

}  // namespace
}  // namespace crosslink::sandbox::e2e
