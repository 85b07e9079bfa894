#pragma once
// crosslink's managed block in a self-managed node's elasticsearch.yml
// (DESIGN.md decision 5: everything crosslink creates is marked as its own).
// Pure functions over the file's bytes: no I/O.
//
// The block, in the file's own line ending:
//
//   # BEGIN crosslink managed block — do not edit (crosslink.elastic.co)
//   # crosslink: sha256=<64 hex>[ eol_added=true]
//   remote_cluster.port: 9443
//   xpack.security.remote_cluster_client.ssl.certificate_authorities: ["crosslink/a.crt"]
//   # END crosslink managed block
//
// - Settings are flat `key: value` lines sorted by key; a value is a JSON
//   scalar (string, boolean, number) or a flow list of scalars, which is
//   YAML too. Keys are dotted names of [A-Za-z0-9_-] parts.
// - The meta line holds the SHA-256 of the lines between it and the END
//   marker (line endings excluded, joined with "\n"). A block whose lines no
//   longer match it was edited by hand: ManagedBlock::hand_edited(), and
//   DescribeDrift() names the keys that differ from what crosslink expects.
// - `eol_added=true` records that the file did not end with a line break
//   when crosslink appended the block, so that removing the block gives the
//   original bytes back.
// - Everything outside the block is kept byte for byte: line endings (LF or
//   CRLF, even mixed), comments, unicode, duplicate keys, a missing final
//   line break. A new block is appended at the end of the file; an existing
//   one is replaced where it is (top, middle or end).
//
// Errors (kInvalidArgument, message "<file>:<line>[:<col>]: ... " with the
// fix), each leaving the caller's bytes untouched since nothing is written
// here:
//   - the file is not valid YAML, or its top level is not a mapping;
//   - two BEGIN markers, a BEGIN without END, an END without BEGIN, or an
//     indented marker;
//   - a block that is not valid YAML, not flat `key: scalar|[scalars]`, or
//     that sets a key twice;
//   - (WithSettings) a managed key also set outside the block, flat or
//     nested (`a.b: 1` or `a:\n  b: 1`), or a prefix/extension of one: ES
//     would refuse the duplicate, or the user's value would fight ours
//     (kFailedPrecondition). An empty parent mapping (`a:` with nothing
//     under it) is no clash.
//   - (WithSettings) a setting to take over that shares its line with other
//     YAML (`a: {b: 1, c: 2}`): kFailedPrecondition naming it.
//
// Take-over: a user setting outside the block that crosslink must replace
// (e.g. transport.ssl.truststore.path, which Elasticsearch refuses next to
// certificate_authorities) is disabled by prefixing each of its lines (the
// key line, and the value's continuation lines: block sequence items, flow
// lists or quoted scalars spanning lines, deeper indented lines) with
// kDisabledPrefix. Only the setting's own lines: `a:\n  b: 1\n  c: 2` with
// a.b taken over keeps `a:` and `  c: 2`. Re-enabling removes the prefix:
// the original bytes come back. A line whose prefix was removed by hand is
// an enabled setting again (a conflict again, until the next take-over).
//
// Thread-safety: YmlFile is an immutable value.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/value.h"

namespace crosslink::providers::self {

inline constexpr std::string_view kBlockBegin =
    "# BEGIN crosslink managed block \xE2\x80\x94 do not edit (crosslink.elastic.co)";
inline constexpr std::string_view kBlockEnd = "# END crosslink managed block";
// Prefix of each line of a setting outside the block that crosslink took
// over (disabled, reversibly): removing it gives the original line back.
inline constexpr std::string_view kDisabledPrefix = "#crosslink-disabled# ";

// Settings crosslink manages in one file: flat key -> string, boolean,
// number, or array of those. std::map keeps the block's stable order.
using ManagedSettings = std::map<std::string, Value>;

// kInvalidArgument naming the key when a key or value is not representable.
Status ValidateSettings(const ManagedSettings& settings);

// The block's lines, each followed by `eol` (LF or CRLF). An empty
// `settings` still renders BEGIN, meta and END. Settings must be valid.
std::string RenderBlock(const ManagedSettings& settings, std::string_view eol = "\n",
                        bool eol_added = false);

// Hex SHA-256 of `data` (lower case).
std::string Sha256Hex(std::string_view data);

// The block found in a file.
struct ManagedBlock {
  int begin_line = 0;  // 1-based line of the BEGIN marker
  int end_line = 0;    // 1-based line of the END marker
  ManagedSettings settings;
  std::string recorded_checksum;  // from the meta line; "" when absent or malformed
  std::string actual_checksum;    // of the lines as they are
  bool eol_added = false;
  bool hand_edited() const { return recorded_checksum != actual_checksum; }
};

// A setting set outside the block (flattened: `a:\n  b: 1` is "a.b").
struct OutsideSetting {
  std::string key;
  int line = 0;           // 1-based line of the innermost key
  Value value;            // the parsed YAML value: scalar (string/bool/number/null),
                          // sequence as array, mapping as object
  bool disabled = false;  // its lines carry kDisabledPrefix (taken over)
};

class YmlFile {
 public:
  // Parses the bytes of `file` (the path is used in messages only).
  static Result<YmlFile> Parse(std::string file, std::string text);

  const std::string& file() const { return file_; }
  const std::string& text() const { return text_; }
  const std::optional<ManagedBlock>& block() const { return block_; }
  // Settings outside the block, by line: the enabled ones and the ones
  // crosslink disabled (parsed from their lines without the prefix).
  const std::vector<OutsideSetting>& outside() const { return outside_; }

  // The file's bytes with the block holding exactly `settings` (validated;
  // see the conflict rule above). An empty `settings` removes the block.
  // The result is checked to parse as YAML with every managed key set once.
  // `take_over`: flat keys of outside settings to disable (every line of
  // the setting gets kDisabledPrefix); disabled settings not listed are
  // re-enabled (exact bytes back). Conflicts ignore disabled settings.
  Result<std::string> WithSettings(const ManagedSettings& settings,
                                   const std::vector<std::string>& take_over = {}) const;
  // The file's bytes without the block and with every disabled line
  // re-enabled: the original bytes when crosslink added the block and
  // nothing outside it changed since.
  std::string WithoutBlock() const;
  // Managed keys also set (enabled) outside the block, and outside
  // `<ssl>.truststore.path` against a managed `<ssl>.certificate_authorities`
  // (or the reverse): one message per clash,
  // "<file>:<line>: `<outside key>` is set outside ...: <fix>".
  std::vector<std::string> Conflicts(const ManagedSettings& settings) const;

 private:
  struct Line {
    std::string content;  // without the line ending
    std::string eol;      // "\n", "\r\n" or "" (last line without one)
  };
  YmlFile() = default;
  std::string Join(size_t from, size_t to) const;  // lines [from, to) with their endings
  std::string FileEol() const;
  // The bytes with the block cut out; `contents` replaces the lines' text
  // (same count) when given.
  std::string RemoveBlock(const std::vector<std::string>* contents = nullptr) const;
  // The bytes with exactly the settings of `take_over` disabled.
  Result<std::string> WithTakeOver(const std::vector<std::string>& take_over) const;
  // WithSettings on a file whose take-over is done already.
  Result<std::string> WithBlock(const ManagedSettings& settings,
                                const std::vector<std::string>& take_over) const;

  std::string file_;
  std::string text_;
  std::vector<Line> lines_;
  std::optional<ManagedBlock> block_;
  std::vector<OutsideSetting> outside_;
  // Parallel to outside_: the 0-based lines [first, last] of each setting,
  // or why its lines cannot be told apart from others'.
  struct Span {
    int first = -1;
    int last = -1;
    std::string problem;
  };
  std::vector<Span> spans_;
};

// Keys whose values differ between `actual` and `expected` (set in only one,
// or set to different values), sorted.
std::vector<std::string> DiffSettings(const ManagedSettings& actual,
                                      const ManagedSettings& expected);

// "" when the block is as crosslink wrote it and holds `expected`; else e.g.
// "config/elasticsearch.yml:12-15: crosslink's managed block was edited by
// hand (keys changed: remote_cluster.port); the next apply rewrites it".
std::string DescribeDrift(const std::string& file, const ManagedBlock& block,
                          const ManagedSettings& expected);
// The same without an expectation: "" when the checksum matches, else
// "<file>:12-15: crosslink's managed block was edited by hand (its checksum
// no longer matches); the next apply rewrites it".
std::string DescribeHandEdit(const std::string& file, const ManagedBlock& block);

}  // namespace crosslink::providers::self
