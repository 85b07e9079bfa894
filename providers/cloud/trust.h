#pragma once
// The trust resources of an Elastic Cloud deployment (docs/resources.md
// "Elastic Cloud API"): entries of its `settings.trust` object
// (ElasticsearchClusterTrustSettings: accounts[], external[], direct[]),
// read and edited entry by entry as pure functions. cloud_provider.cc reads
// the deployment, applies ApplyTrustChange for every change, and writes the
// WHOLE trust object back with one PUT (read-modify-write, optimistic
// concurrency with the resource version; on a conflict it re-reads and
// re-applies).
//
// What crosslink owns, and how it knows (the marks):
//   ec_trust_direct, ec_trust_api_key_ca   a direct[] entry whose `name` is
//       the resource's `name` attribute ("crosslink-<kind>-<peer>"): wholly
//       crosslink's; the name is the mark (orphans are found by it). Entries
//       are matched by name AND by being of type "proxy" (api-key CA) or not
//       (direct), so the TLS-model and API-key-model entries of one peer,
//       which the expansion names alike, are two entries.
//       A marked entry that is not in state is taken over only when it is
//       exactly what crosslink would write (a run that stopped before saving
//       its state); otherwise create/update fails (kFailedPrecondition).
//   ec_trust_accounts   the accounts[] entry of `account_id`. An entry
//       crosslink creates is named "crosslink" (the mark): these functions
//       see no address, so the peer environment cannot be in the name. An
//       entry that was there before crosslink (the platform's
//       own-organization default `trust_all: true`, a user's allowlist) is
//       ADOPTED: crosslink only adds what it needs (allowlist items not
//       already covered; trust_all when the resource wants it and the entry
//       lacks it) and never narrows. Outputs (write them to state):
//         preexisting      true = adopted, false = created by crosslink
//         added_allowlist  the items crosslink added to an adopted entry
//                          ([] for a created one: it is removed whole)
//         added_trust_all  present (true) when crosslink turned trust_all on
//                          in an adopted entry
//       Destroy removes a created entry, and only the added items / the
//       added trust_all of an adopted one. An entry that lost the mark (a
//       user replaced or renamed it) counts as adopted whatever the state
//       says: crosslink never removes it. An unmarked entry not in state
//       reads as NOT existing (so the plan creates = adopts it; the planner
//       would refuse an existing unmarked object). A marked one reads as
//       existing, managed by crosslink, created by it.
//   ec_trust_external   the external[] entry of `trust_relationship_id`,
//       same adoption rule and outputs as accounts. External entries have no
//       writable name, so no mark: without state an entry is always adopted
//       (never reported as an orphan).
// Entries crosslink does not own are never changed, reordered or dropped
// (other entries keep their server fields: uid, metadata). New entries are
// appended; a list emptied by a removal stays as [] (sent explicitly, so the
// PUT clears it whether or not the API keeps omitted lists).
//
// Attributes (resolved, as the expansion writes them; every trust resource
// also has deployment_id and maybe ref_id: never written into entries, and
// echoed as given into read-back attributes, since the entry was found in
// that deployment):
//   direct / api-key CA: name, type ("generic" | "ECE" | "ESS" | "proxy"),
//     trust_all, certificates (list of lists of PEMs: flattened, see
//     ca_lists.h; written as [{pem}], one per certificate), optional
//     scope_id, trust_allowlist, additional_node_names (list of strings).
//     ec_trust_api_key_ca with an EMPTY flattened certificate list (a
//     publicly trusted remote) keeps no entry: creating it writes nothing
//     (and removes an entry crosslink had), and it reads back as existing,
//     with its attributes as given, when `prior` is set.
//   accounts: account_id, trust_all, optional trust_allowlist.
//   external: trust_relationship_id, trust_all, trust_allowlist.
//
// Read-back is in the state's shape so that an unchanged trust plans as
// no-op: certificates as one flat list of PEMs (the server's
// certificates[].metadata ignored), then CA lists echo `prior`'s and then
// `attributes`' value when they hold the same certificates
// (EchoEquivalentCaLists; the provider need not call it again); string lists
// echo the attribute's value when they hold the same items. An adopted entry
// reports the desired allowlist items it covers (in desired order; all of
// them when it trusts all) plus items crosslink added that are no longer
// wanted, and trust_all as desired when the live entry trusts at least that
// much (true while crosslink's added trust_all is still there).
//
// Thread-safety: pure functions.

#include <set>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/value.h"
#include "providers/provider.h"

namespace crosslink::providers::cloud {

// True for the types this file handles: ec_trust_direct,
// ec_trust_api_key_ca, ec_trust_accounts, ec_trust_external.
bool IsTrustType(const std::string& type);

// The live state of one trust resource in `trust` (the deployment's
// settings.trust). `attributes` = desired (ReadItem.desired->attributes as
// they are: a value still holding a reference is replaced by `prior`'s, the
// value the last apply resolved) or, for a resource only in state, the prior
// attributes; `prior` = the state entry (ReadItem.prior), may be null.
// managed_by_crosslink: marked by name, or in state. Outputs (accounts,
// external): the ownership outputs above, for the planner's adoption.
LiveObject ReadTrustResource(const std::string& type, const Value& attributes,
                             const state::ResourceState* prior, const Value& trust);

// The result of one change applied to a trust object.
struct TrustChange {
  Value trust;           // the whole new trust object
  Value outputs;         // for the state (e.g. {"preexisting": true, "added_allowlist": [...]})
  Value attributes;      // the resource as it now is (state's shape)
  bool changed = false;  // false: nothing to PUT for this change
};

// Applies kCreate / kUpdate / kReplace (attributes = resolved desired;
// `prior` = the state entry whenever there is one, also for a create after
// drift: it says what crosslink owns) or kDelete (attributes = prior
// attributes, `prior` = the state entry, or for an orphan the synthetic one
// apply builds from its live attributes and outputs). When the prior's
// account_id / trust_relationship_id differs from the desired one, the old
// entry is undone first. Errors: kFailedPrecondition (naming the deployment
// entry and the fix) for a direct entry of crosslink's name that is not in
// state and differs (someone else's), and for a direct entry whose CA list
// resolved to nothing; kInvalidArgument for unresolved attributes and for a
// direct entry whose type does not fit (type "proxy" is exactly
// ec_trust_api_key_ca's: the type tells the two kinds' entries apart). No
// change ever narrows an adopted entry, so none fails for that.
Result<TrustChange> ApplyTrustChange(ChangeAction action, const std::string& type,
                                     const Value& attributes, const state::ResourceState* prior,
                                     const Value& trust);

// Entries marked as crosslink's whose address is not in `known`, with
// attributes (deployment_attributes + the entry's fields) and outputs in the
// resources' shape, so that a Delete with them removes the entry:
//   direct[] "crosslink-<kind>-<name>" (kind eck|self|ece|ech, name a valid
//     address part) -> ec_trust_direct.<cluster>.<kind>.<name>, or
//     ec_trust_api_key_ca.<cluster>.<kind>.<name> for type proxy;
//   accounts[] "crosslink" -> ec_trust_accounts.<cluster>.<account id>
//     (lower-cased, other characters '-'; outputs preexisting: false), but
//     only while no ec_trust_accounts.<cluster>.* address is known: the entry
//     does not say which peer environment it was for, and a known accounts
//     resource reads (and keeps) its own entry by account_id.
std::vector<Orphan> TrustOrphans(const std::string& cluster, const Value& deployment_attributes,
                                 const Value& trust, const std::set<std::string>& known);

}  // namespace crosslink::providers::cloud
