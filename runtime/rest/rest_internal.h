/*
 * Private to the REST server (rest.c, rest_plugins.c): the renderings of
 * the plugin endpoints, kept apart from the HTTP transport so that they
 * read as plain "worker in, Kafka JSON out" functions.
 */
#ifndef RDC_REST_INTERNAL_H
#define RDC_REST_INTERNAL_H

#include <stddef.h>
#include <json-c/json.h>
#include "core/map.h"
#include "worker/worker.h"

/**
 * @brief Converts a JSON object whose values are scalars into a map, the
 *        way Kafka binds such bodies to Map<String, String>: strings as
 *        they are, numbers and booleans as their JSON text.
 * @param what names the object in error messages ("config", ...).
 * @returns the map, or NULL with the reason in errstr (not an object, a
 *          null/object/array value, a NUL character, out of memory).
 */
rdc_map_t *rdc_rest_json_to_map(json_object *obj, const char *what,
                                char *errstr, size_t errstr_size);

/*
 * The functions below return the HTTP status of the answer. On success
 * *out holds the body (the caller owns it); on failure *out is NULL and
 * errstr holds the message of the error body.
 */

/** GET /connector-plugins[?connectorsOnly=] */
int rdc_rest_plugins_list(rdc_worker_t *worker, int connectors_only,
                          json_object **out, char *errstr, size_t errstr_size);

/** GET /connector-plugins/{plugin}/config */
int rdc_rest_plugin_config(rdc_worker_t *worker, const char *plugin_name,
                           json_object **out, char *errstr, size_t errstr_size);

/** PUT /connector-plugins/{plugin}/config/validate; cfg may be modified
 *  (connector.class is filled in from the path when absent). */
int rdc_rest_plugin_validate(rdc_worker_t *worker, const char *plugin_name,
                             rdc_map_t *cfg, json_object **out, char *errstr,
                             size_t errstr_size);

#endif
