#include "engine/core/clock.h"

#include <ctime>
#include <string>
#include <thread>

namespace crosslink {

void RealClock::Sleep(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

std::chrono::steady_clock::time_point FakeClock::Now() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::chrono::steady_clock::time_point{} + elapsed_;
}

std::chrono::system_clock::time_point FakeClock::WallNow() {
  std::lock_guard<std::mutex> lock(mu_);
  // A fixed, recognisable epoch (2026-01-01T00:00:00Z) plus the elapsed time.
  return std::chrono::system_clock::time_point{std::chrono::seconds(1767225600)} + elapsed_;
}

void FakeClock::Advance(std::chrono::milliseconds d) {
  std::lock_guard<std::mutex> lock(mu_);
  elapsed_ += d;
}

std::chrono::milliseconds FakeClock::elapsed() {
  std::lock_guard<std::mutex> lock(mu_);
  return elapsed_;
}

std::string FormatUtc(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace crosslink
