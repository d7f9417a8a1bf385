/* The runtime's function table (attune_runtime in runtime.h). Each generated library exports
 * NAME_runtime(), which returns this table of its own copy of the runtime; the runtime's
 * symbols themselves are hidden in the library (linked with --exclude-libs), so callers reach
 * one library's runtime through its table whatever else the process has loaded. */
#include "internal.h"

#define TABLE_ENTRY(ret, name, params, args) .name = attune_##name,
#define TABLE_PROCEDURE_ENTRY(name, params, args) .name = attune_##name,

const attune_runtime attune_runtime_table = {
    .abi_version = ATTUNE_ABI_VERSION,
    .size = sizeof(attune_runtime),
    ATTUNE_RUNTIME_FUNCTIONS(TABLE_ENTRY, TABLE_PROCEDURE_ENTRY)};
