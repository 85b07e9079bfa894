#pragma once
// Shared scaffolding for the Elasticsearch twin tests: a twin with a fake
// clock, request builders and small certificate helpers.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/core/clock.h"
#include "engine/core/http.h"
#include "engine/core/pki.h"
#include "engine/core/value.h"
#include "sandbox/es/twin.h"
#include "sandbox/es/wire.h"

namespace crosslink::sandbox::es::testing {

inline std::string B64(const std::string& s) { return http::Base64Encode(s); }

inline std::string BasicAuth(const std::string& user, const std::string& password) {
  return "Basic " + B64(user + ":" + password);
}

inline Value Body(const net::HttpResponse& r) {
  auto parsed = ParseJson(r.body);
  EXPECT_TRUE(parsed.ok()) << r.body;
  return parsed.ok() ? *parsed : Value();
}

inline net::HttpRequest Request(const std::string& method, const std::string& path_and_query,
                                const std::string& body = "", const std::string& auth = "") {
  net::HttpRequest r;
  r.method = method;
  auto q = path_and_query.find('?');
  r.path = path_and_query.substr(0, q);
  if (q != std::string::npos) {
    std::string rest = path_and_query.substr(q + 1);
    size_t start = 0;
    while (start <= rest.size()) {
      size_t amp = rest.find('&', start);
      std::string pair = rest.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      if (!pair.empty()) {
        auto eq = pair.find('=');
        r.query[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
      }
      if (amp == std::string::npos) break;
      start = amp + 1;
    }
  }
  r.body = body;
  if (!auth.empty()) r.headers["authorization"] = auth;
  r.headers["content-type"] = "application/json";
  return r;
}

inline std::string ErrorType(const Value& body) { return body["error"]["type"].get<std::string>(); }
inline std::string ErrorReason(const Value& body) { return body["error"]["reason"].get<std::string>(); }

inline TwinOptions Options(const std::string& name, const std::string& version = "8.15.0") {
  TwinOptions o;
  o.name = name;
  o.version = version;
  o.platform = "self";
  o.users["elastic"] = Secret("changeme");
  o.users["admin2"] = Secret("s3cret-2");
  return o;
}

// A twin with the default users and a REST helper authenticated as elastic.
class TwinTest : public ::testing::Test {
 protected:
  void SetUp() override { twin_ = Make(Options("prod")); }
  std::unique_ptr<Twin> Make(TwinOptions options, Dialer dialer = nullptr) {
    if (!dialer) {
      dialer = [](const std::string&, uint16_t, net::DialOptions, std::string_view) {
        net::DialResult r;
        r.stage = net::DialResult::Stage::kConnect;
        r.error = "Connection refused";
        return r;
      };
    }
    return std::make_unique<Twin>(std::move(options), clock_, std::move(dialer));
  }
  net::HttpResponse Call(const std::string& method, const std::string& path, const std::string& body = "",
                         const std::string& auth = BasicAuth("elastic", "changeme"), Twin* twin = nullptr) {
    return (twin ? twin : twin_.get())->HandleRest(Request(method, path, body, auth));
  }
  // Creates a cross-cluster key and returns the create response.
  Value CreateCcKey(const std::string& name, const std::string& extra = "", Twin* twin = nullptr) {
    auto r = Call("POST", "/_security/cross_cluster/api_key",
                  R"({"name":")" + name + R"(","access":{"search":[{"names":["logs-*"]}]})" + extra + "}",
                  BasicAuth("elastic", "changeme"), twin);
    EXPECT_EQ(r.status, 200) << r.body;
    return Body(r);
  }
  Value CreateRestKey(const std::string& name, Twin* twin = nullptr) {
    auto r = Call("POST", "/_security/api_key", R"({"name":")" + name + R"("})", BasicAuth("elastic", "changeme"),
                  twin);
    EXPECT_EQ(r.status, 200) << r.body;
    return Body(r);
  }

  FakeClock clock_;
  std::unique_ptr<Twin> twin_;
};

// A CA and a server certificate for `dns` issued by it.
struct TestPki {
  pki::Identity ca;
  pki::Identity server;
};

inline TestPki MakePki(const std::string& ca_name, const std::vector<std::string>& dns,
                       const std::vector<std::string>& other_names = {}) {
  pki::CertificateSpec ca_spec;
  ca_spec.common_name = ca_name;
  ca_spec.is_ca = true;
  auto ca = pki::CreateCa(ca_spec);
  EXPECT_TRUE(ca.ok()) << ca.status().ToString();
  pki::CertificateSpec spec;
  spec.common_name = dns.empty() ? "node" : dns.front();
  spec.dns_names = dns;
  spec.ip_addresses = {"127.0.0.1"};
  spec.other_names = other_names;
  auto leaf = pki::IssueCertificate(spec, *ca);
  EXPECT_TRUE(leaf.ok()) << leaf.status().ToString();
  return TestPki{*ca, *leaf};
}

}  // namespace crosslink::sandbox::es::testing
