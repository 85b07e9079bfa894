#!/usr/bin/env bash
# The checks that keep us honest (STYLE.md 12), in one command:
#   1. clang-format (Google base, 100 columns): reports files that differ
#   2. clang-tidy (bugprone, naming, braces) over the engine, providers and state
#   3. the test suite under ASan+UBSan
#   4. the tests of concurrent code under TSan: the scheduler, the planner
#      (concurrent refresh) and apply (parallel changes)
# Usage: scripts/check.sh [format|tidy|asan|tsan]...   (default: all)
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
for tool in clang-format clang-tidy; do
  command -v $tool >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang-format clang-tidy >/dev/null; break; }
done
steps=("$@"); [ ${#steps[@]} -eq 0 ] && steps=(format tidy asan tsan)
rc=0
sources() { git ls-files 'engine/*.cc' 'engine/*.h' 'providers/*.cc' 'providers/*.h' 'state/*.cc' 'state/*.h' 'sandbox/*.cc' 'sandbox/*.h'; }
for step in "${steps[@]}"; do
  case $step in
    format)
      echo "== clang-format"
      bad=$(sources | xargs clang-format --dry-run 2>&1 | grep -c "warning:" || true)
      if [ "$bad" != 0 ]; then echo "clang-format: $bad places differ (run: git ls-files '*.cc' '*.h' | xargs clang-format -i)"; rc=1; fi ;;
    tidy)
      echo "== clang-tidy"
      bash scripts/build.sh build >/dev/null
      sources | grep '\.cc$' | xargs -P2 -n8 clang-tidy -p build --quiet 2>/dev/null | grep -E "warning:|error:" && rc=1 ;;
    asan)
      echo "== ASan+UBSan test suite"
      CROSSLINK_SANITIZE=1 bash scripts/build.sh build-asan >/dev/null && (cd build-asan && ctest --output-on-failure -j2) || rc=1 ;;
    tsan)
      echo "== TSan: scheduler, plan and apply tests"
      tsan_tests=(engine/apply/scheduler_test engine/plan/plan_test engine/apply/apply_test)
      if cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCROSSLINK_TSAN=ON >/dev/null &&
        cmake --build build-tsan -j2 --target "${tsan_tests[@]##*/}" >/dev/null; then
        for t in "${tsan_tests[@]}"; do
          CROSSLINK_LOG=off "./build-tsan/tests/$t" || rc=1
        done
      else
        rc=1
      fi ;;
    *) echo "unknown step $step"; rc=2 ;;
  esac
done
exit $rc
