#include "engine/core/http.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>

namespace crosslink::http {
namespace {

// The system bundle libcurl reads by default on Debian.
constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

bool MethodIsIdempotent(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS";
}

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();  // a new response (after 100 Continue or a redirect)
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    headers->emplace_back(ToLower(Trim(line.substr(0, colon))), Trim(line.substr(colon + 1)));
  }
  return size * n;
}

// What one libcurl transfer error means for the caller.
struct Failure {
  Status status;
  bool retry_allowed;  // a transport failure where retrying may help
};

Failure ClassifyCurlError(CURLcode code, const std::string& detail, const std::string& what) {
  std::string message = what + ": " + (detail.empty() ? curl_easy_strerror(code) : detail);
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
      return {Status::FailedPrecondition("TLS verification failed: " + message), false};
    case CURLE_OPERATION_TIMEDOUT:
      return {Status::Error(StatusCode::kDeadlineExceeded, message, true), true};
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return {Status::InvalidArgument(message), false};
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
      return {Status::Internal(message), false};
    default:  // refused, reset, resolve, send/recv, handshake failures
      return {Status::Unavailable(message), true};
  }
}

// Retry-After in seconds (the HTTP-date form is not used by the APIs we call).
std::optional<std::chrono::milliseconds> ParseRetryAfter(const std::string& value) {
  if (value.empty() || !std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return std::nullopt;
  }
  if (value.size() > 9) return std::chrono::milliseconds::max();
  return std::chrono::milliseconds(std::stoll(value) * 1000);
}

std::chrono::milliseconds FullJitter(const RetryPolicy& policy, int attempt) {
  // attempt is the number of attempts made so far (>= 1).
  long long cap = policy.max_backoff.count();
  long long base = policy.initial_backoff.count();
  for (int i = 1; i < attempt && base < cap; ++i) base *= 2;
  base = std::min(base, cap);
  if (base <= 0) return std::chrono::milliseconds(0);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<long long> dist(0, base);
  return std::chrono::milliseconds(dist(rng));
}

// curl_slist holding headers; the Authorization value is wiped on destruction.
class HeaderList {
 public:
  HeaderList() = default;
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  ~HeaderList() {
    for (curl_slist* p = list_; p != nullptr; p = p->next) OPENSSL_cleanse(p->data, std::strlen(p->data));
    curl_slist_free_all(list_);
  }
  void Add(const std::string& line) { list_ = curl_slist_append(list_, line.c_str()); }
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

class CurlClient : public HttpClient {
 public:
  CurlClient(ClientOptions options, Clock& clock) : options_(std::move(options)), clock_(clock) {
    GlobalInit();
    share_ = curl_share_init();
    curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &CurlClient::Lock);
    curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &CurlClient::Unlock);
    curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
    // Connections are not shared (libcurl does not support sharing them
    // between concurrent threads); each pooled handle keeps its own.
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    for (const std::string& entry : options_.resolve) resolve_.Add(entry);
    ca_blob_ = options_.ca_pem;
    if (!ca_blob_.empty() && options_.trust_system_cas) {
      std::ifstream in(kSystemCaBundle, std::ios::binary);
      if (in) {
        std::stringstream system;
        system << in.rdbuf();
        ca_blob_ = system.str() + "\n" + ca_blob_;
      }
    }
  }

  ~CurlClient() override {
    for (CURL* h : pool_) curl_easy_cleanup(h);
    curl_share_cleanup(share_);
  }

  Result<Response> Send(const Request& request) override {
    const RetryPolicy& policy = options_.retry;
    const int max_attempts = std::max(1, policy.max_attempts);
    const bool may_retry = request.idempotent || MethodIsIdempotent(request.method);
    const std::string where = request.method + " " + StripQuery(request.url);
    for (int attempt = 1;; ++attempt) {
      std::optional<Failure> failure;
      Response response;
      CURL* handle = Acquire();
      CURLcode code = Perform(handle, request, response, failure, where);
      Release(handle);
      (void)code;
      bool last = attempt >= max_attempts || !may_retry;
      if (failure) {
        spdlog::debug("http {} failed (attempt {}/{}): {}", where, attempt, max_attempts,
                      failure->status.message());
        if (!failure->retry_allowed || last) return failure->status;
        clock_.Sleep(FullJitter(policy, attempt));
        continue;
      }
      spdlog::debug("http {} -> {} (attempt {}/{})", where, response.status, attempt, max_attempts);
      if (!IsRetryableStatus(response.status) || last) return response;
      std::chrono::milliseconds wait = FullJitter(policy, attempt);
      if (auto retry_after = ParseRetryAfter(response.Header("retry-after"))) {
        wait = std::min(*retry_after, policy.max_backoff);
      }
      clock_.Sleep(wait);
    }
  }

 private:
  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<CurlClient*>(user)->share_mu_[static_cast<size_t>(data) % kLocks].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<CurlClient*>(user)->share_mu_[static_cast<size_t>(data) % kLocks].unlock();
  }

  CURL* Acquire() {
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      if (!pool_.empty()) {
        CURL* h = pool_.back();
        pool_.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }

  void Release(CURL* handle) {
    curl_easy_reset(handle);  // keeps the handle's live connections
    std::lock_guard<std::mutex> lock(pool_mu_);
    pool_.push_back(handle);
  }

  void SetTlsOptions(CURL* h) {
    const bool verify = !options_.insecure_skip_verify;
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
    if (!ca_blob_.empty()) {
      curl_blob blob{const_cast<char*>(ca_blob_.data()), ca_blob_.size(), CURL_BLOB_NOCOPY};
      curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (!ca_blob_.empty() || !options_.trust_system_cas) {
      // Only the blob: the default bundle file/path are not read.
      curl_easy_setopt(h, CURLOPT_CAINFO, nullptr);
      curl_easy_setopt(h, CURLOPT_CAPATH, nullptr);
    }
    if (options_.client_identity) {
      const pki::Identity& id = *options_.client_identity;
      curl_blob cert{const_cast<char*>(id.chain_pem.data()), id.chain_pem.size(), CURL_BLOB_NOCOPY};
      curl_blob key{const_cast<char*>(id.key_pem.expose().data()), id.key_pem.expose().size(),
                    CURL_BLOB_NOCOPY};
      curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
      curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
      curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
      curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
  }

  CURLcode Perform(CURL* h, const Request& request, Response& response,
                   std::optional<Failure>& failure, const std::string& where) {
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(h, CURLOPT_SHARE, share_);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    if (resolve_.get()) curl_easy_setopt(h, CURLOPT_RESOLVE, resolve_.get());
    SetTlsOptions(h);

    if (request.method == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (request.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    bool sends_body = !request.body.empty() || request.method == "POST" ||
                      request.method == "PUT" || request.method == "PATCH";
    if (sends_body && request.method != "GET" && request.method != "HEAD") {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
    }

    HeaderList headers;
    bool has_content_type = false;
    for (const auto& [name, value] : request.headers) {
      if (ToLower(name) == "authorization") continue;  // only through request.authorization
      if (ToLower(name) == "content-type") has_content_type = true;
      headers.Add(name + ": " + value);
    }
    if (sends_body && !has_content_type) headers.Add("Content-Type: application/json");
    headers.Add("Expect:");  // no 100-continue round trip
    if (request.authorization) headers.Add("Authorization: " + request.authorization->expose());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());

    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &WriteHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &response.headers);

    CURLcode code = curl_easy_perform(h);
    if (code != CURLE_OK) {
      failure = ClassifyCurlError(code, error, where);
    } else {
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    }
    // The stack buffers set above must not outlive this call.
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    return code;
  }

  static constexpr size_t kLocks = CURL_LOCK_DATA_LAST;
  ClientOptions options_;
  Clock& clock_;
  std::string ca_blob_;
  HeaderList resolve_;
  CURLSH* share_ = nullptr;
  std::array<std::mutex, kLocks> share_mu_;
  std::mutex pool_mu_;
  std::vector<CURL*> pool_;
};

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

Request Request::Json(std::string method, std::string url, std::string json_body) {
  Request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = std::move(json_body);
  r.headers.emplace_back("Content-Type", "application/json");
  r.headers.emplace_back("Accept", "application/json");
  return r;
}

void Request::SetBasicAuth(const std::string& user, const Secret& password) {
  std::string raw = user + ":" + password.expose();
  authorization = Secret("Basic " + Base64Encode(raw));
  OPENSSL_cleanse(raw.data(), raw.size());
}

void Request::SetApiKey(const Secret& encoded) { authorization = Secret("ApiKey " + encoded.expose()); }

void Request::SetBearer(const Secret& token) { authorization = Secret("Bearer " + token.expose()); }

std::string Response::Header(std::string_view name) const {
  std::string lower = ToLower(name);
  for (const auto& [n, v] : headers) {
    if (ToLower(n) == lower) return v;
  }
  return "";
}

std::unique_ptr<HttpClient> NewCurlClient(ClientOptions options, Clock& clock) {
  return std::make_unique<CurlClient>(std::move(options), clock);
}

bool IsRetryableStatus(long status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

std::string StripQuery(std::string_view url) {
  size_t cut = url.find_first_of("?#");
  std::string out(url.substr(0, cut));
  // Never show user:password@ either.
  size_t scheme = out.find("://");
  size_t host_start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t path = out.find('/', host_start);
  size_t at = out.rfind('@', path == std::string::npos ? out.size() : path);
  if (at != std::string::npos && at >= host_start) out.erase(host_start, at + 1 - host_start);
  return out;
}

std::string UrlEncode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) | static_cast<unsigned char>(bytes[i + 2]);
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += kBase64Alphabet[(v >> 6) & 63];
    out += kBase64Alphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += rest == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    uint32_t v = 0;
    for (int j = 0; j < 4; ++j) {
      char c = text[i + j];
      if (j >= 4 - pad) {
        v <<= 6;
        continue;
      }
      int d = value(c);
      if (d < 0) return std::nullopt;
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    out += static_cast<char>((v >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((v >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(v & 0xff);
  }
  return out;
}

}  // namespace crosslink::http
