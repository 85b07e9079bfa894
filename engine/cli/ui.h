#pragma once
// What the user reads during a run: progress lines fed by the planner's and
// the scheduler's hooks, colours, the confirmation prompt and the apply
// summary. Every line goes through the Redactor before it is written.
//
// Thread-safety: Ui is thread-safe (hooks are called from worker threads).

#include <chrono>
#include <iosfwd>
#include <map>
#include <mutex>
#include <string>

#include "engine/apply/apply.h"
#include "engine/core/clock.h"
#include "engine/plan/planner.h"

namespace crosslink::cli {

class Ui {
 public:
  Ui(std::ostream& out, std::ostream& err, bool color, Clock& clock)
      : out_(out), err_(err), color_(color), clock_(clock) {}

  bool color() const { return color_; }
  // Writes to stdout / stderr, redacted. Thread-safe.
  void Out(const std::string& text);
  void Err(const std::string& text);
  // "Error: <message>" in red on stderr.
  void Error(const std::string& message);
  void Warning(const std::string& message);

  std::string Bold(const std::string& s) const;
  std::string Green(const std::string& s) const;
  std::string Red(const std::string& s) const;
  std::string Yellow(const std::string& s) const;

 private:
  std::string Paint(const char* code, const std::string& s) const;
  std::mutex mu_;
  std::ostream& out_;
  std::ostream& err_;
  bool color_;
  Clock& clock_;
};

// Progress of discovery: "Refreshing eck/logs (4 resources)..."
class RefreshProgress : public plan::PlanHooks {
 public:
  explicit RefreshProgress(Ui& ui) : ui_(ui) {}
  void OnRefreshStart(const std::string& provider, const std::string& cluster, size_t items) override;
  void OnRefreshDone(const std::string& provider, const std::string& cluster, const Status& status) override;

 private:
  Ui& ui_;
};

// Progress of apply: "es_remote_cluster.a.b: Creating...",
// "...: Creation complete after 2s", retries and failures. While a provider
// waits, its progress messages become
// "eck_remote_ca.a.b: Still modifying... [40s elapsed] waiting for apps/search
// to be Ready (phase ApplyingChanges)", at most one line per change every
// kProgressInterval of the run's Clock (the first one at once).
class ApplyProgress : public apply::ApplyHooks {
 public:
  static constexpr std::chrono::seconds kProgressInterval{10};

  ApplyProgress(Ui& ui, Clock& clock) : ui_(ui), clock_(clock) {}
  void OnStart(const plan::ResourceChange& change) override;
  void OnRetry(const plan::ResourceChange& change, int attempt, const Status& status,
               std::chrono::milliseconds delay) override;
  void OnProgress(const plan::ResourceChange& change, const std::string& message) override;
  void OnDone(const plan::ResourceChange& change) override;
  void OnFailed(const plan::ResourceChange& change, const Status& status) override;
  void OnSkipped(const plan::ResourceChange& change, const std::string& reason) override;

 private:
  Ui& ui_;
  Clock& clock_;
  std::mutex mu_;
  std::map<std::string, std::chrono::steady_clock::time_point> started_;
  // When the change's last progress line was printed.
  std::map<std::string, std::chrono::steady_clock::time_point> last_progress_;
};

// "Apply complete! Resources: 3 added, 1 changed, 0 destroyed." plus failures.
std::string RenderApplySummary(const apply::ApplySummary& summary, bool destroy, const Ui& ui);

}  // namespace crosslink::cli
