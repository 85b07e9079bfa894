#include "engine/core/filesystem.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace crosslink {
namespace {



Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot write", path);
    }
    off += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open directory", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoStatus("cannot fsync directory", dir);
  return Status::Ok();
}

class PosixFileSystem : public FileSystem {
 public:
  Result<std::string> ReadFile(const std::string& p) override {
    std::string path = ExpandHome(p);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("cannot read", p);
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        Status s = ErrnoStatus("cannot read", p);
        ::close(fd);
        return s;
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
  }

  bool Exists(const std::string& p) override {
    struct stat st{};
    return ::stat(ExpandHome(p).c_str(), &st) == 0;
  }

  Status WriteFileAtomic(const std::string& p, const std::string& data, uint32_t mode) override {
    std::string path = ExpandHome(p);
    unsigned char rnd[6];
    RAND_bytes(rnd, sizeof rnd);
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
                  rnd[3], rnd[4], rnd[5]);
    std::string tmp = path + ".tmp." + suffix;
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return ErrnoStatus("cannot create", tmp);
    ::fchmod(fd, mode);  // umask must not widen or narrow the requested mode
    Status s = WriteAll(fd, data, tmp);
    if (s.ok() && ::fsync(fd) != 0) s = ErrnoStatus("cannot fsync", tmp);
    ::close(fd);
    if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = ErrnoStatus("cannot rename onto", p);
    if (!s.ok()) {
      ::unlink(tmp.c_str());
      return s;
    }
    return FsyncDir(DirName(path));
  }

  Status AppendFile(const std::string& p, const std::string& data, uint32_t mode) override {
    std::string path = ExpandHome(p);
    bool existed = Exists(path);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
    if (fd < 0) return ErrnoStatus("cannot open", p);
    if (!existed) ::fchmod(fd, mode);
    Status s = WriteAll(fd, data, p);
    if (s.ok() && ::fdatasync(fd) != 0) s = ErrnoStatus("cannot fsync", p);
    ::close(fd);
    if (s.ok() && !existed) s = FsyncDir(DirName(path));
    return s;
  }

  Status Rename(const std::string& from, const std::string& to) override {
    std::string f = ExpandHome(from), t = ExpandHome(to);
    if (::rename(f.c_str(), t.c_str()) != 0) return ErrnoStatus("cannot rename " + from + " to", to);
    return FsyncDir(DirName(t));
  }

  Status Remove(const std::string& p) override {
    std::string path = ExpandHome(p);
    if (::remove(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("cannot remove", p);
    return Status::Ok();
  }

  Status MakeDirs(const std::string& p, uint32_t mode) override {
    std::string path = ExpandHome(p);
    if (path.empty()) return Status::Ok();
    std::string cur;
    size_t pos = 0;
    while (pos != std::string::npos) {
      pos = path.find('/', pos + 1);
      cur = path.substr(0, pos);
      if (cur.empty()) continue;
      if (::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) return ErrnoStatus("cannot create directory", cur);
    }
    return Status::Ok();
  }

  Result<uint32_t> FileMode(const std::string& p) override {
    struct stat st{};
    if (::stat(ExpandHome(p).c_str(), &st) != 0) return ErrnoStatus("cannot stat", p);
    return static_cast<uint32_t>(st.st_mode & 07777);
  }

  Result<std::vector<std::string>> ListDir(const std::string& p) override {
    std::string path = ExpandHome(p);
    DIR* d = ::opendir(path.c_str());
    if (!d) return ErrnoStatus("cannot list", p);
    std::vector<std::string> out;
    while (struct dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
    return out;
  }
};

}  // namespace

std::string DirName(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status ErrnoStatus(const std::string& what, const std::string& path) {
  int e = errno;
  std::string msg = what + " " + path + ": " + std::strerror(e);
  if (e == EACCES || e == EPERM) return Status::PermissionDenied(msg);
  if (e == ENOENT) return Status::NotFound(msg);
  return Status::IoError(msg);
}

std::string ExpandHome(const std::string& path) {
  if (path.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    if (home && *home) return std::string(home) + path.substr(1);
  }
  return path;
}

std::unique_ptr<FileSystem> NewPosixFileSystem() { return std::make_unique<PosixFileSystem>(); }

}  // namespace crosslink
