// validate, graph, plan, apply and destroy.
#include <istream>
#include <ostream>

#include "engine/apply/apply.h"
#include "engine/cli/commands.h"
#include "engine/core/value.h"
#include "engine/plan/plan_file.h"
#include "engine/plan/planner.h"
#include "engine/plan/render.h"
#include "engine/core/version.h"

namespace crosslink::cli {
namespace {

// The backend fills in the lock ID, who, when, version, pid and path.
state::LockInfo MakeLockInfo(const std::string& operation) {
  state::LockInfo info;
  info.operation = operation;
  return info;
}

Status ConfigureProviders(Session& s, const topology::Topology& t) {
  providers::ConfigureRequest req;
  req.topology = &t;
  req.clock = s.env().clock;
  req.fs = s.env().fs;
  req.getenv = s.env().getenv;
  for (const auto& name : s.env().providers->names()) {
    providers::Provider* p = s.env().providers->Find(name);
    Status st = p->Configure(req);
    if (!st.ok()) return st.WithContext("provider " + name);
  }
  return Status::Ok();
}

// Everything a plan/apply/destroy run holds for its duration.
struct Run {
  std::optional<topology::Topology> topology;
  std::optional<graph::ResourceGraph> graph;
  std::unique_ptr<state::Backend> backend;
  std::unique_ptr<state::StateLock> lock;
  state::State state;
};

// Loads the topology, takes the lock and loads the state. On failure prints
// the error and returns false.
bool Begin(Session& s, const std::string& operation, bool expand, Run* run) {
  run->topology = s.LoadTopology();
  if (!run->topology) return false;
  if (expand) {
    run->graph = s.Expand(*run->topology);
    if (!run->graph) return false;
  }
  Status st = ConfigureProviders(s, *run->topology);
  if (!st.ok()) {
    s.Fail(st);
    return false;
  }
  auto backend = s.OpenBackend();
  if (!backend.ok()) {
    s.Fail(backend.status());
    return false;
  }
  run->backend = std::move(backend).value();
  auto lock = run->backend->Lock(MakeLockInfo(operation));
  if (!lock.ok()) {
    s.Fail(lock.status());
    return false;
  }
  run->lock = std::move(lock).value();
  auto loaded = run->backend->Load();
  if (!loaded.ok()) {
    s.Fail(loaded.status().WithContext("cannot read the state " + s.StatePath()));
    return false;
  }
  run->state = std::move(loaded).value();
  return true;
}

Result<plan::Plan> MakeRunPlan(Session& s, Run& run, bool destroy) {
  const Flags& f = s.flags();
  plan::PlanOptions opts;
  opts.destroy = destroy;
  opts.refresh = f.refresh;
  opts.targets = f.targets;
  opts.replace = f.replace;
  opts.parallelism = f.parallelism;
  RefreshProgress progress(s.ui());
  std::vector<graph::ResourceSpec> desired;
  if (!destroy) desired = run.graph->resources();
  auto p = plan::MakePlan(desired, run.state, *s.env().providers, opts, f.json ? nullptr : &progress);
  if (!p.ok()) return p.status();
  p->tool_version = kVersion;
  p->topology_file = f.file;
  p->topology_digest = run.topology->digest;
  p->state_lineage = run.state.lineage;
  p->state_serial = run.state.serial;
  return p;
}

void PrintPlan(Session& s, const plan::Plan& p) {
  if (!p.diagnostics.empty()) s.ui().Err(p.diagnostics.ToString());
  if (s.flags().json) {
    s.ui().Out(DumpJsonPretty(plan::PlanToJson(p)) + "\n");
    return;
  }
  plan::RenderOptions ro;
  ro.color = s.ui().color();
  s.ui().Out(plan::RenderPlanText(p, ro));
}

bool Confirm(Session& s, bool destroy) {
  if (s.flags().auto_approve) return true;
  Ui& ui = s.ui();
  ui.Out(ui.Bold(destroy ? "Do you really want to destroy everything crosslink created?"
                         : "Do you want to perform these actions?") +
         "\n  crosslink will perform the actions described above.\n"
         "  Only 'yes' will be accepted to approve.\n\n  Enter a value: ");
  std::string answer;
  if (!std::getline(*s.env().in, answer)) {
    ui.Out("\n");
    ui.Error("no answer was given (standard input is closed); pass -auto-approve to run without "
             "asking. Nothing was changed.");
    return false;
  }
  if (answer != "yes") {
    ui.Out("\n");
    ui.Error(std::string(destroy ? "Destroy" : "Apply") + " cancelled. Nothing was changed.");
    return false;
  }
  ui.Out("\n");
  return true;
}

Value SummaryJson(const apply::ApplySummary& sum) {
  Value failures = Value::array();
  for (const auto& f : sum.failures) failures.push_back({{"address", f.address}, {"message", f.message}});
  return Value{{"ok", sum.ok()},           {"created", sum.created}, {"updated", sum.updated},
               {"replaced", sum.replaced}, {"deleted", sum.deleted}, {"read", sum.read}, {"adopted", sum.adopted},
               {"checked", sum.checked},   {"failed", sum.failed},   {"skipped", sum.skipped},
               {"failures", failures}};
}

}  // namespace

int CmdValidate(Session& s) {
  auto t = s.LoadTopology(/*offline=*/true);
  if (!t) return 1;
  auto g = s.Expand(*t);
  if (!g) return 1;
  if (s.flags().json) {
    Value v{{"valid", true},
            {"environments", t->environments.size()},
            {"clusters", t->clusters.size()},
            {"connections", t->connections.size()},
            {"resources", g->resources().size()}};
    s.ui().Out(DumpJsonPretty(v) + "\n");
    return 0;
  }
  s.ui().Out(s.ui().Green(s.ui().Bold("Success!")) + " " + s.flags().file + " is valid: " +
             std::to_string(t->environments.size()) + " environments, " +
             std::to_string(t->clusters.size()) + " clusters, " +
             std::to_string(t->connections.size()) + " connections -> " +
             std::to_string(g->resources().size()) + " resources.\n");
  return 0;
}

int CmdGraph(Session& s) {
  auto t = s.LoadTopology(/*offline=*/true);
  if (!t) return 1;
  auto g = s.Expand(*t);
  if (!g) return 1;
  s.ui().Out(g->ToDot());
  return 0;
}

int CmdPlan(Session& s) {
  Run run;
  if (!Begin(s, "plan", /*expand=*/!s.flags().destroy, &run)) return 1;
  auto p = MakeRunPlan(s, run, s.flags().destroy);
  if (!p.ok()) {
    s.Fail(p.status());
    return 1;
  }
  PrintPlan(s, *p);
  if (p->diagnostics.has_errors()) return 1;
  if (!s.flags().out.empty()) {
    Status st = plan::WritePlanFile(*s.env().fs, s.flags().out, *p);
    if (!st.ok()) {
      s.Fail(st);
      return 1;
    }
    if (!s.flags().json) {
      s.ui().Out("\nSaved the plan to " + s.flags().out + ". To perform exactly these actions, run:\n" +
                 "  crosslink apply " + s.flags().out + "\n");
    }
  }
  if (s.flags().detailed_exitcode && p->HasChanges()) return 2;
  return 0;
}

int CmdApply(Session& s, bool destroy) {
  const Flags& f = s.flags();
  if (!f.plan_file.empty() && (!f.targets.empty() || !f.replace.empty() || !f.refresh)) {
    s.ui().Error("-target, -replace and -refresh apply when making a plan; a saved plan is applied "
                 "exactly as it was made. Make a new plan with those options instead.");
    return 1;
  }
  if (f.json && f.plan_file.empty() && !f.auto_approve) {
    s.ui().Error("-json needs -auto-approve (or a saved plan): there is no way to answer the "
                 "confirmation prompt in machine-readable mode.");
    return 1;
  }
  std::optional<plan::Plan> saved;
  if (!f.plan_file.empty()) {
    auto read = plan::ReadPlanFile(*s.env().fs, f.plan_file);
    if (!read.ok()) {
      s.Fail(read.status().WithContext("cannot use the saved plan " + f.plan_file));
      return 1;
    }
    saved = std::move(read).value();
    s.DefaultTopologyFile(saved->topology_file);
  }
  Run run;
  if (!Begin(s, destroy ? "destroy" : "apply", /*expand=*/!destroy && !saved, &run)) return 1;

  plan::Plan p;
  if (saved) {
    Status fresh = plan::CheckPlanFresh(*saved, run.state.lineage, run.state.serial, run.topology->digest);
    if (!fresh.ok()) {
      s.Fail(fresh);
      return 1;
    }
    p = std::move(*saved);
    destroy = p.destroy;
  } else {
    auto made = MakeRunPlan(s, run, destroy);
    if (!made.ok()) {
      s.Fail(made.status());
      return 1;
    }
    p = std::move(made).value();
    if (!f.json) PrintPlan(s, p);
    if (p.diagnostics.has_errors()) return 1;
    if (!p.HasChanges()) {
      if (f.json) s.ui().Out(DumpJsonPretty(SummaryJson(apply::ApplySummary{})) + "\n");
      return 0;
    }
    if (!Confirm(s, destroy)) return 1;
  }

  apply::ApplyOptions opts;
  opts.parallelism = f.parallelism;
  ApplyProgress progress(s.ui(), *s.env().clock);
  apply::ApplySummary sum = apply::Apply(p, run.state, *run.backend, *s.env().providers,
                                         *s.env().clock, opts, f.json ? nullptr : &progress);
  if (f.json) {
    s.ui().Out(DumpJsonPretty(SummaryJson(sum)) + "\n");
  } else {
    s.ui().Out("\n" + RenderApplySummary(sum, destroy, s.ui()));
  }
  return sum.ok() ? 0 : 1;
}

}  // namespace crosslink::cli
