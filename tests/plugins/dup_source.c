/*
 * Broken test plugin: a valid plugin that declares the class of the good
 * TestSource (com.example.test.TestSource). Whichever file declaring a
 * class is found first wins; every later one is rejected as a duplicate.
 * Built twice (dup_source.so, dup_source_twin.so) so that the broken
 * plugins directory holds a duplicate pair on its own.
 */
#include "test_plugin.h"

RDCT_INERT_SOURCE_PLUGIN(RDCP_MAGIC, RDCP_ABI_MAJOR, RDCP_ABI_MINOR,
                         sizeof(rdcp_descriptor_t),
                         "com.example.test.TestSource",
                         sizeof(rdcp_source_task_vtable_t))
