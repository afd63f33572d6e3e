/*
 * Broken test plugin: a valid plugin that declares the class of the good
 * TestSource (com.example.test.TestSource). When both are on plugin.path,
 * the one found first wins and this one is rejected as a duplicate.
 */
#include "test_plugin.h"

RDCT_INERT_SOURCE_PLUGIN(RDCP_MAGIC, RDCP_ABI_MAJOR, RDCP_ABI_MINOR,
                         sizeof(rdcp_descriptor_t),
                         "com.example.test.TestSource",
                         sizeof(rdcp_source_task_vtable_t))
