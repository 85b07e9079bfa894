#include "providers/fake/fake_provider.h"

#include <algorithm>
#include <thread>
#include <utility>

namespace crosslink::providers::fake {
namespace {

// The resource type is the first part of an address ("<type>.<name>...").
std::string TypeOf(const std::string& address) { return address.substr(0, address.find('.')); }

struct Target {
  std::string address;
  std::string type;
  std::string cluster;
  graph::ResourceMode mode = graph::ResourceMode::kManaged;
};

// What an ApplyRequest is about: the desired spec, else the prior state.
std::optional<Target> TargetOf(const ApplyRequest& req) {
  if (req.desired != nullptr) {
    return Target{req.desired->address, req.desired->type, req.desired->cluster, req.desired->mode};
  }
  if (req.prior != nullptr) {
    return Target{req.prior->address, req.prior->type, req.prior->cluster, req.prior->mode};
  }
  return std::nullopt;
}

ApplyResponse Failed(Status status) {
  ApplyResponse resp;
  resp.status = std::move(status);
  return resp;
}

}  // namespace

// Counts the calls in progress and remembers the peak.
class FakeProvider::InFlight {
 public:
  explicit InFlight(FakeProvider* p) : p_(p) {
    int now = ++p_->in_flight_;
    int seen = p_->max_in_flight_.load();
    while (now > seen && !p_->max_in_flight_.compare_exchange_weak(seen, now)) {
    }
  }
  ~InFlight() { --p_->in_flight_; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  FakeProvider* p_;
};

FakeProvider::FakeProvider(std::string name)
    : name_(std::move(name)), rng_(std::random_device{}()) {}

void FakeProvider::Sleep() const {
  int64_t ms = latency_ms_.load();
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

std::optional<Status> FakeProvider::TakeFailureLocked(const std::string& address) {
  auto it = failures_.find(address);
  if (it == failures_.end()) return std::nullopt;
  Status s = it->second.status;
  if (--it->second.remaining <= 0) failures_.erase(it);
  return s;
}

bool FakeProvider::ConnectedLocked(const std::string& address) const {
  auto it = connected_.find(address);
  return it == connected_.end() || it->second;
}

std::string FakeProvider::RandomSecretLocked() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::uniform_int_distribution<size_t> pick(0, sizeof(kAlphabet) - 2);
  std::string s(40, ' ');
  for (char& c : s) c = kAlphabet[pick(rng_)];
  return s;
}

void FakeProvider::FillOutputsLocked(const std::string& address, const std::string& type,
                                     const Value& attributes, LiveObject* object, bool new_id) {
  Value old_id = object->outputs.is_object() && object->outputs.contains("id")
                     ? object->outputs["id"]
                     : Value();
  Value outputs = Value::object();
  if (auto it = outputs_by_address_.find(address); it != outputs_by_address_.end()) {
    for (const std::string& name : it->second) outputs[name] = address + "/" + name;
  }
  if (attributes.is_object()) {
    for (auto it = attributes.begin(); it != attributes.end(); ++it) outputs[it.key()] = it.value();
  }
  if (new_id || old_id.is_null()) {
    outputs["id"] = type + "-" + std::to_string(next_id_++);
  } else {
    outputs["id"] = old_id;
  }
  object->outputs = std::move(outputs);
  if (auto it = sensitive_by_address_.find(address); it != sensitive_by_address_.end()) {
    for (const std::string& name : it->second) {
      if (new_id || !object->sensitive_outputs.count(name)) {
        object->sensitive_outputs[name] = Secret(RandomSecretLocked());
      }
    }
  }
}

ReadResponse FakeProvider::Read(const ReadRequest& req) {
  InFlight in_flight(this);
  Sleep();
  std::lock_guard<std::mutex> lock(mu_);
  Call call{"read", "", req.cluster, {}};
  for (const ReadItem& item : req.items) call.addresses.push_back(item.address);
  calls_.push_back(std::move(call));

  ReadResponse resp;
  if (auto it = read_failures_.find(req.cluster); it != read_failures_.end()) {
    resp.status = it->second.status;
    if (it->second.remaining > 0 && --it->second.remaining == 0) read_failures_.erase(it);
    return resp;
  }
  for (const ReadItem& item : req.items) {
    graph::ResourceMode mode = item.desired ? item.desired->mode
                               : item.prior ? item.prior->mode
                                            : graph::ResourceMode::kManaged;
    auto it = live_.find(item.address);
    if (it == live_.end() && mode == graph::ResourceMode::kData) {
      Entry entry;
      entry.type = item.type;
      entry.cluster = req.cluster;
      entry.object.exists = true;
      entry.object.attributes = item.desired ? item.desired->attributes
                                : item.prior ? item.prior->attributes
                                             : Value::object();
      FillOutputsLocked(item.address, item.type, entry.object.attributes, &entry.object, true);
      it = live_.emplace(item.address, std::move(entry)).first;
    }
    LiveObject out;
    if (it != live_.end() &&
        (mode != graph::ResourceMode::kCheck || ConnectedLocked(item.address))) {
      out = it->second.object;
      out.exists = true;
      // Platforms return secrets only when creating; data sources are read whole.
      if (mode != graph::ResourceMode::kData) out.sensitive_outputs.clear();
    }
    resp.objects[item.address] = std::move(out);
  }
  for (const std::string& address : orphans_) {
    const Entry& entry = live_.at(address);
    if (entry.cluster != req.cluster || resp.objects.count(address)) continue;
    LiveObject live = entry.object;
    live.sensitive_outputs.clear();
    resp.orphans.push_back(Orphan{address, entry.type, entry.orphan_description, std::move(live)});
  }
  return resp;
}

ApplyResponse FakeProvider::Create(const ApplyRequest& req) {
  std::optional<Target> target = TargetOf(req);
  if (!target) return Failed(Status::InvalidArgument("fake provider: create without a resource"));
  InFlight in_flight(this);
  Sleep();
  ReportProgress(target->address, req);
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back(Call{"create", target->address, target->cluster, {}});
  if (auto failure = TakeFailureLocked(target->address)) return Failed(*failure);
  if (target->mode == graph::ResourceMode::kCheck && !ConnectedLocked(target->address)) {
    return Failed(Status::FailedPrecondition(
        "check " + target->address + " failed: cluster '" + target->cluster +
        "' does not report the connection as connected (fake provider: connected flag is off)"));
  }
  auto existing = live_.find(target->address);
  if (existing != live_.end() && !orphans_.count(target->address) &&
      target->mode == graph::ResourceMode::kManaged) {
    return Failed(Status::Error(StatusCode::kAlreadyExists,
                                target->address + " already exists on the platform"));
  }
  Entry entry;
  entry.type = target->type;
  entry.cluster = target->cluster;
  entry.object.exists = true;
  entry.object.managed_by_crosslink = true;  // crosslink marks what it creates
  entry.object.attributes = req.attributes;
  FillOutputsLocked(target->address, target->type, req.attributes, &entry.object, true);
  ApplyResponse resp;
  resp.result = entry.object;
  live_[target->address] = std::move(entry);
  orphans_.erase(target->address);
  return resp;
}

ApplyResponse FakeProvider::Update(const ApplyRequest& req) {
  std::optional<Target> target = TargetOf(req);
  if (!target) return Failed(Status::InvalidArgument("fake provider: update without a resource"));
  InFlight in_flight(this);
  Sleep();
  ReportProgress(target->address, req);
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back(Call{"update", target->address, target->cluster, {}});
  if (auto failure = TakeFailureLocked(target->address)) return Failed(*failure);
  if (target->mode == graph::ResourceMode::kCheck && !ConnectedLocked(target->address)) {
    return Failed(Status::FailedPrecondition(
        "check " + target->address + " failed: cluster '" + target->cluster +
        "' does not report the connection as connected (fake provider: connected flag is off)"));
  }
  auto it = live_.find(target->address);
  if (it == live_.end() && target->mode == graph::ResourceMode::kCheck) {
    // A check is a verification, not an object: verifying again needs nothing live.
    it = live_.emplace(target->address, Entry{target->type, target->cluster, {}, ""}).first;
    it->second.object.exists = true;
  }
  if (it == live_.end()) {
    return Failed(Status::NotFound(target->address + " does not exist on the platform"));
  }
  Entry& entry = it->second;
  entry.object.attributes = req.attributes;
  entry.object.managed_by_crosslink = true;  // an update writes crosslink's marks
  FillOutputsLocked(target->address, target->type, req.attributes, &entry.object, false);
  orphans_.erase(target->address);
  ApplyResponse resp;
  resp.result = entry.object;
  return resp;
}

ApplyResponse FakeProvider::Delete(const ApplyRequest& req) {
  std::optional<Target> target = TargetOf(req);
  if (!target) return Failed(Status::InvalidArgument("fake provider: delete without a resource"));
  InFlight in_flight(this);
  Sleep();
  ReportProgress(target->address, req);
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back(Call{"delete", target->address, target->cluster, {}});
  if (auto failure = TakeFailureLocked(target->address)) return Failed(*failure);
  live_.erase(target->address);
  orphans_.erase(target->address);
  return ApplyResponse{};
}

PlanResponse FakeProvider::Plan(const PlanRequest& req) {
  PlanResponse resp = DefaultPlan(req);
  if (resp.action == ChangeAction::kNoOp || resp.action == ChangeAction::kRead) return resp;
  const std::string type = req.desired != nullptr ? req.desired->type
                           : req.prior != nullptr ? req.prior->type
                                                  : std::string();
  std::lock_guard<std::mutex> lock(mu_);
  if (restarting_types_.count(type) != 0) resp.restarts_cluster = true;
  return resp;
}

void FakeProvider::SetProgress(const std::string& address, std::vector<std::string> messages) {
  std::lock_guard<std::mutex> lock(mu_);
  if (messages.empty()) {
    progress_.erase(address);
  } else {
    progress_[address] = std::move(messages);
  }
}

void FakeProvider::ReportProgress(const std::string& address, const ApplyRequest& req) const {
  if (!req.progress) return;
  std::vector<std::string> messages;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = progress_.find(address);
    if (it == progress_.end()) return;
    messages = it->second;
  }
  for (const std::string& m : messages) req.progress(m);
}

void FakeProvider::SetRestarts(std::set<std::string> types) {
  std::lock_guard<std::mutex> lock(mu_);
  restarting_types_ = std::move(types);
}

std::vector<ApplyResponse> FakeProvider::ApplyGroup(const std::vector<GroupChange>& changes) {
  Call call{"group", "", "", {}};
  for (const GroupChange& c : changes) {
    call.addresses.push_back(c.address);
    if (call.cluster.empty()) {
      if (std::optional<Target> target = TargetOf(c.request)) call.cluster = target->cluster;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(std::move(call));
  }
  return Provider::ApplyGroup(changes);
}

void FakeProvider::LearnOutputs(const std::vector<graph::ResourceSpec>& specs) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const graph::ResourceSpec& spec : specs) {
    for (const auto& [input, ref] : spec.secret_inputs) {
      sensitive_by_address_[ref.address].insert(ref.output);
      outputs_by_address_[ref.address].erase(ref.output);
    }
  }
  for (const graph::ResourceSpec& spec : specs) {
    for (const graph::Reference& ref : graph::CollectRefs(spec.attributes)) {
      if (ref.output == "id") continue;
      auto sensitive = sensitive_by_address_.find(ref.address);
      if (sensitive != sensitive_by_address_.end() && sensitive->second.count(ref.output)) continue;
      outputs_by_address_[ref.address].insert(ref.output);
    }
  }
}

void FakeProvider::SetLive(const std::string& address, LiveObject object,
                           const std::string& cluster) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& entry = live_[address];
  entry.type = TypeOf(address);
  if (!cluster.empty()) entry.cluster = cluster;
  object.exists = true;
  entry.object = std::move(object);
}

bool FakeProvider::SetLiveAttributes(const std::string& address, Value attributes) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(address);
  if (it == live_.end()) return false;
  it->second.object.attributes = std::move(attributes);
  return true;
}

bool FakeProvider::EraseLive(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  orphans_.erase(address);
  return live_.erase(address) > 0;
}

std::optional<LiveObject> FakeProvider::GetLive(const std::string& address) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(address);
  if (it == live_.end()) return std::nullopt;
  return it->second.object;
}

std::vector<std::string> FakeProvider::live_addresses() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  out.reserve(live_.size());
  for (const auto& [address, entry] : live_) out.push_back(address);
  return out;
}

void FakeProvider::AddOrphan(const std::string& cluster, Orphan orphan) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& entry = live_[orphan.address];
  entry.type = orphan.type.empty() ? TypeOf(orphan.address) : orphan.type;
  entry.cluster = cluster;
  entry.object = std::move(orphan.live);
  entry.object.exists = true;
  entry.object.managed_by_crosslink = true;  // an orphan carries crosslink's marks
  orphans_.insert(orphan.address);
  entry.orphan_description = std::move(orphan.description);
}

void FakeProvider::FailNext(const std::string& address, Status status, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  if (status.ok() || times <= 0) {
    failures_.erase(address);
    return;
  }
  failures_[address] = Failure{std::move(status), times};
}

void FakeProvider::FailRead(const std::string& cluster, Status status, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  if (status.ok() || times == 0) {
    read_failures_.erase(cluster);
  } else {
    read_failures_[cluster] = Failure{std::move(status), times};
  }
}

void FakeProvider::SetConnected(const std::string& address, bool connected) {
  std::lock_guard<std::mutex> lock(mu_);
  connected_[address] = connected;
}

void FakeProvider::SetLatency(std::chrono::milliseconds latency) {
  latency_ms_.store(latency.count());
}

std::vector<Call> FakeProvider::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

std::vector<Call> FakeProvider::calls(const std::string& op) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Call> out;
  std::copy_if(calls_.begin(), calls_.end(), std::back_inserter(out),
               [&](const Call& c) { return c.op == op; });
  return out;
}

size_t FakeProvider::read_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<size_t>(
      std::count_if(calls_.begin(), calls_.end(), [](const Call& c) { return c.op == "read"; }));
}

void FakeProvider::ClearCalls() {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.clear();
}

}  // namespace crosslink::providers::fake
