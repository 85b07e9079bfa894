#include "providers/self/node.h"

#include <algorithm>
#include <set>

#include "providers/self/file_txn.h"
#include "providers/self/node_internal.h"

namespace crosslink::providers::self {

NodeFile NodeFile::Public(std::string name, std::string content) {
  NodeFile f;
  f.name = std::move(name);
  f.content = std::move(content);
  return f;
}

NodeFile NodeFile::Sensitive(std::string name, Secret content) {
  NodeFile f;
  f.name = std::move(name);
  f.secret = std::move(content);
  f.sensitive = true;
  return f;
}

namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

}  // namespace

Status ValidateFileName(const std::string& name) {
  if (name.empty() || name == "." || name == ".." ||
      !std::all_of(name.begin(), name.end(), IsNameChar) ||
      name.find(".crosslink-new") != std::string::npos || name.find(".tmp.") != std::string::npos) {
    return Status::InvalidArgument("file name `" + name +
                                   "`: use a plain name of letters, digits, '.', '_' or '-'");
  }
  return Status::Ok();
}

Status ValidateKeystoreSetting(const std::string& setting) {
  if (setting.empty() || !std::all_of(setting.begin(), setting.end(), IsNameChar)) {
    return Status::InvalidArgument(
        "keystore setting `" + setting +
        "`: Elasticsearch allows letters, digits, '.', '_' and '-' only");
  }
  return Status::Ok();
}

namespace internal {

Status ValidateChange(const NodeChange& change) {
  if (change.settings) CROSSLINK_RETURN_IF_ERROR(ValidateSettings(*change.settings));
  if (change.settings && (!change.set_settings.empty() || !change.unset_settings.empty())) {
    return Status::InvalidArgument(
        "a change gives either the whole managed block (settings) or a merge (set_settings / "
        "unset_settings), not both");
  }
  CROSSLINK_RETURN_IF_ERROR(ValidateSettings(change.set_settings));
  for (const std::string& key : change.unset_settings) {
    if (change.set_settings.count(key)) {
      return Status::InvalidArgument("managed setting `" + key +
                                     "` is both set and unset by one change");
    }
  }
  if (change.take_over) {
    for (const std::string& key : *change.take_over) {
      if (!ValidateSettings({{key, true}}).ok()) {
        return Status::InvalidArgument("setting to take over `" + key +
                                       "`: a key must be dotted parts of letters, digits, '_' "
                                       "or '-'");
      }
    }
  }
  std::set<std::string> names;
  for (const NodeFile& f : change.write_files) {
    CROSSLINK_RETURN_IF_ERROR(ValidateFileName(f.name));
    if (!names.insert(f.name).second) {
      return Status::InvalidArgument("file `" + f.name + "` is written twice by one change");
    }
  }
  for (const std::string& name : change.remove_files) {
    CROSSLINK_RETURN_IF_ERROR(ValidateFileName(name));
    if (names.count(name)) {
      return Status::InvalidArgument("file `" + name +
                                     "` is both written and removed by one change");
    }
  }
  for (const auto& [setting, value] : change.keystore_add) {
    CROSSLINK_RETURN_IF_ERROR(ValidateKeystoreSetting(setting));
    if (value.empty()) {
      return Status::InvalidArgument("keystore setting `" + setting + "`: the value is empty");
    }
  }
  for (const std::string& setting : change.keystore_remove) {
    CROSSLINK_RETURN_IF_ERROR(ValidateKeystoreSetting(setting));
    if (change.keystore_add.count(setting)) {
      return Status::InvalidArgument("keystore setting `" + setting +
                                     "` is both added and removed by one change");
    }
  }
  return Status::Ok();
}

std::optional<ManagedSettings> TargetSettings(const NodeChange& change,
                                              const ManagedSettings& current) {
  if (change.settings) return change.settings;
  if (change.set_settings.empty() && change.unset_settings.empty()) return std::nullopt;
  ManagedSettings out = current;
  for (const std::string& key : change.unset_settings) out.erase(key);
  for (const auto& [key, value] : change.set_settings) out[key] = value;
  return out;
}

Result<std::map<std::string, std::string>> HashFiles(FileSystem& fs, const std::string& dir) {
  std::map<std::string, std::string> out;
  if (!fs.Exists(dir)) return out;
  Result<std::vector<std::string>> names = fs.ListDir(dir);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    if (!ValidateFileName(name).ok()) continue;  // temp files, foreign names
    Result<std::string> bytes = fs.ReadFile(dir + "/" + name);
    if (!bytes.ok()) {
      // A directory or an unreadable entry: not one of crosslink's files.
      if (bytes.status().code() == StatusCode::kIoError) continue;
      return bytes.status();
    }
    out[name] = Sha256Hex(*bytes);
  }
  return out;
}

std::vector<std::string> TakenOver(const YmlFile& yml) {
  std::set<std::string> keys;
  for (const OutsideSetting& o : yml.outside()) {
    if (o.disabled) keys.insert(o.key);
  }
  return {keys.begin(), keys.end()};
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

bool Contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

void AddUnique(std::vector<std::string>* list, const std::string& s) {
  if (!Contains(*list, s)) list->push_back(s);
}

}  // namespace internal

Result<std::unique_ptr<Node>> NewNode(const topology::NodeDelivery& delivery, NodeOptions options) {
  if (options.fs == nullptr || options.runner == nullptr) {
    return Status::InvalidArgument("node " + delivery.name +
                                   ": NewNode needs a FileSystem and a CommandRunner");
  }
  if (delivery.kind == topology::NodeDelivery::Kind::kLocal) {
    if (delivery.home.empty()) {
      return Status::InvalidArgument(
          "node " + delivery.name +
          ": delivery local needs `home`, the Elasticsearch home directory");
    }
    return internal::NewLocalNode(delivery, std::move(options));
  }
  if (delivery.bundle_dir.empty()) {
    return Status::InvalidArgument(
        "node " + delivery.name +
        ": delivery bundle needs `bundle_dir`, where crosslink writes the files");
  }
  return internal::NewBundleNode(delivery, std::move(options));
}

}  // namespace crosslink::providers::self
