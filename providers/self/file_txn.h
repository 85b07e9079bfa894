#pragma once
// FileTxn: a set of file writes and removals that happen together or not at
// all, as far as a FileSystem allows (internal to providers/self; node.h
// describes what it guarantees to users).
//
//   Stage(path, data, mode)  writes "<path>.crosslink-new" (atomic write of
//                            the FileSystem) and remembers the previous
//                            bytes and mode of <path>, if any;
//   StageRemove(path)        remembers <path>'s bytes for a later removal;
//   Commit()                 renames every staged file onto its target,
//                            then removes the removals; on a failure undoes
//                            what it already did and removes the temp files;
//   Rollback()               after a successful Commit: puts every target
//                            back as it was (previous bytes and mode, or
//                            absent);
//   Abort()                  before Commit: removes the temp files.
// `before_rename`, when set, runs on each temp file before its rename and
// on each file Rollback rewrites (the local node uses it to give the file
// the config directory's owner when running as root).
//
// Thread-safety: not thread-safe; one transaction per Apply.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/filesystem.h"
#include "engine/core/status.h"

namespace crosslink::providers::self {

class FileTxn {
 public:
  explicit FileTxn(FileSystem& fs) : fs_(fs) {}
  ~FileTxn() { Abort(); }
  FileTxn(const FileTxn&) = delete;
  FileTxn& operator=(const FileTxn&) = delete;

  void set_before_rename(std::function<void(const std::string&)> hook) {
    before_rename_ = std::move(hook);
  }

  Status Stage(const std::string& path, const std::string& data, uint32_t mode);
  Status StageRemove(const std::string& path);
  Status Commit();
  // Best effort over every file; the first error is returned.
  Status Rollback();
  void Abort();

  bool empty() const { return entries_.empty(); }
  static std::string TempName(const std::string& path) { return path + ".crosslink-new"; }

 private:
  struct Entry {
    std::string path;
    bool remove = false;
    bool staged = false;                  // temp file exists
    bool done = false;                    // renamed / removed
    std::optional<std::string> previous;  // bytes before, nullopt when absent
    uint32_t previous_mode = 0644;
  };
  Status Remember(Entry* entry);
  Status Undo(const Entry& entry);

  FileSystem& fs_;
  std::function<void(const std::string&)> before_rename_;
  std::vector<Entry> entries_;
};

}  // namespace crosslink::providers::self
