#pragma once
// Helpers shared by the self-managed platform tests.

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sandbox/self/keystore_cli.h"

namespace crosslink::sandbox::self::test_util {

// A fresh directory removed at destruction.
class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("crosslink-self-test-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline void WriteText(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One run of the keystore CLI stand-in.
struct CliRun {
  int code;
  std::string out;
  std::string err;
};

inline CliRun RunCli(const std::string& home, std::vector<std::string> args, const std::string& stdin_text = "") {
  std::vector<std::string> full = {"--home", home};
  full.insert(full.end(), args.begin(), args.end());
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  int code = RunKeystoreCli(full, in, out, err);
  return {code, out.str(), err.str()};
}

// Sets KEYSTORE_PASSWORD for the scope.
class ScopedKeystorePassword {
 public:
  explicit ScopedKeystorePassword(const std::string& value) { ::setenv("KEYSTORE_PASSWORD", value.c_str(), 1); }
  ~ScopedKeystorePassword() { ::unsetenv("KEYSTORE_PASSWORD"); }
};

}  // namespace crosslink::sandbox::self::test_util
