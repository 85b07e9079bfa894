#pragma once
// The `crosslink` command line: argument parsing, the verbs, exit codes and
// everything the user reads. The engine never prints; this module turns
// hooks, plans and summaries into text (or JSON with -json).
//
// Exit codes: 0 success (plan: no changes with -detailed-exitcode),
//             1 error (bad input, failed apply, stale plan, lock held),
//             2 success with changes present (plan -detailed-exitcode only).
//
// Thread-safety: RunCli is called once per process (tests call it
// repeatedly, one call at a time, with their own CliEnv).

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/filesystem.h"
#include "providers/provider.h"

namespace crosslink::cli {

// Everything the CLI touches in the outside world, so that tests can run it
// against a fake provider, an in-memory file system and captured streams.
struct CliEnv {
  providers::ProviderSet* providers = nullptr;  // the platforms this build can talk to
  FileSystem* fs = nullptr;
  Clock* clock = nullptr;
  std::istream* in = nullptr;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  bool stdout_is_tty = false;
  std::function<const char*(const char*)> getenv;  // defaults to ::getenv when empty
  // Lock the state with an in-process registry instead of fcntl on the real
  // disk (tests over an in-memory file system).
  bool in_process_locks = false;
};

// `args` excludes the program name. Returns the process exit code.
int RunCli(const std::vector<std::string>& args, CliEnv& env);

// Terraform writes long options with one dash (-auto-approve, -out=FILE);
// CLI11 wants two. Turns "-word..." (more than one letter after one dash)
// into "--word...", splits "-f=x" into "-f" "x", and leaves "-f", "--x"
// and "-" alone.
std::vector<std::string> NormalizeArgs(const std::vector<std::string>& args);

}  // namespace crosslink::cli
