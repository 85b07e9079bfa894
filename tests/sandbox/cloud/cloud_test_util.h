#pragma once
// Shared helpers of the Cloud twin tests: the contracts, a public CA, and an
// Environment driven directly through HandleApi.

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "engine/core/clock.h"
#include "engine/core/pki.h"
#include "sandbox/cloud/environment.h"
#include "sandbox/cloud/swagger.h"

namespace crosslink::sandbox::cloud::testing {

inline std::string ContractsDir() { return CROSSLINK_CONTRACTS_DIR; }

inline std::shared_ptr<const Swagger> EchSwagger() {
  static std::shared_ptr<const Swagger> s = [] {
    auto r = Swagger::Load(ContractsDir() + "/cloud-api/apidocs-user.json", "Elastic Cloud API");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : nullptr;
  }();
  return s;
}

inline std::shared_ptr<const Swagger> EceSwagger() {
  static std::shared_ptr<const Swagger> s = [] {
    auto r = Swagger::Load(ContractsDir() + "/cloud-api/apidocs.json", "Elastic Cloud Enterprise API");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : nullptr;
  }();
  return s;
}

inline const pki::Identity& PublicCa() {
  static pki::Identity ca = [] {
    pki::CertificateSpec spec;
    spec.common_name = "Sandbox Public Root CA";
    spec.is_ca = true;
    auto r = pki::CreateCa(spec);
    EXPECT_TRUE(r.ok());
    return *r;
  }();
  return ca;
}

inline std::string PemOfNewCa(const std::string& cn) {
  pki::CertificateSpec spec;
  spec.common_name = cn;
  spec.is_ca = true;
  return pki::CreateCa(spec)->LeafPem();
}

// "GET", "/api/v1/deployments?show_settings=true"
inline net::HttpRequest Request(const std::string& method, const std::string& target,
                                const std::string& body = "",
                                const std::string& api_key = "test-api-key") {
  net::HttpRequest r;
  r.method = method;
  size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) {
    std::string query = target.substr(q + 1);
    size_t i = 0;
    while (i <= query.size()) {
      size_t amp = query.find('&', i);
      if (amp == std::string::npos) amp = query.size();
      std::string kv = query.substr(i, amp - i);
      size_t eq = kv.find('=');
      if (!kv.empty()) r.query[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
      i = amp + 1;
    }
  }
  r.body = body;
  if (!api_key.empty()) r.headers["authorization"] = "ApiKey " + api_key;
  if (!body.empty()) r.headers["content-type"] = "application/json";
  return r;
}

inline Value Body(const net::HttpResponse& r) {
  auto v = ParseJson(r.body);
  EXPECT_TRUE(v.ok()) << r.body;
  return v.ok() ? *v : Value();
}

}  // namespace crosslink::sandbox::cloud::testing
