#include "state/local_backend.h"

#include <pwd.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <utility>

#include "engine/core/version.h"
#include "state/journal.h"
#include "state/lock.h"
#include "state/serialize.h"

namespace crosslink::state {
namespace {

constexpr uint32_t kFileMode = 0600;
constexpr uint32_t kDirMode = 0700;


std::string CurrentUserAtHost() {
  std::string user;
  if (const char* u = std::getenv("USER"); u != nullptr && *u != '\0') {
    user = u;
  } else if (struct passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    user = pw->pw_name;
  } else {
    user = "uid" + std::to_string(::geteuid());
  }
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return user;
  return user + "@" + host;
}

// Typed field access for journal records (nlohmann's value() throws on a
// type mismatch; these never do).
std::optional<std::string> StringField(const Value& v, const char* key) {
  auto it = v.find(key);
  if (it == v.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<uint64_t> SerialField(const Value& v, const char* key) {
  auto it = v.find(key);
  if (it == v.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<uint64_t>();
}

class LocalStateLock : public StateLock {
 public:
  LocalStateLock(std::unique_ptr<HeldLock> held, LockInfo info)
      : held_(std::move(held)), info_(std::move(info)) {}
  ~LocalStateLock() override {
    Status s = held_->WriteInfo("");
    if (!s.ok()) spdlog::warn("could not clear the state lock info: {}", s.ToString());
  }
  const LockInfo& info() const override { return info_; }

 private:
  std::unique_ptr<HeldLock> held_;
  LockInfo info_;
};

enum class JournalState {
  kNone,     // no journal file
  kPending,  // a journal from before this process's records (replayed, stale or torn)
  kOpen,     // this process began the journal and appends to it
};

class LocalBackend : public Backend {
 public:
  explicit LocalBackend(LocalBackendOptions o)
      : path_(std::move(o.path)),
        journal_path_(StateJournalPath(path_)),
        backup_path_(StateBackupPath(path_)) {
    if (o.fs == nullptr) {
      owned_fs_ = NewPosixFileSystem();
      fs_ = owned_fs_.get();
    } else {
      fs_ = o.fs;
    }
    if (o.clock == nullptr) {
      owned_clock_ = std::make_unique<RealClock>();
      clock_ = owned_clock_.get();
    } else {
      clock_ = o.clock;
    }
    keys_ = std::make_unique<KeyProvider>(
        fs_, o.keys ? std::move(*o.keys) : KeyOptions::FromEnvironment());
    lock_file_ = o.lock_kind == LockKind::kFcntl ? NewFcntlLockFile(StateLockPath(path_))
                                                 : NewInProcessLockFile(fs_, StateLockPath(path_));
  }

  std::string Describe() const override { return "local file " + path_; }

  Result<std::unique_ptr<StateLock>> Lock(LockInfo info) override;
  Result<std::optional<LockInfo>> LockHolder() override;
  Status ForceUnlock(const std::string& id) override;
  Result<State> Load() override;
  Status RecordUpsert(const ResourceState& resource) override;
  Status RecordRemove(const std::string& address) override;
  Status Persist(State& state) override;

 private:
  // All below: mu_ held.
  // Appends `action` (its sensitive values already sealed with cipher_).
  Status Record(const Value& action);
  Status ApplyJournal(const std::vector<Value>& records, State* st);
  Status AdoptEncryption(const Value& block);
  Result<std::shared_ptr<const Cipher>> OpenCipher(const EncryptionInfo& info);
  Status CreateCipher();
  Status EnsureDir();
  Status WriteMain(const State& st);
  Status RepairJournalTail();
  Status JournalDamaged(const std::string& why) const;

  const std::string path_;
  const std::string journal_path_;
  const std::string backup_path_;
  std::unique_ptr<FileSystem> owned_fs_;
  FileSystem* fs_ = nullptr;
  std::unique_ptr<Clock> owned_clock_;
  Clock* clock_ = nullptr;
  std::unique_ptr<KeyProvider> keys_;
  std::unique_ptr<LockFile> lock_file_;

  std::mutex mu_;
  bool loaded_ = false;
  bool main_exists_ = false;
  std::string main_text_;  // the bytes of <path>, kept for the next .backup
  std::string base_lineage_;
  uint64_t base_serial_ = 0;
  std::optional<EncryptionInfo> encryption_;
  std::shared_ptr<const Cipher> cipher_;
  bool encryption_durable_ = false;  // encryption_ is in <path> or in the open journal
  JournalState journal_ = JournalState::kNone;
  std::optional<State> replayed_;      // kPending: the state including the old journal
  bool journal_tail_suspect_ = false;  // kOpen: a failed append may have left a partial line
  std::string run_lineage_;
  uint64_t run_serial_ = 0;
};

// ------------------------------------------------------------------ locking

Result<std::unique_ptr<StateLock>> LocalBackend::Lock(LockInfo info) {
  if (info.id.empty()) info.id = NewLineage();
  if (info.who.empty()) info.who = CurrentUserAtHost();
  if (info.created.empty()) info.created = FormatUtc(clock_->WallNow());
  if (info.version.empty()) info.version = kVersion;
  if (info.pid == 0) info.pid = static_cast<int>(::getpid());
  info.path = path_;
  if (Status s = EnsureDir(); !s.ok()) return s;
  auto held = lock_file_->TryAcquire();
  if (!held.ok()) return held.status().WithContext("cannot lock the state " + path_);
  if (*held == nullptr) {
    auto text = lock_file_->ReadInfo();
    std::string holder = "another process that has not recorded who it is yet; try again";
    std::string remedy;
    if (text.ok()) {
      if (auto other = LockInfoFromJson(*text); other.ok()) {
        holder = other->Describe();
        remedy =
            ". Let that run finish or stop it: its lock goes with its process. (`crosslink "
            "force-unlock " +
            other->id + "` removes the lock only once no process holds it.)";
      }
    }
    return Status::Locked("the state " + path_ + " is locked by another run: " + holder + remedy);
  }
  auto previous = (*held)->ReadInfo();
  if (previous.ok() && !previous->empty()) {
    auto stale = LockInfoFromJson(*previous);
    spdlog::info("taking over a stale lock on {} whose holder is gone: {}", path_,
                 stale.ok() ? stale->Describe() : std::string("(unreadable lock info)"));
  }
  Status s = (*held)->WriteInfo(DumpJson(LockInfoToJson(info)) + "\n");
  if (!s.ok()) return s.WithContext("cannot record the lock holder of " + path_);
  return std::unique_ptr<StateLock>(new LocalStateLock(std::move(*held), std::move(info)));
}

Result<std::optional<LockInfo>> LocalBackend::LockHolder() {
  auto text = lock_file_->ReadInfo();
  if (!text.ok()) return text.status();
  if (text->empty()) return std::optional<LockInfo>();
  auto info = LockInfoFromJson(*text);
  if (!info.ok()) return info.status().WithContext(lock_file_->path());
  return std::optional<LockInfo>(std::move(*info));
}

Status LocalBackend::ForceUnlock(const std::string& id) {
  auto holder = LockHolder();
  if (!holder.ok()) return holder.status();
  if (!*holder) return Status::NotFound("the state " + path_ + " is not locked");
  const LockInfo& info = **holder;
  if (info.id != id) {
    return Status::InvalidArgument("lock ID \"" + id + "\" does not match the lock on " + path_ +
                                   " (" + info.Describe() + "); pass that lock's ID");
  }
  auto held = lock_file_->TryAcquire();
  if (!held.ok()) return held.status();
  if (*held == nullptr) {
    return Status::FailedPrecondition(
        "the lock on " + path_ + " is held by a live process on this host (pid " +
        std::to_string(info.pid) + ", " + info.who +
        "); force-unlock only removes locks whose process is gone: let that run finish or stop it");
  }
  auto current = (*held)->ReadInfo();
  if (!current.ok()) return current.status();
  auto now = LockInfoFromJson(*current);
  if (!now.ok() || now->id != id) {
    return Status::Conflict("the lock on " + path_ + " changed while force-unlocking; look again");
  }
  CROSSLINK_RETURN_IF_ERROR((*held)->WriteInfo(""));
  spdlog::info("force-unlocked {}: removed {}", path_, info.Describe());
  return Status::Ok();
}

// ------------------------------------------------------------------ keys

Result<std::shared_ptr<const Cipher>> LocalBackend::OpenCipher(const EncryptionInfo& info) {
  if (cipher_ && encryption_ && *encryption_ == info) return cipher_;
  auto c = keys_->Open(info);
  if (!c.ok()) return c.status().WithContext("cannot decrypt the state " + path_);
  return c;
}

Status LocalBackend::CreateCipher() {
  auto k = keys_->Create();
  if (!k.ok()) return k.status().WithContext("cannot set up the state key for " + path_);
  cipher_ = k->cipher;
  encryption_ = k->info;
  encryption_durable_ = false;
  return Status::Ok();
}

// ------------------------------------------------------------------ load

Status LocalBackend::JournalDamaged(const std::string& why) const {
  return Status::Corruption("the state journal " + journal_path_ + " " + why + "; " + path_ +
                            " holds the state before the run that wrote the journal: to fall "
                            "back to it (forgetting the actions that run saved), move the journal "
                            "aside");
}

Result<State> LocalBackend::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  loaded_ = false;
  auto previous_cipher = cipher_;
  auto previous_encryption = encryption_;
  cipher_.reset();
  encryption_.reset();
  State st;
  auto text = fs_->ReadFile(path_);
  if (!text.ok() && text.status().code() != StatusCode::kNotFound) {
    return text.status().WithContext("cannot read the state");
  }
  main_exists_ = text.ok();
  main_text_.clear();
  if (main_exists_) {
    auto doc = ParseStateDocument(*text);
    std::string hint = "; its previous version is " + backup_path_;
    if (!doc.ok()) {
      if (doc.status().code() != StatusCode::kCorruption) return doc.status().WithContext(path_);
      return Status::Corruption(path_ + ": " + doc.status().message() + hint);
    }
    auto enc = EncryptionFromDocument(*doc);
    if (!enc.ok()) return Status::Corruption(path_ + ": " + enc.status().message() + hint);
    if (*enc) {
      if (previous_cipher && previous_encryption == *enc) {
        cipher_ = previous_cipher;
      } else {
        auto c = OpenCipher(**enc);
        if (!c.ok()) return c.status();
        cipher_ = *c;
      }
      encryption_ = **enc;
    }
    auto parsed = StateFromDocument(*doc, cipher_.get());
    if (!parsed.ok()) return parsed.status().WithContext(path_);
    if (parsed->lineage.empty()) {
      return Status::Corruption(path_ + ": the state has no lineage" + hint);
    }
    st = std::move(*parsed);
    main_text_ = std::move(*text);
  }
  base_lineage_ = st.lineage;
  base_serial_ = st.serial;
  encryption_durable_ = encryption_.has_value();
  journal_ = JournalState::kNone;
  replayed_.reset();
  journal_tail_suspect_ = false;

  auto jtext = fs_->ReadFile(journal_path_);
  if (!jtext.ok() && jtext.status().code() != StatusCode::kNotFound) {
    return jtext.status().WithContext("cannot read the state journal");
  }
  if (jtext.ok()) {
    journal_ = JournalState::kPending;
    auto scan = ScanJournal(*jtext);
    if (!scan.ok()) return JournalDamaged(scan.status().message());
    if (scan->torn_tail) {
      spdlog::warn(
          "state journal {}: ignored a partial last record (a run was interrupted "
          "while saving it)",
          journal_path_);
    }
    if (!scan->records.empty()) CROSSLINK_RETURN_IF_ERROR(ApplyJournal(scan->records, &st));
  }
  st.format_version = kStateFormatVersion;
  loaded_ = true;
  return st;
}

Status LocalBackend::AdoptEncryption(const Value& block) {
  auto info = EncryptionFromJson(block);
  if (!info.ok()) {
    return JournalDamaged("has a bad encryption block (" + info.status().message() + ")");
  }
  if (encryption_) {
    if (*encryption_ != *info) return JournalDamaged("names a different state key than " + path_);
    return Status::Ok();
  }
  auto c = OpenCipher(*info);
  if (!c.ok()) return c.status();
  cipher_ = *c;
  encryption_ = *info;
  encryption_durable_ = true;
  return Status::Ok();
}

Status LocalBackend::ApplyJournal(const std::vector<Value>& records, State* st) {
  const Value& begin = records.front();
  auto lineage = StringField(begin, "lineage");
  auto jbase = SerialField(begin, "base_serial");
  auto jserial = SerialField(begin, "serial");
  if (StringField(begin, "op") != "begin" || !lineage || lineage->empty() || !jbase || !jserial) {
    return JournalDamaged("does not start with a valid begin record");
  }
  if (main_exists_ && *lineage == base_lineage_ && *jserial <= base_serial_) {
    spdlog::info("state journal {} is already part of {} (serial {}); ignoring it", journal_path_,
                 path_, base_serial_);
    return Status::Ok();
  }
  bool matches = main_exists_ ? (*lineage == base_lineage_ && *jbase == base_serial_) : *jbase == 0;
  if (!matches) {
    std::string have =
        main_exists_ ? "has lineage " + base_lineage_ + " serial " + std::to_string(base_serial_)
                     : "does not exist";
    return Status::Corruption("the state journal " + journal_path_ + " continues lineage " +
                              *lineage + " from serial " + std::to_string(*jbase) + ", but " +
                              path_ + " " + have + "; restore the state file it belongs to (see " +
                              backup_path_ + ") or move the journal aside");
  }
  if (auto it = begin.find("encryption"); it != begin.end()) {
    CROSSLINK_RETURN_IF_ERROR(AdoptEncryption(*it));
  }
  st->lineage = *lineage;
  st->serial = *jserial;
  for (size_t i = 1; i < records.size(); ++i) {
    const Value& rec = records[i];
    std::string where = "line " + std::to_string(i + 1);
    auto op = StringField(rec, "op");
    if (op == "upsert" && rec.contains("resource")) {
      auto r = ResourceFromJson(rec["resource"], cipher_.get());
      if (!r.ok()) {
        if (r.status().code() == StatusCode::kCorruption) {
          return JournalDamaged(where + ": " + r.status().message());
        }
        return r.status().WithContext("state journal " + journal_path_ + ", " + where);
      }
      std::string address = r->address;
      st->resources.insert_or_assign(std::move(address), std::move(*r));
    } else if (op == "remove" && StringField(rec, "address")) {
      st->resources.erase(*StringField(rec, "address"));
    } else if (op == "encryption" && rec.contains("encryption")) {
      CROSSLINK_RETURN_IF_ERROR(AdoptEncryption(rec["encryption"]));
    } else {
      return JournalDamaged(where + ": unexpected record");
    }
  }
  replayed_ = *st;
  return Status::Ok();
}

// ------------------------------------------------------------------ writing

Status LocalBackend::EnsureDir() {
  std::string dir = DirName(path_);
  if (fs_->Exists(dir)) return Status::Ok();
  return fs_->MakeDirs(dir, kDirMode);
}

Status LocalBackend::WriteMain(const State& st) {
  if (!cipher_ && HasSensitiveOutputs(st)) CROSSLINK_RETURN_IF_ERROR(CreateCipher());
  auto text = SerializeState(st, encryption_, cipher_.get());
  if (!text.ok()) return text.status().WithContext("cannot save the state " + path_);
  CROSSLINK_RETURN_IF_ERROR(EnsureDir());
  if (main_exists_) {
    Status s = fs_->WriteFileAtomic(backup_path_, main_text_, kFileMode);
    if (!s.ok()) return s.WithContext("cannot keep the previous state as " + backup_path_);
  }
  Status s = fs_->WriteFileAtomic(path_, *text, kFileMode);
  if (!s.ok()) return s.WithContext("cannot save the state " + path_);
  main_exists_ = true;
  main_text_ = std::move(*text);
  base_lineage_ = st.lineage;
  base_serial_ = st.serial;
  encryption_durable_ = encryption_.has_value();
  return Status::Ok();
}

Status LocalBackend::RepairJournalTail() {
  auto text = fs_->ReadFile(journal_path_);
  if (!text.ok()) return text.status().WithContext("cannot read the state journal");
  auto scan = ScanJournal(*text);
  if (!scan.ok()) return JournalDamaged(scan.status().message());
  if (scan->torn_tail) {
    size_t keep = text->rfind('\n');
    keep = keep == std::string::npos ? 0 : keep + 1;
    Status s = fs_->WriteFileAtomic(journal_path_, text->substr(0, keep), kFileMode);
    if (!s.ok()) return s.WithContext("cannot repair the state journal " + journal_path_);
  }
  journal_tail_suspect_ = false;
  return Status::Ok();
}

Status LocalBackend::Record(const Value& action) {
  if (!loaded_) {
    return Status::FailedPrecondition("the state must be loaded before actions are recorded");
  }
  bool start = journal_ != JournalState::kOpen;
  if (start && replayed_) {
    // A crashed run's journal: fold it into the state file so that the new
    // journal holds this run only.
    CROSSLINK_RETURN_IF_ERROR(WriteMain(*replayed_));
    replayed_.reset();
  }
  std::string lines;
  if (start) {
    run_lineage_ = base_lineage_.empty() ? NewLineage() : base_lineage_;
    run_serial_ = base_serial_ + 1;
    Value begin = {{"op", "begin"},
                   {"lineage", run_lineage_},
                   {"base_serial", base_serial_},
                   {"serial", run_serial_},
                   {"tool_version", kVersion}};
    if (encryption_) begin["encryption"] = EncryptionToJson(*encryption_);
    lines += EncodeJournalLine(begin);
  } else if (encryption_ && !encryption_durable_) {
    lines +=
        EncodeJournalLine({{"op", "encryption"}, {"encryption", EncryptionToJson(*encryption_)}});
  }
  lines += EncodeJournalLine(action);
  if (start) {
    CROSSLINK_RETURN_IF_ERROR(EnsureDir());
    // Atomic: replaces a stale or torn journal and never exposes a begin
    // without its first action.
    Status s = fs_->WriteFileAtomic(journal_path_, lines, kFileMode);
    if (!s.ok()) return s.WithContext("cannot save the state journal " + journal_path_);
    journal_ = JournalState::kOpen;
    journal_tail_suspect_ = false;
  } else {
    if (journal_tail_suspect_) CROSSLINK_RETURN_IF_ERROR(RepairJournalTail());
    Status s = fs_->AppendFile(journal_path_, lines, kFileMode);
    if (!s.ok()) {
      journal_tail_suspect_ = true;
      return s.WithContext("cannot save the state journal " + journal_path_);
    }
  }
  if (encryption_) encryption_durable_ = true;
  return Status::Ok();
}

Status LocalBackend::RecordUpsert(const ResourceState& resource) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!loaded_) {
    return Status::FailedPrecondition("the state must be loaded before actions are recorded");
  }
  if (!resource.sensitive_outputs.empty() && !cipher_) CROSSLINK_RETURN_IF_ERROR(CreateCipher());
  auto json = ResourceToJson(resource, cipher_.get());
  if (!json.ok()) return json.status();
  return Record({{"op", "upsert"}, {"resource", std::move(*json)}});
}

Status LocalBackend::RecordRemove(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  return Record({{"op", "remove"}, {"address", address}});
}

Status LocalBackend::Persist(State& state) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!loaded_) {
    return Status::FailedPrecondition("the state must be loaded before it is persisted");
  }
  if (journal_ == JournalState::kNone) return Status::Ok();  // nothing recorded
  if (journal_ == JournalState::kPending && !replayed_) {
    // Only a stale or torn journal: <path> already holds everything.
    CROSSLINK_RETURN_IF_ERROR(fs_->Remove(journal_path_));
    journal_ = JournalState::kNone;
    return Status::Ok();
  }
  const std::string lineage = journal_ == JournalState::kOpen ? run_lineage_ : replayed_->lineage;
  uint64_t serial = journal_ == JournalState::kOpen ? run_serial_ : replayed_->serial;
  if (!state.lineage.empty() && state.lineage != lineage) {
    return Status::FailedPrecondition("the state to save has lineage " + state.lineage + ", but " +
                                      path_ + " has lineage " + lineage);
  }
  State saved = state;
  saved.format_version = kStateFormatVersion;
  saved.lineage = lineage;
  saved.serial = serial;
  saved.tool_version = kVersion;
  CROSSLINK_RETURN_IF_ERROR(WriteMain(saved));
  // From here the journal is stale (its serial is in <path>) until removed.
  journal_ = JournalState::kPending;
  replayed_.reset();
  state.format_version = saved.format_version;
  state.lineage = saved.lineage;
  state.serial = saved.serial;
  state.tool_version = saved.tool_version;
  Status s = fs_->Remove(journal_path_);
  if (!s.ok()) return s.WithContext("the state was saved, but its journal could not be removed");
  journal_ = JournalState::kNone;
  return Status::Ok();
}

}  // namespace

std::string StateBackupPath(const std::string& path) { return path + ".backup"; }
std::string StateJournalPath(const std::string& path) { return path + ".journal"; }
std::string StateLockPath(const std::string& path) { return path + ".lock"; }

std::unique_ptr<Backend> NewLocalBackend(LocalBackendOptions options) {
  return std::make_unique<LocalBackend>(std::move(options));
}

}  // namespace crosslink::state
