#pragma once
// CommandRunner: the seam for the programs crosslink runs on a self-managed
// node's machine (bin/elasticsearch-keystore, the user's restart command).
//
// Contract of the process runner (NewProcessRunner):
//   - fork + execve of argv[0] as given (no PATH search, no shell); a shell
//     runs only when the caller asks for one (ShellCommand: /bin/sh -c LINE,
//     for the user's own restart command line);
//   - the child gets our environment plus `env` (overriding), its own
//     process group, `working_dir` when set, and `stdin_data` on its stdin
//     (then end of file); stdin is /dev/null-like (empty) otherwise;
//   - stdout and stderr are captured, each bounded to `output_limit` bytes
//     (the rest is read and dropped; `truncated` says so);
//   - past `timeout` the whole process group is killed (SIGKILL) and the
//     result says `timed_out`;
//   - secret values (stdin_data, env values) that the program echoes are
//     replaced by "(sensitive)" in the captured output; they never appear
//     in argv, in Describe(), or in any message.
// Run fails (Status) only when the program cannot be started: kNotFound
// when argv[0] does not exist, kPermissionDenied when it is not executable,
// kIoError otherwise. A program that runs and fails is a CommandResult with
// its exit code, for the caller to judge.
//
// Thread-safety: NewProcessRunner's runner is thread-safe (no shared state).

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/secret.h"
#include "engine/core/status.h"

namespace crosslink::providers::self {

struct Command {
  std::vector<std::string> argv;      // argv[0]: the program's path
  Secret stdin_data;                  // fed to stdin, then closed
  std::map<std::string, Secret> env;  // added to (overriding) our environment
  std::string working_dir;            // "" = ours
  std::chrono::milliseconds timeout{std::chrono::seconds(120)};
  size_t output_limit = 64 * 1024;  // per stream

  // The argv as a user would type it (shell-quoted where needed). Safe to
  // print: no stdin, no env values.
  std::string Describe() const;
};

// {"/bin/sh", "-c", line}: the user's command line, run as they wrote it.
Command ShellCommand(const std::string& line);

struct CommandResult {
  int exit_code = -1;  // when the program exited, else -1
  int signal = 0;      // when a signal ended it
  bool timed_out = false;
  std::string out;  // bounded, secrets redacted
  std::string err;
  bool truncated = false;

  bool ok() const { return exit_code == 0 && !timed_out; }
  // "exit code 78: ERROR: Setting [x] does not exist in the keystore."
  // (the last non-empty stderr line, else stdout's), or "timed out after
  // 120 s", or "killed by signal 9".
  std::string Summary(std::chrono::milliseconds timeout) const;
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  virtual Result<CommandResult> Run(const Command& command) = 0;
};

// The real runner; `clock` measures the timeout.
std::unique_ptr<CommandRunner> NewProcessRunner(Clock& clock);

}  // namespace crosslink::providers::self
