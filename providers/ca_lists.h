#pragma once
// CA lists as resources carry them (docs/resources.md "CA lists"): an
// attribute such as `certificate_authorities` or `certificates` is a list of
// references to `ca_pems` outputs, each itself a list of PEM bundles. Every
// platform provider flattens them the same way and reads them back in the
// state's shape.
//
// Thread-safety: pure functions.

#include <string>
#include <vector>

#include "engine/core/value.h"
#include "providers/provider.h"

namespace crosslink::providers {

// Every string of a (nested) list, first-seen order, without duplicates.
std::vector<std::string> FlattenStrings(const Value& v);
// One PEM with surrounding blanks and CRs dropped per line, "\n"-terminated.
std::string NormalizePem(const std::string& pem);
// Lists of lists of PEM bundles -> unique normalised certificates.
std::vector<std::string> FlattenPems(const Value& v);

// State keeps CA lists as apply resolved them (a list of PEM lists, one per
// source); Read sees one flat list. When both hold the same certificates,
// `live` gets the prior's value for `certificate_authorities` and
// `certificates`, so that an unchanged trust is not reported as changed
// outside crosslink (the planner's drift report compares values).
void EchoEquivalentCaLists(const Value& prior_attributes, LiveObject* live);

}  // namespace crosslink::providers
