/*
 * Reading configuration files into an rdc_map:
 *  - Java .properties (worker and connector files), parsed with inih:
 *    '#' and '!' comment lines, '=' or ':' separators, backslash line
 *    continuation, escapes \t \n \r \f \\ \= \: \  and \uXXXX.
 *    Not supported (documented in the README): whitespace as the only
 *    separator, and a line that starts with '[' (inih reads it as a
 *    section).
 *  - Connector JSON: {"name": "...", "config": {...}} as in POST
 *    /connectors, or the flat config object. Values may be JSON strings,
 *    numbers or booleans; they are stored as their text.
 */
#ifndef RDC_PROPS_H
#define RDC_PROPS_H

#include <stddef.h>
#include "core/map.h"

/** Parses a .properties file into out (entries added/overwritten).
 *  @returns 0, or -1 with "file:line: reason" in errstr. */
int rdc_props_load_file(const char *path, rdc_map_t *out, char *errstr,
                        size_t errstr_size);
/** Same for text in memory. */
int rdc_props_load_string(const char *text, rdc_map_t *out, char *errstr,
                          size_t errstr_size);

/** Parses connector JSON text (either form). If the POST form has "name"
 *  it is stored as key "name" (a differing config.name is an error).
 *  @returns 0, or -1 with the reason in errstr. */
int rdc_props_load_json_string(const char *text, rdc_map_t *out, char *errstr,
                               size_t errstr_size);

/** Loads a connector file: JSON if its name ends in .json or its first
 *  non-blank character is '{', else .properties. */
int rdc_props_load_connector_file(const char *path, rdc_map_t *out,
                                  char *errstr, size_t errstr_size);

#endif
