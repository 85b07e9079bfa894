#pragma once
// Helpers for the sandbox/net tests: certificates, a libcurl client that can
// send SNI names to loopback, raw sockets.

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <dirent.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/core/pki.h"
#include "sandbox/net/net.h"

namespace crosslink::sandbox::net::testing {

inline pki::Identity MakeCa(const std::string& cn) {
  pki::CertificateSpec spec;
  spec.common_name = cn;
  spec.is_ca = true;
  auto ca = pki::CreateCa(spec);
  EXPECT_TRUE(ca.ok()) << ca.status().ToString();
  return *ca;
}

inline std::shared_ptr<const pki::Identity> MakeLeaf(const pki::Identity& ca, const std::string& cn,
                                                     std::vector<std::string> dns,
                                                     std::vector<std::string> ips = {}) {
  pki::CertificateSpec spec;
  spec.common_name = cn;
  spec.dns_names = std::move(dns);
  spec.ip_addresses = std::move(ips);
  auto leaf = pki::IssueCertificate(spec, ca);
  EXPECT_TRUE(leaf.ok()) << leaf.status().ToString();
  return std::make_shared<const pki::Identity>(*leaf);
}

struct CurlResult {
  CURLcode code = CURLE_OK;
  std::string error;
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  long new_connections = 0;
};

// One libcurl easy handle: requests through it reuse the connection.
class CurlClient {
 public:
  CurlClient() : h_(curl_easy_init()) {}
  ~CurlClient() {
    curl_easy_cleanup(h_);
    if (resolve_ != nullptr) curl_slist_free_all(resolve_);
  }
  CurlClient(const CurlClient&) = delete;
  CurlClient& operator=(const CurlClient&) = delete;

  // Sends `name` to 127.0.0.1 (so the TLS client sends it as SNI).
  void Resolve(const std::string& name, uint16_t port, const std::string& ip = "127.0.0.1") {
    resolve_ = curl_slist_append(resolve_, (name + ":" + std::to_string(port) + ":" + ip).c_str());
  }
  void TrustCa(const std::string& pem) { ca_pem_ = pem; }

  CurlResult Request(const std::string& method, const std::string& url, const std::string& body = "",
                     std::vector<std::string> headers = {}) {
    CurlResult r;
    curl_easy_reset(h_);
    char errbuf[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(h_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h_, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h_, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h_, CURLOPT_NOSIGNAL, 1L);
    if (resolve_ != nullptr) curl_easy_setopt(h_, CURLOPT_RESOLVE, resolve_);
    if (!ca_pem_.empty()) {
      curl_blob blob{const_cast<char*>(ca_pem_.data()), ca_pem_.size(), CURL_BLOB_COPY};
      curl_easy_setopt(h_, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (method == "HEAD") {
      curl_easy_setopt(h_, CURLOPT_NOBODY, 1L);
    } else if (method != "GET" || !body.empty()) {
      curl_easy_setopt(h_, CURLOPT_CUSTOMREQUEST, method.c_str());
      curl_easy_setopt(h_, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(h_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    curl_slist* list = nullptr;
    for (const auto& hdr : headers) list = curl_slist_append(list, hdr.c_str());
    if (list != nullptr) curl_easy_setopt(h_, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h_, CURLOPT_WRITEFUNCTION, &CurlClient::OnBody);
    curl_easy_setopt(h_, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(h_, CURLOPT_HEADERFUNCTION, &CurlClient::OnHeader);
    curl_easy_setopt(h_, CURLOPT_HEADERDATA, &r);
    r.code = curl_easy_perform(h_);
    r.error = errbuf;
    curl_easy_getinfo(h_, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_getinfo(h_, CURLINFO_NUM_CONNECTS, &r.new_connections);
    if (list != nullptr) curl_slist_free_all(list);
    return r;
  }

 private:
  static size_t OnBody(char* data, size_t size, size_t n, void* user) {
    static_cast<CurlResult*>(user)->body.append(data, size * n);
    return size * n;
  }
  static size_t OnHeader(char* data, size_t size, size_t n, void* user) {
    std::string line(data, size * n);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
      while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
      static_cast<CurlResult*>(user)->headers[name] = value;
    }
    return size * n;
  }
  CURL* h_;
  curl_slist* resolve_ = nullptr;
  std::string ca_pem_;
};

// Sends raw bytes to a plain listener and reads until the server closes (or
// `until` appears in what was read). `peer_closed`: whether it ended with EOF
// (rather than the 5 s receive timeout or an error).
inline std::string RawExchange(uint16_t port, const std::string& bytes, const std::string& until = "",
                               bool* peer_closed = nullptr) {
  if (peer_closed != nullptr) *peer_closed = false;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    close(fd);
    return "connect failed";
  }
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    if (!until.empty() && out.find(until) != std::string::npos) break;
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n == 0 && peer_closed != nullptr) *peer_closed = true;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

// A port nobody listens on (bound then released).
inline uint16_t UnusedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  socklen_t len = sizeof(sa);
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  close(fd);
  return ntohs(sa.sin_port);
}

inline int ThreadCount() {
  int count = 0;
  DIR* dir = opendir("/proc/self/task");
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count;
}

}  // namespace crosslink::sandbox::net::testing
