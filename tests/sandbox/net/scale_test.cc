// Server lifecycle: listener names and addresses, Close, Stop, and many
// listeners on one event loop (no thread per listener).

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "tests/sandbox/net/net_test_util.h"

namespace crosslink::sandbox::net {
namespace {

using testing::CurlClient;
using testing::MakeCa;
using testing::MakeLeaf;

HttpHandler Hello(const std::string& who) {
  return [who](const HttpRequest&) { return HttpResponse::Json(200, {{"name", who}}); };
}

ListenerOptions PlainListener(const std::string& name, const std::string& address, uint16_t port,
                              HttpHandler handler) {
  ListenerOptions options;
  options.name = name;
  options.address = address;
  options.port = port;
  options.protocol = Protocol::kHttp;
  options.http = std::move(handler);
  return options;
}

TEST(ServerTest, ListenerNamesAndAddressesAreUnique) {
  auto server = Server::Start({});
  ASSERT_NE(server, nullptr);
  auto port = server->Listen(PlainListener("a", "127.0.0.1", 0, Hello("a")));
  ASSERT_TRUE(port.ok()) << port.status().ToString();
  EXPECT_NE(*port, 0);
  EXPECT_TRUE(server->Has("a"));

  auto dup = server->Listen(PlainListener("a", "127.0.0.1", 0, Hello("a")));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);

  auto taken = server->Listen(PlainListener("b", "127.0.0.1", *port, Hello("b")));
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(taken.status().message().find("address in use"), std::string::npos);
  EXPECT_FALSE(server->Has("b"));  // a failed Listen leaves no name behind

  auto bad = server->Listen(PlainListener("c", "not-an-ip", 0, Hello("c")));
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  ListenerOptions no_router;
  no_router.name = "d";
  no_router.address = "127.0.0.1";
  no_router.protocol = Protocol::kTls;
  EXPECT_EQ(server->Listen(no_router).status().code(), StatusCode::kInvalidArgument);
}

TEST(ServerTest, CloseStopsTheListenerAndFreesItsAddress) {
  auto server = Server::Start({});
  ASSERT_NE(server, nullptr);
  auto port = server->Listen(PlainListener("twin", "127.0.0.1", 0, Hello("first")));
  ASSERT_TRUE(port.ok());
  std::string url = "http://127.0.0.1:" + std::to_string(*port) + "/";
  CurlClient client;  // keeps its connection open across Close
  auto r = client.Request("GET", url);
  ASSERT_EQ(r.code, CURLE_OK) << r.error;

  server->Close("twin");
  EXPECT_FALSE(server->Has("twin"));
  CurlClient fresh;
  EXPECT_EQ(fresh.Request("GET", url).code, CURLE_COULDNT_CONNECT);

  // A restart: the same name and address:port serve again, with new content.
  auto again = server->Listen(PlainListener("twin", "127.0.0.1", *port, Hello("second")));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, *port);
  auto after = client.Request("GET", url);
  ASSERT_EQ(after.code, CURLE_OK) << after.error;
  EXPECT_EQ(after.body, R"({"name":"second"})");
  EXPECT_EQ(after.new_connections, 1);  // the old connection was closed by Close
  server->Close("no-such-listener");    // harmless
}

TEST(ServerTest, CloseWaitsForRunningHandlers) {
  auto server = Server::Start({});
  ASSERT_NE(server, nullptr);
  std::mutex mu;
  std::condition_variable cv;
  bool started = false;
  bool release = false;
  std::atomic<bool> finished{false};
  auto port = server->Listen(PlainListener("busy", "127.0.0.1", 0, [&](const HttpRequest&) {
    std::unique_lock<std::mutex> lock(mu);
    started = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    finished = true;
    return HttpResponse::Json(200, {});
  }));
  ASSERT_TRUE(port.ok());
  std::thread client([&] {
    CurlClient c;
    c.Request("GET", "http://127.0.0.1:" + std::to_string(*port) + "/");
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return started; }));
  }
  std::atomic<bool> closed{false};
  bool finished_before_close_returned = false;
  std::thread closer([&] {
    server->Close("busy");
    finished_before_close_returned = finished.load();
    closed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(closed.load());  // still waiting for the handler
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  closer.join();
  client.join();
  EXPECT_TRUE(finished_before_close_returned);
}

TEST(ServerTest, StopIsIdempotentAndFinal) {
  auto server = Server::Start({});
  ASSERT_NE(server, nullptr);
  auto port = server->Listen(PlainListener("x", "127.0.0.1", 0, Hello("x")));
  ASSERT_TRUE(port.ok());
  server->Stop();
  server->Stop();
  EXPECT_FALSE(server->Has("x"));
  CurlClient client;
  EXPECT_EQ(client.Request("GET", "http://127.0.0.1:" + std::to_string(*port) + "/").code,
            CURLE_COULDNT_CONNECT);
  auto late = server->Listen(PlainListener("y", "127.0.0.1", 0, Hello("y")));
  EXPECT_EQ(late.status().code(), StatusCode::kFailedPrecondition);
  server->Close("x");  // after Stop: a no-op, not a hang
}

TEST(ServerTest, StopWhileARequestIsSlow) {
  auto server = Server::Start({});
  ASSERT_NE(server, nullptr);
  auto port = server->Listen(PlainListener("slow", "127.0.0.1", 0, Hello("slow")));
  ASSERT_TRUE(port.ok());
  FaultSpec slow;
  slow.latency = std::chrono::seconds(30);
  server->faults().Set("slow", slow);
  // A client whose request is held by the injected latency.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(*port);
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the loop take it
  // Stop must not wait for the injected latency, and it closes the connection.
  auto start = std::chrono::steady_clock::now();
  server->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  char buf[64];
  EXPECT_LE(recv(fd, buf, sizeof(buf), 0), 0);
  close(fd);
}

TEST(ServerTest, IdleConnectionsAreClosed) {
  Server::Options options;
  options.idle_timeout = std::chrono::milliseconds(100);
  auto server = Server::Start(options);
  ASSERT_NE(server, nullptr);
  auto port = server->Listen(PlainListener("idle", "127.0.0.1", 0, Hello("idle")));
  ASSERT_TRUE(port.ok());
  // A client that connects and says nothing is hung up on (recv sees EOF
  // long before its own 5 s receive timeout).
  bool closed = false;
  std::string out = testing::RawExchange(*port, "", "", &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(out, "");
  // One that talks is answered.
  std::string answered = testing::RawExchange(*port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "idle\"}");
  EXPECT_NE(answered.find("200 OK"), std::string::npos) << answered;
}

TEST(ServerTest, ThreeHundredTlsListenersShareOneLoop) {
  pki::Identity ca = MakeCa("Scale CA");
  auto identity = MakeLeaf(ca, "twin", {"*.es.local"});
  auto server = Server::Start({});
  ASSERT_NE(server, nullptr);
  int threads_before = testing::ThreadCount();

  // Like 300 twins' REST ports: the real port number on distinct loopback addresses.
  std::mt19937 rng(std::random_device{}());
  int block = 0;
  std::vector<std::string> addresses;
  for (int attempt = 0; attempt < 10 && addresses.empty(); ++attempt) {
    block = std::uniform_int_distribution<int>(64, 250)(rng);
    for (int i = 0; i < 300; ++i) {
      std::string address =
          "127." + std::to_string(block) + "." + std::to_string(i / 200) + "." + std::to_string(1 + i % 200);
      auto route = std::make_shared<TlsRoute>();
      route->name = "twin-" + std::to_string(i);
      route->identity = identity;
      route->http = Hello(route->name);
      ListenerOptions options;
      options.name = "twin-" + std::to_string(i) + "/rest";
      options.address = address;
      options.port = 9200;
      options.router = [route](std::string_view) { return route; };
      auto port = server->Listen(options);
      if (!port.ok()) {  // another test run holds this block: take another
        ASSERT_EQ(port.status().code(), StatusCode::kUnavailable) << port.status().ToString();
        for (int j = 0; j < i; ++j) server->Close("twin-" + std::to_string(j) + "/rest");
        addresses.clear();
        break;
      }
      ASSERT_EQ(*port, 9200);
      addresses.push_back(address);
    }
  }
  ASSERT_EQ(addresses.size(), 300u);
  EXPECT_EQ(testing::ThreadCount(), threads_before);

  for (size_t i = 0; i < addresses.size(); ++i) {
    CurlClient client;
    std::string host = "twin" + std::to_string(i) + ".es.local";
    client.Resolve(host, 9200, addresses[i]);
    client.TrustCa(ca.chain_pem);
    auto r = client.Request("GET", "https://" + host + ":9200/");
    ASSERT_EQ(r.code, CURLE_OK) << addresses[i] << ": " << r.error;
    ASSERT_EQ(r.body, R"({"name":"twin-)" + std::to_string(i) + R"("})");
  }
  EXPECT_EQ(testing::ThreadCount(), threads_before);
  server->Stop();
}

}  // namespace
}  // namespace crosslink::sandbox::net
