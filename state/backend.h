#pragma once
// State backends: where the state lives, how it is locked, and how each
// completed action is made durable. The local file backend (local_backend.h)
// is the default; a PostgreSQL backend comes later behind the same interface.
//
// Contract of a run:
//   1. Lock(info)            held until the returned StateLock is destroyed.
//                            Fails with kLocked, the message naming the
//                            holder (who, when, operation, lock ID) and the
//                            `crosslink force-unlock <ID>` remedy.
//   2. Load()                the state as of the last completed action,
//                            including actions of a run that crashed (their
//                            journal is replayed). A torn last journal record
//                            (crash mid-append) is ignored; any other damage
//                            is kCorruption, never silently dropped.
//   3. RecordUpsert/Remove   after EVERY completed action; durable when it
//                            returns OK; costs O(size of the change), not of
//                            the state. The first record of a run moves the
//                            serial to loaded serial + 1.
//   4. Persist(state)        at the end of the run (also after failures):
//                            compacts everything into the main file
//                            atomically, keeps the previous file as
//                            `.backup`, clears the journal. No-op (serial
//                            unchanged) when nothing was recorded.
// A crash anywhere leaves files from which Load() returns a consistent state.
//
// Sensitive outputs are encrypted at rest (AES-256-GCM, see crypto.h); a
// wrong key is a clear kCorruption/kPermissionDenied error, never garbage.
//
// Thread-safety: a Backend may be called from several threads; Record*
// calls are serialised internally.

#include <memory>
#include <optional>
#include <string>

#include "engine/core/status.h"
#include "state/state.h"

namespace crosslink::state {

struct LockInfo {
  std::string id;         // random, shown to the user for force-unlock
  std::string operation;  // "apply", "destroy", "plan", "state rm", ...
  std::string who;        // user@host
  std::string created;    // ISO-8601 UTC
  std::string version;    // tool version
  std::string path;       // what is locked (state file path)
  int pid = 0;
  // "ID 3f2a…, held by alice@ws1 (pid 4242) since 2026-11-25T22:24:43Z for apply"
  std::string Describe() const;
};

class StateLock {
 public:
  virtual ~StateLock() = default;  // releases the lock
  virtual const LockInfo& info() const = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string Describe() const = 0;  // e.g. "local file ./crosslink.state.json"

  virtual Result<std::unique_ptr<StateLock>> Lock(LockInfo info) = 0;
  // The current holder, if any (for error messages and force-unlock).
  virtual Result<std::optional<LockInfo>> LockHolder() = 0;
  // Removes a lock left behind, only when `id` matches the holder's ID.
  virtual Status ForceUnlock(const std::string& id) = 0;

  virtual Result<State> Load() = 0;
  virtual Status RecordUpsert(const ResourceState& resource) = 0;
  virtual Status RecordRemove(const std::string& address) = 0;
  // Compacts; `state` must be the in-memory state including every recorded
  // change. On success state.serial/lineage hold what was written.
  virtual Status Persist(State& state) = 0;
};

}  // namespace crosslink::state
