// Scenarios for the libcurl client against a local cpp-httplib TLS server
// whose certificate comes from crosslink::pki.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include <httplib.h>

#include "engine/core/http.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "engine/core/pki.h"

namespace crosslink::http {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// A FakeClock that also records every sleep, so tests can count retries.
class RecordingClock : public FakeClock {
 public:
  void Sleep(std::chrono::milliseconds d) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      sleeps_.push_back(d);
    }
    FakeClock::Sleep(d);
  }
  std::vector<std::chrono::milliseconds> sleeps() {
    std::lock_guard<std::mutex> lock(mu_);
    return sleeps_;
  }

 private:
  std::mutex mu_;
  std::vector<std::chrono::milliseconds> sleeps_;
};

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// One TLS server on 127.0.0.1:<random port> running in a thread.
class TestServer {
 public:
  TestServer(const fs::path& dir, const pki::Identity& identity, const std::string& client_ca_path = "")
      : cert_path_(dir / "server.crt"), key_path_(dir / "server.key") {
    WriteFile(cert_path_, identity.chain_pem);
    WriteFile(key_path_, identity.key_pem.expose());
    server_ = std::make_unique<httplib::SSLServer>(cert_path_.c_str(), key_path_.c_str(),
                                                   client_ca_path.empty() ? nullptr : client_ca_path.c_str());
  }
  ~TestServer() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  httplib::SSLServer& server() { return *server_; }
  int port() const { return port_; }
  std::string Url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
  }
  void Start() {
    ASSERT_TRUE(server_->is_valid());
    port_ = server_->bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!server_->is_running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_TRUE(server_->is_running());
  }

 private:
  fs::path cert_path_, key_path_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = 0;
};

class HttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki::CertificateSpec ca_spec;
    ca_spec.common_name = "http test CA";
    ca_ = new pki::Identity(*pki::CreateCa(ca_spec));
    pki::CertificateSpec spec;
    spec.common_name = "localhost";
    spec.ip_addresses = {"127.0.0.1"};
    spec.dns_names = {"es.sandbox.test"};
    server_identity_ = new pki::Identity(*pki::IssueCertificate(spec, *ca_));
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete server_identity_;
  }

  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("crosslink-http-test-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
    server_ = std::make_unique<TestServer>(dir_, *server_identity_);
    auto& s = server_->server();
    s.Get("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Seen-Auth", req.get_header_value("Authorization"));
      res.set_header("X-Seen-Custom", req.get_header_value("X-Custom"));
      res.set_content("get:" + req.target, "text/plain");
    });
    auto body_echo = [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Seen-Content-Type", req.get_header_value("Content-Type"));
      res.set_content(req.method + ":" + req.body, "text/plain");
    };
    s.Put("/echo", body_echo);
    s.Post("/echo", body_echo);
    s.Patch("/echo", body_echo);
    s.Delete("/echo", body_echo);
    s.Get("/flaky", [this](const httplib::Request&, httplib::Response& res) {
      if (++flaky_calls_ <= failures_before_success_) {
        res.status = 503;
        res.set_content(R"({"error":"unavailable"})", "application/json");
        return;
      }
      res.set_content("ok", "text/plain");
    });
    s.Post("/flaky", [this](const httplib::Request&, httplib::Response& res) {
      ++flaky_calls_;
      res.status = 503;
    });
    s.Get("/throttled", [this](const httplib::Request&, httplib::Response& res) {
      if (++flaky_calls_ == 1) {
        res.status = 429;
        res.set_header("Retry-After", retry_after_);
        return;
      }
      res.set_content("ok", "text/plain");
    });
    s.Get("/missing", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content(R"({"error":"not found"})", "application/json");
    });
    server_->Start();
  }

  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  ClientOptions Options() {
    ClientOptions o;
    o.ca_pem = ca_->chain_pem;
    o.trust_system_cas = false;
    o.connect_timeout = std::chrono::milliseconds(5000);
    o.request_timeout = std::chrono::milliseconds(10000);
    return o;
  }

  static pki::Identity* ca_;
  static pki::Identity* server_identity_;
  fs::path dir_;
  std::unique_ptr<TestServer> server_;
  std::atomic<int> flaky_calls_{0};
  int failures_before_success_ = 2;
  std::string retry_after_ = "2";
  RecordingClock clock_;
};

pki::Identity* HttpTest::ca_ = nullptr;
pki::Identity* HttpTest::server_identity_ = nullptr;

TEST_F(HttpTest, GetSendsHeadersAndAuthorization) {
  auto client = NewCurlClient(Options(), clock_);
  Request req;
  req.url = server_->Url("/echo?q=1");
  req.headers.emplace_back("X-Custom", "value-1");
  req.SetBasicAuth("elastic", Secret("changeme-please"));
  Result<Response> res = client->Send(req);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "get:/echo?q=1");
  EXPECT_EQ(res->Header("X-SEEN-AUTH"), "Basic " + Base64Encode("elastic:changeme-please"));
  EXPECT_EQ(res->Header("x-seen-custom"), "value-1");
  for (const auto& [name, value] : res->headers) EXPECT_EQ(name, [&] {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(c));
    return lower;
  }());
}

TEST_F(HttpTest, ApiKeyAndBearerHeaders) {
  Request req;
  req.SetApiKey(Secret("abc123=="));
  EXPECT_EQ(req.authorization->expose(), "ApiKey abc123==");
  req.SetBearer(Secret("tok"));
  EXPECT_EQ(req.authorization->expose(), "Bearer tok");
  auto client = NewCurlClient(Options(), clock_);
  req.url = server_->Url("/echo");
  Result<Response> res = client->Send(req);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->Header("x-seen-auth"), "Bearer tok");
}

TEST_F(HttpTest, PutPostPatchDeleteSendBodies) {
  auto client = NewCurlClient(Options(), clock_);
  for (const std::string method : {"PUT", "POST", "PATCH", "DELETE"}) {
    Result<Response> res = client->Send(Request::Json(method, server_->Url("/echo"), R"({"a":1})"));
    ASSERT_TRUE(res.ok()) << method << ": " << res.status().ToString();
    EXPECT_EQ(res->status, 200) << method;
    EXPECT_EQ(res->body, method + R"(:{"a":1})");
    EXPECT_EQ(res->Header("x-seen-content-type"), "application/json");
  }
  Request empty_put;
  empty_put.method = "PUT";
  empty_put.url = server_->Url("/echo");
  Result<Response> res = client->Send(empty_put);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->body, "PUT:");
}

TEST_F(HttpTest, HeadHasNoBody) {
  auto client = NewCurlClient(Options(), clock_);
  Request req;
  req.method = "HEAD";
  req.url = server_->Url("/echo");
  Result<Response> res = client->Send(req);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "");
}

TEST_F(HttpTest, ErrorStatusIsAResponseNotAnError) {
  auto client = NewCurlClient(Options(), clock_);
  Request req;
  req.url = server_->Url("/missing");
  Result<Response> res = client->Send(req);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->body, R"({"error":"not found"})");
  EXPECT_TRUE(clock_.sleeps().empty());
}

TEST_F(HttpTest, RetriesServiceUnavailableThenSucceeds) {
  auto client = NewCurlClient(Options(), clock_);
  Request req;
  req.url = server_->Url("/flaky");
  Result<Response> res = client->Send(req);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok");
  EXPECT_EQ(flaky_calls_, 3);
  std::vector<std::chrono::milliseconds> sleeps = clock_.sleeps();
  ASSERT_EQ(sleeps.size(), 2u);
  // Full jitter: each wait is within [0, initial * 2^(n-1)].
  EXPECT_LE(sleeps[0], std::chrono::milliseconds(200));
  EXPECT_LE(sleeps[1], std::chrono::milliseconds(400));
}

TEST_F(HttpTest, GivesUpAfterMaxAttemptsAndReturnsLastResponse) {
  failures_before_success_ = 100;
  ClientOptions o = Options();
  o.retry.max_attempts = 3;
  auto client = NewCurlClient(o, clock_);
  Request req;
  req.url = server_->Url("/flaky");
  Result<Response> res = client->Send(req);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(flaky_calls_, 3);
  EXPECT_EQ(clock_.sleeps().size(), 2u);
}

TEST_F(HttpTest, RetryAfterSecondsIsHonoured) {
  auto client = NewCurlClient(Options(), clock_);
  Request req;
  req.url = server_->Url("/throttled");
  Result<Response> res = client->Send(req);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(clock_.elapsed(), std::chrono::milliseconds(2000));
}

TEST_F(HttpTest, RetryAfterIsCappedByMaxBackoff) {
  retry_after_ = "3600";
  ClientOptions o = Options();
  o.retry.max_backoff = std::chrono::milliseconds(1500);
  auto client = NewCurlClient(o, clock_);
  Request req;
  req.url = server_->Url("/throttled");
  Result<Response> res = client->Send(req);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(clock_.elapsed(), std::chrono::milliseconds(1500));
}

TEST_F(HttpTest, PostIsNotRetriedUnlessIdempotent) {
  auto client = NewCurlClient(Options(), clock_);
  Request post = Request::Json("POST", server_->Url("/flaky"), "{}");
  Result<Response> res = client->Send(post);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(flaky_calls_, 1);

  flaky_calls_ = 0;
  post.idempotent = true;
  res = client->Send(post);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(flaky_calls_, 4);  // default max_attempts
}

TEST_F(HttpTest, WrongCaIsFailedPreconditionAndNotRetried) {
  pki::CertificateSpec spec;
  spec.common_name = "unrelated CA";
  ClientOptions o = Options();
  o.ca_pem = pki::CreateCa(spec)->chain_pem;
  auto client = NewCurlClient(o, clock_);
  Request req;
  req.url = server_->Url("/echo");
  Result<Response> res = client->Send(req);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(res.status().retryable());
  EXPECT_THAT(res.status().message(), HasSubstr("certificate"));
  EXPECT_THAT(res.status().message(), HasSubstr("GET https://127.0.0.1:"));
  EXPECT_TRUE(clock_.sleeps().empty());
}

TEST_F(HttpTest, SystemStoreAloneDoesNotTrustThePrivateCa) {
  ClientOptions o = Options();
  o.ca_pem.clear();
  o.trust_system_cas = true;
  auto client = NewCurlClient(o, clock_);
  Request req;
  req.url = server_->Url("/echo");
  Result<Response> res = client->Send(req);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(HttpTest, SystemStorePlusExtraCaTrustsThePrivateCa) {
  ClientOptions o = Options();
  o.trust_system_cas = true;
  auto client = NewCurlClient(o, clock_);
  Request req;
  req.url = server_->Url("/echo");
  Result<Response> res = client->Send(req);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 200);
}

TEST_F(HttpTest, ResolveEntriesReachANameTheCertificateCarries) {
  ClientOptions o = Options();
  std::string port = std::to_string(server_->port());
  o.resolve = {"es.sandbox.test:" + port + ":127.0.0.1", "other.sandbox.test:" + port + ":127.0.0.1"};
  auto client = NewCurlClient(o, clock_);
  Request req;
  req.url = "https://es.sandbox.test:" + port + "/echo";
  Result<Response> res = client->Send(req);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 200);

  // The certificate does not name other.sandbox.test: hostname verification fails.
  req.url = "https://other.sandbox.test:" + port + "/echo";
  res = client->Send(req);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kFailedPrecondition);
}

int UnusedLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // bound but never listened: connecting is refused
  return ntohs(addr.sin_port);
}

TEST_F(HttpTest, ConnectionRefusedIsUnavailableAfterMaxAttempts) {
  ClientOptions o = Options();
  o.retry.max_attempts = 3;
  auto client = NewCurlClient(o, clock_);
  Request req;
  req.url = "https://127.0.0.1:" + std::to_string(UnusedLoopbackPort()) + "/x?secret=1";
  Result<Response> res = client->Send(req);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(res.status().retryable());
  EXPECT_THAT(res.status().message(), ::testing::Not(HasSubstr("secret=1")));
  EXPECT_EQ(clock_.sleeps().size(), 2u);
}

TEST_F(HttpTest, MalformedUrlIsInvalidArgument) {
  auto client = NewCurlClient(Options(), clock_);
  Request req;
  req.url = "ftp://127.0.0.1/x";
  Result<Response> res = client->Send(req);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(clock_.sleeps().empty());
}

TEST_F(HttpTest, MutualTlsPresentsClientIdentity) {
  WriteFile(dir_ / "client-ca.crt", ca_->chain_pem);
  fs::create_directories(dir_ / "mtls");
  TestServer mtls(dir_ / "mtls", *server_identity_, (dir_ / "client-ca.crt").string());
  mtls.server().Get("/whoami", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("authenticated", "text/plain");
  });
  mtls.Start();

  ClientOptions o = Options();
  o.retry.max_attempts = 1;
  Request req;
  req.url = mtls.Url("/whoami");
  Result<Response> anonymous = NewCurlClient(o, clock_)->Send(req);
  EXPECT_FALSE(anonymous.ok() && anonymous->status == 200);

  pki::CertificateSpec spec;
  spec.common_name = "system:admin";
  o.client_identity = *pki::IssueCertificate(spec, *ca_);
  Result<Response> res = NewCurlClient(o, clock_)->Send(req);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->body, "authenticated");
}

TEST_F(HttpTest, ConcurrentSendsShareOneClient) {
  auto client = NewCurlClient(Options(), clock_);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        Request req;
        req.url = server_->Url("/echo?t=" + std::to_string(t));
        Result<Response> res = client->Send(req);
        if (res.ok() && res->body == "get:/echo?t=" + std::to_string(t)) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok, 20);
}

TEST(HttpHelpersTest, Base64RoundTrip) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("elastic:changeme"), "ZWxhc3RpYzpjaGFuZ2VtZQ==");
  std::string binary;
  for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);
  EXPECT_EQ(Base64Decode(Base64Encode(binary)), binary);
  EXPECT_EQ(Base64Decode("Zm8="), "fo");
  EXPECT_EQ(Base64Decode(""), "");
  EXPECT_FALSE(Base64Decode("Zm8").has_value());
  EXPECT_FALSE(Base64Decode("Zm!=").has_value());
  EXPECT_FALSE(Base64Decode("Z===").has_value());
  EXPECT_FALSE(Base64Decode("Zg==Zg==").has_value());
}

TEST(HttpHelpersTest, UrlEncodeEscapesReservedCharacters) {
  EXPECT_EQ(UrlEncode("abc-_.~XYZ09"), "abc-_.~XYZ09");
  EXPECT_EQ(UrlEncode("a b/c?d=e&f"), "a%20b%2Fc%3Fd%3De%26f");
  EXPECT_EQ(UrlEncode("é"), "%C3%A9");
}

TEST(HttpHelpersTest, StripQueryDropsQueryFragmentAndUserInfo) {
  EXPECT_EQ(StripQuery("https://h:1/p?q=secret"), "https://h:1/p");
  EXPECT_EQ(StripQuery("https://h/p#frag"), "https://h/p");
  EXPECT_EQ(StripQuery("https://user:pw@h/p"), "https://h/p");
  EXPECT_EQ(StripQuery("https://h/p@x"), "https://h/p@x");
}

TEST(HttpHelpersTest, RetryableStatuses) {
  for (long s : {429L, 502L, 503L, 504L}) EXPECT_TRUE(IsRetryableStatus(s)) << s;
  for (long s : {200L, 400L, 401L, 404L, 409L, 500L}) EXPECT_FALSE(IsRetryableStatus(s)) << s;
}

}  // namespace
}  // namespace crosslink::http
