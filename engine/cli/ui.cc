#include "engine/cli/ui.h"

#include <ostream>

#include "engine/core/secret.h"

namespace crosslink::cli {
namespace {

const char* Verb(plan::ChangeAction a, bool done) {
  switch (a) {
    case plan::ChangeAction::kCreate: return done ? "Creation complete" : "Creating...";
    case plan::ChangeAction::kUpdate: return done ? "Modifications complete" : "Modifying...";
    case plan::ChangeAction::kReplace: return done ? "Replacement complete" : "Replacing...";
    case plan::ChangeAction::kDelete: return done ? "Destruction complete" : "Destroying...";
    case plan::ChangeAction::kRead: return done ? "Read complete" : "Reading...";
    case plan::ChangeAction::kNoOp: return done ? "Adopted into the state" : "Adopting...";
  }
  return "";
}

const char* CheckVerb(bool done) { return done ? "Verified" : "Verifying..."; }

bool IsCheck(const plan::ResourceChange& c) {
  return c.mode == graph::ResourceMode::kCheck && c.action != plan::ChangeAction::kDelete;
}

// "Still creating..." (Terraform's words for a long-running change).
const char* StillVerb(const plan::ResourceChange& c) {
  if (IsCheck(c)) return "Still verifying...";
  switch (c.action) {
    case plan::ChangeAction::kCreate: return "Still creating...";
    case plan::ChangeAction::kUpdate: return "Still modifying...";
    case plan::ChangeAction::kReplace: return "Still replacing...";
    case plan::ChangeAction::kDelete: return "Still destroying...";
    case plan::ChangeAction::kRead: return "Still reading...";
    case plan::ChangeAction::kNoOp: return "Still adopting...";
  }
  return "Still working...";
}

// A provider's message on one line.
std::string OneLine(const std::string& message) {
  std::string out = message;
  for (char& ch : out) {
    if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
  }
  return out;
}

std::string Seconds(std::chrono::steady_clock::duration d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s < 60) return std::to_string(s) + "s";
  return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
}

}  // namespace

void Ui::Out(const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  out_ << Redactor::Redact(text);
  out_.flush();
}

void Ui::Err(const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  err_ << Redactor::Redact(text);
  err_.flush();
}

void Ui::Error(const std::string& message) { Err(Red(Bold("Error: ")) + message + "\n"); }

void Ui::Warning(const std::string& message) { Err(Yellow(Bold("Warning: ")) + message + "\n"); }

std::string Ui::Paint(const char* code, const std::string& s) const {
  if (!color_) return s;
  return std::string("\x1b[") + code + "m" + s + "\x1b[0m";
}

std::string Ui::Bold(const std::string& s) const { return Paint("1", s); }
std::string Ui::Green(const std::string& s) const { return Paint("32", s); }
std::string Ui::Red(const std::string& s) const { return Paint("31", s); }
std::string Ui::Yellow(const std::string& s) const { return Paint("33", s); }

void RefreshProgress::OnRefreshStart(const std::string& provider, const std::string& cluster,
                                     size_t items) {
  std::string scope = cluster.empty() ? provider : provider + "/" + cluster;
  ui_.Out(scope + ": Refreshing state... (" + std::to_string(items) +
          (items == 1 ? " resource)\n" : " resources)\n"));
}

void RefreshProgress::OnRefreshDone(const std::string& provider, const std::string& cluster,
                                    const Status& status) {
  if (status.ok()) return;
  std::string scope = cluster.empty() ? provider : provider + "/" + cluster;
  ui_.Err(ui_.Red(scope + ": refresh failed: ") + status.message() + "\n");
}

void ApplyProgress::OnStart(const plan::ResourceChange& change) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    started_[change.address] = clock_.Now();
  }
  ui_.Out(ui_.Bold(change.address) + ": " +
          (IsCheck(change) ? CheckVerb(false) : Verb(change.action, false)) + "\n");
}

void ApplyProgress::OnRetry(const plan::ResourceChange& change, int attempt, const Status& status,
                            std::chrono::milliseconds delay) {
  ui_.Out(change.address + ": " + ui_.Yellow("retrying") + " (attempt " + std::to_string(attempt + 1) +
          ", in " + std::to_string(delay.count()) + "ms) after: " + status.message() + "\n");
}

void ApplyProgress::OnProgress(const plan::ResourceChange& change, const std::string& message) {
  const auto now = clock_.Now();
  std::chrono::steady_clock::duration elapsed{};
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto last = last_progress_.find(change.address);
    if (last != last_progress_.end() && now - last->second < kProgressInterval) return;
    last_progress_[change.address] = now;
    auto it = started_.find(change.address);
    if (it != started_.end()) elapsed = now - it->second;
  }
  std::string line = ui_.Bold(change.address) + ": " + StillVerb(change) + " [" +
                     Seconds(elapsed) + " elapsed]";
  if (!message.empty()) line += " " + OneLine(message);
  ui_.Out(line + "\n");
}

void ApplyProgress::OnDone(const plan::ResourceChange& change) {
  std::chrono::steady_clock::duration took{};
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_progress_.erase(change.address);
    auto it = started_.find(change.address);
    if (it != started_.end()) took = clock_.Now() - it->second;
  }
  ui_.Out(ui_.Bold(change.address) + ": " +
          (IsCheck(change) ? CheckVerb(true) : Verb(change.action, true)) + " after " +
          Seconds(took) + "\n");
}

void ApplyProgress::OnFailed(const plan::ResourceChange& change, const Status& status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_progress_.erase(change.address);
  }
  ui_.Err(ui_.Red(ui_.Bold(change.address) + ": failed: ") + status.message() + "\n");
}

void ApplyProgress::OnSkipped(const plan::ResourceChange& change, const std::string& reason) {
  ui_.Err(ui_.Yellow(change.address + ": skipped: ") + reason + "\n");
}

std::string RenderApplySummary(const apply::ApplySummary& s, bool destroy, const Ui& ui) {
  std::string out;
  if (s.ok()) {
    if (destroy) {
      out += ui.Green(ui.Bold("Destroy complete!")) + " Resources: " + std::to_string(s.deleted) +
             " destroyed.\n";
    } else {
      out += ui.Green(ui.Bold("Apply complete!")) + " Resources: " + std::to_string(s.created) +
             " added, " + std::to_string(s.updated) + " changed, " + std::to_string(s.replaced) +
             " replaced, " + std::to_string(s.deleted) + " destroyed";
      if (s.adopted > 0) out += ", " + std::to_string(s.adopted) + " adopted";
      if (s.checked > 0) {
        out += "; " + std::to_string(s.checked) +
               (s.checked == 1 ? " connection check passed" : " connection checks passed");
      }
      out += ".\n";
    }
    return out;
  }
  out += ui.Red(ui.Bold(destroy ? "Destroy failed." : "Apply failed.")) + " " +
         std::to_string(s.failed) + " failed, " + std::to_string(s.skipped) +
         " skipped; completed: " + std::to_string(s.created) + " added, " +
         std::to_string(s.updated) + " changed, " + std::to_string(s.replaced) + " replaced, " +
         std::to_string(s.deleted) + " destroyed.\n";
  for (const auto& f : s.failures) out += "  - " + f.address + ": " + f.message + "\n";
  out += "The state records every completed action; fix the cause and run the same command again "
         "to converge.\n";
  return out;
}

}  // namespace crosslink::cli
