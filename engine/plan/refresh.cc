#include "engine/plan/refresh.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

namespace crosslink::plan::internal {

namespace {

std::string ScopeName(const ReadScope& s) {
  if (!s.cluster.empty()) return "cluster \"" + s.cluster + "\"";
  if (!s.environment.empty()) return "environment \"" + s.environment + "\"";
  return "global scope";
}

}  // namespace

void ScopeBuilder::Add(const std::string& provider, providers::Provider* impl,
                       const std::string& cluster, const std::string& environment,
                       providers::ReadItem item) {
  std::string key = provider;
  key.push_back('\0');
  key += cluster;
  key.push_back('\0');
  if (cluster.empty()) key += environment;
  auto [it, inserted] = scopes_.try_emplace(key);
  ReadScope& s = it->second;
  if (inserted) {
    s.provider = provider;
    s.cluster = cluster;
    s.impl = impl;
  }
  if (s.environment.empty()) s.environment = environment;
  s.items.push_back(std::move(item));
}

std::vector<ReadScope> ScopeBuilder::Take() {
  std::vector<ReadScope> out;
  out.reserve(scopes_.size());
  for (auto& [key, scope] : scopes_) out.push_back(std::move(scope));
  scopes_.clear();
  return out;
}

Result<LiveView> Refresh(std::vector<ReadScope>& scopes, int parallelism, PlanHooks* hooks) {
  std::vector<providers::ReadResponse> responses(scopes.size());
  std::atomic<size_t> next{0};
  std::mutex hook_mu;

  auto worker = [&]() {
    for (;;) {
      const size_t i = next.fetch_add(1);
      if (i >= scopes.size()) return;
      const ReadScope& s = scopes[i];
      if (hooks != nullptr) {
        std::lock_guard<std::mutex> lock(hook_mu);
        hooks->OnRefreshStart(s.provider, s.cluster, s.items.size());
      }
      providers::ReadRequest req;
      req.cluster = s.cluster;
      req.environment = s.environment;
      req.items = s.items;
      spdlog::debug("refresh: Read provider={} {} items={}", s.provider, ScopeName(s),
                    s.items.size());
      responses[i] = s.impl->Read(req);
      const providers::ReadResponse& r = responses[i];
      if (r.status.ok()) {
        spdlog::debug("refresh: Read provider={} {} ok: {} objects, {} orphans, {} diagnostics",
                      s.provider, ScopeName(s), r.objects.size(), r.orphans.size(),
                      r.diagnostics.items().size());
      } else {
        spdlog::debug("refresh: Read provider={} {} failed: {}", s.provider, ScopeName(s),
                      r.status.message());
      }
      if (spdlog::should_log(spdlog::level::trace)) {
        for (const auto& [address, object] : r.objects) {
          spdlog::trace("refresh: {} {}", address,
                        object.exists ? (object.managed_by_crosslink ? "exists (crosslink's)"
                                                                     : "exists (not marked)")
                                      : "absent");
        }
        for (const providers::Orphan& o : r.orphans) {
          spdlog::trace("refresh: orphan {} ({})", o.address, o.type);
        }
      }
      if (hooks != nullptr) {
        std::lock_guard<std::mutex> lock(hook_mu);
        hooks->OnRefreshDone(s.provider, s.cluster, responses[i].status);
      }
    }
  };

  const size_t threads = std::min(scopes.size(), static_cast<size_t>(std::max(parallelism, 1)));
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    for (size_t t = 0; t + 1 < threads; ++t) pool.emplace_back(worker);
    worker();
    for (std::thread& th : pool) th.join();
  }

  // Results are merged on this thread, in scope order: deterministic.
  size_t failed = 0;
  Status first_failure;
  for (size_t i = 0; i < scopes.size(); ++i) {
    if (responses[i].status.ok()) continue;
    if (failed++ == 0) {
      first_failure =
          responses[i].status.WithContext("reading live state from provider \"" +
                                          scopes[i].provider + "\" for " + ScopeName(scopes[i]));
    }
  }
  if (failed > 0) {
    if (failed == 1) return first_failure;
    return Status::Error(first_failure.code(),
                         first_failure.message() + " (and " + std::to_string(failed - 1) +
                             " more scope" + (failed > 2 ? "s" : "") + " failed)",
                         first_failure.retryable());
  }

  LiveView view;
  for (size_t i = 0; i < scopes.size(); ++i) {
    providers::ReadResponse& r = responses[i];
    view.diagnostics.Append(r.diagnostics);
    for (auto& [address, object] : r.objects) view.objects[address] = std::move(object);
    for (providers::Orphan& o : r.orphans) {
      if (view.orphans.count(o.address) != 0) continue;
      OrphanRecord rec;
      rec.provider = scopes[i].provider;
      rec.cluster = scopes[i].cluster;
      rec.environment = scopes[i].environment;
      rec.orphan = std::move(o);
      rec.orphan.live.exists = true;
      rec.orphan.live.managed_by_crosslink = true;  // reported orphans carry crosslink's marks
      std::string address = rec.orphan.address;
      view.orphans.emplace(std::move(address), std::move(rec));
    }
  }
  return view;
}

}  // namespace crosslink::plan::internal
