#include "engine/cli/cli.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "engine/cli/commands.h"
#include "engine/core/logging.h"

namespace crosslink::cli {

std::vector<std::string> NormalizeArgs(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  out.reserve(args.size());
  for (const auto& a : args) {
    if (a.size() > 2 && a[0] == '-' && a[1] != '-' && a[2] == '=') {
      out.push_back(a.substr(0, 2));  // "-f=x.yaml" -> "-f" "x.yaml"
      out.push_back(a.substr(3));
    } else if (a.size() > 2 && a[0] == '-' && a[1] != '-') {
      out.push_back("-" + a);
    } else {
      out.push_back(a);
    }
  }
  return out;
}

namespace {

void AddCommon(CLI::App* cmd, Flags& f, bool needs_file) {
  if (needs_file) {
    cmd->add_option("-f,--file", f.file, "topology file (default: crosslink.yaml)");
  }
  cmd->add_option("--state", f.state_path,
                  "state file (default: $CROSSLINK_STATE, else <topology>.state.json beside the "
                  "topology file)");
  cmd->add_flag("--no-color", f.no_color, "no ANSI colours (also when NO_COLOR is set)");
  cmd->add_option("--log-level", f.log_level, "operator log level: trace, debug, info, warn, error, off");
  cmd->add_option("--log-file", f.log_file, "write operator logs to this file instead of stderr");
}

void AddRunFlags(CLI::App* cmd, Flags& f) {
  cmd->add_option("--target", f.targets, "limit the run to this address (and what it needs); repeatable")
      ->allow_extra_args(false);
  cmd->add_option("--parallelism", f.parallelism, "maximum concurrent operations (default 10)")
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--refresh", f.refresh, "read live state before planning (-refresh=false to skip)");
}

}  // namespace

int RunCli(const std::vector<std::string>& raw_args, CliEnv& env) {
  if (!env.getenv) env.getenv = [](const char* n) -> const char* { return std::getenv(n); };
  Flags f;
  CLI::App app{"crosslink connects Elasticsearch clusters as remote clusters across ECK, Elastic "
               "Cloud Hosted, ECE and self-managed, from one topology file.",
               "crosslink"};
  app.require_subcommand(1);
  app.fallthrough();

  auto* validate = app.add_subcommand("validate", "check the topology file and print a summary");
  AddCommon(validate, f, true);
  validate->add_flag("--json", f.json, "machine-readable output");

  auto* graph = app.add_subcommand("graph", "print the resource graph of the topology as DOT");
  AddCommon(graph, f, true);

  auto* plan = app.add_subcommand("plan", "show what apply would change");
  AddCommon(plan, f, true);
  AddRunFlags(plan, f);
  plan->add_option("--replace", f.replace, "plan to replace this resource; repeatable")
      ->allow_extra_args(false);
  plan->add_option("--out", f.out, "save the plan to this file for `crosslink apply FILE`");
  plan->add_flag("--json", f.json, "machine-readable output");
  plan->add_flag("--detailed-exitcode", f.detailed_exitcode, "exit 0 = no changes, 1 = error, 2 = changes");
  plan->add_flag("--destroy", f.destroy, "plan to destroy everything crosslink created");

  auto* apply = app.add_subcommand("apply", "converge the live clusters to the topology");
  AddCommon(apply, f, true);
  AddRunFlags(apply, f);
  apply->add_option("--replace", f.replace, "replace this resource; repeatable")
      ->allow_extra_args(false);
  apply->add_flag("--auto-approve", f.auto_approve, "do not ask for confirmation");
  apply->add_flag("--json", f.json, "machine-readable summary");
  apply->add_option("planfile", f.plan_file, "a plan saved with `crosslink plan -out FILE`");

  auto* destroy = app.add_subcommand("destroy", "remove everything crosslink created for the topology");
  AddCommon(destroy, f, true);
  AddRunFlags(destroy, f);
  destroy->add_flag("--auto-approve", f.auto_approve, "do not ask for confirmation");
  destroy->add_flag("--json", f.json, "machine-readable summary");

  auto* show = app.add_subcommand("show", "show the state, or a saved plan");
  AddCommon(show, f, true);
  show->add_flag("--json", f.json, "machine-readable output");
  show->add_option("planfile", f.plan_file, "a plan saved with `crosslink plan -out FILE`");

  auto* state = app.add_subcommand("state", "inspect or edit the state");
  state->require_subcommand(1);
  auto* state_list = state->add_subcommand("list", "list the addresses in the state");
  AddCommon(state_list, f, true);
  auto* state_show = state->add_subcommand("show", "show one resource of the state");
  AddCommon(state_show, f, true);
  state_show->add_flag("--json", f.json, "machine-readable output");
  state_show->add_option("address", f.addresses, "resource address")->required()->expected(1);
  auto* state_rm = state->add_subcommand("rm", "forget resources without destroying them");
  AddCommon(state_rm, f, true);
  state_rm->add_option("address", f.addresses, "resource addresses")->required();

  auto* unlock = app.add_subcommand("force-unlock", "remove a lock left behind by a run that died");
  AddCommon(unlock, f, true);
  unlock->add_option("id", f.lock_id, "the lock ID shown in the lock error")->required();

  auto* schema = app.add_subcommand("schema", "print the topology file's JSON Schema (for editors)");

  auto* version = app.add_subcommand("version", "print the version");
  version->add_flag("--json", f.json, "machine-readable output");

  std::vector<std::string> args = NormalizeArgs(raw_args);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 wants them reversed
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, *env.out, *env.err);
    if (code == 0) return 0;
    *env.err << "Run `crosslink --help` or `crosslink <command> --help` for usage.\n";
    return 1;
  }

  const char* no_color_env = env.getenv("NO_COLOR");
  if (no_color_env && *no_color_env) f.no_color = true;

  if (f.log_level.empty()) {
    const char* level = env.getenv("CROSSLINK_LOG");
    if (level && *level) f.log_level = level;
  }
  Status log = ConfigureLogging(f.log_level, f.log_file);
  if (!log.ok()) {
    *env.err << "Error: " << log.message() << "\n";
    return 1;
  }

  Session s(env, f);
  if (validate->parsed()) return CmdValidate(s);
  if (graph->parsed()) return CmdGraph(s);
  if (plan->parsed()) return CmdPlan(s);
  if (apply->parsed()) return CmdApply(s, /*destroy=*/false);
  if (destroy->parsed()) return CmdApply(s, /*destroy=*/true);
  if (show->parsed()) return CmdShow(s);
  if (state_list->parsed()) return CmdStateList(s);
  if (state_show->parsed()) return CmdStateShow(s);
  if (state_rm->parsed()) return CmdStateRm(s);
  if (unlock->parsed()) return CmdForceUnlock(s);
  if (schema->parsed()) return CmdSchema(s);
  if (version->parsed()) return CmdVersion(s);
  *env.err << "Error: no command given\n";
  return 1;
}

}  // namespace crosslink::cli
