#pragma once
// Diagnostics: problems with the user's input (topology file, flags, saved
// plans) and provider-reported problems that should be shown as a list.
// They accumulate so that every problem is reported at once.
//
// Rendered form (Diagnostic::ToString):
//   topology.yaml:12:9: error: connections[1].alias: "Logs" is not a valid alias
//     hint: use lower-case letters, digits, '-' and '_' only, e.g. "logs"
//
// Thread-safety: values; a Diagnostics list is not safe for concurrent
// mutation.

#include <string>
#include <vector>

namespace crosslink {

struct SourceLocation {
  std::string file;  // as given by the user (relative paths stay relative)
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown
  bool known() const { return line > 0; }
  // "file:line:col", "file:line", or "file".
  std::string ToString() const;
};

enum class Severity { kError, kWarning };

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceLocation location;
  std::string path;     // field path such as "connections[1].alias"; may be empty
  std::string summary;  // one line, what is wrong
  std::string hint;     // how to fix it; may be empty
  std::string ToString() const;
};

class Diagnostics {
 public:
  void Add(Diagnostic d) { items_.push_back(std::move(d)); }
  void Error(SourceLocation loc, std::string path, std::string summary, std::string hint = "");
  void Warning(SourceLocation loc, std::string path, std::string summary, std::string hint = "");
  void Append(const Diagnostics& other);

  bool has_errors() const;
  size_t error_count() const;
  size_t warning_count() const;
  bool empty() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }

  // Every diagnostic, one after another, each ending in a newline.
  std::string ToString() const;

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace crosslink
