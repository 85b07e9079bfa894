# Build-time helper: turns schema/topology.schema.json into a C++ source file
# defining crosslink::topology::kTopologySchemaJson, so that the schema file
# stays the single source of truth and is still compiled into the binary.
#
# Usage: cmake -DINPUT=<schema.json> -DOUTPUT=<file.cc> -P embed_schema.cmake
if(NOT INPUT OR NOT OUTPUT)
  message(FATAL_ERROR "embed_schema.cmake needs -DINPUT=... and -DOUTPUT=...")
endif()
file(READ "${INPUT}" schema_text)
set(delimiter "xl_schema_json")
string(FIND "${schema_text}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter )${delimiter}\"")
endif()
set(generated "// Generated from ${INPUT} by engine/topology/embed_schema.cmake. Do not edit.
#include \"engine/topology/schema.h\"

namespace crosslink::topology {

const char* const kTopologySchemaJson = R\"${delimiter}(${schema_text})${delimiter}\";

}  // namespace crosslink::topology
")
file(WRITE "${OUTPUT}.tmp" "${generated}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
