#include "tests/fakes/faulty_filesystem.h"

#include <algorithm>

namespace crosslink::fakes {

void FaultyFileSystem::FailAt(int n, Status error, double partial) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_at_ = n;
  fail_fraction_ = std::clamp(partial, 0.0, 1.0);
  fail_status_ = error.ok() ? Status::IoError("injected failure") : std::move(error);
}

void FaultyFileSystem::CrashAt(int n, double fraction) {
  std::lock_guard<std::mutex> lock(mu_);
  crash_at_ = n;
  crash_fraction_ = std::clamp(fraction, 0.0, 1.0);
}

int FaultyFileSystem::mutations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return count_;
}

bool FaultyFileSystem::crashed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return crashed_;
}

bool FaultyFileSystem::Dead() const {
  std::lock_guard<std::mutex> lock(mu_);
  return crashed_;
}

Status FaultyFileSystem::CrashError() {
  return Status::IoError("simulated crash: the process is gone");
}

FaultyFileSystem::Fate FaultyFileSystem::Next(Status* error, double* fraction) {
  std::lock_guard<std::mutex> lock(mu_);
  if (crashed_) return Fate::kDead;
  ++count_;
  if (crash_at_ && *crash_at_ == count_) {
    crashed_ = true;
    *fraction = crash_fraction_;
    return Fate::kCrash;
  }
  if (fail_at_ && *fail_at_ == count_) {
    *error = fail_status_;
    *fraction = fail_fraction_;
    return Fate::kFail;
  }
  return Fate::kNormal;
}

Result<std::string> FaultyFileSystem::ReadFile(const std::string& path) {
  if (Dead()) return CrashError();
  return base_->ReadFile(path);
}

bool FaultyFileSystem::Exists(const std::string& path) {
  if (Dead()) return false;
  return base_->Exists(path);
}

void FaultyFileSystem::WritePart(const std::string& path, const std::string& data, uint32_t mode,
                                 double fraction) {
  auto keep = static_cast<size_t>(static_cast<double>(data.size()) * fraction);
  base_->WriteFileAtomic(path + ".tmp.crash", data.substr(0, keep), mode);
}

void FaultyFileSystem::AppendPart(const std::string& path, const std::string& data, uint32_t mode,
                                  double fraction) {
  auto keep = static_cast<size_t>(static_cast<double>(data.size()) * fraction);
  if (!data.empty()) keep = std::min(keep, data.size() - 1);  // cut: never all of it
  if (keep > 0) base_->AppendFile(path, data.substr(0, keep), mode);
}

Status FaultyFileSystem::WriteFileAtomic(const std::string& path, const std::string& data,
                                         uint32_t mode) {
  Status error;
  double fraction = 0;
  switch (Next(&error, &fraction)) {
    case Fate::kNormal:
      return base_->WriteFileAtomic(path, data, mode);
    case Fate::kFail:
      if (fraction > 0) WritePart(path, data, mode, fraction);
      return error;
    case Fate::kCrash:
      WritePart(path, data, mode, fraction);
      return CrashError();
    case Fate::kDead:
      break;
  }
  return CrashError();
}

Status FaultyFileSystem::AppendFile(const std::string& path, const std::string& data,
                                    uint32_t mode) {
  Status error;
  double fraction = 0;
  switch (Next(&error, &fraction)) {
    case Fate::kNormal:
      return base_->AppendFile(path, data, mode);
    case Fate::kFail:
      if (fraction > 0) AppendPart(path, data, mode, fraction);
      return error;
    case Fate::kCrash:
      AppendPart(path, data, mode, fraction);
      return CrashError();
    case Fate::kDead:
      break;
  }
  return CrashError();
}

Status FaultyFileSystem::Rename(const std::string& from, const std::string& to) {
  Status error;
  double fraction = 0;
  switch (Next(&error, &fraction)) {
    case Fate::kNormal:
      return base_->Rename(from, to);
    case Fate::kFail:
      return error;
    case Fate::kCrash:
    case Fate::kDead:
      break;
  }
  return CrashError();
}

Status FaultyFileSystem::Remove(const std::string& path) {
  Status error;
  double fraction = 0;
  switch (Next(&error, &fraction)) {
    case Fate::kNormal:
      return base_->Remove(path);
    case Fate::kFail:
      return error;
    case Fate::kCrash:
    case Fate::kDead:
      break;
  }
  return CrashError();
}

Status FaultyFileSystem::MakeDirs(const std::string& path, uint32_t mode) {
  Status error;
  double fraction = 0;
  switch (Next(&error, &fraction)) {
    case Fate::kNormal:
      return base_->MakeDirs(path, mode);
    case Fate::kFail:
      return error;
    case Fate::kCrash:
    case Fate::kDead:
      break;
  }
  return CrashError();
}

Result<uint32_t> FaultyFileSystem::FileMode(const std::string& path) {
  if (Dead()) return CrashError();
  return base_->FileMode(path);
}

Result<std::vector<std::string>> FaultyFileSystem::ListDir(const std::string& path) {
  if (Dead()) return CrashError();
  return base_->ListDir(path);
}

}  // namespace crosslink::fakes
