#pragma once
// FileSystem: the seam for every local file operation (topology files, state,
// plan files, locks, key files). PosixFileSystem is the real one;
// MemFileSystem keeps everything in memory for unit tests, and
// FaultyFileSystem wraps another one to inject crashes and errors at chosen
// operations (see tests/state).
//
// Durability contract of PosixFileSystem:
//   WriteFileAtomic: write to "<path>.tmp.<random>", fsync, rename over
//     <path>, fsync the directory. Readers see either the old or the new
//     content, never a mix. `mode` applies to the new file (e.g. 0600).
//   AppendFile: append and fsync before returning OK.
//
// Thread-safety: implementations are thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/status.h"

namespace crosslink {

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  virtual bool Exists(const std::string& path) = 0;
  virtual Status WriteFileAtomic(const std::string& path, const std::string& data,
                                 uint32_t mode) = 0;
  // Creates the file with `mode` when absent.
  virtual Status AppendFile(const std::string& path, const std::string& data, uint32_t mode) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // A file, or an empty directory (a directory with entries is an error).
  // OK when already absent.
  virtual Status Remove(const std::string& path) = 0;
  virtual Status MakeDirs(const std::string& path, uint32_t mode) = 0;
  // Permission bits of an existing file.
  virtual Result<uint32_t> FileMode(const std::string& path) = 0;
  virtual Result<std::vector<std::string>> ListDir(const std::string& path) = 0;
};

// The real file system. Paths starting with "~/" are expanded with $HOME.
std::unique_ptr<FileSystem> NewPosixFileSystem();

// Expands a leading "~/" with $HOME.
std::string ExpandHome(const std::string& path);

// The directory part of `path`: "a/b" -> "a", "b" -> ".", "/b" -> "/".
std::string DirName(const std::string& path);

// A Status for the current errno: "<what> <path>: <strerror>", with
// EACCES/EPERM as kPermissionDenied, ENOENT as kNotFound, else kIoError.
Status ErrnoStatus(const std::string& what, const std::string& path);

}  // namespace crosslink
