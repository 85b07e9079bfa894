#pragma once
// A checker of Elastic Cloud / ECE API requests against the Swagger files in
// shared/contracts/cloud-api/ (apidocs-user.json = ECH, apidocs.json = ECE),
// for tests of anything that talks to the Cloud API through an HttpClient.
//
// NewCloudContractClient wraps an HttpClient: every request is checked, then
// forwarded unchanged to the inner client (so the checked request is also
// the one the sandbox answers). A request conforms when:
//   - its URL path is below the file's basePath (/api/v1) and matches a path
//     template with that method (an operation of THIS flavor's file: ECE's
//     /platform/... operations do not exist for ECH);
//   - every query parameter is one the operation declares (the real API
//     ignores unknown ones silently, which hides typos) with the declared
//     type/enum, and required ones are present;
//   - path parameters and the JSON body match the operation's schema
//     (sandbox/cloud/swagger.h: $ref, type, required, enum, items ...);
//   - a body is sent only to an operation that takes one;
//   - it carries `Authorization: ApiKey ...`.
// Violations are recorded as method + path (no query) + reason; never
// bodies or headers (they may hold keystore values or keys).
//
// Typical use:
//   auto log = std::make_shared<contracts::CloudContractLog>();
//   auto http = contracts::NewCloudContractClient(Flavor::kEch,
//                                                 http::NewCurlClient(options, clock), log);
//   ... run the code under test ...
//   EXPECT_TRUE(log->violations().empty()) << log->Summary();
//   EXPECT_GT(log->checked(), 0u);
//
// Thread-safety: the client is as thread-safe as the inner client; the log
// is thread-safe. The contracts are loaded once per process and flavor.

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "engine/core/http.h"
#include "engine/core/status.h"
#include "providers/cloud/cloud_client.h"

namespace crosslink::contracts {

struct CloudContractViolation {
  std::string method;
  std::string path;    // URL path without the query string
  std::string reason;  // what does not match the contract
};

class CloudContractLog {
 public:
  void AddChecked(const std::string& operation_id);
  void AddViolation(CloudContractViolation v);

  std::vector<CloudContractViolation> violations() const;
  // Number of requests checked (conforming or not).
  size_t checked() const;
  // operationIds of the conforming requests seen, e.g. "get-deployment".
  std::set<std::string> operations() const;
  // One line per violation ("PUT /api/v1/deployments/x: reason"), for test messages.
  std::string Summary() const;
  void Clear();

 private:
  mutable std::mutex mu_;
  size_t checked_ = 0;
  std::set<std::string> operations_;
  std::vector<CloudContractViolation> violations_;
};

// The contract file of a flavor, below `contracts_dir` (the shared/contracts
// directory): "<dir>/cloud-api/apidocs-user.json" or ".../apidocs.json".
std::string CloudContractFile(providers::cloud::Flavor flavor, const std::string& contracts_dir);

// Checks requests against the flavor's file in CROSSLINK_CONTRACTS_DIR (the
// build's contracts directory). When the file cannot be loaded, every
// request is a violation naming the load error.
std::unique_ptr<http::HttpClient> NewCloudContractClient(providers::cloud::Flavor flavor,
                                                         std::unique_ptr<http::HttpClient> inner,
                                                         std::shared_ptr<CloudContractLog> log);

// The problems of one request (empty = conforms), without sending it;
// `operation_id` (may be null) receives the matched operation.
std::vector<std::string> CheckCloudRequest(providers::cloud::Flavor flavor,
                                           const http::Request& request, std::string* operation_id);

}  // namespace crosslink::contracts
