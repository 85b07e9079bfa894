// The local delivery of node.h: an Elasticsearch home on this machine.

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "providers/self/file_txn.h"
#include "providers/self/node_internal.h"
#include "providers/self/transport.h"

namespace crosslink::providers::self::internal {
namespace {

constexpr const char* kKeystoreFix =
    "check that `home` is the Elasticsearch home directory (it holds bin/ and config/)";

class LocalNode : public Node {
 public:
  LocalNode(const topology::NodeDelivery& delivery, NodeOptions options)
      : name_(delivery.name),
        home_(delivery.home),
        restart_(delivery.restart),
        options_(std::move(options)),
        fs_(*options_.fs) {
    while (home_.size() > 1 && home_.back() == '/') home_.pop_back();
  }

  const std::string& name() const override { return name_; }
  std::string Describe() const override { return "node " + name_ + " (local " + home_ + ")"; }

  Result<NodeReadback> Read() override {
    NodeReadback out;
    if (fs_.Exists(YmlPath())) {
      Result<YmlFile> yml = LoadYml();
      if (!yml.ok()) return yml.status();
      out.config_exists = true;
      out.block = yml->block();
      if (out.block) out.drift = DescribeHandEdit(YmlPath(), *out.block);
      out.taken_over = TakenOver(*yml);
    }
    Result<std::map<std::string, std::string>> files = HashFiles(fs_, FilesDir());
    if (!files.ok()) {
      return Fail(files.status(), "cannot read " + FilesDir(),
                  "it must be a directory the user running crosslink can read: move away a "
                  "file of that name, or fix its permissions");
    }
    out.files = std::move(files).value();
    Result<std::vector<std::string>> names = KeystoreList();
    if (!names.ok()) return names.status();
    out.keystore_names = std::move(names).value();
    return out;
  }

  Result<NodeApplyResult> Apply(const NodeChange& change) override {
    Status valid = ValidateChange(change);
    if (!valid.ok()) return valid.WithContext(Describe());

    // 1. Everything that can be checked before touching the node.
    std::optional<std::string> new_yml;
    bool block_work = change.settings || !change.set_settings.empty() ||
                      !change.unset_settings.empty() || change.take_over.has_value();
    if (block_work) {
      Result<std::string> text = fs_.ReadFile(YmlPath());
      if (!text.ok()) {
        return Fail(
            text.status(), "cannot read " + YmlPath(),
            "check that `home` is the Elasticsearch home directory and the file is readable");
      }
      Result<YmlFile> yml = YmlFile::Parse(YmlPath(), *text);
      if (!yml.ok()) return yml.status().WithContext(Describe());
      ManagedSettings current = yml->block() ? yml->block()->settings : ManagedSettings();
      std::optional<ManagedSettings> target = TargetSettings(change, current);
      std::vector<std::string> take_over = change.take_over ? *change.take_over : TakenOver(*yml);
      Result<std::string> edited = yml->WithSettings(target ? *target : current, take_over);
      if (!edited.ok()) return edited.status().WithContext(Describe());
      if (*edited != *text) new_yml = std::move(edited).value();
    }
    bool keystore_work = !change.keystore_add.empty() || !change.keystore_remove.empty();
    std::set<std::string> present;
    if (keystore_work) {
      Result<std::vector<std::string>> names = KeystoreList();
      if (!names.ok()) return names.status();
      present.insert(names->begin(), names->end());
    }

    // 2. Files: staged beside their targets, then renamed together.
    FileTxn txn(fs_);
    txn.set_before_rename([this](const std::string& path) { FixOwner(path); });
    if (!change.write_files.empty()) {
      bool created = !fs_.Exists(FilesDir());
      Status dir = fs_.MakeDirs(FilesDir(), 0750);
      if (!dir.ok()) {
        return Fail(dir, "cannot create " + FilesDir(),
                    "make " + ConfigDir() + " writable for the user running crosslink");
      }
      if (created) FixOwner(FilesDir());
    }
    for (const NodeFile& f : change.write_files) {
      std::string path = FilesDir() + "/" + f.name;
      Status s = txn.Stage(path, f.bytes(), f.mode());
      if (!s.ok()) return Fail(s, "cannot write " + path, "make " + FilesDir() + " writable");
    }
    for (const std::string& name : change.remove_files) {
      std::string path = FilesDir() + "/" + name;
      Status s = txn.StageRemove(path);
      if (!s.ok()) {
        return Fail(s, "cannot read " + path + " before removing it", "check its permissions");
      }
    }
    if (new_yml) {
      Result<uint32_t> mode = fs_.FileMode(YmlPath());
      Status s = mode.ok() ? txn.Stage(YmlPath(), *new_yml, *mode) : mode.status();
      if (!s.ok()) {
        return Fail(s, "cannot write " + YmlPath(),
                    "make " + ConfigDir() + " writable for the user running crosslink");
      }
    }
    Status committed = txn.Commit();
    if (!committed.ok()) {
      return Fail(committed, "cannot replace the files under " + ConfigDir(),
                  "make " + ConfigDir() + " writable; nothing was changed");
    }

    // 3. Keystore.
    KeystoreJournal journal;
    Status ks = ApplyKeystore(change, present, &journal);
    if (!ks.ok()) {
      std::string undo = Undo(&txn, journal);
      return Status::Error(ks.code(), ks.message() + undo);
    }

    // 4. Restart.
    NodeApplyResult result;
    if (!change.restart) return Done(change, result);
    if (restart_.empty()) {
      result.restart = RestartOutcome::kUserRequired;
      result.note = "restart required: no restart command is configured for node " + name_ +
                    "; restart it yourself (or set `restart` on the node in the topology)";
      return Done(change, result);
    }
    Status restarted = Restart();
    if (!restarted.ok()) {
      std::string undo = Undo(&txn, journal);
      Status again = Restart();
      undo += again.ok()
                  ? "; the node was restarted with its previous configuration"
                  : "; restarting with the previous configuration failed too: the node may be "
                    "down";
      return Status::Error(restarted.code(), restarted.message() + undo);
    }
    result.restart = RestartOutcome::kDone;
    result.note = "restarted (" + restart_ + ")";
    return Done(change, result);
  }

  Result<TransportTls> ReadTransportTls() override {
    Result<YmlFile> yml = LoadYml();
    if (!yml.ok()) return yml.status();
    std::optional<std::set<std::string>> names;  // listed once, when a password is needed
    TransportSource source;
    source.node = Describe();
    source.config_dir = ConfigDir();
    source.fs = &fs_;
    source.secure = [&](const std::string& setting) -> Result<std::optional<Secret>> {
      if (!names) {
        Result<std::vector<std::string>> listed = KeystoreList();
        if (!listed.ok()) return listed.status();
        names.emplace(listed->begin(), listed->end());
      }
      if (!names->count(setting)) return std::optional<Secret>();
      Result<Secret> value = KeystoreShow(setting);
      if (!value.ok()) return value.status();
      return std::optional<Secret>(std::move(value).value());
    };
    return internal::ReadTransportTls(*yml, source);
  }

 private:
  // After a successful Apply: config/crosslink/ goes once crosslink's last
  // file is removed (best effort: an empty directory left behind is harmless).
  NodeApplyResult Done(const NodeChange& change, NodeApplyResult result) {
    if (!change.remove_files.empty() && fs_.Exists(FilesDir())) {
      Result<std::vector<std::string>> left = fs_.ListDir(FilesDir());
      if (left.ok() && left->empty()) {
        Status removed = fs_.Remove(FilesDir());
        if (!removed.ok()) spdlog::debug("{}: {}", Describe(), removed.message());
      }
    }
    return result;
  }

  std::string ConfigDir() const { return home_ + "/config"; }
  std::string YmlPath() const { return ConfigDir() + "/elasticsearch.yml"; }
  std::string FilesDir() const { return ConfigDir() + "/" + kFilesDir; }
  std::string KeystoreTool() const { return home_ + "/bin/elasticsearch-keystore"; }

  Status Fail(const Status& cause, const std::string& what, const std::string& fix) const {
    return Status::Error(cause.code(),
                         Describe() + ": " + what + ": " + cause.message() + "; " + fix,
                         cause.retryable());
  }

  Result<YmlFile> LoadYml() {
    Result<std::string> text = fs_.ReadFile(YmlPath());
    if (!text.ok()) return Fail(text.status(), "cannot read " + YmlPath(), "check its permissions");
    Result<YmlFile> yml = YmlFile::Parse(YmlPath(), std::move(text).value());
    if (!yml.ok()) return yml.status().WithContext(Describe());
    return yml;
  }

  // Runs the keystore tool; a non-zero exit is an error naming the command.
  Result<CommandResult> Keystore(std::vector<std::string> args, Secret input = Secret()) {
    Command command;
    command.argv = {KeystoreTool()};
    command.argv.insert(command.argv.end(), args.begin(), args.end());
    command.stdin_data = std::move(input);
    command.working_dir = home_;
    command.timeout = options_.keystore_timeout;
    if (options_.keystore_password) command.env["KEYSTORE_PASSWORD"] = *options_.keystore_password;
    Result<CommandResult> run = options_.runner->Run(command);
    std::string shown = command.Describe();
    if (!run.ok()) {
      if (run.status().code() == StatusCode::kNotFound) {
        return Status::FailedPrecondition(Describe() + ": " + KeystoreTool() + " does not exist; " +
                                          kKeystoreFix);
      }
      return Fail(run.status(), "cannot run `" + shown + "`", kKeystoreFix);
    }
    if (!run->ok()) {
      std::string fix = "run it by hand to see why";
      if (run->err.find("password") != std::string::npos) {
        fix = "the keystore is password-protected: give crosslink its password (KEYSTORE_PASSWORD)";
      }
      return Status::FailedPrecondition(Describe() + ": `" + shown + "` failed (" +
                                        run->Summary(command.timeout) + "); " + fix);
    }
    return run;
  }

  // `elasticsearch-keystore show <setting>`: the value, kept in a Secret.
  // Its output is never put into a message (only stderr's last line is).
  Result<Secret> KeystoreShow(const std::string& setting) {
    Command command;
    command.argv = {KeystoreTool(), "show", setting};
    command.working_dir = home_;
    command.timeout = options_.keystore_timeout;
    if (options_.keystore_password) command.env["KEYSTORE_PASSWORD"] = *options_.keystore_password;
    Result<CommandResult> run = options_.runner->Run(command);
    if (!run.ok()) {
      if (run.status().code() == StatusCode::kNotFound) {
        return Status::FailedPrecondition(Describe() + ": " + KeystoreTool() + " does not exist; " +
                                          kKeystoreFix);
      }
      return Fail(run.status(), "cannot run `" + command.Describe() + "`", kKeystoreFix);
    }
    Secret value(std::move(run->out));
    run->out.clear();
    if (!run->ok()) {
      CommandResult shown = *run;  // the summary from stderr only: stdout may hold the value
      shown.out.clear();
      std::string fix = "run it by hand to see why";
      if (run->err.find("password") != std::string::npos) {
        fix = "the keystore is password-protected: give crosslink its password (KEYSTORE_PASSWORD)";
      }
      return Status::FailedPrecondition(Describe() + ": `" + command.Describe() + "` failed (" +
                                        shown.Summary(command.timeout) + "); " + fix);
    }
    std::string text = value.expose();
    if (!text.empty() && text.back() == '\n') text.pop_back();
    if (!text.empty() && text.back() == '\r') text.pop_back();
    return Secret(std::move(text));
  }

  Result<std::vector<std::string>> KeystoreList() {
    Result<CommandResult> run = Keystore({"list"});
    if (!run.ok()) return run.status();
    std::vector<std::string> names;
    size_t start = 0;
    const std::string& out = run->out;
    while (start < out.size()) {
      size_t nl = out.find('\n', start);
      std::string line =
          out.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (!line.empty()) names.push_back(line);
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  // What ApplyKeystore changed, to put back: settings it added that were
  // absent, and the previous values (read with `show` first) of settings it
  // replaced or removed.
  struct KeystoreJournal {
    std::vector<std::string> added_new;
    std::map<std::string, Secret> previous;
  };

  Status ApplyKeystore(const NodeChange& change, const std::set<std::string>& present,
                       KeystoreJournal* journal) {
    auto remember = [&](const std::string& setting) -> Status {
      if (!present.count(setting) || journal->previous.count(setting)) return Status::Ok();
      Result<Secret> old = KeystoreShow(setting);
      if (!old.ok()) return old.status();
      journal->previous[setting] = std::move(old).value();
      return Status::Ok();
    };
    for (const auto& [setting, value] : change.keystore_add) {
      CROSSLINK_RETURN_IF_ERROR(remember(setting));
      Result<CommandResult> run = Keystore({"add", "-x", "-f", setting}, value);
      if (!run.ok()) return run.status();
      if (!present.count(setting)) journal->added_new.push_back(setting);
    }
    for (const std::string& setting : change.keystore_remove) {
      if (!present.count(setting)) continue;
      CROSSLINK_RETURN_IF_ERROR(remember(setting));
      Result<CommandResult> run = Keystore({"remove", setting});
      if (!run.ok()) return run.status();
    }
    return Status::Ok();
  }

  // Puts files and the keystore back (new settings removed, replaced or
  // removed ones re-added with their previous values); returns what to
  // append to the error message.
  std::string Undo(FileTxn* txn, const KeystoreJournal& journal) {
    std::vector<std::string> stuck;
    for (const std::string& setting : journal.added_new) {
      if (!Keystore({"remove", setting}).ok()) stuck.push_back(setting);
    }
    for (const auto& [setting, value] : journal.previous) {
      if (!Keystore({"add", "-x", "-f", setting}, value).ok()) stuck.push_back(setting);
    }
    Status files = txn->Rollback();
    std::string out = files.ok() ? "; the node's files were restored"
                                 : "; restoring the node's files failed (" + files.message() +
                                       "): check " + ConfigDir() + " by hand";
    if (!stuck.empty()) out += "; keystore settings not restored: " + JoinNames(stuck);
    return out;
  }

  Status Restart() {
    Command command = ShellCommand(restart_);
    command.working_dir = home_;
    command.timeout = options_.restart_timeout;
    Result<CommandResult> run = options_.runner->Run(command);
    if (!run.ok()) {
      return Fail(run.status(), "cannot run the restart command `" + restart_ + "`",
                  "fix `restart` of the node in the topology");
    }
    if (!run->ok()) {
      return Status::FailedPrecondition(Describe() + ": the restart command `" + restart_ +
                                        "` failed (" + run->Summary(command.timeout) +
                                        "); fix the command or the node, then apply again");
    }
    return Status::Ok();
  }

  // As root, files crosslink writes get the owner of the config directory,
  // so that Elasticsearch (running as its own user) can read them.
  void FixOwner(const std::string& path) {
    if (!options_.preserve_owner || ::geteuid() != 0) return;
    struct stat dir {
    }, st{};
    if (::stat(ConfigDir().c_str(), &dir) != 0 || ::stat(path.c_str(), &st) != 0) return;
    if (st.st_uid != dir.st_uid || st.st_gid != dir.st_gid) {
      (void)!::chown(path.c_str(), dir.st_uid, dir.st_gid);
    }
  }

  std::string name_;
  std::string home_;
  std::string restart_;
  NodeOptions options_;
  FileSystem& fs_;
};

}  // namespace

std::unique_ptr<Node> NewLocalNode(const topology::NodeDelivery& delivery, NodeOptions options) {
  return std::make_unique<LocalNode>(delivery, std::move(options));
}

}  // namespace crosslink::providers::self::internal
