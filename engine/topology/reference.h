#pragma once
// The topology file reference (docs/topology.md), generated from the JSON
// Schema compiled into the binary, so that the documentation and the schema
// cannot diverge: a test regenerates it and compares it with the committed
// file. `crosslink schema` prints the schema itself for editors.
//
// Thread-safety: pure functions.

#include <string>

namespace crosslink::topology {

// Markdown: one section for the top level and one per schema definition,
// each a table of field, type, default, platforms and description.
std::string RenderTopologyReference();

}  // namespace crosslink::topology
