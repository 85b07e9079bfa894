#pragma once
// Lock primitives for the local backend: an exclusive lock on one lock file
// plus the holder's LockInfo stored inside it. Policy (messages, stale-lock
// takeover, force-unlock rules) lives in local_backend.cc.
//
// Two implementations:
//   - fcntl: an open-file-description lock (F_OFD_SETLK) on a real file, so
//     two holders in ONE process conflict as well as two processes; the
//     kernel drops it when the holder dies, leaving the info behind as
//     "stale". The lock file is never unlinked (unlinking a lock file that
//     another process has open lets two holders coexist); releasing empties it.
//   - in-process: a process-wide registry keyed by (FileSystem, path), with
//     the info kept in that FileSystem. For tests over MemFileSystem, where
//     no real file exists to lock.
//
// Thread-safety: LockFile and HeldLock are thread-safe.

#include <memory>
#include <optional>
#include <string>

#include "engine/core/filesystem.h"
#include "engine/core/status.h"
#include "engine/core/value.h"
#include "state/backend.h"

namespace crosslink::state {

Value LockInfoToJson(const LockInfo& info);
// kCorruption when `text` is not a LockInfo document.
Result<LockInfo> LockInfoFromJson(const std::string& text);

// The lock, while held. Destroying it releases the lock (the info stays as
// written: callers clear it first with WriteInfo("") when releasing cleanly).
class HeldLock {
 public:
  virtual ~HeldLock() = default;
  virtual Status WriteInfo(const std::string& text) = 0;  // replaces the file's content
  virtual Result<std::string> ReadInfo() = 0;
};

class LockFile {
 public:
  virtual ~LockFile() = default;
  virtual const std::string& path() const = 0;
  // nullptr when someone else (in this process or another) holds the lock.
  virtual Result<std::unique_ptr<HeldLock>> TryAcquire() = 0;
  // The file's content, "" when absent or empty. Does not take the lock.
  virtual Result<std::string> ReadInfo() = 0;
  // True while someone holds the lock.
  virtual Result<bool> IsHeld() = 0;
};

// `path` is on the real file system ("~/" expanded); created 0600 when absent.
std::unique_ptr<LockFile> NewFcntlLockFile(std::string path);
// Info kept in `fs` (not owned) at `path`.
std::unique_ptr<LockFile> NewInProcessLockFile(FileSystem* fs, std::string path);

}  // namespace crosslink::state
