// POST|GET /_security/_query/api_key: the query DSL subset ES allows on API
// keys (bool, term, terms, prefix, wildcard, exists, match_all, ids, range)
// over the queryable fields, with from/size/sort.

#include <algorithm>
#include <set>

#include "sandbox/es/internal.h"

namespace crosslink::sandbox::es {

namespace {

// The field's values for `key` (several for arrays in metadata); empty = missing.
std::vector<Value> FieldValues(const Value& doc, const std::string& field) {
  std::string f = field == "realm_name" ? "realm" : field;
  if (field.rfind("metadata.", 0) == 0) {
    const Value* cur = &doc["metadata"];
    for (const auto& part : SplitString(field.substr(9), '.')) {
      if (!cur->is_object() || !cur->contains(part)) return {};
      cur = &(*cur)[part];
    }
    if (cur->is_array()) return std::vector<Value>(cur->begin(), cur->end());
    if (cur->is_null()) return {};
    return {*cur};
  }
  if (!doc.contains(f) || doc[f].is_null()) return {};
  return {doc[f]};
}

std::string AsText(const Value& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

bool IsNumber(const std::string& s) {
  return !s.empty() && s.find_first_not_of("-0123456789.") == std::string::npos;
}

// Compares as numbers when both are numeric, else as strings.
int Compare(const Value& a, const Value& b) {
  std::string sa = AsText(a), sb = AsText(b);
  if (IsNumber(sa) && IsNumber(sb)) {
    double da = std::stod(sa), db = std::stod(sb);
    return da < db ? -1 : da > db ? 1 : 0;
  }
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

// Lucene's minimum_should_match for `clauses` optional clauses: "2", "-1",
// "75%", "-25%" (or a JSON integer). nullopt when malformed.
std::optional<int> MinimumShouldMatch(const Value& spec, int clauses) {
  if (spec.is_number_integer()) {
    int n = spec.get<int>();
    return n < 0 ? std::max(0, clauses + n) : n;
  }
  if (!spec.is_string()) return std::nullopt;
  std::string text = spec.get<std::string>();
  bool percent = !text.empty() && text.back() == '%';
  if (percent) text.pop_back();
  bool negative = !text.empty() && text[0] == '-';
  std::string digits = text.substr(negative ? 1 : 0);
  if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  int n = std::stoi(digits);
  if (percent) n = clauses * n / 100;
  return negative ? std::max(0, clauses - n) : n;
}

class Matcher {
 public:
  // Returns "" or the ES error reason.
  std::string Validate(const Value& query) { return Check(query); }
  bool Match(const Value& query, const Value& doc) const {
    const std::string type = query.begin().key();
    const Value& body = query.begin().value();
    if (type == "match_all") return true;
    if (type == "ids") {
      for (const auto& id : body["values"]) {
        if (id == doc["id"]) return true;
      }
      return false;
    }
    if (type == "bool") {
      auto all = [&](const char* clause, bool want) {
        if (!body.contains(clause)) return true;
        const Value& c = body[clause];
        if (c.is_object()) return Match(c, doc) == want;
        for (const auto& q : c) {
          if (Match(q, doc) != want) return false;
        }
        return true;
      };
      if (!all("must", true) || !all("filter", true) || !all("must_not", false)) return false;
      if (body.contains("should")) {
        const Value& s = body["should"];
        std::vector<Value> shoulds = s.is_object() ? std::vector<Value>{s} : std::vector<Value>(s.begin(), s.end());
        int min = (body.contains("must") || body.contains("filter")) ? 0 : 1;
        if (body.contains("minimum_should_match")) {
          min = MinimumShouldMatch(body["minimum_should_match"], static_cast<int>(shoulds.size())).value_or(1);
        }
        int hits = 0;
        for (const auto& q : shoulds) hits += Match(q, doc) ? 1 : 0;
        return hits >= min;
      }
      return true;
    }
    const std::string field = body.begin().key();
    const Value& arg = body.begin().value();
    auto values = FieldValues(doc, field);
    if (type == "exists") {
      values = FieldValues(doc, AsText(body["field"]));
      return !values.empty();
    }
    for (const auto& v : values) {
      std::string text = AsText(v);
      if (type == "term") {
        const Value& want = arg.is_object() ? arg.value("value", Value()) : arg;
        if (text == AsText(want)) return true;
      } else if (type == "terms") {
        for (const auto& want : arg) {
          if (text == AsText(want)) return true;
        }
      } else if (type == "prefix") {
        std::string want = AsText(arg.is_object() ? arg.value("value", Value()) : arg);
        if (text.rfind(want, 0) == 0) return true;
      } else if (type == "wildcard") {
        std::string want = AsText(arg.is_object() ? arg.value("value", Value()) : arg);
        if (net::GlobMatch(want, text, /*question_mark=*/true)) return true;
      } else if (type == "range") {
        bool ok = true;
        if (arg.contains("gte")) ok = ok && Compare(v, arg["gte"]) >= 0;
        if (arg.contains("gt")) ok = ok && Compare(v, arg["gt"]) > 0;
        if (arg.contains("lte")) ok = ok && Compare(v, arg["lte"]) <= 0;
        if (arg.contains("lt")) ok = ok && Compare(v, arg["lt"]) < 0;
        if (ok) return true;
      }
    }
    return false;
  }

 private:
  static std::string CheckField(const std::string& field) {
    static const std::set<std::string> kFields = {"id",         "type",         "name",     "creation",
                                                  "expiration", "invalidated", "invalidation", "username",
                                                  "realm",      "realm_name",  "metadata"};
    std::string f = field == "realm_name" ? "realm" : field;
    if (kFields.count(f) || f.rfind("metadata.", 0) == 0) return "";
    return "Field [" + field + "] is not allowed for querying or aggregation";
  }
  std::string Check(const Value& query) {
    if (!query.is_object() || query.size() != 1) return "[query] must contain exactly one query";
    const std::string type = query.begin().key();
    const Value& body = query.begin().value();
    if (type == "match_all") return "";
    if (type == "ids") {
      return body.is_object() && body.contains("values") && body["values"].is_array() ? "" : "[ids] requires [values]";
    }
    if (type == "bool") {
      if (!body.is_object()) return "[bool] must be an object";
      for (auto it = body.begin(); it != body.end(); ++it) {
        if (it.key() == "minimum_should_match") {
          if (!MinimumShouldMatch(it.value(), 1)) {
            return "failed to parse [minimum_should_match] value [" + AsText(it.value()) + "]";
          }
          continue;
        }
        if (it.key() != "must" && it.key() != "filter" && it.key() != "should" && it.key() != "must_not") {
          return "[bool] query does not support [" + it.key() + "]";
        }
        const Value& c = it.value();
        if (c.is_object()) {
          if (auto e = Check(c); !e.empty()) return e;
        } else if (c.is_array()) {
          for (const auto& q : c) {
            if (auto e = Check(q); !e.empty()) return e;
          }
        } else {
          return "[bool] clause [" + it.key() + "] must be an object or an array";
        }
      }
      return "";
    }
    static const std::set<std::string> kLeaf = {"term", "terms", "prefix", "wildcard", "range", "exists"};
    if (!kLeaf.count(type)) return "Query type [" + type + "] is not currently supported in this context";
    if (!body.is_object() || body.empty()) return "[" + type + "] query malformed";
    if (type == "exists") {
      if (!body.contains("field")) return "[exists] must be provided with a [field]";
      return CheckField(AsText(body["field"]));
    }
    if (body.size() != 1) return "[" + type + "] query doesn't support multiple fields";
    if (type == "terms" && !body.begin().value().is_array()) return "[terms] query requires an array of values";
    return CheckField(body.begin().key());
  }
};

Value SortValue(const Value& doc, const std::string& field) {
  auto values = FieldValues(doc, field == "realm_name" ? "realm" : field);
  return values.empty() ? Value(nullptr) : values.front();
}

}  // namespace

net::HttpResponse Twin::State::QueryKeys(const RequestContext& ctx) {
  Value body;
  net::HttpResponse error;
  if (!ParseBody(ctx.request, false, &body, &error)) return error;
  if (body.is_null()) body = Value::object();
  for (auto it = body.begin(); it != body.end(); ++it) {
    static const std::set<std::string> kAllowed = {"query", "from", "size", "sort", "search_after", "aggs",
                                                   "aggregations"};
    if (!kAllowed.count(it.key())) return UnknownField("query_api_key_request", it.key());
  }
  Value query = body.value("query", Value{{"match_all", Value::object()}});
  Matcher matcher;
  if (std::string e = matcher.Validate(query); !e.empty()) return BadRequest(e);
  int from = body.contains("from") && body["from"].is_number_integer() ? body["from"].get<int>() : 0;
  int size = body.contains("size") && body["size"].is_number_integer() ? body["size"].get<int>() : 10;
  if (from < 0) return ValidationFailed({"[from] parameter cannot be negative but was [" + std::to_string(from) + "]"});
  if (size < 0) return ValidationFailed({"[size] parameter cannot be negative but was [" + std::to_string(size) + "]"});
  bool with_limited_by = ctx.request.HasQuery("with_limited_by") && ctx.request.Query("with_limited_by") != "false";

  PurgeRetiredKeys();
  std::vector<Value> docs;
  for (const auto& [id, key] : api_keys) {
    Value doc = KeyToJson(key, with_limited_by);
    if (matcher.Match(query, doc)) docs.push_back(std::move(doc));
  }
  // Sort: explicit fields, else by creation then id (stable, index-like order).
  std::vector<std::pair<std::string, bool>> sort;  // field, descending
  if (body.contains("sort")) {
    Value s = body["sort"].is_array() ? body["sort"] : Value::array({body["sort"]});
    for (const auto& item : s) {
      if (item.is_string()) {
        sort.emplace_back(item.get<std::string>(), false);
      } else if (item.is_object() && item.size() == 1) {
        const Value& spec = item.begin().value();
        bool desc = (spec.is_string() && spec == "desc") ||
                    (spec.is_object() && spec.contains("order") && spec["order"] == "desc");
        sort.emplace_back(item.begin().key(), desc);
      } else {
        return BadRequest("malformed [sort]");
      }
    }
    for (const auto& [field, desc] : sort) {
      (void)desc;
      if (field == "_doc") continue;
      static const std::set<std::string> kSortable = {"id", "type", "name", "creation", "expiration",
                                                      "invalidated", "invalidation", "username", "realm"};
      if (!kSortable.count(field) && field.rfind("metadata.", 0) != 0) {
        return BadRequest("Field [" + field + "] is not allowed for querying or aggregation");
      }
    }
  }
  std::stable_sort(docs.begin(), docs.end(), [&](const Value& a, const Value& b) {
    for (const auto& [field, desc] : sort) {
      if (field == "_doc") continue;
      Value va = SortValue(a, field), vb = SortValue(b, field);
      if (va.is_null() != vb.is_null()) return vb.is_null();  // missing last
      if (va.is_null()) continue;
      int c = Compare(va, vb);
      if (c != 0) return desc ? c > 0 : c < 0;
    }
    if (a["creation"] != b["creation"]) return a["creation"] < b["creation"];
    return a["id"] < b["id"];
  });
  Value keys = Value::array();
  for (size_t i = static_cast<size_t>(from); i < docs.size() && keys.size() < static_cast<size_t>(size); ++i) {
    Value doc = docs[i];
    if (!sort.empty()) {
      Value sv = Value::array();
      for (const auto& [field, desc] : sort) {
        (void)desc;
        sv.push_back(field == "_doc" ? Value(i) : SortValue(doc, field));
      }
      doc["_sort"] = sv;
    }
    keys.push_back(std::move(doc));
  }
  return net::HttpResponse::Json(
      200, Value{{"total", docs.size()}, {"count", keys.size()}, {"api_keys", keys}});
}

}  // namespace crosslink::sandbox::es
