#pragma once
// The local file backend: the state in one JSON file (serialize.h), plus
// files beside it:
//
//   <path>           the state as of the last Persist; written atomically
//                    (temp, fsync, rename), mode 0600
//   <path>.backup    the previous <path>, rewritten by each Persist
//   <path>.journal   append-only, one self-checking line per completed action
//                    since the last Persist (journal.h); mode 0600
//   <path>.lock      the lock file and its holder's LockInfo (JSON)
//
// Journal records (docs/state.md has the full story):
//   {"op":"begin", "lineage", "base_serial", "serial", "tool_version", "encryption"?}
//       first line, written together with the run's first action by an
//       atomic write that replaces any older journal; `base_serial` is the
//       serial of <path> it applies to, `serial` = base_serial + 1.
//   {"op":"encryption", "encryption": {...}}  the state key was set up mid-run
//   {"op":"upsert", "resource": {...}}        sensitive outputs sealed
//   {"op":"remove", "address": "..."}
// Load replays a journal whose begin matches <path> (lineage and serial);
// one whose serial is already in <path> (a crash after Persist wrote <path>
// but before it removed the journal) is ignored; any other is kCorruption.
// A journal left by a crashed run is compacted into <path> before the next
// run's first record, so a journal only ever holds one run.
//
// Costs: Load O(n log n) in resources plus O(journal); each Record O(size of
// the resource) (one append + fdatasync); Persist O(n).
//
// Thread-safety: as Backend (backend.h): all methods may be called from
// several threads; state-changing calls are serialised by one mutex.

#include <memory>
#include <optional>
#include <string>

#include "engine/core/clock.h"
#include "engine/core/filesystem.h"
#include "state/backend.h"
#include "state/crypto.h"

namespace crosslink::state {

inline constexpr const char* kDefaultStatePath = "crosslink.state.json";

enum class LockKind {
  kFcntl,      // OFD fcntl lock on the real <path>.lock (default; see lock.h)
  kInProcess,  // process-wide registry, info in `fs` (tests over MemFileSystem)
};

struct LocalBackendOptions {
  std::string path = kDefaultStatePath;
  FileSystem* fs = nullptr;        // not owned; null = the real file system
  std::optional<KeyOptions> keys;  // null = KeyOptions::FromEnvironment()
  LockKind lock_kind = LockKind::kFcntl;
  Clock* clock = nullptr;  // timestamps in lock info; null = the real clock
};

std::unique_ptr<Backend> NewLocalBackend(LocalBackendOptions options);

// The files beside the state file.
std::string StateBackupPath(const std::string& path);
std::string StateJournalPath(const std::string& path);
std::string StateLockPath(const std::string& path);

}  // namespace crosslink::state
