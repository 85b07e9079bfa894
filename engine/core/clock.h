#pragma once
// Clock: the seam for time and sleeping, so that retries, backoff and
// polling are testable without waiting. RealClock uses steady_clock for
// durations and system_clock for wall time; FakeClock (tests) advances only
// when told or when Sleep is called.
//
// Thread-safety: implementations are thread-safe.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>

namespace crosslink {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for durations and deadlines.
  virtual std::chrono::steady_clock::time_point Now() = 0;
  // Wall-clock time, for timestamps written to state and lock info.
  virtual std::chrono::system_clock::time_point WallNow() = 0;
  virtual void Sleep(std::chrono::milliseconds d) = 0;
};

class RealClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point WallNow() override { return std::chrono::system_clock::now(); }
  void Sleep(std::chrono::milliseconds d) override;
};

// A clock that only moves when Sleep or Advance is called. Sleep returns at
// once after advancing the time, so retry loops run instantly in tests.
class FakeClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override;
  std::chrono::system_clock::time_point WallNow() override;
  void Sleep(std::chrono::milliseconds d) override { Advance(d); }
  void Advance(std::chrono::milliseconds d);
  // Total time slept through Sleep/Advance.
  std::chrono::milliseconds elapsed();

 private:
  std::mutex mu_;
  std::chrono::milliseconds elapsed_{0};
};

// ISO-8601 UTC, e.g. "2026-11-25T22:24:43Z".
std::string FormatUtc(std::chrono::system_clock::time_point t);

}  // namespace crosslink
