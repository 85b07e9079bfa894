// Trust entries of an Elastic Cloud deployment as pure functions (see
// trust.h for what crosslink owns and how it reads entries back).

#include "providers/cloud/trust.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "engine/graph/resource.h"
#include "engine/graph/rules.h"  // IsValidNamePart: the address rule of the expansion
#include "providers/ca_lists.h"

namespace crosslink::providers::cloud {

namespace {

// The name of an accounts[] entry crosslink creates (its mark).
constexpr char kAccountsMark[] = "crosslink";
// Every crosslink direct[] entry is named "crosslink-<kind>-<name>", the
// api-key CA entries (type proxy) "crosslink-rcs-<kind>-<name>".
constexpr char kDirectPrefix[] = "crosslink-";
constexpr char kApiKeyCaPrefix[] = "crosslink-rcs-";

enum class Kind { kDirect, kApiKeyCa, kAccounts, kExternal };

std::optional<Kind> KindOf(const std::string& type) {
  if (type == "ec_trust_direct") return Kind::kDirect;
  if (type == "ec_trust_api_key_ca") return Kind::kApiKeyCa;
  if (type == "ec_trust_accounts") return Kind::kAccounts;
  if (type == "ec_trust_external") return Kind::kExternal;
  return std::nullopt;
}

bool IsDirectKind(Kind k) { return k == Kind::kDirect || k == Kind::kApiKeyCa; }

const char* ListKey(Kind k) {
  switch (k) {
    case Kind::kAccounts:
      return "accounts";
    case Kind::kExternal:
      return "external";
    default:
      return "direct";
  }
}

// The attribute naming an entry of the list.
const char* IdentityKey(Kind k) {
  switch (k) {
    case Kind::kAccounts:
      return "account_id";
    case Kind::kExternal:
      return "trust_relationship_id";
    default:
      return "name";
  }
}

// The fields of an entry crosslink writes (everything else in an entry, and
// every other attribute, is left alone).
const std::vector<std::string>& TrustFields(Kind k) {
  static const std::vector<std::string> kDirectFields = {"name",
                                                         "type",
                                                         "trust_all",
                                                         "certificates",
                                                         "scope_id",
                                                         "trust_allowlist",
                                                         "additional_node_names"};
  static const std::vector<std::string> kAccountFields = {"account_id", "trust_all",
                                                          "trust_allowlist"};
  static const std::vector<std::string> kExternalFields = {"trust_relationship_id", "trust_all",
                                                           "trust_allowlist"};
  if (IsDirectKind(k)) return kDirectFields;
  return k == Kind::kAccounts ? kAccountFields : kExternalFields;
}

// ------------------------------------------------------------ small helpers

bool Has(const Value& obj, const std::string& key) {
  return obj.is_object() && obj.contains(key) && !obj[key].is_null();
}

bool Bool(const Value& obj, const std::string& key) {
  return Has(obj, key) && obj[key].is_boolean() && obj[key].get<bool>();
}

std::string Str(const Value& obj, const std::string& key) {
  return Has(obj, key) && obj[key].is_string() ? obj[key].get<std::string>() : std::string();
}

// obj[key], or an empty array when absent (never throws).
const Value& Field(const Value& obj, const std::string& key) {
  static const Value kEmpty = Value::array();
  if (!obj.is_object()) return kEmpty;
  auto it = obj.find(key);
  return it == obj.end() ? kEmpty : *it;
}

bool ContainsRef(const Value& v) { return !graph::CollectRefs(v).empty(); }

// The strings of a list attribute/field (nested lists flattened, unique).
std::vector<std::string> Strings(const Value& obj, const std::string& key) {
  return Has(obj, key) ? FlattenStrings(obj[key]) : std::vector<std::string>();
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool SameSet(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

Value ToArray(const std::vector<std::string>& v) {
  Value out = Value::array();
  for (const std::string& s : v) out.push_back(s);
  return out;
}

// The certificates of a live entry ([{pem, metadata}]): normalised PEMs, the
// server's metadata ignored.
std::vector<std::string> EntryPems(const Value& entry) {
  Value bundles = Value::array();
  if (Has(entry, "certificates") && entry["certificates"].is_array()) {
    for (const Value& c : entry["certificates"]) {
      if (c.is_object() && c.contains("pem") && c["pem"].is_string()) bundles.push_back(c["pem"]);
    }
  }
  return FlattenPems(bundles);
}

// "deployment 0123… (ref_id main-elasticsearch)": names the deployment in
// messages.
std::string DeploymentLabel(const Value& attributes) {
  std::string id = Str(attributes, "deployment_id");
  std::string out = "deployment " + (id.empty() ? std::string("(unknown id)") : id);
  std::string ref = Str(attributes, "ref_id");
  if (!ref.empty()) out += " (ref_id " + ref + ")";
  return out;
}

std::string EntryLabel(Kind k, const std::string& identity) {
  return std::string("trust entry ") + ListKey(k) + "[] " + IdentityKey(k) + " \"" + identity +
         "\"";
}

// ---------------------------------------------------------- the trust lists

const Value& List(const Value& trust, Kind k) {
  static const Value kEmpty = Value::array();
  const char* key = ListKey(k);
  if (!trust.is_object() || !trust.contains(key) || !trust[key].is_array()) return kEmpty;
  return trust[key];
}

// Whether `entry` of the list of `k` is the one named `identity`. Direct
// entries are matched by name and by being of type proxy or not, so that an
// ec_trust_api_key_ca and an ec_trust_direct of one peer (both named
// "crosslink-<kind>-<name>") are two entries.
bool Matches(Kind k, const Value& entry, const std::string& identity) {
  if (!entry.is_object() || identity.empty()) return false;
  if (Str(entry, IdentityKey(k)) != identity) return false;
  if (!IsDirectKind(k)) return true;
  const bool proxy = Str(entry, "type") == "proxy";
  return proxy == (k == Kind::kApiKeyCa);
}

std::optional<size_t> FindEntry(Kind k, const Value& trust, const std::string& identity) {
  const Value& list = List(trust, k);
  for (size_t i = 0; i < list.size(); ++i) {
    if (Matches(k, list[i], identity)) return i;
  }
  return std::nullopt;
}

// ------------------------------------------------------ direct entries (write)

// The direct[] entry for the resolved attributes: name, type, trust_all,
// certificates [{pem}] (one per flattened certificate), and scope_id,
// trust_allowlist, additional_node_names when set.
Result<Value> DirectEntry(Kind k, const Value& attributes) {
  for (const std::string& f : TrustFields(k)) {
    if (Has(attributes, f) && ContainsRef(attributes[f])) {
      return Status::InvalidArgument("attribute " + f + " is not resolved yet");
    }
  }
  std::string name = Str(attributes, "name");
  if (name.empty()) return Status::InvalidArgument("attribute name is missing");
  std::string type = Str(attributes, "type");
  if (type.empty()) type = k == Kind::kApiKeyCa ? "proxy" : "generic";
  // The type tells the two kinds' entries apart (Matches): a mismatch would
  // write an entry that is never found again.
  if ((type == "proxy") != (k == Kind::kApiKeyCa)) {
    return Status::InvalidArgument(
        "attribute type \"" + type + "\" does not fit " +
        (k == Kind::kApiKeyCa ? "ec_trust_api_key_ca (type must be \"proxy\")"
                              : "ec_trust_direct (type \"proxy\" is ec_trust_api_key_ca's)"));
  }
  Value entry = Value::object();
  entry["name"] = name;
  entry["type"] = type;
  entry["trust_all"] = Bool(attributes, "trust_all");
  if (Has(attributes, "scope_id")) entry["scope_id"] = attributes["scope_id"];
  for (const char* key : {"trust_allowlist", "additional_node_names"}) {
    if (Has(attributes, key)) entry[key] = ToArray(Strings(attributes, key));
  }
  Value certs = Value::array();
  for (const std::string& pem : FlattenPems(Field(attributes, "certificates"))) {
    certs.push_back(Value{{"pem", pem}});
  }
  entry["certificates"] = std::move(certs);
  return entry;
}

// A direct entry reduced to what it means: the fields crosslink writes, lists
// as sorted sets, certificates as sorted normalised PEMs.
Value DirectMeaning(const Value& entry) {
  Value m = Value::object();
  m["name"] = Str(entry, "name");
  std::string type = Str(entry, "type");
  m["type"] = type.empty() ? "generic" : type;
  m["trust_all"] = Bool(entry, "trust_all");
  if (Has(entry, "scope_id")) m["scope_id"] = entry["scope_id"];
  for (const char* key : {"trust_allowlist", "additional_node_names"}) {
    std::vector<std::string> items = Strings(entry, key);
    std::sort(items.begin(), items.end());
    if (!items.empty()) m[key] = ToArray(items);
  }
  std::vector<std::string> pems = EntryPems(entry);
  std::sort(pems.begin(), pems.end());
  m["certificates"] = ToArray(pems);
  return m;
}

// ------------------------------------------------------- read-back (state shape)

// The attributes that are not trust fields (deployment_id, ref_id): the
// entry was found in this deployment, so they are as given.
Value NonTrustAttributes(Kind k, const Value& attributes) {
  Value out = Value::object();
  if (!attributes.is_object()) return out;
  const std::vector<std::string>& fields = TrustFields(k);
  for (auto it = attributes.begin(); it != attributes.end(); ++it) {
    if (!Contains(fields, it.key())) out[it.key()] = it.value();
  }
  return out;
}

// A list field of a live entry in the state's shape: the attribute's own
// value when both hold the same strings; omitted when the entry has none and
// the attributes do not set it.
void ReadList(const Value& entry, const Value& attributes, const char* key, Value* out) {
  std::vector<std::string> live = Strings(entry, key);
  if (live.empty() && !Has(attributes, key)) return;
  if (Has(attributes, key) && !ContainsRef(attributes[key]) &&
      SameSet(live, Strings(attributes, key))) {
    (*out)[key] = attributes[key];
    return;
  }
  (*out)[key] = ToArray(live);
}

// A direct / api-key-CA entry in the state's shape.
Value ReadDirect(Kind k, const Value& entry, const Value& attributes) {
  Value out = NonTrustAttributes(k, attributes);
  out["name"] = Str(entry, "name");
  std::string type = Str(entry, "type");
  out["type"] = type.empty() ? "generic" : type;
  out["trust_all"] = Bool(entry, "trust_all");
  if (Has(entry, "scope_id")) out["scope_id"] = entry["scope_id"];
  ReadList(entry, attributes, "trust_allowlist", &out);
  ReadList(entry, attributes, "additional_node_names", &out);
  out["certificates"] = ToArray(EntryPems(entry));
  return out;
}

// What crosslink recorded about an accounts/external entry: whether it was
// there before crosslink (adopted) and what crosslink added to it.
struct Ownership {
  bool preexisting = false;
  std::vector<std::string> added_allowlist;
  bool added_trust_all = false;
};

Value OwnershipOutputs(const Ownership& o) {
  Value out{{"preexisting", o.preexisting}, {"added_allowlist", ToArray(o.added_allowlist)}};
  if (o.added_trust_all) out["added_trust_all"] = true;
  return out;
}

bool Marked(Kind k, const Value& entry) {
  return k == Kind::kAccounts && Str(entry, "name") == kAccountsMark;
}

// Ownership of an existing entry: the prior state's record when it has one,
// else by mark (a marked accounts entry is crosslink's; anything else was
// there before). An accounts entry without the mark is never crosslink's
// creation, whatever the state says: a user replaced or renamed it, and
// crosslink must not remove it.
Ownership OwnershipOf(Kind k, const Value& entry, const state::ResourceState* prior) {
  Ownership o;
  o.preexisting = !Marked(k, entry);
  if (prior == nullptr || !prior->outputs.is_object()) return o;
  const Value& out = prior->outputs;
  const bool unmarked_account = k == Kind::kAccounts && o.preexisting;
  if (!unmarked_account && out.contains("preexisting") && out["preexisting"].is_boolean()) {
    o.preexisting = out["preexisting"].get<bool>();
  }
  if (o.preexisting) {
    o.added_allowlist = Strings(out, "added_allowlist");
    o.added_trust_all = Bool(out, "added_trust_all");
  }
  return o;
}

// An accounts/external entry in the state's shape. An entry crosslink created
// reads as it is; an adopted one reports trust_all as desired when the entry
// trusts at least that much, and the desired allowlist items it covers (in
// the attributes' order), plus what crosslink added and no longer wants (so
// that the plan removes it).
Value ReadShared(Kind k, const Value& entry, const Value& attributes, const Ownership& own) {
  Value out = NonTrustAttributes(k, attributes);
  out[IdentityKey(k)] = Str(entry, IdentityKey(k));
  const bool live_all = Bool(entry, "trust_all");
  if (!own.preexisting) {
    out["trust_all"] = live_all;
    ReadList(entry, attributes, "trust_allowlist", &out);
    return out;
  }
  const bool want_all = Bool(attributes, "trust_all");
  out["trust_all"] = live_all && (want_all || own.added_trust_all);
  std::vector<std::string> live = Strings(entry, "trust_allowlist");
  std::vector<std::string> wanted = Strings(attributes, "trust_allowlist");
  std::vector<std::string> report;
  for (const std::string& id : wanted) {
    if (live_all || Contains(live, id)) report.push_back(id);
  }
  for (const std::string& id : own.added_allowlist) {
    if (Contains(live, id) && !Contains(report, id)) report.push_back(id);
  }
  if (Has(attributes, "trust_allowlist") || !report.empty()) {
    if (report == wanted && Has(attributes, "trust_allowlist") &&
        !ContainsRef(attributes["trust_allowlist"])) {
      out["trust_allowlist"] = attributes["trust_allowlist"];
    } else {
      out["trust_allowlist"] = ToArray(report);
    }
  }
  return out;
}

// ----------------------------------------------------------- changes

// Removes `id` from an entry's trust_allowlist (if there).
void RemoveAllowlistItem(Value* entry, const std::string& id) {
  if (!entry->contains("trust_allowlist") || !(*entry)["trust_allowlist"].is_array()) return;
  Value& list = (*entry)["trust_allowlist"];
  for (size_t i = 0; i < list.size();) {
    if (list[i].is_string() && list[i].get<std::string>() == id) {
      list.erase(i);
    } else {
      ++i;
    }
  }
}

void AppendAllowlistItem(Value* entry, const std::string& id) {
  if (!entry->contains("trust_allowlist") || !(*entry)["trust_allowlist"].is_array()) {
    (*entry)["trust_allowlist"] = Value::array();
  }
  (*entry)["trust_allowlist"].push_back(id);
}

Value& MutableList(Value* trust, Kind k) {
  const char* key = ListKey(k);
  if (!trust->contains(key) || !(*trust)[key].is_array()) (*trust)[key] = Value::array();
  return (*trust)[key];
}

// The resolved trust fields of an accounts/external resource.
struct SharedWant {
  bool trust_all = false;
  std::vector<std::string> allowlist;
  bool has_allowlist = false;
};

Result<SharedWant> Wanted(Kind k, const Value& attributes) {
  for (const std::string& f : TrustFields(k)) {
    if (Has(attributes, f) && ContainsRef(attributes[f])) {
      return Status::InvalidArgument("attribute " + f + " is not resolved yet");
    }
  }
  SharedWant w;
  w.trust_all = Bool(attributes, "trust_all");
  w.allowlist = Strings(attributes, "trust_allowlist");
  w.has_allowlist = Has(attributes, "trust_allowlist");
  return w;
}

// A new accounts/external entry (crosslink's).
Value NewSharedEntry(Kind k, const std::string& identity, const SharedWant& w) {
  Value entry = Value::object();
  entry[IdentityKey(k)] = identity;
  if (k == Kind::kAccounts) entry["name"] = kAccountsMark;
  entry["trust_all"] = w.trust_all;
  if (w.has_allowlist || !w.allowlist.empty()) entry["trust_allowlist"] = ToArray(w.allowlist);
  return entry;
}

// Sets an entry crosslink created to exactly what is wanted (other fields,
// e.g. its name, kept).
void SetSharedEntry(const SharedWant& w, Value* entry) {
  (*entry)["trust_all"] = w.trust_all;
  if (w.has_allowlist || !w.allowlist.empty()) {
    std::vector<std::string> live = Strings(*entry, "trust_allowlist");
    if (live != w.allowlist) (*entry)["trust_allowlist"] = ToArray(w.allowlist);
  } else if (entry->contains("trust_allowlist")) {
    entry->erase("trust_allowlist");
  }
}

// Brings an adopted entry to at least what is wanted: drops what crosslink
// added and no longer wants, then adds what is missing (trust_all, allowlist
// items not covered). Never narrows what was there before.
void AdoptSharedEntry(const SharedWant& w, Value* entry, Ownership* own) {
  std::vector<std::string> still_added;
  for (const std::string& id : own->added_allowlist) {
    if (Contains(w.allowlist, id)) {
      still_added.push_back(id);
    } else {
      RemoveAllowlistItem(entry, id);
    }
  }
  own->added_allowlist = std::move(still_added);
  if (own->added_trust_all && !w.trust_all) {
    (*entry)["trust_all"] = false;
    own->added_trust_all = false;
  }
  if (w.trust_all && !Bool(*entry, "trust_all")) {
    (*entry)["trust_all"] = true;
    own->added_trust_all = true;
  }
  if (Bool(*entry, "trust_all")) return;
  std::vector<std::string> live = Strings(*entry, "trust_allowlist");
  for (const std::string& id : w.allowlist) {
    if (Contains(live, id)) continue;
    AppendAllowlistItem(entry, id);
    if (!Contains(own->added_allowlist, id)) own->added_allowlist.push_back(id);
  }
}

// Undoes crosslink's part of an accounts/external entry: a created entry is
// removed; an adopted one loses what crosslink added.
void DeleteShared(Kind k, const std::string& identity, const state::ResourceState* prior,
                  Value* trust) {
  std::optional<size_t> at = FindEntry(k, *trust, identity);
  if (!at) return;
  Value& list = MutableList(trust, k);
  Ownership own = OwnershipOf(k, list[*at], prior);
  if (!own.preexisting) {
    list.erase(*at);
    return;
  }
  for (const std::string& id : own.added_allowlist) RemoveAllowlistItem(&list[*at], id);
  if (own.added_trust_all) list[*at]["trust_all"] = false;
}

Result<Ownership> PutShared(Kind k, const std::string& identity, const Value& attributes,
                            const state::ResourceState* prior, Value* trust) {
  Result<SharedWant> want = Wanted(k, attributes);
  if (!want.ok()) return want.status();
  std::optional<size_t> at = FindEntry(k, *trust, identity);
  Value& list = MutableList(trust, k);
  if (!at) {
    list.push_back(NewSharedEntry(k, identity, *want));
    return Ownership{};
  }
  Ownership own = OwnershipOf(k, list[*at], prior);
  if (own.preexisting) {
    AdoptSharedEntry(*want, &list[*at], &own);
  } else {
    SetSharedEntry(*want, &list[*at]);
  }
  return own;
}

Status PutDirect(Kind k, const std::string& name, const Value& attributes,
                 const state::ResourceState* prior, Value* trust) {
  const bool empty_ca = k == Kind::kApiKeyCa && !ContainsRef(Field(attributes, "certificates")) &&
                        FlattenPems(Field(attributes, "certificates")).empty();
  std::optional<size_t> at = FindEntry(k, *trust, name);
  const std::string what = EntryLabel(k, name) + " of " + DeploymentLabel(attributes);
  Value entry;
  if (!empty_ca) {
    Result<Value> built = DirectEntry(k, attributes);
    if (!built.ok()) return built.status().WithContext(what);
    if (DirectMeaning(*built)["certificates"].empty()) {
      return Status::FailedPrecondition(
          what +
          ": no certificate to trust (the CA list resolved to nothing); check that the "
          "peer's certificate authority can be read");
    }
    entry = std::move(built).value();
  }
  if (at && prior == nullptr) {
    // Marked by name but not in crosslink's state: taken over only when it is
    // exactly what crosslink would write (a run that stopped before saving).
    const Value& live = List(*trust, k)[*at];
    if (empty_ca || DirectMeaning(live) != DirectMeaning(entry)) {
      return Status::FailedPrecondition(
          what +
          " exists, is not in crosslink's state and differs from what crosslink would "
          "write (someone else's entry?); remove or rename that entry in the deployment's "
          "trust settings, then run again");
    }
    return Status::Ok();
  }
  if (empty_ca) {
    // A publicly trusted remote: nothing to trust, no entry kept.
    if (at) MutableList(trust, k).erase(*at);
    return Status::Ok();
  }
  Value& list = MutableList(trust, k);
  if (!at) {
    list.push_back(std::move(entry));
    return Status::Ok();
  }
  if (DirectMeaning(list[*at]) == DirectMeaning(entry)) return Status::Ok();
  Value updated = list[*at];  // keeps uid and any field crosslink does not write
  for (const std::string& f : TrustFields(k)) updated.erase(f);
  for (auto it = entry.begin(); it != entry.end(); ++it) updated[it.key()] = it.value();
  list[*at] = std::move(updated);
  return Status::Ok();
}

// ------------------------------------------------------------ orphans

// "crosslink-<kind>-<name>" (api-key CA: "crosslink-rcs-<kind>-<name>") ->
// (kind, name); false for other names.
bool ParseDirectName(const std::string& name, bool api_key_ca, std::string* kind,
                     std::string* rest) {
  const std::string prefix = api_key_ca ? kApiKeyCaPrefix : kDirectPrefix;
  if (name.rfind(prefix, 0) != 0) return false;
  std::string tail = name.substr(prefix.size());
  size_t dash = tail.find('-');
  if (dash == std::string::npos) return false;
  *kind = tail.substr(0, dash);
  *rest = tail.substr(dash + 1);
  static const std::vector<std::string> kKinds = {"eck", "self", "ece", "ech"};
  return Contains(kKinds, *kind) && graph::IsValidNamePart(*rest);
}

// An account id as an address name part (lower case, other characters '-').
std::string AccountNamePart(const std::string& account_id) {
  std::string out;
  for (char c : account_id) {
    char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    out += graph::IsValidNamePart(std::string(1, l)) ? l : '-';
  }
  return out;
}

// The attributes with every value that still holds a reference (Read gets
// the desired spec unresolved) replaced by the prior state's value, which is
// what the last apply resolved it to.
Value Effective(const Value& attributes, const state::ResourceState* prior) {
  Value out = attributes.is_object() ? attributes : Value::object();
  if (prior == nullptr || !prior->attributes.is_object()) return out;
  for (auto it = out.begin(); it != out.end(); ++it) {
    if (!ContainsRef(it.value())) continue;
    auto p = prior->attributes.find(it.key());
    if (p != prior->attributes.end()) it.value() = *p;
  }
  return out;
}

}  // namespace

bool IsTrustType(const std::string& type) { return KindOf(type).has_value(); }

LiveObject ReadTrustResource(const std::string& type, const Value& given,
                             const state::ResourceState* prior, const Value& trust) {
  LiveObject live;
  std::optional<Kind> kind = KindOf(type);
  if (!kind) return live;
  const Kind k = *kind;
  const Value attributes = Effective(given, prior);  // an unresolved identity is the prior's
  const std::string identity = Str(attributes, IdentityKey(k));
  std::optional<size_t> at = FindEntry(k, trust, identity);
  if (IsDirectKind(k)) {
    if (at) {
      live.exists = true;
      live.managed_by_crosslink = true;  // the name is the mark
      live.attributes = ReadDirect(k, List(trust, k)[*at], attributes);
    } else if (k == Kind::kApiKeyCa && prior != nullptr &&
               !ContainsRef(Field(attributes, "certificates")) &&
               FlattenPems(Field(attributes, "certificates")).empty()) {
      // Nothing to trust keeps no entry: the resource exists as its state says.
      live.exists = true;
      live.managed_by_crosslink = true;
      live.attributes = attributes;
    }
    if (live.exists && prior != nullptr) EchoEquivalentCaLists(prior->attributes, &live);
    if (live.exists) EchoEquivalentCaLists(attributes, &live);
    return live;
  }
  if (!at) return live;
  const Value& entry = List(trust, k)[*at];
  if (prior == nullptr && !Marked(k, entry)) {
    // Someone else's entry (the platform's default, a user's allowlist):
    // crosslink's resource does not exist yet; creating it adopts the entry.
    return live;
  }
  Ownership own = OwnershipOf(k, entry, prior);
  live.exists = true;
  live.managed_by_crosslink = true;
  live.attributes = ReadShared(k, entry, attributes, own);
  live.outputs = OwnershipOutputs(own);
  return live;
}

Result<TrustChange> ApplyTrustChange(ChangeAction action, const std::string& type,
                                     const Value& attributes, const state::ResourceState* prior,
                                     const Value& trust) {
  std::optional<Kind> kind = KindOf(type);
  if (!kind) return Status::InvalidArgument("not a trust resource type: " + type);
  const Kind k = *kind;
  if (!trust.is_null() && !trust.is_object()) {
    return Status::InvalidArgument(DeploymentLabel(attributes) +
                                   ": the deployment's trust settings are not an object");
  }
  if (action != ChangeAction::kCreate && action != ChangeAction::kUpdate &&
      action != ChangeAction::kReplace && action != ChangeAction::kDelete) {
    return Status::InvalidArgument(std::string("no trust change for action ") +
                                   ChangeActionName(action));
  }
  TrustChange out;
  out.trust = trust.is_object() ? trust : Value::object();
  out.outputs = Value::object();
  out.attributes = attributes.is_object() ? attributes : Value::object();

  const bool remove = action == ChangeAction::kDelete;
  // The entry the prior state names, when it is not the desired one (an
  // account id or trust relationship that changed): crosslink's part of it
  // is undone first.
  const std::string prior_id = prior != nullptr ? Str(prior->attributes, IdentityKey(k)) : "";
  const std::string identity =
      remove && !prior_id.empty() ? prior_id : Str(attributes, IdentityKey(k));
  if (identity.empty()) {
    return Status::InvalidArgument(DeploymentLabel(attributes) + ": " + type + " attribute " +
                                   IdentityKey(k) + " is missing or not resolved");
  }
  const bool moved = !remove && !prior_id.empty() && prior_id != identity;

  if (IsDirectKind(k)) {
    if (remove || moved) {
      const std::string& name = remove ? identity : prior_id;
      std::optional<size_t> at = FindEntry(k, out.trust, name);
      if (at) MutableList(&out.trust, k).erase(*at);
    }
    if (!remove) {
      CROSSLINK_RETURN_IF_ERROR(
          PutDirect(k, identity, out.attributes, moved ? nullptr : prior, &out.trust));
    }
  } else {
    if (remove || moved) DeleteShared(k, remove ? identity : prior_id, prior, &out.trust);
    if (!remove) {
      Result<Ownership> own =
          PutShared(k, identity, out.attributes, moved ? nullptr : prior, &out.trust);
      if (!own.ok()) {
        return own.status().WithContext(EntryLabel(k, identity) + " of " +
                                        DeploymentLabel(attributes));
      }
      out.outputs = OwnershipOutputs(*own);
    }
  }
  out.changed = out.trust != (trust.is_object() ? trust : Value::object());
  return out;
}

std::vector<Orphan> TrustOrphans(const std::string& cluster, const Value& deployment_attributes,
                                 const Value& trust, const std::set<std::string>& known) {
  std::vector<Orphan> out;
  std::set<std::string> seen;
  const Value base = deployment_attributes.is_object() ? deployment_attributes : Value::object();
  const std::string where = DeploymentLabel(base);
  for (const Value& entry : List(trust, Kind::kDirect)) {
    std::string kind_part;
    std::string name_part;
    const Kind k = Str(entry, "type") == "proxy" ? Kind::kApiKeyCa : Kind::kDirect;
    if (!ParseDirectName(Str(entry, "name"), k == Kind::kApiKeyCa, &kind_part, &name_part)) {
      continue;
    }
    const std::string type = k == Kind::kApiKeyCa ? "ec_trust_api_key_ca" : "ec_trust_direct";
    std::string address = type + "." + cluster + "." + kind_part + "." + name_part;
    if (known.count(address) != 0 || !seen.insert(address).second) continue;
    Orphan o;
    o.address = address;
    o.type = type;
    o.description =
        "trust entry direct[] \"" + Str(entry, "name") + "\" (type " + Str(entry, "type") +
        (Has(entry, "uid") ? ", uid " + Str(entry, "uid") : std::string()) + ") of " + where;
    o.live.exists = true;
    o.live.managed_by_crosslink = true;
    o.live.attributes = ReadDirect(k, entry, base);
    out.push_back(std::move(o));
  }
  // Accounts entries carry no peer environment: while any accounts resource
  // of this cluster is known, a marked entry may be its and is left to it.
  const std::string accounts_prefix = "ec_trust_accounts." + cluster + ".";
  for (const std::string& a : known) {
    if (a.rfind(accounts_prefix, 0) == 0) return out;
  }
  for (const Value& entry : List(trust, Kind::kAccounts)) {
    if (!Marked(Kind::kAccounts, entry)) continue;
    const std::string account = Str(entry, "account_id");
    if (account.empty()) continue;
    std::string address = accounts_prefix + AccountNamePart(account);
    if (!seen.insert(address).second) continue;
    Orphan o;
    o.address = address;
    o.type = "ec_trust_accounts";
    o.description = "trust entry accounts[] \"" + std::string(kAccountsMark) + "\" (account " +
                    account + ") of " + where;
    o.live.exists = true;
    o.live.managed_by_crosslink = true;
    Ownership own;  // created by crosslink: a delete removes the entry
    o.live.attributes = ReadShared(Kind::kAccounts, entry, base, own);
    o.live.outputs = OwnershipOutputs(own);
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace crosslink::providers::cloud
