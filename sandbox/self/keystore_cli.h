#pragma once
// The `bin/elasticsearch-keystore` stand-in of a self-managed twin's install
// directory: `crosslink-sandbox keystore --home <home> <command> ...` (the
// install's bin/elasticsearch-keystore script execs exactly that).
//
// Commands and messages follow the real CLI (exit codes from ES ExitCodes:
// 64 usage, 65 data error, 78 config):
//   create                       ("An elasticsearch keystore already exists. Overwrite? [y/N]")
//   list                         one setting name per line, sorted
//   add [-f|--force] [-x|--stdin] <setting>...
//        without -x prompts "Enter value for <setting>: " and reads a line;
//        with -x one setting takes the whole stdin, several take a line each
//        (trailing newline stripped); an existing setting without -f asks
//        "Setting <s> already exists. Overwrite? [y/N]"; a missing keystore
//        is created (asking first unless -f).
//   remove <setting>...          "Setting [x] does not exist in the keystore." exit 78
//   show <setting>               prints the value
//   has-passwd                   exit 0 when password-protected, else 1
// Errors go to `err` as "ERROR: <message>".
//
// Simplification: the keystore password is read from the environment variable
// KEYSTORE_PASSWORD (empty/unset = not password-protected) instead of a
// terminal prompt; `create` protects the new keystore with it.
//
// Thread-safety: reads the process environment; one call at a time per home.

#include <iosfwd>
#include <string>
#include <vector>

namespace crosslink::sandbox::self {

// `args` are the arguments after "keystore". Returns the exit code.
int RunKeystoreCli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace crosslink::sandbox::self
