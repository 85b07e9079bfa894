#include "engine/plan/plan_file.h"

#include <utility>

#include "engine/core/version.h"
#include "engine/graph/resource.h"

namespace crosslink::plan {

namespace {

using graph::ResourceMode;
using graph::ResourceSpec;

// Thrown (and caught in this file only) when a field is malformed.
struct FormatError {
  std::string message;
};

std::string Short(const std::string& digest) {
  if (digest.empty()) return "none";
  return digest.size() > 12 ? digest.substr(0, 12) : digest;
}

// ---- writing ----

Value LocationToJson(const SourceLocation& loc) {
  return {{"file", loc.file}, {"line", loc.line}, {"column", loc.column}};
}

Value SpecToJson(const ResourceSpec& s) {
  Value j = Value::object();
  j["address"] = s.address;
  j["type"] = s.type;
  j["provider"] = s.provider;
  j["cluster"] = s.cluster;
  j["environment"] = s.environment;
  j["mode"] = graph::ResourceModeName(s.mode);
  j["step"] = s.step;
  j["attributes"] = s.attributes;
  Value secrets = Value::object();
  for (const auto& [name, ref] : s.secret_inputs) {
    secrets[name] = {{"address", ref.address}, {"output", ref.output}};
  }
  j["secret_inputs"] = std::move(secrets);
  j["depends_on"] = s.depends_on;
  j["needed_by"] = s.needed_by;
  j["origin"] = LocationToJson(s.origin);
  j["restarts_cluster"] = s.restarts_cluster;
  return j;
}

Value AttributeChangesToJson(const std::vector<AttributeChange>& changes) {
  Value out = Value::array();
  for (const AttributeChange& c : changes) {
    out.push_back({{"path", c.path},
                   {"before", c.before},
                   {"after", c.after},
                   {"unknown_after", c.unknown_after},
                   {"forces_replace", c.forces_replace}});
  }
  return out;
}

Value ChangeToJson(const ResourceChange& c) {
  Value j = Value::object();
  j["address"] = c.address;
  j["type"] = c.type;
  j["provider"] = c.provider;
  j["cluster"] = c.cluster;
  j["mode"] = graph::ResourceModeName(c.mode);
  j["action"] = providers::ChangeActionName(c.action);
  j["desired"] = c.desired ? SpecToJson(*c.desired) : Value();
  j["before"] = c.before;
  j["before_outputs"] = c.before_outputs;
  j["after"] = c.after;
  j["attribute_changes"] = AttributeChangesToJson(c.attribute_changes);
  j["requires_replace"] = c.requires_replace;
  j["wait_for"] = c.wait_for;
  j["restarts_cluster"] = c.restarts_cluster;
  j["reason"] = c.reason;
  j["orphan"] = c.orphan;
  j["refresh_dependencies"] = c.refresh_dependencies;
  return j;
}

// ---- reading (nlohmann exceptions are caught in PlanFromFileJson) ----

const Value& Field(const Value& obj, const char* key) {
  if (!obj.is_object()) throw FormatError{"expected an object"};
  auto it = obj.find(key);
  if (it == obj.end()) throw FormatError{std::string("missing field \"") + key + "\""};
  return *it;
}

std::string Str(const Value& obj, const char* key) {
  const Value& v = Field(obj, key);
  if (!v.is_string()) throw FormatError{std::string("field \"") + key + "\" must be a string"};
  return v.get<std::string>();
}

bool Bool(const Value& obj, const char* key) {
  const Value& v = Field(obj, key);
  if (!v.is_boolean()) throw FormatError{std::string("field \"") + key + "\" must be a boolean"};
  return v.get<bool>();
}

std::vector<std::string> Strings(const Value& obj, const char* key) {
  const Value& v = Field(obj, key);
  if (!v.is_array()) throw FormatError{std::string("field \"") + key + "\" must be an array"};
  std::vector<std::string> out;
  for (const auto& item : v) {
    if (!item.is_string()) {
      throw FormatError{std::string("field \"") + key + "\" must hold strings"};
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

ResourceMode ModeFromName(const std::string& name) {
  for (ResourceMode m : {ResourceMode::kManaged, ResourceMode::kData, ResourceMode::kCheck}) {
    if (name == graph::ResourceModeName(m)) return m;
  }
  throw FormatError{"unknown resource mode \"" + name + "\""};
}

ChangeAction ActionFromName(const std::string& name) {
  for (ChangeAction a : {ChangeAction::kNoOp, ChangeAction::kCreate, ChangeAction::kUpdate,
                         ChangeAction::kReplace, ChangeAction::kDelete, ChangeAction::kRead}) {
    if (name == providers::ChangeActionName(a)) return a;
  }
  throw FormatError{"unknown action \"" + name + "\""};
}

SourceLocation LocationFromJson(const Value& j) {
  SourceLocation loc;
  loc.file = Str(j, "file");
  loc.line = Field(j, "line").get<int>();
  loc.column = Field(j, "column").get<int>();
  return loc;
}

ResourceSpec SpecFromJson(const Value& j) {
  ResourceSpec s;
  s.address = Str(j, "address");
  s.type = Str(j, "type");
  s.provider = Str(j, "provider");
  s.cluster = Str(j, "cluster");
  s.environment = Str(j, "environment");
  s.mode = ModeFromName(Str(j, "mode"));
  s.step = Str(j, "step");
  s.attributes = Field(j, "attributes");
  const Value& secrets = Field(j, "secret_inputs");
  if (!secrets.is_object()) throw FormatError{"field \"secret_inputs\" must be an object"};
  for (auto it = secrets.begin(); it != secrets.end(); ++it) {
    s.secret_inputs[it.key()] =
        graph::Reference{Str(it.value(), "address"), Str(it.value(), "output")};
  }
  s.depends_on = Strings(j, "depends_on");
  s.needed_by = Strings(j, "needed_by");
  s.origin = LocationFromJson(Field(j, "origin"));
  s.restarts_cluster = Bool(j, "restarts_cluster");
  return s;
}

std::vector<AttributeChange> AttributeChangesFromJson(const Value& arr) {
  if (!arr.is_array()) throw FormatError{"field \"attribute_changes\" must be an array"};
  std::vector<AttributeChange> out;
  for (const auto& j : arr) {
    AttributeChange c;
    c.path = Str(j, "path");
    c.before = Field(j, "before");
    c.after = Field(j, "after");
    c.unknown_after = Bool(j, "unknown_after");
    c.forces_replace = Bool(j, "forces_replace");
    out.push_back(std::move(c));
  }
  return out;
}

ResourceChange ChangeFromJson(const Value& j) {
  ResourceChange c;
  c.address = Str(j, "address");
  try {
    c.type = Str(j, "type");
    c.provider = Str(j, "provider");
    c.cluster = Str(j, "cluster");
    c.mode = ModeFromName(Str(j, "mode"));
    c.action = ActionFromName(Str(j, "action"));
    const Value& desired = Field(j, "desired");
    if (!desired.is_null()) c.desired = SpecFromJson(desired);
    c.before = Field(j, "before");
    c.before_outputs = Field(j, "before_outputs");
    c.after = Field(j, "after");
    c.attribute_changes = AttributeChangesFromJson(Field(j, "attribute_changes"));
    c.requires_replace = Strings(j, "requires_replace");
    c.wait_for = Strings(j, "wait_for");
    c.restarts_cluster = Bool(j, "restarts_cluster");
    c.reason = Str(j, "reason");
    c.orphan = Bool(j, "orphan");
    // Optional: plans saved before this field existed never refresh.
    if (j.contains("refresh_dependencies")) c.refresh_dependencies = Bool(j, "refresh_dependencies");
  } catch (const FormatError& e) {
    throw FormatError{"change " + c.address + ": " + e.message};
  }
  return c;
}

RestartGroup RestartGroupFromJson(const Value& j, size_t index) {
  RestartGroup g;
  try {
    g.provider = Str(j, "provider");
    g.cluster = Str(j, "cluster");
    g.members = Strings(j, "members");
  } catch (const FormatError& e) {
    const std::string of =
        g.cluster.empty() ? "" : " (restart group of cluster \"" + g.cluster + "\")";
    throw FormatError{"restart_groups[" + std::to_string(index) + "]" + of + ": " + e.message};
  }
  return g;
}

Diagnostics DiagnosticsFromJson(const Value& arr) {
  if (!arr.is_array()) throw FormatError{"field \"diagnostics\" must be an array"};
  Diagnostics out;
  for (const auto& j : arr) {
    Diagnostic d;
    const std::string severity = Str(j, "severity");
    if (severity != "error" && severity != "warning") {
      throw FormatError{"unknown diagnostic severity \"" + severity + "\""};
    }
    d.severity = severity == "error" ? Severity::kError : Severity::kWarning;
    d.location = LocationFromJson(Field(j, "location"));
    d.path = Str(j, "path");
    d.summary = Str(j, "summary");
    d.hint = Str(j, "hint");
    out.Add(std::move(d));
  }
  return out;
}

Plan PlanFromJsonOrThrow(const Value& doc) {
  Plan plan;
  if (!doc.is_object() || !doc.contains("kind") || doc["kind"] != kPlanFileKind) {
    throw FormatError{"not a crosslink plan file"};
  }
  plan.format_version = Field(doc, "format_version").get<int>();
  plan.tool_version = Str(doc, "tool_version");
  plan.destroy = Bool(doc, "destroy");
  plan.refreshed = Bool(doc, "refreshed");
  const Value& state = Field(doc, "state");
  plan.state_lineage = Str(state, "lineage");
  plan.state_serial = Field(state, "serial").get<uint64_t>();
  const Value& topology = Field(doc, "topology");
  plan.topology_file = Str(topology, "file");
  plan.topology_digest = Str(topology, "digest");
  plan.targets = Strings(doc, "targets");
  plan.replace = Strings(doc, "replace");
  const Value& changes = Field(doc, "changes");
  if (!changes.is_array()) throw FormatError{"field \"changes\" must be an array"};
  plan.changes.reserve(changes.size());
  for (const auto& c : changes) plan.changes.push_back(ChangeFromJson(c));
  const Value& drift = Field(doc, "drift");
  if (!drift.is_array()) throw FormatError{"field \"drift\" must be an array"};
  for (const auto& j : drift) {
    Drift d;
    d.address = Str(j, "address");
    const std::string kind = Str(j, "kind");
    if (kind != "changed" && kind != "deleted") {
      throw FormatError{"unknown drift kind \"" + kind + "\""};
    }
    d.kind = kind == "deleted" ? Drift::Kind::kDeleted : Drift::Kind::kChanged;
    d.attribute_changes = AttributeChangesFromJson(Field(j, "attribute_changes"));
    plan.drift.push_back(std::move(d));
  }
  plan.restarts = Strings(doc, "restarts");
  const Value& groups = Field(doc, "restart_groups");
  if (!groups.is_array()) throw FormatError{"field \"restart_groups\" must be an array"};
  for (size_t i = 0; i < groups.size(); ++i) {
    plan.restart_groups.push_back(RestartGroupFromJson(groups[i], i));
  }
  plan.diagnostics = DiagnosticsFromJson(Field(doc, "diagnostics"));
  return plan;
}

}  // namespace

Value PlanHeaderJson(const Plan& plan) {
  Value j = Value::object();
  j["format_version"] = plan.format_version;
  j["tool_version"] = plan.tool_version;
  j["destroy"] = plan.destroy;
  j["refreshed"] = plan.refreshed;
  j["state"] = {{"lineage", plan.state_lineage}, {"serial", plan.state_serial}};
  j["topology"] = {{"file", plan.topology_file}, {"digest", plan.topology_digest}};
  j["targets"] = plan.targets;
  j["replace"] = plan.replace;
  return j;
}

Value RestartGroupsToJson(const std::vector<RestartGroup>& groups) {
  Value out = Value::array();
  for (const RestartGroup& g : groups) {
    out.push_back({{"provider", g.provider}, {"cluster", g.cluster}, {"members", g.members}});
  }
  return out;
}

Value PlanToFileJson(const Plan& plan) {
  Value j = PlanHeaderJson(plan);
  j["kind"] = kPlanFileKind;
  Value changes = Value::array();
  for (const ResourceChange& c : plan.changes) changes.push_back(ChangeToJson(c));
  j["changes"] = std::move(changes);
  Value drift = Value::array();
  for (const Drift& d : plan.drift) {
    drift.push_back({{"address", d.address},
                     {"kind", d.kind == Drift::Kind::kDeleted ? "deleted" : "changed"},
                     {"attribute_changes", AttributeChangesToJson(d.attribute_changes)}});
  }
  j["drift"] = std::move(drift);
  j["restarts"] = plan.restarts;
  j["restart_groups"] = RestartGroupsToJson(plan.restart_groups);
  Value diags = Value::array();
  for (const Diagnostic& d : plan.diagnostics.items()) {
    diags.push_back({{"severity", d.severity == Severity::kError ? "error" : "warning"},
                     {"location", LocationToJson(d.location)},
                     {"path", d.path},
                     {"summary", d.summary},
                     {"hint", d.hint}});
  }
  j["diagnostics"] = std::move(diags);
  return j;
}

Result<Plan> PlanFromFileJson(const Value& doc) {
  try {
    return PlanFromJsonOrThrow(doc);
  } catch (const FormatError& e) {
    return Status::InvalidArgument(e.message);
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("malformed field: ") + e.what());
  }
}

Status WritePlanFile(FileSystem& fs, const std::string& path, const Plan& plan) {
  Value doc = PlanToFileJson(plan);
  if (plan.tool_version.empty()) doc["tool_version"] = kVersion;
  return fs.WriteFileAtomic(path, DumpJsonPretty(doc) + "\n", 0600)
      .WithContext("writing saved plan " + path);
}

Result<Plan> ReadPlanFile(FileSystem& fs, const std::string& path) {
  Result<std::string> text = fs.ReadFile(path);
  if (!text.ok()) return text.status().WithContext("reading saved plan " + path);
  Result<Value> doc = ParseJson(*text);
  if (!doc.ok()) {
    return Status::InvalidArgument(path +
                                   " is not a crosslink plan file: " + doc.status().message());
  }
  // Version checks first: a future format may not parse as this one.
  if (doc->is_object() && doc->contains("kind") && (*doc)["kind"] == kPlanFileKind) {
    auto found = doc->find("format_version");
    const Value version = found == doc->end() ? Value() : *found;
    if (!version.is_number_integer() || version.get<int>() != kPlanFormatVersion) {
      return Status::FailedPrecondition(
          "saved plan " + path + " has format_version " + DumpJson(version) +
          "; this crosslink reads format_version " + std::to_string(kPlanFormatVersion) +
          ": run crosslink plan again");
    }
  }
  Result<Plan> plan = PlanFromFileJson(*doc);
  if (!plan.ok()) {
    return Status::InvalidArgument(
        path + " is not a valid crosslink plan file: " + plan.status().message());
  }
  if (plan->tool_version != kVersion) {
    return Status::FailedPrecondition("saved plan " + path + " was made by crosslink " +
                                      plan->tool_version + "; this is crosslink " + kVersion +
                                      ": run crosslink plan again");
  }
  return plan;
}

Status CheckPlanFresh(const Plan& plan, const std::string& lineage, uint64_t serial,
                      const std::string& topology_digest) {
  const std::string again = "; run crosslink plan again";
  if (plan.state_lineage != lineage) {
    if (plan.state_lineage.empty()) {
      return Status::FailedPrecondition(
          "saved plan is stale: it was made before any state existed, and a state (lineage " +
          lineage + ") was created since" + again);
    }
    return Status::FailedPrecondition(
        "saved plan is stale: it was made for another state (lineage " + plan.state_lineage +
        ", current state lineage " + (lineage.empty() ? std::string("none") : lineage) + ")" +
        again);
  }
  if (plan.state_serial != serial) {
    return Status::FailedPrecondition(
        "saved plan is stale: the state changed since it was made (serial " +
        std::to_string(serial) + ", plan made at serial " + std::to_string(plan.state_serial) +
        ")" + again);
  }
  if (plan.topology_digest != topology_digest) {
    return Status::FailedPrecondition(
        "saved plan is stale: the topology file changed since it was made (digest " +
        Short(topology_digest) + ", plan made with " + Short(plan.topology_digest) + ")" + again);
  }
  return Status::Ok();
}

}  // namespace crosslink::plan
