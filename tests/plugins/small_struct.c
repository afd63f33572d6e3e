/*
 * Broken test plugin: its descriptor claims to be only 8 bytes long
 * (just magic and versions), smaller than the ABI 1.0 descriptor.
 */
#include "test_plugin.h"

RDCT_INERT_SOURCE_PLUGIN(RDCP_MAGIC, RDCP_ABI_MAJOR, RDCP_ABI_MINOR, 8,
                         "com.example.broken.SmallStruct",
                         sizeof(rdcp_source_task_vtable_t))
