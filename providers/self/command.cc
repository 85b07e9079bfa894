#include "providers/self/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace crosslink::providers::self {
namespace {

std::string ShellQuote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_-./=:,@%+") == std::string::npos) {
    return s;
  }
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void CloseFd(int* fd) {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

void Redact(const Command& command, std::string* text) {
  auto replace = [text](const std::string& value) {
    if (value.empty()) return;
    size_t pos = 0;
    while ((pos = text->find(value, pos)) != std::string::npos) {
      text->replace(pos, value.size(), std::string(Secret::Placeholder()));
      pos += Secret::Placeholder().size();
    }
  };
  std::string stdin_value = command.stdin_data.expose();
  while (!stdin_value.empty() && (stdin_value.back() == '\n' || stdin_value.back() == '\r')) {
    stdin_value.pop_back();
  }
  replace(stdin_value);
  for (const auto& [name, value] : command.env) replace(value.expose());
}

// The environment of the child: ours, with `env` set on top.
std::vector<std::string> ChildEnvironment(const Command& command) {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    if (!command.env.count(name)) out.push_back(std::move(entry));
  }
  for (const auto& [name, value] : command.env) out.push_back(name + "=" + value.expose());
  return out;
}

class ProcessRunner : public CommandRunner {
 public:
  explicit ProcessRunner(Clock& clock) : clock_(clock) {}

  Result<CommandResult> Run(const Command& command) override {
    if (command.argv.empty()) return Status::InvalidArgument("no program to run");
    const std::string& program = command.argv.front();
    struct stat st {};
    if (::stat(program.c_str(), &st) != 0) {
      return Status::NotFound(program + " does not exist");
    }
    if (!S_ISREG(st.st_mode) || ::access(program.c_str(), X_OK) != 0) {
      return Status::PermissionDenied(program + " is not an executable file");
    }

    // Everything the child needs is built before fork (no allocation after).
    std::vector<std::string> env = ChildEnvironment(command);
    std::vector<char*> envp, argv;
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = command.argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    // stdin is a socket so that writing to a child that stopped reading
    // fails with EPIPE instead of raising SIGPIPE (MSG_NOSIGNAL).
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, exec_err[2] = {-1, -1};
    bool piped = ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) == 0 &&
                 ::pipe2(out, O_CLOEXEC) == 0 && ::pipe2(err, O_CLOEXEC) == 0 &&
                 ::pipe2(exec_err, O_CLOEXEC) == 0;
    if (!piped) {
      Status s = Status::IoError(std::string("cannot create pipes: ") + std::strerror(errno));
      for (int* fd :
           {&in[0], &in[1], &out[0], &out[1], &err[0], &err[1], &exec_err[0], &exec_err[1]}) {
        CloseFd(fd);
      }
      return s;
    }
    pid_t pid = ::fork();
    if (pid < 0) {
      Status s = Status::IoError(std::string("cannot fork: ") + std::strerror(errno));
      for (int* fd :
           {&in[0], &in[1], &out[0], &out[1], &err[0], &err[1], &exec_err[0], &exec_err[1]}) {
        CloseFd(fd);
      }
      return s;
    }
    if (pid == 0) {
      ::setpgid(0, 0);
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
      if (!command.working_dir.empty() && ::chdir(command.working_dir.c_str()) != 0) {
        int e = errno;
        (void)!::write(exec_err[1], &e, sizeof e);
        ::_exit(127);
      }
      ::execve(argv[0], argv.data(), envp.data());
      int e = errno;
      (void)!::write(exec_err[1], &e, sizeof e);
      ::_exit(127);
    }
    ::setpgid(pid, pid);  // also here: no race with a kill before the child ran
    CloseFd(&in[0]);
    CloseFd(&out[1]);
    CloseFd(&err[1]);
    CloseFd(&exec_err[1]);

    CommandResult result;
    Pump(command, pid, in[1], out[0], err[0], &result);
    CloseFd(&in[1]);
    CloseFd(&out[0]);
    CloseFd(&err[0]);

    int exec_errno = 0;
    ssize_t n = ::read(exec_err[0], &exec_errno, sizeof exec_errno);
    CloseFd(&exec_err[0]);
    if (n == static_cast<ssize_t>(sizeof exec_errno)) {
      std::string what =
          command.working_dir.empty() ? program : program + " in " + command.working_dir;
      std::string message = "cannot run " + what + ": " + std::strerror(exec_errno);
      if (exec_errno == ENOENT) return Status::NotFound(message);
      if (exec_errno == EACCES || exec_errno == EPERM) return Status::PermissionDenied(message);
      return Status::IoError(message);
    }
    Redact(command, &result.out);
    Redact(command, &result.err);
    return result;
  }

 private:
  // Feeds stdin, drains stdout/stderr and reaps the child, killing its
  // group at the deadline.
  void Pump(const Command& command, pid_t pid, int in_fd, int out_fd, int err_fd,
            CommandResult* result) {
    const auto deadline = clock_.Now() + command.timeout;
    const std::string& input = command.stdin_data.expose();
    size_t written = 0;
    if (input.empty()) ::shutdown(in_fd, SHUT_WR);
    int fds[3] = {input.empty() ? -1 : in_fd, out_fd, err_fd};
    std::string* sinks[3] = {nullptr, &result->out, &result->err};
    char buf[8192];
    bool killed = false;
    while (fds[1] >= 0 || fds[2] >= 0 || fds[0] >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_.Now());
      if (left.count() <= 0) {
        ::kill(-pid, SIGKILL);
        killed = true;
        break;
      }
      pollfd p[3];
      for (int i = 0; i < 3; ++i) p[i] = {fds[i], static_cast<short>(i == 0 ? POLLOUT : POLLIN), 0};
      int ready = ::poll(p, 3, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
      if (ready < 0 && errno != EINTR) break;
      if (ready <= 0) continue;
      if (fds[0] >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
        ssize_t n = ::send(in_fd, input.data() + written, input.size() - written,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) written += static_cast<size_t>(n);
        if (n < 0 && errno != EAGAIN && errno != EINTR) written = input.size();  // EPIPE
        if (written >= input.size()) {
          ::shutdown(in_fd, SHUT_WR);
          fds[0] = -1;
        }
      }
      for (int i = 1; i < 3; ++i) {
        if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = ::read(fds[i], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          fds[i] = -1;
          continue;
        }
        size_t room =
            command.output_limit > sinks[i]->size() ? command.output_limit - sinks[i]->size() : 0;
        if (static_cast<size_t>(n) > room) result->truncated = true;
        sinks[i]->append(buf, std::min(room, static_cast<size_t>(n)));
      }
    }
    // The pipes are closed (or the deadline passed): reap, still bounded.
    int status = 0;
    for (;;) {
      pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid) break;
      if (r < 0 && errno != EINTR) return;
      if (!killed && clock_.Now() >= deadline) {
        ::kill(-pid, SIGKILL);
        killed = true;
      }
      if (r == 0) clock_.Sleep(std::chrono::milliseconds(killed ? 1 : 5));
    }
    if (killed) ::kill(-pid, SIGKILL);  // whatever of the group is left
    result->timed_out = killed;
    if (WIFEXITED(status)) result->exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result->signal = WTERMSIG(status);
  }

  Clock& clock_;
};

// The last non-blank line of `text`, trailing blanks removed.
std::string LastLine(const std::string& text) {
  size_t end = text.find_last_not_of("\r\n ");
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return text.substr(start, end + 1 - start);
}

}  // namespace

std::string Command::Describe() const {
  std::string out;
  for (const std::string& a : argv) out += (out.empty() ? "" : " ") + ShellQuote(a);
  return out;
}

Command ShellCommand(const std::string& line) {
  Command c;
  c.argv = {"/bin/sh", "-c", line};
  return c;
}

std::string CommandResult::Summary(std::chrono::milliseconds timeout) const {
  if (timed_out) {
    std::string t = timeout.count() % 1000 == 0 ? std::to_string(timeout.count() / 1000) + " s"
                                                : std::to_string(timeout.count()) + " ms";
    return "timed out after " + t + " (the process group was killed)";
  }
  std::string line = LastLine(err);
  if (line.empty()) line = LastLine(out);
  std::string head = signal ? "killed by signal " + std::to_string(signal)
                            : "exit code " + std::to_string(exit_code);
  return line.empty() ? head : head + ": " + line;
}

std::unique_ptr<CommandRunner> NewProcessRunner(Clock& clock) {
  return std::make_unique<ProcessRunner>(clock);
}

}  // namespace crosslink::providers::self
