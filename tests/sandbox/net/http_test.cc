// HTTP/1.1 over TLS (kHttps) and plain (kHttp) listeners: routing by SNI,
// keep-alive, the request as handlers see it, protocol errors and faults.

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include "tests/sandbox/net/net_test_util.h"

namespace crosslink::sandbox::net {
namespace {

using testing::CurlClient;
using testing::MakeCa;
using testing::MakeLeaf;

class HttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_a_ = new pki::Identity(MakeCa("CA A"));
    ca_b_ = new pki::Identity(MakeCa("CA B"));
  }
  static void TearDownTestSuite() {
    delete ca_a_;
    delete ca_b_;
  }

  void SetUp() override {
    server_ = Server::Start({});
    ASSERT_NE(server_, nullptr);
    route_a_ = std::make_shared<TlsRoute>();
    route_a_->name = "es/prod/rest";
    route_a_->identity = MakeLeaf(*ca_a_, "prod", {"prod.es.local"});
    route_a_->http = [this](const HttpRequest& r) { return Echo(r); };
    route_b_ = std::make_shared<TlsRoute>();
    route_b_->name = "es/qa/rest";
    route_b_->identity = MakeLeaf(*ca_b_, "qa", {"qa.es.local"});
    route_b_->http = [this](const HttpRequest& r) { return Echo(r); };
  }

  HttpResponse Echo(const HttpRequest& r) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      peers_.push_back(r.peer_address);
    }
    Value query = Value::object();
    for (const auto& [k, v] : r.query) query[k] = v;
    HttpResponse response = HttpResponse::Json(
        r.method == "POST" ? 201 : 200,
        {{"method", r.method}, {"path", r.path}, {"query", query}, {"body", r.body},
         {"sni", r.sni}, {"listener", r.listener}, {"route", r.route},
         {"peer", r.peer_address}, {"x_test", r.Header("x-test")}});
    response.headers["X-elastic-product"] = "Elasticsearch";
    return response;
  }

  // An HTTPS listener routing prod.es.local and qa.es.local.
  uint16_t ListenHttps(const std::string& name = "rest") {
    ListenerOptions options;
    options.name = name;
    options.address = "127.0.0.1";
    options.protocol = Protocol::kHttps;
    options.router = [this](std::string_view sni) -> std::shared_ptr<const TlsRoute> {
      if (sni == "prod.es.local") return route_a_;
      if (sni == "qa.es.local") return route_b_;
      return nullptr;
    };
    auto port = server_->Listen(options);
    EXPECT_TRUE(port.ok()) << port.status().ToString();
    return port.ok() ? *port : 0;
  }

  uint16_t ListenHttp(HttpHandler handler) {
    ListenerOptions options;
    options.name = "control";
    options.address = "127.0.0.1";
    options.protocol = Protocol::kHttp;
    options.http = std::move(handler);
    auto port = server_->Listen(options);
    EXPECT_TRUE(port.ok()) << port.status().ToString();
    return port.ok() ? *port : 0;
  }

  static std::string Url(const std::string& host, uint16_t port, const std::string& path) {
    return "https://" + host + ":" + std::to_string(port) + path;
  }

  static Value Json(const std::string& body) {
    auto v = ParseJson(body);
    EXPECT_TRUE(v.ok()) << body;
    return v.ok() ? *v : Value();
  }

  static pki::Identity* ca_a_;
  static pki::Identity* ca_b_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<TlsRoute> route_a_;
  std::shared_ptr<TlsRoute> route_b_;
  std::mutex mu_;
  std::vector<std::string> peers_;
};

pki::Identity* HttpTest::ca_a_ = nullptr;
pki::Identity* HttpTest::ca_b_ = nullptr;

TEST_F(HttpTest, HttpsRoundTripShowsTheRequestAsSent) {
  uint16_t port = ListenHttps();
  CurlClient client;
  client.Resolve("prod.es.local", port);
  client.TrustCa(ca_a_->chain_pem);
  auto r = client.Request("POST", Url("prod.es.local", port, "/my%20index/_doc?refresh=wait_for&q=a%2Bb+c&flag"),
                          R"({"field":"value"})", {"X-Test: hello", "Content-Type: application/json"});
  ASSERT_EQ(r.code, CURLE_OK) << r.error;
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(r.headers["x-elastic-product"], "Elasticsearch");
  Value body = Json(r.body);
  EXPECT_EQ(body["method"], "POST");
  EXPECT_EQ(body["path"], "/my index/_doc");
  EXPECT_EQ(body["query"], Value({{"refresh", "wait_for"}, {"q", "a+b c"}, {"flag", ""}}));
  EXPECT_EQ(body["body"], R"({"field":"value"})");
  EXPECT_EQ(body["sni"], "prod.es.local");
  EXPECT_EQ(body["listener"], "rest");
  EXPECT_EQ(body["route"], "es/prod/rest");
  EXPECT_EQ(body["x_test"], "hello");
  EXPECT_EQ(body["peer"].get<std::string>().rfind("127.0.0.1:", 0), 0u);
}

TEST_F(HttpTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  uint16_t port = ListenHttps();
  CurlClient client;
  client.Resolve("prod.es.local", port);
  client.TrustCa(ca_a_->chain_pem);
  for (int i = 0; i < 3; ++i) {
    auto r = client.Request("GET", Url("prod.es.local", port, "/_cluster/health"));
    ASSERT_EQ(r.code, CURLE_OK) << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.new_connections, i == 0 ? 1 : 0) << "request " << i;
  }
  std::lock_guard<std::mutex> lock(mu_);
  ASSERT_EQ(peers_.size(), 3u);
  EXPECT_EQ(std::set<std::string>(peers_.begin(), peers_.end()).size(), 1u);
}

TEST_F(HttpTest, ConnectionCloseIsHonoured) {
  uint16_t port = ListenHttps();
  CurlClient client;
  client.Resolve("prod.es.local", port);
  client.TrustCa(ca_a_->chain_pem);
  auto first = client.Request("GET", Url("prod.es.local", port, "/"), "", {"Connection: close"});
  ASSERT_EQ(first.code, CURLE_OK) << first.error;
  EXPECT_EQ(first.headers["connection"], "close");
  auto second = client.Request("GET", Url("prod.es.local", port, "/"));
  ASSERT_EQ(second.code, CURLE_OK) << second.error;
  EXPECT_EQ(second.new_connections, 1);
}

TEST_F(HttpTest, SniPicksTheRouteAndItsCertificate) {
  uint16_t port = ListenHttps();
  CurlClient prod;
  prod.Resolve("prod.es.local", port);
  prod.TrustCa(ca_a_->chain_pem);
  auto a = prod.Request("GET", Url("prod.es.local", port, "/"));
  ASSERT_EQ(a.code, CURLE_OK) << a.error;
  EXPECT_EQ(Json(a.body)["route"], "es/prod/rest");

  CurlClient qa;
  qa.Resolve("qa.es.local", port);
  qa.TrustCa(ca_b_->chain_pem);
  auto b = qa.Request("GET", Url("qa.es.local", port, "/"));
  ASSERT_EQ(b.code, CURLE_OK) << b.error;
  EXPECT_EQ(Json(b.body)["route"], "es/qa/rest");

  // The qa name serves the qa certificate: CA A does not verify it.
  CurlClient wrong;
  wrong.Resolve("qa.es.local", port);
  wrong.TrustCa(ca_a_->chain_pem);
  auto c = wrong.Request("GET", Url("qa.es.local", port, "/"));
  EXPECT_EQ(c.code, CURLE_PEER_FAILED_VERIFICATION) << c.error;
}

TEST_F(HttpTest, UnknownServerNameFailsTheHandshake) {
  uint16_t port = ListenHttps();
  CurlClient client;
  client.Resolve("nobody.es.local", port);
  client.TrustCa(ca_a_->chain_pem);
  auto r = client.Request("GET", Url("nobody.es.local", port, "/"));
  EXPECT_NE(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("unrecognized name"), std::string::npos) << r.error;
}

TEST_F(HttpTest, HandlerExceptionIsAnElasticsearchStyle500) {
  route_a_->http = [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); };
  uint16_t port = ListenHttps();
  CurlClient client;
  client.Resolve("prod.es.local", port);
  client.TrustCa(ca_a_->chain_pem);
  auto r = client.Request("GET", Url("prod.es.local", port, "/"));
  ASSERT_EQ(r.code, CURLE_OK) << r.error;
  EXPECT_EQ(r.status, 500);
  Value body = Json(r.body);
  EXPECT_EQ(body["status"], 500);
  EXPECT_EQ(body["error"]["reason"], "boom");
  EXPECT_EQ(body["error"]["root_cause"][0]["reason"], "boom");
}

TEST_F(HttpTest, PlainHttpServesTheControlApi) {
  uint16_t port = ListenHttp([](const HttpRequest& r) {
    return HttpResponse::Text(200, r.method + " " + r.path + " sni=" + r.sni + " route=" + r.route);
  });
  CurlClient client;
  auto r = client.Request("GET", "http://127.0.0.1:" + std::to_string(port) + "/_sandbox/faults");
  ASSERT_EQ(r.code, CURLE_OK) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /_sandbox/faults sni= route=");
  auto head = client.Request("HEAD", "http://127.0.0.1:" + std::to_string(port) + "/x");
  ASSERT_EQ(head.code, CURLE_OK) << head.error;
  EXPECT_EQ(head.headers["content-length"], "19");  // "HEAD /x sni= route="
  EXPECT_EQ(head.body, "");
}

TEST_F(HttpTest, LargeBodyWithExpectContinue) {
  uint16_t port = ListenHttp([](const HttpRequest& r) {
    return HttpResponse::Json(200, {{"size", r.body.size()}, {"last", r.body.substr(r.body.size() - 1)}});
  });
  std::string body(3 * 1024 * 1024, 'x');
  body.back() = 'z';
  CurlClient client;
  auto start = std::chrono::steady_clock::now();
  auto r = client.Request("PUT", "http://127.0.0.1:" + std::to_string(port) + "/big", body,
                          {"Expect: 100-continue"});
  ASSERT_EQ(r.code, CURLE_OK) << r.error;
  EXPECT_EQ(Json(r.body)["size"], body.size());
  EXPECT_EQ(Json(r.body)["last"], "z");
  // libcurl waits 1 s for "100 Continue" before sending anyway; it must not have to.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
}

TEST_F(HttpTest, ProtocolErrorsGetStatusCodesAndJson) {
  uint16_t port = ListenHttp([](const HttpRequest&) { return HttpResponse::Json(200, {}); });
  std::string bad = testing::RawExchange(port, "GARBAGE\r\n\r\n");
  EXPECT_EQ(bad.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << bad;
  EXPECT_NE(bad.find("\"status\":400"), std::string::npos);

  std::string big = testing::RawExchange(
      port, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 17000000\r\n\r\n");
  EXPECT_EQ(big.rfind("HTTP/1.1 413 Payload Too Large\r\n", 0), 0u) << big;

  std::string chunked = testing::RawExchange(
      port, "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.rfind("HTTP/1.1 411 Length Required\r\n", 0), 0u) << chunked;

  std::string huge_head = "GET / HTTP/1.1\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n";
  std::string too_long = testing::RawExchange(port, huge_head);
  EXPECT_EQ(too_long.rfind("HTTP/1.1 431 ", 0), 0u) << too_long.substr(0, 100);

  // HTTP/1.0 closes by default; the answer comes, then EOF.
  std::string old = testing::RawExchange(port, "GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(old.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << old;
  EXPECT_NE(old.find("content-length: 4\r\n"), std::string::npos) << old;
}

TEST_F(HttpTest, PipelinedRequestsAreAnsweredInOrder) {
  std::atomic<int> calls{0};
  uint16_t port = ListenHttp([&](const HttpRequest& r) {
    ++calls;
    return HttpResponse::Text(200, r.path);
  });
  std::string two = "GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  std::string out = testing::RawExchange(port, two);
  size_t one = out.find("\r\n\r\n/one");
  size_t second = out.find("\r\n\r\n/two");
  ASSERT_NE(one, std::string::npos) << out;
  ASSERT_NE(second, std::string::npos) << out;
  EXPECT_LT(one, second);
  EXPECT_EQ(calls.load(), 2);
}

// ---- faults

TEST_F(HttpTest, ErrorRateAnswersWithElasticsearchShapedErrors) {
  uint16_t port = ListenHttps();
  FaultSpec spec;
  spec.error_rate = 1;
  server_->faults().Set("es/*/rest", spec);  // a route pattern
  CurlClient client;
  client.Resolve("prod.es.local", port);
  client.TrustCa(ca_a_->chain_pem);
  auto r = client.Request("GET", Url("prod.es.local", port, "/"));
  ASSERT_EQ(r.code, CURLE_OK) << r.error;
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Json(r.body), Json(R"({"error":{"root_cause":[{"type":"status_exception",
      "reason":"sandbox injected fault"}],"type":"status_exception",
      "reason":"sandbox injected fault"},"status":503})"));

  spec.error_status = 429;
  server_->faults().Set("rest", spec);  // the listener name
  auto busy = client.Request("GET", Url("prod.es.local", port, "/"));
  ASSERT_EQ(busy.code, CURLE_OK) << busy.error;
  EXPECT_EQ(busy.status, 429);
  EXPECT_EQ(busy.headers["retry-after"], "1");
  EXPECT_EQ(Json(busy.body)["status"], 429);

  server_->faults().ClearAll();
  auto fine = client.Request("GET", Url("prod.es.local", port, "/"));
  EXPECT_EQ(fine.status, 200);
}

TEST_F(HttpTest, LatencyDelaysEveryResponse) {
  uint16_t port = ListenHttps();
  FaultSpec spec;
  spec.latency = std::chrono::milliseconds(200);
  server_->faults().Set("rest", spec);
  CurlClient client;
  client.Resolve("prod.es.local", port);
  client.TrustCa(ca_a_->chain_pem);
  for (int i = 0; i < 2; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto r = client.Request("GET", Url("prod.es.local", port, "/"));
    ASSERT_EQ(r.code, CURLE_OK) << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
  }
}

TEST_F(HttpTest, DownListenerResetsConnections) {
  uint16_t port = ListenHttps();
  FaultSpec spec;
  spec.down = true;
  server_->faults().Set("rest", spec);
  CurlClient client;
  client.Resolve("prod.es.local", port);
  client.TrustCa(ca_a_->chain_pem);
  auto r = client.Request("GET", Url("prod.es.local", port, "/"));
  EXPECT_NE(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 0);
  server_->faults().Clear("rest");
  auto back = client.Request("GET", Url("prod.es.local", port, "/"));
  ASSERT_EQ(back.code, CURLE_OK) << back.error;
  EXPECT_EQ(back.status, 200);
}

TEST_F(HttpTest, ResetRateDropsConnectionsBeforeAnswering) {
  std::atomic<int> calls{0};
  route_a_->http = [&](const HttpRequest&) {
    ++calls;
    return HttpResponse::Json(200, {});
  };
  uint16_t port = ListenHttps();
  FaultSpec spec;
  spec.reset_rate = 1;
  server_->faults().Set("es/prod/rest", spec);
  CurlClient client;
  client.Resolve("prod.es.local", port);
  client.TrustCa(ca_a_->chain_pem);
  auto r = client.Request("GET", Url("prod.es.local", port, "/"));
  EXPECT_NE(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(calls.load(), 0);
}

}  // namespace
}  // namespace crosslink::sandbox::net
