#include "tests/fakes/mem_filesystem.h"

namespace crosslink::fakes {

MemFileSystem::MemFileSystem() {
  dirs_["/"] = 0755;
  dirs_["."] = 0755;
}

std::string MemFileSystem::Normalize(const std::string& in) {
  std::string path = in;
  if (path.rfind("~/", 0) == 0) path = "/home/test" + path.substr(1);
  std::string out;
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  while (out.rfind("./", 0) == 0 && out.size() > 2) out = out.substr(2);
  return out.empty() ? "." : out;
}

std::string MemFileSystem::Parent(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool MemFileSystem::ParentExistsLocked(const std::string& path) const {
  return dirs_.count(Parent(path)) > 0;
}

Result<std::string> MemFileSystem::ReadFile(const std::string& p) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(Normalize(p));
  if (it == files_.end()) {
    return Status::NotFound("cannot read " + p + ": No such file or directory");
  }
  return it->second.data;
}

bool MemFileSystem::Exists(const std::string& p) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string path = Normalize(p);
  return files_.count(path) > 0 || dirs_.count(path) > 0;
}

Status MemFileSystem::WriteFileAtomic(const std::string& p, const std::string& data,
                                      uint32_t mode) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string path = Normalize(p);
  if (!ParentExistsLocked(path)) {
    return Status::NotFound("cannot create " + p + ": no such directory");
  }
  if (dirs_.count(path) > 0) return Status::IoError("cannot write " + p + ": is a directory");
  files_[path] = Node{data, mode};
  return Status::Ok();
}

Status MemFileSystem::AppendFile(const std::string& p, const std::string& data, uint32_t mode) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string path = Normalize(p);
  if (!ParentExistsLocked(path)) {
    return Status::NotFound("cannot open " + p + ": no such directory");
  }
  if (dirs_.count(path) > 0) return Status::IoError("cannot write " + p + ": is a directory");
  auto it = files_.find(path);
  if (it == files_.end()) {
    files_[path] = Node{data, mode};
  } else {
    it->second.data += data;
  }
  return Status::Ok();
}

Status MemFileSystem::Rename(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string f = Normalize(from), t = Normalize(to);
  auto it = files_.find(f);
  if (it == files_.end()) return Status::NotFound("cannot rename " + from + ": no such file");
  if (!ParentExistsLocked(t)) {
    return Status::NotFound("cannot rename onto " + to + ": no such directory");
  }
  if (f == t) return Status::Ok();
  Node node = std::move(it->second);
  files_.erase(it);
  files_[t] = std::move(node);
  return Status::Ok();
}

Status MemFileSystem::Remove(const std::string& p) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string path = Normalize(p);
  if (dirs_.count(path) > 0) {
    for (const auto& [file, content] : files_) {
      if (Parent(file) == path) return Status::IoError("cannot remove " + path + ": not empty");
    }
    for (const auto& [dir, mode] : dirs_) {
      if (dir != path && Parent(dir) == path) {
        return Status::IoError("cannot remove " + path + ": not empty");
      }
    }
    dirs_.erase(path);
    return Status::Ok();
  }
  files_.erase(path);
  return Status::Ok();
}

Status MemFileSystem::MakeDirs(const std::string& p, uint32_t mode) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string path = Normalize(p);
  std::vector<std::string> chain;
  for (std::string cur = path; dirs_.count(cur) == 0; cur = Parent(cur)) {
    if (files_.count(cur) > 0) {
      return Status::IoError("cannot create directory " + cur + ": is a file");
    }
    chain.push_back(cur);
  }
  for (const auto& d : chain) dirs_[d] = mode;
  return Status::Ok();
}

Result<uint32_t> MemFileSystem::FileMode(const std::string& p) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string path = Normalize(p);
  if (auto it = files_.find(path); it != files_.end()) return it->second.mode;
  if (auto it = dirs_.find(path); it != dirs_.end()) return it->second;
  return Status::NotFound("cannot stat " + p + ": No such file or directory");
}

Result<std::vector<std::string>> MemFileSystem::ListDir(const std::string& p) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string dir = Normalize(p);
  if (dirs_.count(dir) == 0) return Status::NotFound("cannot list " + p + ": no such directory");
  std::vector<std::string> out;
  auto add = [&](const std::string& path) {
    if (path != dir && Parent(path) == dir) {
      auto slash = path.rfind('/');
      out.push_back(slash == std::string::npos ? path : path.substr(slash + 1));
    }
  };
  for (const auto& [path, node] : files_) add(path);
  for (const auto& [path, mode] : dirs_) add(path);
  return out;
}

void MemFileSystem::SetFile(const std::string& p, const std::string& data, uint32_t mode) {
  MakeDirs(Parent(Normalize(p)), 0700);
  std::lock_guard<std::mutex> lock(mu_);
  files_[Normalize(p)] = Node{data, mode};
}

std::optional<std::string> MemFileSystem::Get(const std::string& p) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(Normalize(p));
  if (it == files_.end()) return std::nullopt;
  return it->second.data;
}

void MemFileSystem::SetMode(const std::string& p, uint32_t mode) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string path = Normalize(p);
  if (auto it = files_.find(path); it != files_.end()) it->second.mode = mode;
  if (auto it = dirs_.find(path); it != dirs_.end()) it->second = mode;
}

std::map<std::string, std::string> MemFileSystem::Files() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::string> out;
  for (const auto& [path, node] : files_) out[path] = node.data;
  return out;
}

std::unique_ptr<MemFileSystem> MemFileSystem::Clone() const {
  auto copy = std::make_unique<MemFileSystem>();
  std::lock_guard<std::mutex> lock(mu_);
  copy->files_ = files_;
  copy->dirs_ = dirs_;
  return copy;
}

}  // namespace crosslink::fakes
