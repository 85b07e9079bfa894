#pragma once
// MemFileSystem: an in-memory FileSystem for unit tests. Directories are
// real (a file's parent must exist, as on disk; "/" and "." always exist),
// modes are kept, and "~/" expands to "/home/test/". Writes are atomic by
// construction. Helpers let tests inspect and tamper with the contents.
//
// Thread-safety: thread-safe (one mutex).

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/filesystem.h"

namespace crosslink::fakes {

class MemFileSystem : public FileSystem {
 public:
  MemFileSystem();

  Result<std::string> ReadFile(const std::string& path) override;
  bool Exists(const std::string& path) override;
  Status WriteFileAtomic(const std::string& path, const std::string& data, uint32_t mode) override;
  Status AppendFile(const std::string& path, const std::string& data, uint32_t mode) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Status MakeDirs(const std::string& path, uint32_t mode) override;
  Result<uint32_t> FileMode(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& path) override;

  // --- for tests
  // Creates or replaces a file, creating its parent directories.
  void SetFile(const std::string& path, const std::string& data, uint32_t mode = 0600);
  std::optional<std::string> Get(const std::string& path) const;
  void SetMode(const std::string& path, uint32_t mode);
  // Every file, by normalised path.
  std::map<std::string, std::string> Files() const;
  // An independent copy (files, modes and directories).
  std::unique_ptr<MemFileSystem> Clone() const;

 private:
  struct Node {
    std::string data;
    uint32_t mode = 0600;
  };
  static std::string Normalize(const std::string& path);
  static std::string Parent(const std::string& path);
  bool ParentExistsLocked(const std::string& path) const;

  mutable std::mutex mu_;
  std::map<std::string, Node> files_;
  std::map<std::string, uint32_t> dirs_;  // path -> mode
};

}  // namespace crosslink::fakes
