// Engine benchmark: loads a generated topology of N connections, expands
// it, plans against an empty state, applies through the in-memory fake
// provider into a real local state backend (journal + fsync per action),
// then plans again (must be empty). Prints one line per stage with wall
// time and resource counts; also the peak RSS.
//
//   engine_bench [connections=1000] [state dir=/tmp]
//
// Targets (DESIGN.md, issue #2): every stage O(n log n) in resources; the
// per-action state save costs O(change). Run it at 1k and 10k and compare:
// a quadratic stage shows up as a ~100x jump instead of ~10x.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "engine/apply/apply.h"
#include "engine/core/clock.h"
#include "engine/core/filesystem.h"
#include "engine/graph/expand.h"
#include "engine/plan/planner.h"
#include "engine/topology/loader.h"
#include "providers/fake/fake_provider.h"
#include "state/local_backend.h"

using namespace crosslink;  // NOLINT: a benchmark's main

namespace {

std::string GenerateTopology(int connections) {
  // Hub-and-spoke: one hub per 100 locals, spread over ECK environments.
  std::string y = "version: 1\nenvironments:\n";
  int envs = 10;
  for (int e = 0; e < envs; ++e) y += "  k8s-" + std::to_string(e) + ": { platform: eck, context: c" + std::to_string(e) + " }\n";
  y += "clusters:\n";
  int hubs = std::max(1, connections / 100);
  for (int h = 0; h < hubs; ++h) {
    y += "  hub-" + std::to_string(h) + ": { environment: k8s-" + std::to_string(h % envs) + ", version: \"8.17.0\" }\n";
  }
  for (int i = 0; i < connections; ++i) {
    y += "  spoke-" + std::to_string(i) + ": { environment: k8s-" + std::to_string((i + 1) % envs) +
         ", version: \"8.17.0\" }\n";
  }
  y += "connections:\n";
  for (int i = 0; i < connections; ++i) {
    y += "  - { local: spoke-" + std::to_string(i) + ", remote: hub-" + std::to_string(i % hubs) +
         ", alias: hub, access: { search: [ { names: [\"logs-*\"] } ] } }\n";
  }
  return y;
}

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

long PeakRssMiB() {
  struct rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  std::string dir = argc > 2 ? argv[2] : "/tmp";
  std::string state_dir = dir + "/crosslink-bench-" + std::to_string(getpid());
  std::filesystem::create_directories(state_dir);

  auto t0 = std::chrono::steady_clock::now();
  std::string yaml = GenerateTopology(n);
  Diagnostics diags;
  auto topo = topology::LoadTopologyString(yaml, "bench.yaml", &diags);
  if (!topo) {
    std::fprintf(stderr, "%s", diags.ToString().c_str());
    return 1;
  }
  std::printf("load     %8.3fs  %d connections, %zu bytes of YAML\n", Since(t0), n, yaml.size());

  t0 = std::chrono::steady_clock::now();
  auto g = graph::Expand(*topo, &diags);
  if (!g) {
    std::fprintf(stderr, "%s", diags.ToString().c_str());
    return 1;
  }
  std::printf("expand   %8.3fs  %zu resources\n", Since(t0), g->resources().size());

  providers::fake::FakeProvider fake("fake");
  fake.LearnOutputs(g->resources());
  providers::ProviderSet providers;
  for (const char* name : {"elasticsearch", "eck", "ech", "ece", "self", "pki", "cloud"}) providers.AddAs(name, &fake);

  auto fs = NewPosixFileSystem();
  RealClock clock;
  state::LocalBackendOptions opts;
  opts.path = state_dir + "/bench.state.json";
  opts.fs = fs.get();
  opts.clock = &clock;
  state::KeyOptions keys;
  keys.key_file = state_dir + "/state.key";
  opts.keys = keys;
  auto backend = state::NewLocalBackend(opts);
  auto lock = backend->Lock(state::LockInfo{});
  if (!lock.ok()) {
    std::fprintf(stderr, "%s\n", lock.status().ToString().c_str());
    return 1;
  }
  auto st = backend->Load();

  t0 = std::chrono::steady_clock::now();
  plan::PlanOptions popts;
  auto p = plan::MakePlan(g->resources(), *st, providers, popts);
  if (!p.ok()) {
    std::fprintf(stderr, "%s\n", p.status().ToString().c_str());
    return 1;
  }
  std::printf("plan     %8.3fs  %zu changes\n", Since(t0), p->changes.size());

  t0 = std::chrono::steady_clock::now();
  apply::ApplyOptions aopts;
  auto sum = apply::Apply(*p, *st, *backend, providers, clock, aopts, nullptr);
  std::printf("apply    %8.3fs  %zu created, %zu read, %zu checked, %zu failed\n", Since(t0), sum.created,
              sum.read, sum.checked, sum.failed);
  if (!sum.ok()) return 1;

  t0 = std::chrono::steady_clock::now();
  auto p2 = plan::MakePlan(g->resources(), *st, providers, popts);
  std::printf("replan   %8.3fs  changes pending: %s\n", Since(t0), p2.ok() && !p2->HasChanges() ? "none" : "SOME");
  std::printf("peak RSS %8ld MiB\n", PeakRssMiB());
  std::filesystem::remove_all(state_dir);
  return p2.ok() && !p2->HasChanges() ? 0 : 1;
}
