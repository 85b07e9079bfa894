// Cloud API contract checking (cloud_api_spec.h) on top of the sandbox's
// Swagger reader and validator (sandbox/cloud/swagger.h).

#include "tests/providers/contracts/cloud_api_spec.h"

#include <cctype>
#include <utility>

#include "sandbox/cloud/swagger.h"

namespace crosslink::contracts {

namespace {

using providers::cloud::Flavor;
using sandbox::cloud::Swagger;

const char* Title(Flavor flavor) {
  return flavor == Flavor::kEce ? "Elastic Cloud Enterprise API" : "Elastic Cloud API";
}

using LoadedContract = Result<std::shared_ptr<const Swagger>>;

LoadedContract Load(Flavor flavor) {
  return Swagger::Load(CloudContractFile(flavor, CROSSLINK_CONTRACTS_DIR), Title(flavor));
}

// Loaded once per flavor, when first used (the files are large).
const LoadedContract& Contract(Flavor flavor) {
  if (flavor == Flavor::kEce) {
    static const LoadedContract kEce = Load(Flavor::kEce);
    return kEce;
  }
  static const LoadedContract kEch = Load(Flavor::kEch);
  return kEch;
}

// A string member of a parameter object, "" when absent or not a string
// (nlohmann's value() would throw on another type).
std::string StringField(const Value& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; false on a malformed escape.
bool Decode(const std::string& in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      *out += in[i];
      continue;
    }
    if (i + 2 >= in.size() || HexValue(in[i + 1]) < 0 || HexValue(in[i + 2]) < 0) return false;
    *out += static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2]));
    i += 2;
  }
  return true;
}

// "https://h:1/a/b?x=1" -> path "/a/b", query "x=1".
void SplitUrl(const std::string& url, std::string* path, std::string* query) {
  size_t start = 0;
  size_t scheme = url.find("://");
  if (scheme != std::string::npos) {
    start = url.find('/', scheme + 3);
    if (start == std::string::npos) start = url.size();
  }
  std::string rest = url.substr(start);
  size_t q = rest.find('?');
  *path = rest.substr(0, q);
  *query = q == std::string::npos ? "" : rest.substr(q + 1);
  if (path->empty()) *path = "/";
}

bool HasParam(const sandbox::cloud::Operation& op, const std::string& name, const char* in) {
  for (const Value& p : op.parameters) {
    if (StringField(p, "name") == name && StringField(p, "in") == in) return true;
  }
  return false;
}

bool TakesBody(const sandbox::cloud::Operation& op) {
  for (const Value& p : op.parameters) {
    if (StringField(p, "in") == "body") return true;
  }
  return false;
}

class ContractClient : public http::HttpClient {
 public:
  ContractClient(Flavor flavor, std::unique_ptr<http::HttpClient> inner,
                 std::shared_ptr<CloudContractLog> log)
      : flavor_(flavor), inner_(std::move(inner)), log_(std::move(log)) {}

  Result<http::Response> Send(const http::Request& request) override {
    std::string operation;
    std::vector<std::string> problems = CheckCloudRequest(flavor_, request, &operation);
    std::string path, query;
    SplitUrl(request.url, &path, &query);
    log_->AddChecked(problems.empty() ? operation : "");
    for (std::string& p : problems) log_->AddViolation({request.method, path, std::move(p)});
    return inner_->Send(request);
  }

 private:
  Flavor flavor_;
  std::unique_ptr<http::HttpClient> inner_;
  std::shared_ptr<CloudContractLog> log_;
};

}  // namespace

std::string CloudContractFile(Flavor flavor, const std::string& contracts_dir) {
  return contracts_dir + "/cloud-api/" +
         (flavor == Flavor::kEce ? "apidocs.json" : "apidocs-user.json");
}

std::vector<std::string> CheckCloudRequest(Flavor flavor, const http::Request& request,
                                           std::string* operation_id) {
  std::vector<std::string> problems;
  const LoadedContract& contract = Contract(flavor);
  if (!contract.ok()) {
    return {"cannot load the " + std::string(Title(flavor)) +
            " contract: " + contract.status().message()};
  }
  const Swagger& swagger = **contract;
  std::string raw_path, raw_query;
  SplitUrl(request.url, &raw_path, &raw_query);

  sandbox::net::HttpRequest req;
  req.method = request.method;
  if (!Decode(raw_path, &req.path)) return {"malformed percent-encoding in the path"};
  if (!raw_query.empty()) {
    size_t i = 0;
    while (i <= raw_query.size()) {
      size_t amp = raw_query.find('&', i);
      if (amp == std::string::npos) amp = raw_query.size();
      std::string pair = raw_query.substr(i, amp - i);
      i = amp + 1;
      if (pair.empty()) continue;
      size_t eq = pair.find('=');
      std::string name, value;
      if (!Decode(pair.substr(0, eq), &name) ||
          !Decode(eq == std::string::npos ? "" : pair.substr(eq + 1), &value)) {
        problems.push_back("malformed percent-encoding in the query string");
        continue;
      }
      if (req.query.count(name) > 0) problems.push_back("query parameter " + name + " sent twice");
      req.query[name] = value;
    }
  }
  for (const auto& [name, value] : request.headers) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers[lower] = value;
  }
  req.body = request.body;

  if (!request.authorization || request.authorization->expose().rfind("ApiKey ", 0) != 0 ||
      request.authorization->expose().size() <= 7) {
    problems.push_back("no Authorization: ApiKey <key> header (securityDefinitions.apiKey)");
  }
  const std::string& base = swagger.base_path();
  if (req.path.rfind(base + "/", 0) != 0) {
    problems.push_back("the path is not below the basePath " + base);
    return problems;
  }
  bool path_exists = false;
  std::optional<Swagger::Match> match =
      swagger.Find(req.method, req.path.substr(base.size()), &path_exists);
  if (!match) {
    problems.push_back(path_exists ? "the " + std::string(Title(flavor)) + " has no " + req.method +
                                         " operation on this path"
                                   : "no such path in the " + std::string(Title(flavor)));
    return problems;
  }
  const sandbox::cloud::Operation& op = *match->operation;
  if (operation_id != nullptr) *operation_id = op.operation_id;
  for (const auto& [name, value] : req.query) {
    if (!HasParam(op, name, "query")) {
      problems.push_back("unknown query parameter " + name + " for " + op.operation_id);
    }
  }
  bool has_body = req.body.find_first_not_of(" \t\r\n") != std::string::npos;
  if (has_body && !TakesBody(op)) {
    problems.push_back(op.operation_id + " takes no request body, one was sent");
  }
  Value body;
  if (std::optional<sandbox::cloud::ApiError> error = swagger.Validate(*match, req, &body)) {
    // A JSON parse error quotes what it last read: keep body text out.
    bool parse_error = error->message.rfind("Invalid JSON", 0) == 0;
    problems.push_back(op.operation_id + ": " +
                       (parse_error ? "the request body is not valid JSON" : error->message));
  }
  return problems;
}

std::unique_ptr<http::HttpClient> NewCloudContractClient(Flavor flavor,
                                                         std::unique_ptr<http::HttpClient> inner,
                                                         std::shared_ptr<CloudContractLog> log) {
  return std::make_unique<ContractClient>(flavor, std::move(inner), std::move(log));
}

// --- CloudContractLog ------------------------------------------------------------

void CloudContractLog::AddChecked(const std::string& operation_id) {
  std::lock_guard<std::mutex> lock(mu_);
  ++checked_;
  if (!operation_id.empty()) operations_.insert(operation_id);
}

void CloudContractLog::AddViolation(CloudContractViolation v) {
  std::lock_guard<std::mutex> lock(mu_);
  violations_.push_back(std::move(v));
}

std::vector<CloudContractViolation> CloudContractLog::violations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return violations_;
}

size_t CloudContractLog::checked() const {
  std::lock_guard<std::mutex> lock(mu_);
  return checked_;
}

std::set<std::string> CloudContractLog::operations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return operations_;
}

std::string CloudContractLog::Summary() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const CloudContractViolation& v : violations_) {
    out += v.method + " " + v.path + ": " + v.reason + "\n";
  }
  return out;
}

void CloudContractLog::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  checked_ = 0;
  operations_.clear();
  violations_.clear();
}

}  // namespace crosslink::contracts
