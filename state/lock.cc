#include "state/lock.h"

#include "engine/core/filesystem.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <set>

namespace crosslink::state {

std::string LockInfo::Describe() const {
  std::string out = "ID " + (id.empty() ? std::string("(unknown)") : id);
  out += ", held by " + (who.empty() ? std::string("(unknown)") : who);
  if (pid != 0) out += " (pid " + std::to_string(pid) + ")";
  if (!created.empty()) out += " since " + created;
  if (!operation.empty()) out += " for " + operation;
  if (!version.empty()) out += " (crosslink " + version + ")";
  return out;
}

Value LockInfoToJson(const LockInfo& info) {
  Value v = Value::object();
  v["id"] = info.id;
  v["operation"] = info.operation;
  v["who"] = info.who;
  v["created"] = info.created;
  v["version"] = info.version;
  v["path"] = info.path;
  v["pid"] = info.pid;
  return v;
}

Result<LockInfo> LockInfoFromJson(const std::string& text) {
  auto v = ParseJson(text);
  if (!v.ok() || !v->is_object()) {
    return Status::Corruption("the lock file does not hold lock info");
  }
  LockInfo info;
  auto str = [&](const char* key, std::string* out) {
    auto it = v->find(key);
    if (it != v->end() && it->is_string()) *out = it->get<std::string>();
  };
  str("id", &info.id);
  str("operation", &info.operation);
  str("who", &info.who);
  str("created", &info.created);
  str("version", &info.version);
  str("path", &info.path);
  if (auto it = v->find("pid"); it != v->end() && it->is_number_integer()) {
    info.pid = it->get<int>();
  }
  if (info.id.empty()) return Status::Corruption("the lock file's info has no lock ID");
  return info;
}

namespace {


Result<std::string> ReadFd(int fd, const std::string& path) {
  std::string out;
  char buf[4096];
  off_t off = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot read lock file", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    off += n;
  }
  return out;
}

struct flock WholeFile(short type) {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;  // to the end, however long the file grows
  fl.l_pid = 0;  // required for OFD locks
  return fl;
}

// ------------------------------------------------------------------ fcntl

class FcntlHeldLock : public HeldLock {
 public:
  FcntlHeldLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~FcntlHeldLock() override { ::close(fd_); }  // the last fd of the description: unlocks

  Status WriteInfo(const std::string& text) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (::ftruncate(fd_, 0) != 0) return ErrnoStatus("cannot truncate lock file", path_);
    size_t off = 0;
    while (off < text.size()) {
      ssize_t n = ::pwrite(fd_, text.data() + off, text.size() - off, static_cast<off_t>(off));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("cannot write lock file", path_);
      }
      off += static_cast<size_t>(n);
    }
    if (::fdatasync(fd_) != 0) return ErrnoStatus("cannot fsync lock file", path_);
    return Status::Ok();
  }

  Result<std::string> ReadInfo() override {
    std::lock_guard<std::mutex> lock(mu_);
    return ReadFd(fd_, path_);
  }

 private:
  std::mutex mu_;
  int fd_;
  std::string path_;
};

class FcntlLockFile : public LockFile {
 public:
  explicit FcntlLockFile(std::string path) : path_(std::move(path)), real_(ExpandHome(path_)) {}

  const std::string& path() const override { return path_; }

  Result<std::unique_ptr<HeldLock>> TryAcquire() override {
    int fd = ::open(real_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return ErrnoStatus("cannot open lock file", path_);
    struct stat st {};
    if (::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0 && st.st_uid == ::geteuid()) {
      ::fchmod(fd, 0600);  // the info names users and hosts: keep it private
    }
    struct flock fl = WholeFile(F_WRLCK);
    if (::fcntl(fd, F_OFD_SETLK, &fl) != 0) {
      int e = errno;
      ::close(fd);
      if (e == EAGAIN || e == EACCES) return std::unique_ptr<HeldLock>();
      errno = e;
      return ErrnoStatus("cannot lock", path_);
    }
    return std::unique_ptr<HeldLock>(new FcntlHeldLock(fd, path_));
  }

  Result<std::string> ReadInfo() override {
    int fd = ::open(real_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return std::string();
      return ErrnoStatus("cannot open lock file", path_);
    }
    auto text = ReadFd(fd, path_);
    ::close(fd);
    return text;
  }

  Result<bool> IsHeld() override {
    int fd = ::open(real_.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return false;
      return ErrnoStatus("cannot open lock file", path_);
    }
    struct flock fl = WholeFile(F_WRLCK);
    int rc = ::fcntl(fd, F_OFD_GETLK, &fl);
    int e = errno;
    ::close(fd);
    if (rc != 0) {
      errno = e;
      return ErrnoStatus("cannot query the lock on", path_);
    }
    return fl.l_type != F_UNLCK;
  }

 private:
  std::string path_;
  std::string real_;
};

// ------------------------------------------------------------- in-process

struct Registry {
  std::mutex mu;
  std::set<std::string> held;
};

Registry& Held() {
  static Registry* r = new Registry();  // never destroyed
  return *r;
}

class InProcessHeldLock : public HeldLock {
 public:
  InProcessHeldLock(FileSystem* fs, std::string path, std::string key)
      : fs_(fs), path_(std::move(path)), key_(std::move(key)) {}
  ~InProcessHeldLock() override {
    auto& r = Held();
    std::lock_guard<std::mutex> lock(r.mu);
    r.held.erase(key_);
  }
  Status WriteInfo(const std::string& text) override {
    return fs_->WriteFileAtomic(path_, text, 0600);
  }
  Result<std::string> ReadInfo() override {
    auto text = fs_->ReadFile(path_);
    if (!text.ok() && text.status().code() == StatusCode::kNotFound) return std::string();
    return text;
  }

 private:
  FileSystem* fs_;
  std::string path_;
  std::string key_;
};

class InProcessLockFile : public LockFile {
 public:
  InProcessLockFile(FileSystem* fs, std::string path)
      : fs_(fs),
        path_(std::move(path)),
        key_(std::to_string(reinterpret_cast<std::uintptr_t>(fs)) + ":" + path_) {}

  const std::string& path() const override { return path_; }

  Result<std::unique_ptr<HeldLock>> TryAcquire() override {
    auto& r = Held();
    std::lock_guard<std::mutex> lock(r.mu);
    if (!r.held.insert(key_).second) return std::unique_ptr<HeldLock>();
    return std::unique_ptr<HeldLock>(new InProcessHeldLock(fs_, path_, key_));
  }

  Result<std::string> ReadInfo() override {
    auto text = fs_->ReadFile(path_);
    if (!text.ok() && text.status().code() == StatusCode::kNotFound) return std::string();
    return text;
  }

  Result<bool> IsHeld() override {
    auto& r = Held();
    std::lock_guard<std::mutex> lock(r.mu);
    return r.held.count(key_) > 0;
  }

 private:
  FileSystem* fs_;
  std::string path_;
  std::string key_;
};

}  // namespace

std::unique_ptr<LockFile> NewFcntlLockFile(std::string path) {
  return std::make_unique<FcntlLockFile>(std::move(path));
}

std::unique_ptr<LockFile> NewInProcessLockFile(FileSystem* fs, std::string path) {
  return std::make_unique<InProcessLockFile>(fs, std::move(path));
}

}  // namespace crosslink::state
