/*
 * Broken test plugin: its entry function exists but returns NULL.
 */
#include "test_plugin.h"

RDCP_EXPORT const rdcp_descriptor_t *rdconnect_plugin_entry(void);

const rdcp_descriptor_t *rdconnect_plugin_entry(void) {
        return NULL;
}
