/*
 * Broken test plugin: a shared object that loads fine but exports no
 * RDCP_ENTRY_SYMBOL, only a misspelt one (a common mistake).
 */
#include "test_plugin.h"

RDCP_EXPORT const rdcp_descriptor_t *rdconnect_plugin_entri(void);

const rdcp_descriptor_t *rdconnect_plugin_entri(void) {
        return NULL;
}
