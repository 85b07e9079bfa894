// The shipped `crosslink` binary: the CLI wired to the real world and to the
// platform providers this build ships (engine/cli/builtin_providers.h).
#include <unistd.h>

#include <iostream>

#include "engine/cli/builtin_providers.h"
#include "engine/cli/cli.h"
#include "engine/core/clock.h"
#include "engine/core/filesystem.h"

int main(int argc, char** argv) {
  auto providers = crosslink::cli::NewBuiltinProviders();
  auto fs = crosslink::NewPosixFileSystem();
  crosslink::RealClock clock;
  crosslink::cli::CliEnv env;
  env.providers = &providers->set();
  env.fs = fs.get();
  env.clock = &clock;
  env.in = &std::cin;
  env.out = &std::cout;
  env.err = &std::cerr;
  env.stdout_is_tty = isatty(STDOUT_FILENO) != 0;
  std::vector<std::string> args(argv + 1, argv + argc);
  return crosslink::cli::RunCli(args, env);
}
