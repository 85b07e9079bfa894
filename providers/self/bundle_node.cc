// The bundle delivery of node.h: a directory per node for the user's own
// configuration management.

#include <algorithm>
#include <set>

#include "providers/self/file_txn.h"
#include "providers/self/node_internal.h"

namespace crosslink::providers::self::internal {
namespace {

constexpr const char* kFragment = "elasticsearch.crosslink.yml";
constexpr const char* kKeystoreDir = "keystore";
constexpr const char* kRemoveList = "keystore-remove.txt";
constexpr const char* kScript = "keystore.sh";
constexpr const char* kReadme = "README.txt";
constexpr const char* kDisableList = "disable-settings.txt";
constexpr const char* kRestartNote = "restart required (bundle: yours)";

// Holds no value: reads each from its file, on the tool's stdin.
constexpr const char* kScriptText = R"SH(#!/bin/sh
# Written by crosslink. Usage: keystore.sh <Elasticsearch home>
# Adds every setting of keystore/ to the node's keystore (the value is the
# file's content, given on stdin) and removes the settings listed in
# keystore-remove.txt. No value is written in this script.
# A password-protected keystore: export KEYSTORE_PASSWORD first.
set -eu
if [ "$#" -ne 1 ]; then
  echo "usage: $0 <Elasticsearch home>" >&2
  exit 64
fi
tool="$1/bin/elasticsearch-keystore"
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$tool" ]; then
  echo "$tool: not found or not executable; give the Elasticsearch home directory" >&2
  exit 1
fi
for f in "$here"/keystore/*; do
  [ -f "$f" ] || continue
  "$tool" add -x -f "$(basename "$f")" < "$f"
done
if [ -f "$here/keystore-remove.txt" ]; then
  while IFS= read -r s; do
    [ -n "$s" ] || continue
    if "$tool" list < /dev/null | grep -qxF "$s"; then
      "$tool" remove "$s" < /dev/null
    fi
  done < "$here/keystore-remove.txt"
fi
echo "keystore of $1 updated by crosslink"
)SH";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (!line.empty()) out.push_back(line);
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

class BundleNode : public Node {
 public:
  BundleNode(const topology::NodeDelivery& delivery, NodeOptions options)
      : name_(delivery.name),
        dir_(delivery.bundle_dir),
        options_(std::move(options)),
        fs_(*options_.fs) {
    while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  }

  const std::string& name() const override { return name_; }
  std::string Describe() const override { return "node " + name_ + " (bundle " + dir_ + ")"; }

  Result<NodeReadback> Read() override {
    NodeReadback out;
    out.config_exists = fs_.Exists(dir_);
    if (!out.config_exists) return out;
    if (fs_.Exists(Path(kFragment))) {
      Result<std::string> text = fs_.ReadFile(Path(kFragment));
      if (!text.ok()) return Fail(text.status(), "cannot read " + Path(kFragment));
      Result<YmlFile> yml = YmlFile::Parse(Path(kFragment), *text);
      if (!yml.ok()) return yml.status().WithContext(Describe());
      out.block = yml->block();
      if (!out.block) {
        out.drift =
            Path(kFragment) + ": crosslink's managed block is missing; the next apply rewrites it";
      } else {
        out.drift = DescribeHandEdit(Path(kFragment), *out.block);
      }
    }
    Result<std::map<std::string, std::string>> files = HashFiles(fs_, FilesDir());
    if (!files.ok()) return Fail(files.status(), "cannot read " + FilesDir());
    out.files = std::move(files).value();
    Result<std::map<std::string, std::string>> keystore = HashFiles(fs_, Path(kKeystoreDir));
    if (!keystore.ok()) return Fail(keystore.status(), "cannot read " + Path(kKeystoreDir));
    for (const auto& [setting, hash] : *keystore) out.keystore_names.push_back(setting);
    Result<std::vector<std::string>> taken = ReadDisableList();
    if (!taken.ok()) return taken.status();
    out.taken_over = std::move(taken).value();
    return out;
  }

  Result<NodeApplyResult> Apply(const NodeChange& change) override {
    Status valid = ValidateChange(change);
    if (!valid.ok()) return valid.WithContext(Describe());

    // The bundle's current keystore plan.
    Result<std::map<std::string, std::string>> existing = HashFiles(fs_, Path(kKeystoreDir));
    if (!existing.ok()) return Fail(existing.status(), "cannot read " + Path(kKeystoreDir));
    std::set<std::string> removals;
    if (fs_.Exists(Path(kRemoveList))) {
      Result<std::string> text = fs_.ReadFile(Path(kRemoveList));
      if (!text.ok()) return Fail(text.status(), "cannot read " + Path(kRemoveList));
      for (const std::string& s : Lines(*text)) removals.insert(s);
    }
    std::set<std::string> adds;
    for (const auto& [setting, hash] : *existing) adds.insert(setting);
    for (const auto& [setting, value] : change.keystore_add) {
      adds.insert(setting);
      removals.erase(setting);
    }
    for (const std::string& setting : change.keystore_remove) {
      adds.erase(setting);
      removals.insert(setting);
    }

    // The fragment's settings after the change.
    ManagedSettings current;
    if (fs_.Exists(Path(kFragment))) {
      Result<std::string> text = fs_.ReadFile(Path(kFragment));
      if (!text.ok()) return Fail(text.status(), "cannot read " + Path(kFragment));
      Result<YmlFile> yml = YmlFile::Parse(Path(kFragment), *text);
      if (!yml.ok()) return yml.status().WithContext(Describe());
      if (yml->block()) current = yml->block()->settings;
    }
    std::optional<ManagedSettings> target = TargetSettings(change, current);
    std::vector<std::string> take_over;
    if (change.take_over) {
      std::set<std::string> keys(change.take_over->begin(), change.take_over->end());
      take_over.assign(keys.begin(), keys.end());
    } else {
      Result<std::vector<std::string>> taken = ReadDisableList();
      if (!taken.ok()) return taken.status();
      take_over = std::move(taken).value();
    }

    for (const char* dir : {"", "/config", "/config/crosslink", "/keystore"}) {
      Status s = fs_.MakeDirs(dir_ + dir, 0700);
      if (!s.ok()) {
        return Fail(s, "cannot create " + dir_ + dir,
                    "choose a writable `bundle_dir` for the node in the topology");
      }
    }
    FileTxn txn(fs_);
    Status s = Stage(change, target, take_over, adds, removals, &txn);
    if (s.ok()) s = txn.Commit();
    if (!s.ok()) {
      return Fail(
          s, "cannot write the bundle",
          "choose a writable `bundle_dir` for the node in the topology; nothing was changed");
    }
    NodeApplyResult result;
    if (change.restart) {
      result.restart = RestartOutcome::kUserRequired;
      result.note = kRestartNote;
    }
    return result;
  }

  Result<TransportTls> ReadTransportTls() override {
    return Status::FailedPrecondition(
        Describe() +
        ": crosslink cannot read a bundle node's transport certificates; the certificate "
        "security model needs delivery: local for this cluster's nodes");
  }

 private:
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string FilesDir() const { return dir_ + "/config/" + kFilesDir; }

  Status Fail(const Status& cause, const std::string& what, const std::string& fix = "") const {
    return Status::Error(
        cause.code(),
        Describe() + ": " + what + ": " + cause.message() + (fix.empty() ? "" : "; " + fix),
        cause.retryable());
  }

  // The settings the bundle asks the user to disable (disable-settings.txt).
  Result<std::vector<std::string>> ReadDisableList() {
    if (!fs_.Exists(Path(kDisableList))) return std::vector<std::string>();
    Result<std::string> text = fs_.ReadFile(Path(kDisableList));
    if (!text.ok()) return Fail(text.status(), "cannot read " + Path(kDisableList));
    std::set<std::string> keys;
    for (std::string line : Lines(*text)) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (!line.empty()) keys.insert(line);
    }
    return std::vector<std::string>(keys.begin(), keys.end());
  }

  Status Stage(const NodeChange& change, const std::optional<ManagedSettings>& target,
               const std::vector<std::string>& take_over, const std::set<std::string>& adds,
               const std::set<std::string>& removals, FileTxn* txn) {
    if (target) {
      if (target->empty()) {
        CROSSLINK_RETURN_IF_ERROR(txn->StageRemove(Path(kFragment)));
      } else {
        CROSSLINK_RETURN_IF_ERROR(txn->Stage(Path(kFragment), RenderBlock(*target), 0644));
      }
    }
    for (const NodeFile& f : change.write_files) {
      CROSSLINK_RETURN_IF_ERROR(txn->Stage(FilesDir() + "/" + f.name, f.bytes(), f.mode()));
    }
    for (const std::string& name : change.remove_files) {
      CROSSLINK_RETURN_IF_ERROR(txn->StageRemove(FilesDir() + "/" + name));
    }
    for (const auto& [setting, value] : change.keystore_add) {
      CROSSLINK_RETURN_IF_ERROR(
          txn->Stage(Path(kKeystoreDir) + "/" + setting, value.expose(), 0600));
    }
    for (const std::string& setting : change.keystore_remove) {
      CROSSLINK_RETURN_IF_ERROR(txn->StageRemove(Path(kKeystoreDir) + "/" + setting));
    }
    std::string remove_text;
    for (const std::string& setting : removals) remove_text += setting + "\n";
    if (removals.empty()) {
      CROSSLINK_RETURN_IF_ERROR(txn->StageRemove(Path(kRemoveList)));
    } else {
      CROSSLINK_RETURN_IF_ERROR(txn->Stage(Path(kRemoveList), remove_text, 0644));
    }
    std::string disable_text;
    for (const std::string& key : take_over) disable_text += key + "\n";
    if (take_over.empty()) {
      CROSSLINK_RETURN_IF_ERROR(txn->StageRemove(Path(kDisableList)));
    } else {
      CROSSLINK_RETURN_IF_ERROR(txn->Stage(Path(kDisableList), disable_text, 0644));
    }
    CROSSLINK_RETURN_IF_ERROR(txn->Stage(Path(kScript), kScriptText, 0700));
    bool fragment = target ? !target->empty() : fs_.Exists(Path(kFragment));
    return txn->Stage(Path(kReadme), Readme(change, fragment, take_over, adds, removals), 0644);
  }

  // What the user does with the bundle, from its state after this Apply.
  std::string Readme(const NodeChange& change, bool fragment,
                     const std::vector<std::string>& take_over, const std::set<std::string>& adds,
                     const std::set<std::string>& removals) {
    std::set<std::string> files;
    if (fs_.Exists(FilesDir())) {
      Result<std::vector<std::string>> names = fs_.ListDir(FilesDir());
      if (names.ok()) {
        for (const std::string& n : *names) {
          if (ValidateFileName(n).ok()) files.insert(n);
        }
      }
    }
    for (const NodeFile& f : change.write_files) files.insert(f.name);
    for (const std::string& n : change.remove_files) files.erase(n);

    std::string out = "crosslink bundle for node " + name_ +
                      "\n"
                      "==========================" +
                      std::string(name_.size(), '=') +
                      "\n\n"
                      "crosslink does not reach this node: install these files with your own\n"
                      "configuration management, then restart the node. Run every step on the\n"
                      "node, as the user that owns the Elasticsearch installation; <home> is its\n"
                      "Elasticsearch home directory.\n\n";
    int step = 1;
    out += std::to_string(step++) +
           ". Files: make <home>/config/crosslink/ hold exactly the files of\n"
           "   config/crosslink/ here (keep their modes: 0600 secrets, 0644 CAs):\n";
    if (files.empty()) out += "     (none: remove <home>/config/crosslink/)\n";
    for (const std::string& f : files) out += "     config/crosslink/" + f + "\n";
    out += "\n" + std::to_string(step++) + ". Settings: ";
    if (fragment) {
      out += "put " + std::string(kFragment) +
             " into <home>/config/elasticsearch.yml,\n"
             "   replacing the block between the crosslink BEGIN/END lines if there is one.\n"
             "   Settings it holds must not also be set elsewhere in the file.\n";
    } else {
      out +=
          "remove crosslink's managed block (BEGIN/END lines and\n"
          "   everything between) from <home>/config/elasticsearch.yml.\n";
    }
    out += "\n" + std::to_string(step++) + ". Your own settings: ";
    if (take_over.empty()) {
      out += "none to change (put back any line an earlier\n   bundle asked you to remove).\n";
    } else {
      out +=
          "remove or comment these lines of your elasticsearch.yml\n"
          "   (crosslink's settings replace them; Elasticsearch refuses both). They are\n"
          "   listed in " +
          std::string(kDisableList) +
          " too; put them back when crosslink "
          "no longer lists them:\n";
      for (const std::string& key : take_over) out += "     " + key + "\n";
      out +=
          "   (a key nested under its parent mapping, e.g. `truststore.path:` under\n"
          "   `xpack.security.transport.ssl:`, is the same setting.)\n";
    }
    out +=
        "\n" + std::to_string(step++) + ". Keystore: run `./" + std::string(kScript) + " <home>`";
    if (adds.empty() && removals.empty()) out += " (nothing to do)";
    out += ".\n";
    for (const std::string& s : adds) out += "     adds     " + s + "\n";
    for (const std::string& s : removals) out += "     removes  " + s + "\n";
    out +=
        "   The values are the files under keystore/ (0600); keep them secret and\n"
        "   delete the bundle once installed if your tooling allows.\n";
    out += "\n" + std::to_string(step++) + ". Restart the node (" + std::string(kRestartNote) +
           "): elasticsearch.yml and\n   the certificate files are read at start.\n";
    return out;
  }

  std::string name_;
  std::string dir_;
  NodeOptions options_;
  FileSystem& fs_;
};

}  // namespace

std::unique_ptr<Node> NewBundleNode(const topology::NodeDelivery& delivery, NodeOptions options) {
  return std::make_unique<BundleNode>(delivery, std::move(options));
}

}  // namespace crosslink::providers::self::internal
