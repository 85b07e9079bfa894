#include "engine/core/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <memory>
#include <mutex>

#include "engine/core/secret.h"

namespace crosslink {
namespace {

// Wraps another sink and redacts every registered secret value.
class RedactingSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RedactingSink(spdlog::sink_ptr inner) : inner_(std::move(inner)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string redacted = Redactor::Redact(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy(msg.time, msg.source, msg.logger_name, msg.level, redacted);
    inner_->log(copy);
  }
  void flush_() override { inner_->flush(); }
  // The inner sink formats: the pattern must reach it.
  void set_pattern_(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override {
    inner_->set_formatter(std::move(formatter));
  }

 private:
  spdlog::sink_ptr inner_;
};

}  // namespace

Status ConfigureLogging(const std::string& level, const std::string& file) {
  std::string lvl = level.empty() ? "warn" : level;
  auto parsed = spdlog::level::from_str(lvl);
  if (parsed == spdlog::level::off && lvl != "off") {
    return Status::InvalidArgument("unknown log level \"" + lvl +
                                   "\" (use trace, debug, info, warn, error or off)");
  }
  spdlog::sink_ptr inner;
  try {
    if (file.empty()) {
      inner = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    } else {
      inner = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file);
    }
  } catch (const spdlog::spdlog_ex& e) {
    return Status::IoError("cannot open log file " + file + ": " + e.what());
  }
  auto sink = std::make_shared<RedactingSink>(inner);
  auto logger = std::make_shared<spdlog::logger>("crosslink", sink);
  logger->set_level(parsed);
  // On the terminal a line reads like the rest of crosslink's output
  // ("warning: created state key file ..."); a log file gets time and thread.
  logger->set_pattern(file.empty() ? "%^%l%$: %v" : "%Y-%m-%dT%H:%M:%S.%e %l [%t] %v");
  spdlog::set_default_logger(logger);
  return Status::Ok();
}

}  // namespace crosslink
