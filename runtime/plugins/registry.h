/*
 * Plugin registry: finds, loads, checks and indexes plugins.
 *
 * Directories searched: the runtime's own plugin directory (the shipped
 * connectors and converters, like Kafka's own classpath), then every
 * directory of plugin.path, each with one level of subdirectories. Every
 * regular file ending in ".so" is a candidate. Its ELF header is checked
 * first (this host's class, byte order and machine, a shared object, the
 * header tables and every PT_LOAD segment within the file: dlopen of a
 * truncated file dies of SIGBUS), then it is loaded with
 * dlopen(RTLD_NOW | RTLD_LOCAL); its RDCP_ENTRY_SYMBOL is called and the
 * descriptor checked before any other plugin code runs. A crash while
 * loading names the file (crash.h). A rejected file is
 * logged once (file and reason) and dlclose()d; the worker carries on.
 * The same file (by realpath) is never loaded twice. Accepted plugins stay
 * loaded until the registry is destroyed (tasks may be running their code).
 *
 * Thread-safe: an internal mutex guards the index; descriptors handed out
 * stay valid until rdc_registry_destroy().
 */
#ifndef RDC_REGISTRY_H
#define RDC_REGISTRY_H

#include <stddef.h>
#include <rdconnect/plugin.h>

typedef struct rdc_registry rdc_registry_t;

/** One accepted plugin. */
typedef struct rdc_plugin {
        /** The host's view of the plugin's descriptor: host-sized, with
         *  host-sized copies of its vtables, zero (NULL) in every member
         *  the plugin's sizes do not cover, and the element sizes
         *  (source_record_size, ...) always set: a 1.0 plugin's are the
         *  1.0 sizes. Read any member; call what is not NULL. */
        const rdcp_descriptor_t *desc;
        const char *path; /**< realpath of the .so */
} rdc_plugin_t;

/** Whether desc (a view) serves as a header converter: one of that type,
 *  or a converter with a header_converter vtable. */
int rdc_plugin_is_header_converter(const rdcp_descriptor_t *desc);

/**
 * @param builtin_dir the runtime's own plugin directory, or NULL.
 * @param plugin_path comma-separated directories (plugin.path), or NULL.
 * Does not scan yet.
 */
rdc_registry_t *rdc_registry_new(const char *builtin_dir,
                                 const char *plugin_path);
void rdc_registry_destroy(rdc_registry_t *reg);

/** Scans every directory for .so files not seen before.
 *  @returns the number of plugins newly accepted. */
size_t rdc_registry_scan(rdc_registry_t *reg);

/**
 * rdc_registry_find() type meaning "a source or a sink connector".
 * The other type values select exactly one type: RDCP_PLUGIN_SOURCE finds
 * sources only, RDCP_PLUGIN_SINK sinks only, RDCP_PLUGIN_CONVERTER
 * converters only, RDCP_PLUGIN_HEADER_CONVERTER header converters (and
 * converters that are header converters too); 0 finds any type. Plugin types
 * are not bit flags, so they cannot be OR-ed together.
 */
#define RDC_PLUGIN_ANY_CONNECTOR 100

/**
 * @brief Resolves a class name: full name, alias, or the full name's last
 *        dot-separated component (e.g. "FileStreamSourceConnector").
 *        On a miss the directories are rescanned once (a .so dropped in
 *        while running is found). A name containing '/' or ".." is refused.
 * @param type required plugin type, RDC_PLUGIN_ANY_CONNECTOR, or 0 for
 *        any (see RDC_PLUGIN_ANY_CONNECTOR).
 * @returns the plugin, or NULL with a message in errstr naming the class
 *          and listing the known classes of that type.
 */
const rdc_plugin_t *rdc_registry_find(rdc_registry_t *reg,
                                      const char *class_name, uint32_t type,
                                      char *errstr, size_t errstr_size);

/** Snapshot for listing (REST /connector-plugins): copies up to max
 *  plugin pointers into out. @returns the total count. */
size_t rdc_registry_list(rdc_registry_t *reg, const rdc_plugin_t **out,
                         size_t max);

/**
 * @brief Lists the files currently rejected (tests, diagnostics): calls cb
 *        with each file's realpath and the rejection reason, both borrowed
 *        for the call, in the order they were rejected. A rejected file is
 *        retried only when its size or mtime changes.
 * @param cb may be NULL to only count.
 * @returns the number of rejected files.
 * @locks the registry mutex is held while cb runs: cb must not call back
 *        into the registry.
 */
size_t rdc_registry_rejections(rdc_registry_t *reg,
                               void (*cb)(void *opaque, const char *path,
                                          const char *reason),
                               void *opaque);

/**
 * @brief Checks a descriptor against the host ABI (exposed for tests).
 * @returns 0 or -1 with the reason in errstr, naming the field and both
 *          values, e.g. "abi_major is 2, host supports 1".
 */
int rdc_registry_check_descriptor(const rdcp_descriptor_t *desc, char *errstr,
                                  size_t errstr_size);

/** The runtime's own plugin directory: <exe dir>/../plugins if it exists,
 *  else the install location. @returns a static string. */
const char *rdc_registry_default_dir(void);

#endif
