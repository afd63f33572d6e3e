/*
 * Config providers, as Kafka's (KIP-297, KIP-421): values of the form
 * ${provider:path:key} or ${provider:key} are replaced, when a worker or
 * a task starts, by what the named provider finds. The providers Kafka
 * ships are built in: FileConfigProvider (a key of a .properties file),
 * DirectoryConfigProvider (the content of a file in a directory) and
 * EnvVarConfigProvider (an environment variable). Configured in the
 * worker properties:
 *   config.providers=file,env
 *   config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
 *   config.providers.file.param.allowed.paths=/etc/secrets
 * What REST and the logs show keeps the ${...} form: only the copies
 * handed to plugins and Kafka clients are resolved.
 */
#ifndef RDC_CORE_PROVIDERS_H
#define RDC_CORE_PROVIDERS_H

#include <stddef.h>
#include "core/configdef.h"
#include "core/map.h"

typedef struct rdc_providers rdc_providers_t;

/**
 * @brief Reads config.providers and config.providers.<name>.* of the
 *        worker properties.
 * @returns the providers (an empty set when none is configured), or NULL
 *          with the problems in errs (an unknown class, a provider without
 *          a class, a bad parameter), each naming its key.
 */
rdc_providers_t *rdc_providers_new(const rdc_map_t *worker_props,
                                   rdc_config_errors_t *errs);
void rdc_providers_destroy(rdc_providers_t *providers);

/** @returns 1 if value holds a ${provider:...} reference to a configured
 *           provider. */
int rdc_providers_references(const rdc_providers_t *providers,
                             const char *value);

/**
 * @brief A copy of cfg with every reference to a configured provider
 *        replaced. A reference to a provider that is not configured stays
 *        as it is (as in Kafka).
 * @param failed_key out (may be NULL): on failure, the key of cfg whose
 *        value could not be resolved (borrowed from cfg).
 * @returns the copy (caller destroys), or NULL with errstr naming the
 *          config key and why its reference cannot be resolved (missing
 *          file, key or variable, a path outside allowed.paths). Kafka
 *          leaves a missing key's reference in place; rdconnect refuses,
 *          so that a literal "${file:...}" never reaches a password.
 */
rdc_map_t *rdc_providers_resolve(const rdc_providers_t *providers,
                                 const rdc_map_t *cfg, const char **failed_key,
                                 char *errstr, size_t errstr_size);

/**
 * @brief Kafka's reverse transform of task configs: every key of cfg whose
 *        value in raw holds a reference and whose value in cfg is what it
 *        resolved to (its value in live) gets the reference back, so that
 *        task configs a connector built from its resolved config store and
 *        show the references, never the secrets.
 * @returns 0, or -1 out of memory.
 */
int rdc_providers_unresolve(const rdc_providers_t *providers, rdc_map_t *cfg,
                            const rdc_map_t *raw, const rdc_map_t *live);

#endif
