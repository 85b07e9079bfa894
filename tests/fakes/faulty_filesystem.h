#pragma once
// FaultyFileSystem: wraps another FileSystem (not owned) and injects
// failures at chosen mutating operations, to prove that code which writes
// files survives errors and crashes.
//
// Mutating operations (WriteFileAtomic, AppendFile, Rename, Remove,
// MakeDirs) are numbered from 1 in call order; reads are not counted.
//   FailAt(n, status, partial)
//                      the n-th mutation returns `status`; later calls work
//                      normally. With partial = 0 it has no effect; with
//                      partial = f > 0 it is a short write: AppendFile first
//                      appends the fraction f of its data (never all of it),
//                      WriteFileAtomic leaves "<path>.tmp.crash" behind.
//   CrashAt(n, f)      simulated power loss: the n-th mutation is cut part
//                      way, then EVERY later call (reads included) fails
//                      with kIoError "simulated crash". Cutting means:
//                        WriteFileAtomic: "<path>.tmp.crash" holds the first
//                          fraction f of the data; <path> is untouched
//                          (the rename never happened);
//                        AppendFile: the first fraction f of the data is
//                          appended, always less than all of it;
//                        Rename, Remove, MakeDirs: not done.
//                      A crash just after an operation is the same as a
//                      crash at the next one, so looping n over every
//                      mutation covers every crash point.
//
// Thread-safety: thread-safe if the wrapped FileSystem is.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/filesystem.h"

namespace crosslink::fakes {

class FaultyFileSystem : public FileSystem {
 public:
  explicit FaultyFileSystem(FileSystem* base) : base_(base) {}

  void FailAt(int n, Status error, double partial = 0.0);
  void CrashAt(int n, double fraction = 0.5);
  // Mutations attempted so far (including a failed or crashing one).
  int mutations() const;
  bool crashed() const;

  Result<std::string> ReadFile(const std::string& path) override;
  bool Exists(const std::string& path) override;
  Status WriteFileAtomic(const std::string& path, const std::string& data, uint32_t mode) override;
  Status AppendFile(const std::string& path, const std::string& data, uint32_t mode) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Status MakeDirs(const std::string& path, uint32_t mode) override;
  Result<uint32_t> FileMode(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& path) override;

 private:
  enum class Fate { kNormal, kFail, kCrash, kDead };
  // Counts one mutation and says what happens to it; `fraction` is how much
  // of a cut or short write takes effect.
  Fate Next(Status* error, double* fraction);
  // The partial effect of a cut or short write.
  void WritePart(const std::string& path, const std::string& data, uint32_t mode, double fraction);
  void AppendPart(const std::string& path, const std::string& data, uint32_t mode, double fraction);
  bool Dead() const;
  static Status CrashError();

  FileSystem* base_;
  mutable std::mutex mu_;
  int count_ = 0;
  std::optional<int> fail_at_;
  Status fail_status_;
  double fail_fraction_ = 0.0;
  std::optional<int> crash_at_;
  double crash_fraction_ = 0.5;
  bool crashed_ = false;
};

}  // namespace crosslink::fakes
