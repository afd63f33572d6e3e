/*
 * Broken test plugin: its magic number is wrong, so the loader must not read
 * anything past it.
 */
#include "test_plugin.h"

RDCT_INERT_SOURCE_PLUGIN(0xdeadbeefu, RDCP_ABI_MAJOR, RDCP_ABI_MINOR,
                         sizeof(rdcp_descriptor_t),
                         "com.example.broken.BadMagic",
                         sizeof(rdcp_source_task_vtable_t))
