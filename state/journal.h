#pragma once
// The state journal's line format: one self-checking record per line,
//
//   <16 hex digits> <compact JSON record>\n
//
// where the hex digits are the first 8 bytes of SHA-256 over the JSON bytes.
// A crash during an append leaves at most one partial final line (no
// newline); ScanJournal ignores it and says so. Any complete line whose
// checksum or JSON is wrong is kCorruption: the journal was damaged after
// it was written, and dropping a record silently would forget an action.
//
// What the records mean (begin / encryption / upsert / remove) is the local
// backend's business (local_backend.cc, docs/state.md).
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/value.h"

namespace crosslink::state {

// The line for `record`, newline included.
std::string EncodeJournalLine(const Value& record);

struct JournalScan {
  std::vector<Value> records;  // every complete, verified record, in order
  bool torn_tail = false;      // a final partial line was ignored
};

// O(size of text). kCorruption names the 1-based line that is damaged.
Result<JournalScan> ScanJournal(std::string_view text);

}  // namespace crosslink::state
