// show, state list|show|rm, force-unlock, schema, version.

#include <algorithm>

#include "engine/cli/commands.h"
#include "engine/core/value.h"
#include "engine/plan/plan_file.h"
#include "engine/plan/render.h"
#include "engine/topology/schema.h"
#include "engine/core/version.h"

namespace crosslink::cli {
namespace {

// The state as the user may see it: sensitive outputs listed by name only.
Value ResourceJson(const state::ResourceState& r) {
  Value sensitive = Value::array();
  for (const auto& [name, secret] : r.sensitive_outputs) sensitive.push_back(name);
  return Value{{"address", r.address},
               {"type", r.type},
               {"provider", r.provider},
               {"cluster", r.cluster},
               {"mode", graph::ResourceModeName(r.mode)},
               {"attributes", r.attributes},
               {"outputs", r.outputs},
               {"sensitive_outputs", sensitive},
               {"dependencies", r.dependencies},
               {"created_at", r.created_at},
               {"updated_at", r.updated_at}};
}

std::string ResourceText(const state::ResourceState& r) {
  std::string out = "# " + r.address + " (" + graph::ResourceModeName(r.mode) + ", provider " +
                    r.provider + (r.cluster.empty() ? "" : ", cluster " + r.cluster) + ")\n";
  auto dump = [&out](const char* title, const Value& v) {
    if (!v.is_object() || v.empty()) return;
    out += std::string("  ") + title + ":\n";
    for (auto it = v.begin(); it != v.end(); ++it) out += "    " + it.key() + " = " + DumpJson(it.value()) + "\n";
  };
  dump("attributes", r.attributes);
  dump("outputs", r.outputs);
  for (const auto& [name, secret] : r.sensitive_outputs) {
    out += "    " + name + " = " + std::string(Secret::Placeholder()) + "\n";
  }
  if (!r.dependencies.empty()) {
    out += "  depends on:\n";
    for (const auto& d : r.dependencies) out += "    " + d + "\n";
  }
  return out;
}

// Reads the state without locking (read-only commands).
Result<state::State> ReadState(Session& s) {
  auto backend = s.OpenBackend();
  if (!backend.ok()) return backend.status();
  return (*backend)->Load();
}

}  // namespace

int CmdShow(Session& s) {
  if (!s.flags().plan_file.empty()) {
    auto p = plan::ReadPlanFile(*s.env().fs, s.flags().plan_file);
    if (!p.ok()) {
      s.Fail(p.status());
      return 1;
    }
    if (s.flags().json) {
      s.ui().Out(DumpJsonPretty(plan::PlanToJson(*p)) + "\n");
    } else {
      plan::RenderOptions ro;
      ro.color = s.ui().color();
      s.ui().Out(plan::RenderPlanText(*p, ro));
    }
    return 0;
  }
  auto st = ReadState(s);
  if (!st.ok()) {
    s.Fail(st.status());
    return 1;
  }
  if (s.flags().json) {
    Value resources = Value::array();
    for (const auto& [addr, r] : st->resources) resources.push_back(ResourceJson(r));
    s.ui().Out(DumpJsonPretty(Value{{"format_version", st->format_version},
                                    {"lineage", st->lineage},
                                    {"serial", st->serial},
                                    {"resources", resources}}) +
               "\n");
    return 0;
  }
  if (st->resources.empty()) {
    s.ui().Out("The state is empty: crosslink has created nothing for " + s.StatePath() + ".\n");
    return 0;
  }
  for (const auto& [addr, r] : st->resources) s.ui().Out(ResourceText(r) + "\n");
  return 0;
}

int CmdStateList(Session& s) {
  auto st = ReadState(s);
  if (!st.ok()) {
    s.Fail(st.status());
    return 1;
  }
  for (const auto& [addr, r] : st->resources) s.ui().Out(addr + "\n");
  return 0;
}

int CmdStateShow(Session& s) {
  auto st = ReadState(s);
  if (!st.ok()) {
    s.Fail(st.status());
    return 1;
  }
  const std::string& addr = s.flags().addresses.front();
  const state::ResourceState* r = st->Find(addr);
  if (!r) {
    s.ui().Error("no resource " + addr + " in the state " + s.StatePath() +
                 "; `crosslink state list` shows the addresses it holds.");
    return 1;
  }
  s.ui().Out(s.flags().json ? DumpJsonPretty(ResourceJson(*r)) + "\n" : ResourceText(*r));
  return 0;
}

int CmdStateRm(Session& s) {
  auto backend = s.OpenBackend();
  if (!backend.ok()) {
    s.Fail(backend.status());
    return 1;
  }
  state::LockInfo info;
  info.operation = "state rm";  // the backend fills in the rest
  auto lock = (*backend)->Lock(info);
  if (!lock.ok()) {
    s.Fail(lock.status());
    return 1;
  }
  auto st = (*backend)->Load();
  if (!st.ok()) {
    s.Fail(st.status());
    return 1;
  }
  for (const auto& addr : s.flags().addresses) {
    if (!st->Find(addr)) {
      s.ui().Error("no resource " + addr + " in the state; nothing was removed.");
      return 1;
    }
  }
  for (const auto& addr : s.flags().addresses) {
    st->resources.erase(addr);
    Status rec = (*backend)->RecordRemove(addr);
    if (!rec.ok()) {
      s.Fail(rec);
      return 1;
    }
  }
  Status persist = (*backend)->Persist(*st);
  if (!persist.ok()) {
    s.Fail(persist);
    return 1;
  }
  s.ui().Out("Removed " + std::to_string(s.flags().addresses.size()) +
             " resource(s) from the state. crosslink no longer manages them; the live objects were "
             "left as they are.\n");
  return 0;
}

int CmdForceUnlock(Session& s) {
  auto backend = s.OpenBackend();
  if (!backend.ok()) {
    s.Fail(backend.status());
    return 1;
  }
  Status st = (*backend)->ForceUnlock(s.flags().lock_id);
  if (!st.ok()) {
    s.Fail(st);
    return 1;
  }
  s.ui().Out("The lock " + s.flags().lock_id + " on " + s.StatePath() + " was removed.\n");
  return 0;
}

int CmdSchema(Session& s) {
  s.ui().Out(std::string(topology::kTopologySchemaJson));
  return 0;
}

int CmdVersion(Session& s) {
  if (s.flags().json) {
    s.ui().Out(DumpJsonPretty(Value{{"version", kVersion}, {"state_format_version", state::kStateFormatVersion},
                                    {"plan_format_version", plan::kPlanFormatVersion}}) +
               "\n");
  } else {
    s.ui().Out(std::string("crosslink v") + kVersion + "\n");
  }
  return 0;
}

}  // namespace crosslink::cli
