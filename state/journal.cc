#include "state/journal.h"

#include <openssl/evp.h>

#include <cstdio>

namespace crosslink::state {
namespace {

constexpr size_t kChecksumHex = 16;

std::string Checksum(std::string_view payload) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(payload.data(), payload.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(kChecksumHex);
  for (size_t i = 0; i < kChecksumHex / 2; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

}  // namespace

std::string EncodeJournalLine(const Value& record) {
  std::string payload = DumpJson(record);  // compact: never contains a raw newline
  std::string line = Checksum(payload);
  line.reserve(kChecksumHex + 2 + payload.size());
  line.push_back(' ');
  line += payload;
  line.push_back('\n');
  return line;
}

Result<JournalScan> ScanJournal(std::string_view text) {
  JournalScan scan;
  size_t pos = 0;
  size_t line_no = 0;
  while (pos < text.size()) {
    ++line_no;
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      scan.torn_tail = true;  // a crash cut the last append short
      break;
    }
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    auto damaged = [&](const std::string& why) {
      return Status::Corruption("line " + std::to_string(line_no) + " is damaged (" + why + ")");
    };
    if (line.size() < kChecksumHex + 2 || line[kChecksumHex] != ' ') {
      return damaged("not a journal record");
    }
    std::string_view payload = line.substr(kChecksumHex + 1);
    if (Checksum(payload) != line.substr(0, kChecksumHex)) return damaged("checksum mismatch");
    auto record = ParseJson(payload);
    if (!record.ok() || !record->is_object()) return damaged("not a JSON object");
    scan.records.push_back(std::move(*record));
  }
  return scan;
}

}  // namespace crosslink::state
