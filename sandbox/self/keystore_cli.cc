#include "sandbox/self/keystore_cli.h"

#include <cstdlib>
#include <istream>
#include <iterator>
#include <ostream>
#include <set>

#include "engine/core/filesystem.h"
#include "sandbox/self/keystore.h"

namespace crosslink::sandbox::self {
namespace {

// org.elasticsearch.cli.ExitCodes
constexpr int kOk = 0;
constexpr int kUsage = 64;
constexpr int kDataError = 65;
constexpr int kIoError = 74;
constexpr int kConfig = 78;
constexpr int kNoPassword = 1;  // HasPasswordKeyStoreCommand.NO_PASSWORD_EXIT_CODE

constexpr const char* kUsageText =
    "A tool for managing settings stored in the elasticsearch keystore\n\n"
    "Commands\n--------\n"
    "create - Creates a new elasticsearch keystore\n"
    "list - List entries in the keystore\n"
    "add - Add a string settings to the keystore\n"
    "show - Show a value from the keystore\n"
    "remove - Remove settings from the keystore\n"
    "has-passwd - Succeeds if the keystore exists and is password-protected, fails with exit code 1 otherwise.\n";

struct Cli {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  std::string home;
  std::string path;
  Secret password;

  int Fail(int code, const std::string& message) {
    err << "ERROR: " << message << "\n";
    return code;
  }

  bool PromptYesNo(const std::string& question) {
    out << question << " [y/N]" << std::flush;
    std::string answer;
    if (!std::getline(in, answer)) return false;
    return answer == "y" || answer == "Y" || answer == "yes";
  }

  int FailStatus(const Status& s) {
    if (s.code() == StatusCode::kNotFound) {
      return Fail(kDataError, "Elasticsearch keystore not found at [" + path + "]. Use 'create' command to create one.");
    }
    if (s.code() == StatusCode::kPermissionDenied || s.code() == StatusCode::kCorruption) {
      return Fail(kDataError, s.message());
    }
    return Fail(kIoError, s.message());
  }

  int Save(const Keystore& ks) {
    Status s = ks.Save(path);
    if (!s.ok()) return Fail(kIoError, s.message());
    return kOk;
  }

  int Create(const std::vector<std::string>& positional) {
    if (!positional.empty()) return Fail(kUsage, "Positional arguments not allowed, found " + positional.front());
    if (NewPosixFileSystem()->Exists(path)) {
      if (!PromptYesNo("An elasticsearch keystore already exists. Overwrite?")) {
        out << "Exiting without creating keystore.\n";
        return kOk;
      }
    }
    if (!NewPosixFileSystem()->Exists(home + "/config")) {
      return Fail(kIoError, "Elasticsearch config directory [" + home + "/config] does not exist");
    }
    int rc = Save(Keystore::Create(password));
    if (rc == kOk) out << "Created elasticsearch keystore in " << home << "/config\n";
    return rc;
  }

  int List(const std::vector<std::string>& positional) {
    if (!positional.empty()) return Fail(kUsage, "Positional arguments not allowed, found " + positional.front());
    Result<Keystore> ks = Keystore::Load(path, password);
    if (!ks.ok()) return FailStatus(ks.status());
    for (const std::string& name : ks->Names()) out << name << "\n";
    return kOk;
  }

  static std::string StripNewline(std::string value) {
    if (!value.empty() && value.back() == '\n') value.pop_back();
    if (!value.empty() && value.back() == '\r') value.pop_back();
    return value;
  }

  int Add(const std::vector<std::string>& positional, bool force, bool use_stdin) {
    if (positional.empty()) return Fail(kUsage, "the setting names can not be null");
    Result<Keystore> loaded = Keystore::Load(path, password);
    Keystore ks = Keystore::Create(password);
    if (loaded.ok()) {
      ks = std::move(loaded).value();
    } else if (loaded.status().code() == StatusCode::kNotFound) {
      if (!force && !PromptYesNo("The elasticsearch keystore does not exist. Do you want to create it?")) {
        out << "Exiting without creating keystore.\n";
        return kOk;
      }
    } else {
      return FailStatus(loaded.status());
    }
    std::string all_stdin;
    if (use_stdin && positional.size() == 1) {
      all_stdin.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    for (const std::string& setting : positional) {
      if (!IsValidSettingName(setting)) {
        return Fail(kDataError, "Setting name [" + setting +
                                    "] does not match the allowed setting name pattern [[A-Za-z0-9_\\-.]+]");
      }
      if (ks.Has(setting) && !force) {
        if (!PromptYesNo("Setting " + setting + " already exists. Overwrite?")) {
          out << "Exiting without modifying keystore.\n";
          return kOk;
        }
      }
      std::string value;
      if (use_stdin && positional.size() == 1) {
        value = StripNewline(all_stdin);
      } else {
        if (!use_stdin) out << "Enter value for " << setting << ": " << std::flush;
        std::getline(in, value);
        value = StripNewline(value);
      }
      for (unsigned char c : value) {
        if (c > 127) return Fail(kDataError, "String value must contain only ASCII");
      }
      ks.Set(setting, Secret(value));
    }
    return Save(ks);
  }

  int Remove(const std::vector<std::string>& positional) {
    if (positional.empty()) return Fail(kUsage, "Must supply at least one setting to remove");
    Result<Keystore> ks = Keystore::Load(path, password);
    if (!ks.ok()) return FailStatus(ks.status());
    for (const std::string& setting : positional) {
      if (!ks->Has(setting)) return Fail(kConfig, "Setting [" + setting + "] does not exist in the keystore.");
      ks->Remove(setting);
    }
    return Save(*ks);
  }

  int Show(const std::vector<std::string>& positional) {
    if (positional.size() != 1) return Fail(kUsage, "Must provide a single setting name to show");
    Result<Keystore> ks = Keystore::Load(path, password);
    if (!ks.ok()) return FailStatus(ks.status());
    const std::string& setting = positional.front();
    auto it = ks->entries().find(setting);
    if (it == ks->entries().end()) return Fail(kConfig, "Setting [" + setting + "] does not exist in the keystore.");
    out << it->second.expose() << "\n";
    return kOk;
  }

  int HasPasswd() {
    Result<bool> protected_flag = Keystore::PeekPasswordProtected(path);
    if (!protected_flag.ok()) {
      if (protected_flag.status().code() == StatusCode::kNotFound) {
        return Fail(kNoPassword, "Elasticsearch keystore not found");
      }
      return FailStatus(protected_flag.status());
    }
    if (!*protected_flag) return Fail(kNoPassword, "Keystore is not password-protected");
    out << "Keystore is password-protected\n";
    return kOk;
  }
};

}  // namespace

int RunKeystoreCli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  Cli cli{in, out, err, "", "", Secret()};
  std::string command;
  std::vector<std::string> positional;
  bool force = false, use_stdin = false, help = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--home") {
      if (i + 1 >= args.size()) return cli.Fail(kUsage, "Option --home requires an argument");
      cli.home = args[++i];
    } else if (a == "-f" || a == "--force") {
      force = true;
    } else if (a == "-x" || a == "--stdin") {
      use_stdin = true;
    } else if (a == "-h" || a == "--help") {
      help = true;
    } else if (a == "-p" || a == "-s" || a == "--silent" || a == "-v" || a == "--verbose") {
      // -p (password prompt for create): the password comes from KEYSTORE_PASSWORD.
    } else if (!a.empty() && a[0] == '-') {
      return cli.Fail(kUsage, a.substr(a.find_first_not_of('-')) + " is not a recognized option");
    } else if (command.empty()) {
      command = a;
    } else {
      positional.push_back(a);
    }
  }
  if (help || command.empty()) {
    out << kUsageText;
    return help ? kOk : cli.Fail(kUsage, "Missing command");
  }
  if (cli.home.empty()) return cli.Fail(kUsage, "--home <elasticsearch home> is required");
  cli.path = KeystorePath(cli.home);
  const char* env_password = std::getenv("KEYSTORE_PASSWORD");
  cli.password = Secret(env_password ? env_password : "");

  if (command == "create") return cli.Create(positional);
  if (command == "list") return cli.List(positional);
  if (command == "add") return cli.Add(positional, force, use_stdin);
  if (command == "remove") return cli.Remove(positional);
  if (command == "show") return cli.Show(positional);
  if (command == "has-passwd") return cli.HasPasswd();
  out << kUsageText;
  return cli.Fail(kUsage, "Unknown command [" + command + "]");
}

}  // namespace crosslink::sandbox::self
