#include <unistd.h>

#include <ostream>

#include "engine/cli/commands.h"
#include "engine/graph/expand.h"
#include "engine/topology/loader.h"
#include "state/local_backend.h"

namespace crosslink::cli {
namespace {

bool WantColor(const CliEnv& env, const Flags& f) { return env.stdout_is_tty && !f.no_color; }

}  // namespace

Session::Session(CliEnv& env, const Flags& flags)
    : env_(env),
      flags_(flags),
      file_given_(!flags.file.empty()),
      ui_(*env.out, *env.err, WantColor(env, flags), *env.clock) {
  if (flags_.file.empty()) flags_.file = "crosslink.yaml";
}

const char* Session::GetEnv(const char* name) const { return env_.getenv(name); }

std::optional<topology::Topology> Session::LoadTopology(bool offline) {
  Diagnostics diags;
  topology::LoadOptions options;
  options.getenv = env_.getenv;
  options.unset_variables_are_errors = !offline;
  auto t = topology::LoadTopologyFile(flags_.file, *env_.fs, &diags, options);
  if (!diags.empty()) ui_.Err(diags.ToString());
  if (!t) {
    ui_.Err(ui_.Red(ui_.Bold("Error: ")) + flags_.file + " has " + std::to_string(diags.error_count()) +
            (diags.error_count() == 1 ? " error" : " errors") + "; nothing was changed.\n");
  }
  return t;
}

std::optional<graph::ResourceGraph> Session::Expand(const topology::Topology& t) {
  Diagnostics diags;
  auto g = graph::Expand(t, &diags);
  if (!diags.empty()) ui_.Err(diags.ToString());
  if (!g) ui_.Error("the topology cannot be expanded into a resource graph; nothing was changed.");
  return g;
}

std::string Session::StatePath() const {
  if (!flags_.state_path.empty()) return flags_.state_path;
  const char* env = GetEnv("CROSSLINK_STATE");
  if (env && *env) return env;
  // <dir>/<stem>.state.json beside the topology file.
  const std::string& file = flags_.file;
  auto slash = file.rfind('/');
  std::string dir = slash == std::string::npos ? "" : file.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? file : file.substr(slash + 1);
  auto dot = base.rfind('.');
  if (dot != std::string::npos && dot > 0) base = base.substr(0, dot);
  return dir + base + ".state.json";
}

Result<std::unique_ptr<state::Backend>> Session::OpenBackend() {
  state::LocalBackendOptions opts;
  opts.path = StatePath();
  opts.fs = env_.fs;
  opts.clock = env_.clock;
  opts.lock_kind = env_.in_process_locks ? state::LockKind::kInProcess : state::LockKind::kFcntl;
  state::KeyOptions keys;
  const char* passphrase = GetEnv("CROSSLINK_STATE_KEY");
  if (passphrase && *passphrase) keys.passphrase = Secret(passphrase);
  const char* key_file = GetEnv("CROSSLINK_STATE_KEY_FILE");
  keys.key_file = key_file && *key_file ? std::string(key_file) : state::DefaultKeyFilePath();
  opts.keys = std::move(keys);
  return state::NewLocalBackend(opts);
}

void Session::Fail(const Status& s) { ui_.Error(s.message()); }

}  // namespace crosslink::cli
