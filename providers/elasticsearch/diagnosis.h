#pragma once
// Why a remote-cluster connection is not up: what GET _remote/info said for
// one alias, mapped to the likely causes of DOMAIN.md §4 (pitfalls 8, 10,
// 11, 19 and the troubleshooting list of the remote-clusters docs). The
// mapping is a table of rules (condition -> cause); every rule that holds
// contributes, in table order.
//
// Thread-safety: pure functions.

#include <string>
#include <vector>

#include "engine/core/value.h"

namespace crosslink::providers::elasticsearch {

// One alias as `_remote/info` showed it (plus what the check expects).
struct RemoteObservation {
  std::string local_cluster;
  std::string alias;
  bool expect_credentials = false;  // API key model
  bool present = false;             // the alias is in _remote/info
  std::string mode;                 // "proxy" | "sniff"
  std::string address;              // proxy_address, or the seeds joined by ','
  std::string server_name;
  bool connected = false;
  bool has_credentials = false;  // cluster_credentials present
};

// Builds the observation for `alias` from a _remote/info response body.
RemoteObservation ObserveRemote(const Value& remote_info, const std::string& local_cluster,
                                const std::string& alias, bool expect_credentials);

// True when the connection is up as the check wants it.
bool ConnectionSatisfied(const RemoteObservation& o);

struct LikelyCause {
  std::string id;    // stable rule id, e.g. "no-credential" (tests, docs)
  std::string text;  // one line for the user, with the fix
};

// The likely causes for an unsatisfied observation, most specific first.
std::vector<LikelyCause> LikelyCauses(const RemoteObservation& o);

// "mode proxy, proxy_address h:9443, server_name s, connected false,
// credentials absent" (or "alias not configured").
std::string DescribeObservation(const RemoteObservation& o);

}  // namespace crosslink::providers::elasticsearch
