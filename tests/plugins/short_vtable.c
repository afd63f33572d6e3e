/*
 * Broken test plugin: a valid descriptor whose source_task vtable
 * claims 8 bytes, too short to hold the functions ABI 1.0 requires.
 */
#include "test_plugin.h"

RDCT_INERT_SOURCE_PLUGIN(RDCP_MAGIC, RDCP_ABI_MAJOR, RDCP_ABI_MINOR,
                         sizeof(rdcp_descriptor_t),
                         "com.example.broken.ShortVtable", 8)
