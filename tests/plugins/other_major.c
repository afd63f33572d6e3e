/*
 * Broken test plugin: built against another ABI major (host major + 1):
 * nothing after the header can be trusted to mean the same.
 */
#include "test_plugin.h"

RDCT_INERT_SOURCE_PLUGIN(RDCP_MAGIC, RDCP_ABI_MAJOR + 1, RDCP_ABI_MINOR,
                         sizeof(rdcp_descriptor_t),
                         "com.example.broken.OtherMajor",
                         sizeof(rdcp_source_task_vtable_t))
