// es_remote_connection_check: GET /_remote/info on the LOCAL cluster until
// the alias is connected (and, API key model, carries cluster_credentials)
// - DOMAIN.md ES.REMOTE.VERIFY. A connection can take a few seconds after
// the settings PUT (pitfall 19), so Create/Update poll; on timeout the error
// says what _remote/info showed and the likely causes (diagnosis.h).

#include "providers/elasticsearch/diagnosis.h"
#include "providers/elasticsearch/resources.h"

namespace crosslink::providers::elasticsearch {

namespace {

constexpr char kPrivilege[] = "monitor";

bool ExpectCredentials(const Value& attrs) { return JsonBool(attrs, "expect_credentials", false); }

Result<Value> RemoteInfo(const ClusterClient& client) {
  Result<EsReply> reply =
      client.Expect("read the remote cluster connections", kPrivilege, "GET", "/_remote/info");
  if (!reply.ok()) return reply.status();
  return reply->json.is_object() ? reply->json : Value::object();
}

LiveObject ToLive(const RemoteObservation& o) {
  LiveObject live;
  live.exists = ConnectionSatisfied(o);
  live.managed_by_crosslink = true;  // a check owns nothing on the cluster
  if (o.present) {
    live.attributes = {{"alias", o.alias}, {"expect_credentials", o.has_credentials}};
    live.outputs = {{"connected", o.connected},
                    {"mode", o.mode},
                    {o.mode == "proxy" ? "proxy_address" : "seeds", o.address},
                    {"credentials", o.has_credentials}};
    if (!o.server_name.empty()) live.outputs["server_name"] = o.server_name;
  }
  return live;
}

// What the latest _remote/info showed, short: "connected: false".
std::string DescribeProgress(const RemoteObservation& o) {
  if (!o.present) return "not in _remote/info yet";
  std::string out = std::string("connected: ") + (o.connected ? "true" : "false");
  if (o.expect_credentials && !o.has_credentials) out += ", no cluster_credentials yet";
  return out;
}

}  // namespace

Status ReadConnectionChecks(const ClusterClient& client, const std::vector<const ReadItem*>& items,
                            ReadResponse* out) {
  Result<Value> info = RemoteInfo(client);
  if (!info.ok()) return info.status();
  for (const ReadItem* item : items) {
    const Value& attrs = ItemAttributes(*item);
    RemoteObservation o = ObserveRemote(
        *info, client.cluster(), NameOf(item->address, attrs, "alias"), ExpectCredentials(attrs));
    out->objects[item->address] = ToLive(o);
  }
  return Status::Ok();
}

PlanResponse PlanConnectionCheck(const PlanRequest& req) {
  if (req.desired == nullptr || req.live == nullptr) return Provider::DefaultPlan(req);
  PlanResponse resp;
  if (req.live->exists) {
    resp.action = ChangeAction::kNoOp;
  } else {
    resp.action = req.prior != nullptr ? ChangeAction::kUpdate : ChangeAction::kCreate;
    resp.reason = "not connected yet";
  }
  return resp;
}

ApplyResponse RunConnectionCheck(const ClusterClient& client, const ApplyRequest& req, Clock& clock,
                                 std::chrono::milliseconds timeout,
                                 std::chrono::milliseconds poll_interval) {
  const std::string address = ApplyAddress(req);
  const std::string alias = NameOf(address, req.attributes, "alias");
  const bool expect = ExpectCredentials(req.attributes);
  ApplyResponse r;
  const auto deadline = clock.Now() + timeout;
  RemoteObservation last;
  int attempts = 0;
  while (true) {
    ++attempts;
    Result<Value> info = RemoteInfo(client);
    if (!info.ok()) {
      r.status = info.status();
      return r;
    }
    last = ObserveRemote(*info, client.cluster(), alias, expect);
    if (ConnectionSatisfied(last)) {
      r.result = ToLive(last);
      return r;
    }
    if (clock.Now() + poll_interval > deadline) break;
    if (req.progress) {
      req.progress("waiting for alias " + alias + " to connect (" + DescribeProgress(last) + ")");
    }
    clock.Sleep(poll_interval);
  }
  std::string message =
      "cluster \"" + client.cluster() + "\": remote cluster \"" + alias + "\" is not " +
      (expect ? "connected with an API key" : "connected") + " after " +
      (timeout.count() % 1000 == 0 ? std::to_string(timeout.count() / 1000) + "s"
                                   : std::to_string(timeout.count()) + "ms") +
      " (" + std::to_string(attempts) +
      " checks); _remote/info says: " + DescribeObservation(last) + ". Likely causes:";
  int n = 0;
  for (const LikelyCause& c : LikelyCauses(last)) {
    message += "\n  " + std::to_string(++n) + ". " + c.text;
  }
  r.status = Status::FailedPrecondition(message);
  return r;
}

}  // namespace crosslink::providers::elasticsearch
