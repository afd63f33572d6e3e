/*
 * Broken test plugin: built against an ABI minor newer than the host's
 * (abi_minor = host minor + 5), which may rely on host services the host
 * does not have.
 */
#include "test_plugin.h"

RDCT_INERT_SOURCE_PLUGIN(RDCP_MAGIC, RDCP_ABI_MAJOR, RDCP_ABI_MINOR + 5,
                         sizeof(rdcp_descriptor_t),
                         "com.example.broken.NewerMinor",
                         sizeof(rdcp_source_task_vtable_t))
