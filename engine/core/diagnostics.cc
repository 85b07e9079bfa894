#include "engine/core/diagnostics.h"

namespace crosslink {

std::string SourceLocation::ToString() const {
  std::string s = file;
  if (line > 0) {
    s += ":" + std::to_string(line);
    if (column > 0) s += ":" + std::to_string(column);
  }
  return s;
}

std::string Diagnostic::ToString() const {
  std::string s;
  std::string where = location.ToString();
  if (!where.empty()) s += where + ": ";
  s += severity == Severity::kError ? "error: " : "warning: ";
  if (!path.empty()) s += path + ": ";
  s += summary + "\n";
  if (!hint.empty()) s += "  hint: " + hint + "\n";
  return s;
}

void Diagnostics::Error(SourceLocation loc, std::string path, std::string summary,
                        std::string hint) {
  items_.push_back(Diagnostic{Severity::kError, std::move(loc), std::move(path),
                              std::move(summary), std::move(hint)});
}

void Diagnostics::Warning(SourceLocation loc, std::string path, std::string summary,
                          std::string hint) {
  items_.push_back(Diagnostic{Severity::kWarning, std::move(loc), std::move(path),
                              std::move(summary), std::move(hint)});
}

void Diagnostics::Append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool Diagnostics::has_errors() const { return error_count() > 0; }

size_t Diagnostics::error_count() const {
  size_t n = 0;
  for (const auto& d : items_) n += d.severity == Severity::kError ? 1 : 0;
  return n;
}

size_t Diagnostics::warning_count() const { return items_.size() - error_count(); }

std::string Diagnostics::ToString() const {
  std::string s;
  for (const auto& d : items_) s += d.ToString();
  return s;
}

}  // namespace crosslink
