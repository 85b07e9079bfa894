#pragma once
// The verbs behind RunCli. Each returns the process exit code. Internal to
// engine/cli.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/cli/cli.h"
#include "engine/cli/ui.h"
#include "engine/graph/graph.h"
#include "engine/topology/topology.h"
#include "state/backend.h"

namespace crosslink::cli {

struct Flags {
  // common
  std::string file;  // empty = crosslink.yaml (apply PLANFILE: the plan's topology file)
  std::string state_path;  // empty = CROSSLINK_STATE or <topology dir>/<stem>.state.json
  bool json = false;
  bool no_color = false;
  std::string log_level;
  std::string log_file;
  // plan / apply / destroy
  std::vector<std::string> targets;
  std::vector<std::string> replace;
  bool refresh = true;
  int parallelism = 10;
  std::string out;  // plan -out
  bool detailed_exitcode = false;
  bool auto_approve = false;
  bool destroy = false;  // plan -destroy
  std::string plan_file;  // apply PLANFILE, show PLANFILE
  // state / force-unlock
  std::vector<std::string> addresses;
  std::string lock_id;
};

// Shared plumbing of one invocation.
class Session {
 public:
  Session(CliEnv& env, const Flags& flags);
  CliEnv& env() { return env_; }
  const Flags& flags() const { return flags_; }
  // The topology file: -f, else crosslink.yaml.
  const std::string& topology_file() const { return flags_.file; }
  // apply PLANFILE without -f: use the file the plan was made from.
  void DefaultTopologyFile(const std::string& file) {
    if (!file_given_) flags_.file = file;
  }
  Ui& ui() { return ui_; }
  const char* GetEnv(const char* name) const;

  // Loads and validates the topology file; prints diagnostics (warnings
  // too). nullopt on errors. An unset ${env:NAME} in a non-secret field is an
  // error, or with `offline` (validate, graph: no platform is contacted) a
  // warning.
  std::optional<topology::Topology> LoadTopology(bool offline = false);
  // Expands the topology into the resource graph; prints diagnostics.
  std::optional<graph::ResourceGraph> Expand(const topology::Topology& t);
  // The state file path for this invocation.
  std::string StatePath() const;
  // Opens the configured backend.
  Result<std::unique_ptr<state::Backend>> OpenBackend();
  // Prints a Status as an error.
  void Fail(const Status& s);

 private:
  CliEnv& env_;
  Flags flags_;
  bool file_given_;
  Ui ui_;
};

int CmdValidate(Session& s);
int CmdGraph(Session& s);
int CmdPlan(Session& s);
int CmdApply(Session& s, bool destroy);
int CmdShow(Session& s);
int CmdStateList(Session& s);
int CmdStateShow(Session& s);
int CmdStateRm(Session& s);
int CmdForceUnlock(Session& s);
int CmdSchema(Session& s);
int CmdVersion(Session& s);

}  // namespace crosslink::cli
