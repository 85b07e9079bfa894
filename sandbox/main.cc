// crosslink-sandbox: serve the digital twin, stop a detached one, or act as
// the self-managed `elasticsearch-keystore` stand-in.
//
//   crosslink-sandbox serve --config FILE --dir DIR [--detach] [--contracts DIR]
//   crosslink-sandbox stop --dir DIR
//   crosslink-sandbox keystore --home ES_HOME <create|list|add|remove|show|has-passwd> ...
//   crosslink-sandbox version
//
// Exit codes: 0 success, 1 runtime failure, 2 usage or config error.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "engine/core/logging.h"
#include "engine/core/version.h"
#include "sandbox/config.h"
#include "sandbox/sandbox.h"
#include "sandbox/self/keystore_cli.h"

namespace {

using crosslink::sandbox::Sandbox;

std::string PidFile(const std::string& dir) { return dir + "/sandbox.pid"; }

// Serves until SIGTERM/SIGINT (or POST /_sandbox/shutdown). `ready_fd` (or
// -1) receives "ok\n" once everything listens, or the error text.
int Serve(const std::string& config_path, const std::string& dir, const std::string& contracts,
          int block, int ready_fd) {
  auto report = [ready_fd](const std::string& text) {
    if (ready_fd < 0) return;
    ssize_t unused = write(ready_fd, text.data(), text.size());
    (void)unused;
    close(ready_fd);
  };
  auto config = crosslink::sandbox::LoadSandboxConfigFile(config_path);
  if (!config.ok()) {
    std::cerr << "crosslink-sandbox: " << config.status().message() << "\n";
    report(config.status().message() + "\n");
    return 2;
  }
  // Every thread inherits this mask; the main thread waits for the signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  crosslink::RealClock clock;
  Sandbox::Options options;
  options.dir = std::filesystem::absolute(dir).string();
  options.contracts_dir = contracts;
  options.address_block = block;
  options.on_shutdown_request = [] { kill(getpid(), SIGTERM); };
  auto sandbox = Sandbox::Start(*config, options, clock);
  if (!sandbox.ok()) {
    std::cerr << "crosslink-sandbox: " << sandbox.status().message() << "\n";
    report(sandbox.status().message() + "\n");
    return 1;
  }
  {
    std::ofstream pid(PidFile(options.dir), std::ios::trunc);
    pid << getpid() << "\n";
  }
  std::cout << "crosslink-sandbox " << crosslink::kVersion << " serving\n"
            << "  control API: " << (*sandbox)->control_url() << "\n"
            << "  environment: " << options.dir << "/sandbox.env (set -a; . " << options.dir
            << "/sandbox.env; set +a)\n"
            << std::flush;
  report("ok\n");
  int received = 0;
  sigwait(&signals, &received);
  std::cout << "crosslink-sandbox: stopping (signal " << received << ")\n" << std::flush;
  (*sandbox)->Stop();
  std::filesystem::remove(PidFile(options.dir));
  return 0;
}

int ServeDetached(const std::string& config_path, const std::string& dir, const std::string& contracts,
                  int block) {
  std::filesystem::create_directories(dir);
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    std::cerr << "crosslink-sandbox: pipe: " << strerror(errno) << "\n";
    return 1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    std::cerr << "crosslink-sandbox: fork: " << strerror(errno) << "\n";
    return 1;
  }
  if (pid == 0) {
    close(pipe_fds[0]);
    setsid();
    const std::string log = std::filesystem::absolute(dir).string() + "/sandbox.log";
    int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log_fd >= 0) {
      dup2(log_fd, STDOUT_FILENO);
      dup2(log_fd, STDERR_FILENO);
    }
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    _exit(Serve(config_path, dir, contracts, block, pipe_fds[1]));
  }
  close(pipe_fds[1]);
  std::string answer;
  char buffer[512];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof buffer)) > 0) answer.append(buffer, static_cast<size_t>(n));
  close(pipe_fds[0]);
  if (answer == "ok\n") {
    std::cout << "crosslink-sandbox serving in the background (pid " << pid << ")\n"
              << "  environment: " << std::filesystem::absolute(dir).string() << "/sandbox.env\n"
              << "  stop it with: crosslink-sandbox stop --dir " << dir << "\n";
    return 0;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  std::cerr << "crosslink-sandbox: did not start: " << (answer.empty() ? "see sandbox.log\n" : answer);
  return WIFEXITED(status) && WEXITSTATUS(status) == 2 ? 2 : 1;
}

int Stop(const std::string& dir) {
  std::ifstream in(PidFile(dir));
  pid_t pid = 0;
  if (!(in >> pid) || pid <= 0) {
    std::cerr << "crosslink-sandbox: no sandbox is serving from " << dir << " (no "
              << PidFile(dir) << ")\n";
    return 1;
  }
  if (kill(pid, SIGTERM) != 0) {
    if (errno == ESRCH) {
      std::filesystem::remove(PidFile(dir));
      std::cout << "crosslink-sandbox: pid " << pid << " was not running; removed the stale pid file\n";
      return 0;
    }
    std::cerr << "crosslink-sandbox: cannot signal pid " << pid << ": " << strerror(errno) << "\n";
    return 1;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (kill(pid, 0) != 0 && errno == ESRCH) {
      std::cout << "crosslink-sandbox: stopped (pid " << pid << ")\n";
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::cerr << "crosslink-sandbox: pid " << pid << " did not stop within 15 s\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // The keystore stand-in has the real tool's own argument syntax.
  if (argc >= 2 && std::string(argv[1]) == "keystore") {
    std::vector<std::string> args(argv + 2, argv + argc);
    return crosslink::sandbox::self::RunKeystoreCli(args, std::cin, std::cout, std::cerr);
  }
  CLI::App app{"crosslink-sandbox: a digital twin of ECK, Elastic Cloud, ECE and self-managed Elasticsearch"};
  app.require_subcommand(1);
  std::string config_path, dir = "sandbox", contracts, log_level = "warn";
  int block = 0;
  bool detach = false;
  if (const char* env = std::getenv("CROSSLINK_CONTRACTS_DIR")) contracts = env;
  if (contracts.empty()) contracts = CROSSLINK_CONTRACTS_DIR;

  CLI::App* serve = app.add_subcommand("serve", "Serve the sandbox until SIGTERM");
  serve->add_option("--config", config_path, "Sandbox config (YAML)")->required();
  serve->add_option("--dir", dir, "Directory for sandbox.env, CA files, kubeconfigs, install dirs");
  serve->add_flag("--detach", detach, "Run in the background; stop with `crosslink-sandbox stop`");
  serve->add_option("--contracts", contracts, "Directory of the upstream contracts (CRD, Cloud API)");
  serve->add_option("--address-block", block, "Use 127.B.0.0/16 (default: a free random B)")
      ->check(CLI::Range(1, 254));
  serve->add_option("--log-level", log_level, "Operator log level (debug, info, warn, error, off)");
  CLI::App* stop = app.add_subcommand("stop", "Stop a sandbox started with --detach");
  stop->add_option("--dir", dir, "The directory given to serve");
  app.add_subcommand("version", "Print the version");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  crosslink::ConfigureLogging(log_level, "");
  if (app.got_subcommand("version")) {
    std::cout << "crosslink-sandbox " << crosslink::kVersion << "\n";
    return 0;
  }
  if (app.got_subcommand("stop")) return Stop(dir);
  if (!std::filesystem::exists(contracts + "/eck-elasticsearch-crd.yaml")) {
    std::cerr << "crosslink-sandbox: contracts not found in " << contracts
              << " (expected eck-elasticsearch-crd.yaml and cloud-api/). Pass --contracts DIR or set "
                 "CROSSLINK_CONTRACTS_DIR.\n";
    return 2;
  }
  if (detach) return ServeDetached(config_path, dir, contracts, block);
  return Serve(config_path, dir, contracts, block, -1);
}
