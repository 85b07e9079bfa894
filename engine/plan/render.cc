#include "engine/plan/render.h"

#include <algorithm>
#include <sstream>

#include "engine/graph/resource.h"
#include "engine/plan/attribute_diff.h"
#include "engine/plan/plan_file.h"
#include "engine/plan/restart_groups.h"

namespace crosslink::plan {

namespace {

using graph::ResourceMode;

constexpr const char kReset[] = "\x1b[0m";
constexpr const char kBold[] = "\x1b[1m";
constexpr const char kRed[] = "\x1b[31m";
constexpr const char kGreen[] = "\x1b[32m";
constexpr const char kYellow[] = "\x1b[33m";
constexpr const char kCyan[] = "\x1b[36m";

class Painter {
 public:
  explicit Painter(bool color) : color_(color) {}
  std::string Paint(const char* code, const std::string& text) const {
    if (!color_ || text.empty()) return text;
    return std::string(code) + text + kReset;
  }
  std::string Bold(const std::string& text) const { return Paint(kBold, text); }

  // The action symbol, right-aligned in three columns.
  std::string Symbol(ChangeAction a) const {
    switch (a) {
      case ChangeAction::kCreate:
        return "  " + Paint(kGreen, "+");
      case ChangeAction::kUpdate:
        return "  " + Paint(kYellow, "~");
      case ChangeAction::kDelete:
        return "  " + Paint(kRed, "-");
      case ChangeAction::kReplace:
        return Paint(kRed, "-") + "/" + Paint(kGreen, "+");
      case ChangeAction::kRead:
        return " " + Paint(kCyan, "<=");
      case ChangeAction::kNoOp:
        return "   ";
    }
    return "   ";
  }
  // One-character symbol of an attribute line.
  std::string AttrSymbol(char c) const {
    switch (c) {
      case '+':
        return Paint(kGreen, "+");
      case '-':
        return Paint(kRed, "-");
      default:
        return Paint(kYellow, std::string(1, c));
    }
  }

 private:
  bool color_;
};

std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

std::string Pad(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

// One attribute line (without indentation): "~ path = before -> after".
std::string AttributeLine(const AttributeChange& c, size_t width, const Painter& p) {
  const bool before_absent = c.before.is_null();
  const bool after_absent = c.after.is_null() && !c.unknown_after;
  const bool sensitive = IsSensitiveMarker(c.before) || IsSensitiveMarker(c.after);
  std::string line;
  if (before_absent && !after_absent) {
    line = p.AttrSymbol('+') + " " + Pad(c.path, width) + " = " + RenderValue(c.after);
  } else if (after_absent) {
    line =
        p.AttrSymbol('-') + " " + Pad(c.path, width) + " = " + RenderValue(c.before) + " -> null";
  } else if (sensitive && IsSensitiveMarker(c.before) && IsSensitiveMarker(c.after)) {
    line = p.AttrSymbol('~') + " " + Pad(c.path, width) + " = (sensitive)";
  } else {
    line = p.AttrSymbol('~') + " " + Pad(c.path, width) + " = " + RenderValue(c.before) + " -> " +
           RenderValue(c.after);
  }
  if (c.forces_replace) line += " " + p.Paint(kRed, "# forces replacement");
  return line;
}

void RenderAttributes(const std::vector<AttributeChange>& changes, const Painter& p,
                      std::ostringstream& out) {
  size_t width = 0;
  for (const AttributeChange& c : changes) width = std::max(width, c.path.size());
  for (const AttributeChange& c : changes) {
    out << "      " << AttributeLine(c, width, p) << "\n";
  }
}

// The "will be ..." part of a change's "# <address> ..." headline.
std::string Headline(const ResourceChange& c) {
  const bool check = c.mode == ResourceMode::kCheck;
  switch (c.action) {
    case ChangeAction::kCreate:
      return check ? "will be verified" : "will be created";
    case ChangeAction::kUpdate:
      return check ? "will be verified" : "will be updated in-place";
    case ChangeAction::kDelete:
      return c.mode == ResourceMode::kManaged ? "will be destroyed" : "will be removed from state";
    case ChangeAction::kReplace:
      if (!c.requires_replace.empty()) {
        return "will be replaced (forced by: " + Join(c.requires_replace, ", ") + ")";
      }
      return "will be replaced";
    case ChangeAction::kRead:
      return "will be read during apply";
    case ChangeAction::kNoOp:
      if (c.orphan) return "will be adopted into state";
      return c.refresh_dependencies ? "will have its dependencies updated in state" : "";
  }
  return "";
}

void RenderChange(const ResourceChange& c, const Painter& p, std::ostringstream& out) {
  out << "  " << p.Bold("# " + c.address + " " + Headline(c)) << "\n";
  if (!c.reason.empty()) out << "  " << p.Bold("# (" + c.reason + ")") << "\n";
  if (c.action == ChangeAction::kNoOp) {
    out << "\n";
    return;
  }
  const bool attributes = !c.attribute_changes.empty() && c.action != ChangeAction::kDelete;
  out << p.Symbol(c.action) << " " << c.address << (attributes ? " {" : "") << "\n";
  if (attributes) {
    RenderAttributes(c.attribute_changes, p, out);
    out << "    }\n";
  }
  out << "\n";
}

void RenderDrift(const Plan& plan, const Painter& p, std::ostringstream& out) {
  out << p.Bold("Objects changed outside crosslink") << "\n\n";
  out << "crosslink detected the following changes made outside crosslink since the\n"
         "last \"crosslink apply\":\n\n";
  for (const Drift& d : plan.drift) {
    if (d.kind == Drift::Kind::kDeleted) {
      out << "  " << p.Bold("# " + d.address + " has been deleted") << "\n";
      out << p.Symbol(ChangeAction::kDelete) << " " << d.address << "\n\n";
      continue;
    }
    out << "  " << p.Bold("# " + d.address + " has changed") << "\n";
    out << p.Symbol(ChangeAction::kUpdate) << " " << d.address << " {\n";
    RenderAttributes(d.attribute_changes, p, out);
    out << "    }\n\n";
  }
  out << "Unless the topology is changed to match, the actions below bring these\n"
         "objects back to what the topology declares.\n\n";
}

struct Summary {
  size_t add = 0, change = 0, destroy = 0, read = 0, adopt = 0;
};

Summary Summarize(const Plan& plan) {
  Summary s;
  for (const ResourceChange& c : plan.changes) {
    switch (c.action) {
      case ChangeAction::kCreate:
        ++s.add;
        break;
      case ChangeAction::kUpdate:
        ++s.change;
        break;
      case ChangeAction::kDelete:
        ++s.destroy;
        break;
      case ChangeAction::kReplace:
        ++s.add, ++s.destroy;
        break;
      case ChangeAction::kRead:
        ++s.read;
        break;
      case ChangeAction::kNoOp:
        if (c.orphan) ++s.adopt;
        break;
    }
  }
  return s;
}

void RenderLegend(const Plan& plan, const Painter& p, std::ostringstream& out) {
  bool used[6] = {false, false, false, false, false, false};
  for (const ResourceChange& c : plan.changes) used[static_cast<int>(c.action)] = true;
  out << "Resource actions are indicated with the following symbols:\n";
  const std::pair<ChangeAction, const char*> legend[] = {
      {ChangeAction::kCreate, "create"},
      {ChangeAction::kUpdate, "update in-place"},
      {ChangeAction::kDelete, "destroy"},
      {ChangeAction::kReplace, "destroy and then create replacement"},
      {ChangeAction::kRead, "read (data resources)"},
  };
  for (const auto& [action, text] : legend) {
    if (used[static_cast<int>(action)]) out << p.Symbol(action) << " " << text << "\n";
  }
  out << "\n";
}

Value AttributeChangesToJson(const std::vector<AttributeChange>& changes) {
  Value out = Value::array();
  for (const AttributeChange& c : changes) {
    const bool sensitive = IsSensitiveMarker(c.before) || IsSensitiveMarker(c.after);
    Value j = Value::object();
    j["path"] = c.path;
    j["before"] = sensitive ? Value() : c.before;
    j["after"] = sensitive ? Value() : c.after;
    j["unknown_after"] = c.unknown_after;
    j["forces_replace"] = c.forces_replace;
    j["sensitive"] = sensitive;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

std::string RenderValue(const Value& v) {
  if (IsSensitiveMarker(v)) return std::string(kSensitivePlaceholder);
  if (graph::IsRef(v, nullptr)) return "(known after apply)";
  if (v.is_array()) {
    std::string out = "[";
    bool first = true;
    for (const auto& item : v) {
      if (!first) out += ", ";
      first = false;
      out += RenderValue(item);
    }
    return out + "]";
  }
  if (v.is_object()) {
    if (v.empty()) return "{}";
    std::string out = "{ ";
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!first) out += ", ";
      first = false;
      out += it.key() + " = " + RenderValue(it.value());
    }
    return out + " }";
  }
  return DumpJson(v);
}

std::string RenderPlanText(const Plan& plan, const RenderOptions& options) {
  const Painter p(options.color);
  std::ostringstream out;
  if (!plan.drift.empty()) RenderDrift(plan, p, out);

  if (!plan.HasChanges()) {
    out << p.Bold("No changes.") << " The live clusters match the topology.\n";
    return out.str();
  }

  RenderLegend(plan, p, out);
  if (!plan.targets.empty()) {
    out << "Note: -target is in effect: only the targeted resources and what they need are\n"
           "planned; the result may not match the whole topology.\n\n";
  }
  out << "crosslink will perform the following actions:\n\n";
  for (const ResourceChange& c : plan.changes) {
    if (c.action == ChangeAction::kNoOp && !c.orphan && !c.refresh_dependencies) continue;
    RenderChange(c, p, out);
  }
  if (!plan.restarts.empty()) {
    std::vector<std::string> clusters;
    for (const ClusterRestarts& r : CountRestarts(plan)) clusters.push_back(DescribeRestarts(r));
    out << "These clusters will restart: " << Join(clusters, ", ") << "\n";
    if (!plan.restart_groups.empty()) {
      out << "(changes that restart the same cluster are applied together: one restart for "
             "them all)\n";
    }
    out << "\n";
  }
  const Summary s = Summarize(plan);
  std::string summary = "Plan: " + std::to_string(s.add) + " to add, " + std::to_string(s.change) +
                        " to change, " + std::to_string(s.destroy) + " to destroy";
  if (s.adopt > 0) summary += ", " + std::to_string(s.adopt) + " to adopt";
  out << p.Bold(summary + ".") << "\n";
  return out.str();
}

Value PlanToJson(const Plan& plan) {
  Value j = PlanHeaderJson(plan);

  Value drift = Value::array();
  for (const Drift& d : plan.drift) {
    Value dj = Value::object();
    dj["address"] = d.address;
    dj["kind"] = d.kind == Drift::Kind::kDeleted ? "deleted" : "changed";
    dj["attribute_changes"] = AttributeChangesToJson(d.attribute_changes);
    drift.push_back(std::move(dj));
  }
  j["drift"] = std::move(drift);

  Value changes = Value::array();
  for (const ResourceChange& c : plan.changes) {
    Value cj = Value::object();
    cj["address"] = c.address;
    cj["type"] = c.type;
    cj["provider"] = c.provider;
    cj["cluster"] = c.cluster;
    cj["mode"] = graph::ResourceModeName(c.mode);
    cj["action"] = providers::ChangeActionName(c.action);
    cj["before"] = c.before;
    cj["after"] = c.after;
    cj["attribute_changes"] = AttributeChangesToJson(c.attribute_changes);
    cj["requires_replace"] = c.requires_replace;
    cj["restarts_cluster"] = c.restarts_cluster;
    cj["reason"] = c.reason;
    cj["orphan"] = c.orphan;
    cj["wait_for"] = c.wait_for;
    changes.push_back(std::move(cj));
  }
  j["changes"] = std::move(changes);
  j["restarts"] = plan.restarts;
  j["restart_groups"] = RestartGroupsToJson(plan.restart_groups);
  Value counts = Value::object();
  for (const ClusterRestarts& r : CountRestarts(plan)) {
    counts[r.cluster] = {{"restarts", r.restarts()}, {"changes", r.changes()}};
  }
  j["restart_counts"] = std::move(counts);

  const Summary s = Summarize(plan);
  j["summary"] = {{"add", s.add},   {"change", s.change}, {"destroy", s.destroy},
                  {"read", s.read}, {"adopt", s.adopt},   {"has_changes", plan.HasChanges()}};

  Value diags = Value::array();
  for (const Diagnostic& d : plan.diagnostics.items()) {
    diags.push_back({{"severity", d.severity == Severity::kError ? "error" : "warning"},
                     {"location", d.location.ToString()},
                     {"path", d.path},
                     {"summary", d.summary},
                     {"hint", d.hint}});
  }
  j["diagnostics"] = std::move(diags);
  return j;
}

}  // namespace crosslink::plan
