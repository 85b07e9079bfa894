#pragma once
// Operator logs (spdlog), configured once in main. Logs are not the UI: what
// the user reads comes through hooks and renderers. Every message passes the
// Redactor (secret.h) before it is written, so a secret value that slipped
// into a log call still never reaches the sink.
//
// The CLI passes --log-level, else CROSSLINK_LOG; empty means "warn".
// Levels: trace, debug, info, warn, error, off.
//
// Thread-safety: ConfigureLogging is called once before threads start; the
// logger itself is thread-safe.

#include <string>

#include "engine/core/status.h"

namespace crosslink {

// `level` empty = "warn"; `file` empty = stderr.
Status ConfigureLogging(const std::string& level, const std::string& file);

}  // namespace crosslink
