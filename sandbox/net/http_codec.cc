// HTTP/1.1 request-head parsing and response serialisation for the sandbox
// server (internal.h).

#include <algorithm>
#include <cctype>
#include <charconv>

#include "sandbox/net/internal.h"

namespace crosslink::sandbox::net::internal {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool IsTokenChar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// True when the comma-separated header value holds `token` (case-insensitive).
bool HasToken(std::string_view value, std::string_view token) {
  std::string lower = Lower(value);
  std::string_view rest = lower;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = Trim(rest.substr(0, comma));
    if (item == token) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::string PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = HexValue(text[i + 1]);
      int lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    if (!item.empty()) {
      size_t eq = item.find('=');
      std::string key = PercentDecode(item.substr(0, eq), true);
      std::string value =
          eq == std::string_view::npos ? std::string() : PercentDecode(item.substr(eq + 1), true);
      out[key] = std::move(value);  // the last occurrence wins
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

HeadParse ParseHttpHead(std::string_view buffer, HttpHead* head, std::string* error) {
  // Tolerate empty lines before the request line (RFC 9112 2.2).
  size_t start = 0;
  while (start + 1 < buffer.size() && buffer[start] == '\r' && buffer[start + 1] == '\n') start += 2;
  size_t end = buffer.find("\r\n\r\n", start);
  if (end == std::string_view::npos) {
    if (buffer.size() > kMaxHeaderBytes) {
      *error = "request head is larger than 64kb";
      return HeadParse::kTooLarge;
    }
    return HeadParse::kIncomplete;
  }
  if (end + 4 > kMaxHeaderBytes) {
    *error = "request head is larger than 64kb";
    return HeadParse::kTooLarge;
  }
  std::string_view text = buffer.substr(start, end - start);
  head->head_bytes = end + 4;

  size_t eol = text.find("\r\n");
  std::string_view request_line = text.substr(0, eol);
  std::string_view header_block =
      eol == std::string_view::npos ? std::string_view() : text.substr(eol + 2);

  size_t sp1 = request_line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || sp1 == 0 ||
      sp2 == sp1 + 1) {
    *error = "invalid request line";
    return HeadParse::kBadRequest;
  }
  std::string_view method = request_line.substr(0, sp1);
  std::string_view target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = request_line.substr(sp2 + 1);
  if (!std::all_of(method.begin(), method.end(), IsTokenChar)) {
    *error = "invalid method";
    return HeadParse::kBadRequest;
  }
  bool http11;
  if (version == "HTTP/1.1") {
    http11 = true;
  } else if (version == "HTTP/1.0") {
    http11 = false;
  } else {
    *error = "unsupported HTTP version";
    return HeadParse::kBadRequest;
  }
  if (target.empty() || target.front() != '/') {
    // Absolute-form ("http://host/path") is allowed by RFC 9112; keep the path.
    size_t scheme = target.find("://");
    if (scheme == std::string_view::npos) {
      *error = "invalid request target";
      return HeadParse::kBadRequest;
    }
    size_t slash = target.find('/', scheme + 3);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  size_t hash = target.find('#');
  if (hash != std::string_view::npos) target = target.substr(0, hash);
  size_t qmark = target.find('?');
  head->method.assign(method);
  for (char& c : head->method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  head->path = PercentDecode(target.substr(0, qmark), false);
  head->query.clear();
  if (qmark != std::string_view::npos) head->query = ParseQuery(target.substr(qmark + 1));

  head->headers.clear();
  while (!header_block.empty()) {
    size_t line_end = header_block.find("\r\n");
    std::string_view line = header_block.substr(0, line_end);
    header_block =
        line_end == std::string_view::npos ? std::string_view() : header_block.substr(line_end + 2);
    if (line.empty()) continue;
    if (line.front() == ' ' || line.front() == '\t') {
      *error = "obsolete header line folding";
      return HeadParse::kBadRequest;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      *error = "invalid header line";
      return HeadParse::kBadRequest;
    }
    std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), IsTokenChar)) {
      *error = "invalid header name";
      return HeadParse::kBadRequest;
    }
    std::string key = Lower(name);
    std::string value(Trim(line.substr(colon + 1)));
    auto [it, inserted] = head->headers.emplace(key, value);
    if (!inserted) {
      if (key == "content-length" && it->second != value) {
        *error = "conflicting Content-Length headers";
        return HeadParse::kBadRequest;
      }
      if (key != "content-length") it->second += ", " + value;
    }
  }

  if (head->headers.count("transfer-encoding")) {
    *error = "Transfer-Encoding is not supported; send Content-Length";
    return HeadParse::kChunked;
  }
  head->content_length = 0;
  auto cl = head->headers.find("content-length");
  if (cl != head->headers.end()) {
    const std::string& v = cl->second;
    uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || ptr != v.data() + v.size() || v.empty()) {
      *error = "invalid Content-Length";
      return HeadParse::kBadRequest;
    }
    if (n > kMaxBodyBytes) {
      *error = "request body is larger than 16mb";
      return HeadParse::kBodyTooLarge;
    }
    head->content_length = static_cast<size_t>(n);
  }
  auto conn = head->headers.find("connection");
  if (http11) {
    head->keep_alive = conn == head->headers.end() || !HasToken(conn->second, "close");
  } else {
    head->keep_alive = conn != head->headers.end() && HasToken(conn->second, "keep-alive");
  }
  auto expect = head->headers.find("expect");
  head->expect_continue =
      http11 && expect != head->headers.end() && Lower(expect->second) == "100-continue";
  return HeadParse::kOk;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

std::string SerializeResponse(const HttpResponse& response, bool close, bool head_only) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                    ReasonPhrase(response.status) + "\r\n";
  bool has_type = false;
  for (const auto& [name, value] : response.headers) {
    std::string lower = Lower(name);
    // The server owns framing headers.
    if (lower == "content-length" || lower == "connection" || lower == "transfer-encoding") {
      continue;
    }
    if (lower == "content-type") has_type = true;
    // Header injection guard: a handler value never splits the head.
    if (name.find_first_of("\r\n:") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      continue;
    }
    out += name + ": " + value + "\r\n";
  }
  bool bodyless = response.status == 204 || response.status == 304 || response.status < 200;
  if (!has_type && !bodyless) out += "content-type: application/json\r\n";
  if (!bodyless) out += "content-length: " + std::to_string(response.body.size()) + "\r\n";
  if (close) out += "connection: close\r\n";
  out += "\r\n";
  if (!head_only && !bodyless) out += response.body;
  return out;
}

}  // namespace crosslink::sandbox::net::internal

namespace crosslink::sandbox::net {

HttpResponse EsError(int status, const std::string& type, const std::string& reason, const Value& extra) {
  Value cause = {{"type", type}, {"reason", reason}};
  for (auto it = extra.begin(); it != extra.end(); ++it) {
    if (it.key() != "caused_by") cause[it.key()] = it.value();
  }
  Value error = {{"root_cause", Value::array({cause})}, {"type", type}, {"reason", reason}};
  for (auto it = extra.begin(); it != extra.end(); ++it) error[it.key()] = it.value();
  return HttpResponse::Json(status, Value{{"error", error}, {"status", status}});
}

}  // namespace crosslink::sandbox::net
