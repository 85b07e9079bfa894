#include "providers/self/file_txn.h"

namespace crosslink::providers::self {

Status FileTxn::Remember(Entry* entry) {
  if (!fs_.Exists(entry->path)) return Status::Ok();
  Result<std::string> bytes = fs_.ReadFile(entry->path);
  if (!bytes.ok()) return bytes.status();
  Result<uint32_t> mode = fs_.FileMode(entry->path);
  if (!mode.ok()) return mode.status();
  entry->previous = std::move(bytes).value();
  entry->previous_mode = *mode;
  return Status::Ok();
}

Status FileTxn::Stage(const std::string& path, const std::string& data, uint32_t mode) {
  Entry entry;
  entry.path = path;
  CROSSLINK_RETURN_IF_ERROR(Remember(&entry));
  Status s = fs_.WriteFileAtomic(TempName(path), data, mode);
  if (!s.ok()) {
    fs_.Remove(TempName(path));
    return s;
  }
  entry.staged = true;
  entries_.push_back(std::move(entry));
  return Status::Ok();
}

Status FileTxn::StageRemove(const std::string& path) {
  Entry entry;
  entry.path = path;
  entry.remove = true;
  CROSSLINK_RETURN_IF_ERROR(Remember(&entry));
  if (entry.previous) entries_.push_back(std::move(entry));
  return Status::Ok();
}

Status FileTxn::Commit() {
  for (Entry& e : entries_) {
    Status s;
    if (e.remove) {
      s = fs_.Remove(e.path);
    } else {
      if (before_rename_) before_rename_(TempName(e.path));
      s = fs_.Rename(TempName(e.path), e.path);
      if (s.ok()) e.staged = false;
    }
    if (!s.ok()) {
      Rollback();
      Abort();
      return s;
    }
    e.done = true;
  }
  return Status::Ok();
}

Status FileTxn::Undo(const Entry& e) {
  if (!e.previous) return fs_.Remove(e.path);
  Status s = fs_.WriteFileAtomic(e.path, *e.previous, e.previous_mode);
  if (s.ok() && before_rename_) before_rename_(e.path);
  return s;
}

Status FileTxn::Rollback() {
  Status first;
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (!it->done) continue;
    Status s = Undo(*it);
    if (s.ok()) {
      it->done = false;
    } else if (first.ok()) {
      first = s;
    }
  }
  return first;
}

void FileTxn::Abort() {
  for (Entry& e : entries_) {
    if (e.staged) fs_.Remove(TempName(e.path));
    e.staged = false;
  }
}

}  // namespace crosslink::providers::self
