// Helpers shared by the resource files of the Elasticsearch provider.

#include <openssl/evp.h>

#include <cstdio>
#include <utility>

#include "engine/graph/resource.h"
#include "providers/elasticsearch/resources.h"

namespace crosslink::providers::elasticsearch {

std::vector<std::string> AddressParts(const std::string& address) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = address.find('.', start);
    out.push_back(
        address.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

std::string ItemString(const ReadItem& item, const char* key, const std::string& fallback) {
  if (item.desired != nullptr) {
    std::string v = JsonString(item.desired->attributes, key);
    if (!v.empty()) return v;
  }
  if (item.prior != nullptr) {
    std::string v = JsonString(item.prior->attributes, key);
    if (!v.empty()) return v;
  }
  return fallback;
}

std::string ApplyString(const ApplyRequest& req, const char* key, const std::string& fallback) {
  std::string v = JsonString(req.attributes, key);
  if (!v.empty()) return v;
  if (req.prior != nullptr) {
    v = JsonString(req.prior->attributes, key);
    if (!v.empty()) return v;
  }
  return fallback;
}

const Value& ItemAttributes(const ReadItem& item) {
  static const Value kEmpty = Value::object();
  if (item.desired != nullptr) return item.desired->attributes;
  if (item.prior != nullptr) return item.prior->attributes;
  return kEmpty;
}

std::string NameOf(const std::string& address, const Value& attrs, const char* key) {
  std::string v = JsonString(attrs, key);
  if (!v.empty()) return v;
  auto parts = AddressParts(address);
  return parts.size() == 3 ? parts[2] : "";
}

ApplyResponse Failed(Status s) {
  ApplyResponse r;
  r.status = std::move(s);
  return r;
}

std::string ApplyAddress(const ApplyRequest& req) {
  if (req.desired != nullptr) return req.desired->address;
  if (req.prior != nullptr) return req.prior->address;
  return "";
}

bool HasRef(const Value& v) { return !graph::CollectRefs(v).empty(); }

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  std::string out;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof(buf), "%02x", digest[i]);
    out += buf;
  }
  return out;
}

bool ValidNamePart(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

}  // namespace crosslink::providers::elasticsearch
