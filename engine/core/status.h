#pragma once
// Status and Result<T>: the outcome of anything that touches the outside
// world (network, disk, a platform API). Modelled on leveldb::Status.
//
// A Status is either OK or carries a code, a message meant for the user, and
// whether retrying the same operation may succeed (429, 5xx, resets,
// timeouts). Messages never contain secret values.
//
// Thread-safety: values; safe to copy between threads.

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace crosslink {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // the caller (or the user's input) is wrong
  kNotFound,          // the thing does not exist
  kAlreadyExists,
  kPermissionDenied,  // 401/403: credentials or privileges
  kConflict,          // optimistic concurrency lost (409, version mismatch)
  kUnavailable,       // network error, 429, 5xx: retry may help
  kDeadlineExceeded,  // a bounded wait ran out
  kFailedPrecondition,// the world is not in a state where this can work
  kLocked,            // the state is locked by another run
  kCorruption,        // a file is damaged or cannot be decrypted
  kIoError,           // local disk failure
  kInternal,          // a bug
};

const char* StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(StatusCode code, std::string message, bool retryable = false) {
    return Status(code, std::move(message), retryable);
  }
  static Status InvalidArgument(std::string m) { return Error(StatusCode::kInvalidArgument, std::move(m)); }
  static Status NotFound(std::string m) { return Error(StatusCode::kNotFound, std::move(m)); }
  static Status PermissionDenied(std::string m) { return Error(StatusCode::kPermissionDenied, std::move(m)); }
  static Status Conflict(std::string m) { return Error(StatusCode::kConflict, std::move(m), true); }
  static Status Unavailable(std::string m) { return Error(StatusCode::kUnavailable, std::move(m), true); }
  static Status DeadlineExceeded(std::string m) { return Error(StatusCode::kDeadlineExceeded, std::move(m)); }
  static Status FailedPrecondition(std::string m) { return Error(StatusCode::kFailedPrecondition, std::move(m)); }
  static Status Locked(std::string m) { return Error(StatusCode::kLocked, std::move(m)); }
  static Status Corruption(std::string m) { return Error(StatusCode::kCorruption, std::move(m)); }
  static Status IoError(std::string m) { return Error(StatusCode::kIoError, std::move(m)); }
  static Status Internal(std::string m) { return Error(StatusCode::kInternal, std::move(m)); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // True when the same operation may succeed if tried again later.
  bool retryable() const { return retryable_; }

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_, retryable_);
  }
  // "unavailable: connection refused (retryable)"
  std::string ToString() const;

 private:
  Status(StatusCode code, std::string message, bool retryable)
      : code_(code), message_(std::move(message)), retryable_(retryable) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  bool retryable_ = false;
};

// Either a value or a non-OK Status.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!status_.ok() && "Result built from an OK status needs a value");
  }
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  const T& value() const& { assert(ok()); return *value_; }
  T& value() & { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace crosslink

#define CROSSLINK_RETURN_IF_ERROR(expr)          \
  do {                                           \
    ::crosslink::Status _st = (expr);            \
    if (!_st.ok()) return _st;                   \
  } while (0)
