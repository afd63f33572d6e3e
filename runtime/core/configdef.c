/*
 * Config validation against rdcp_config_def_t tables (see configdef.h).
 *
 * Messages copy Kafka's ConfigDef wording, so that users and tools that
 * know Kafka Connect's answers (REST validate, startup failures) recognise
 * them: "Invalid value abc for configuration batch.size: Not a number of
 * type INT".
 *
 * Definition tables come from plugins built against some ABI minor, so they
 * are walked with the plugin's def_size, never with sizeof.
 */
#define _GNU_SOURCE
#include "core/configdef.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/errstr.h"
#include "core/strlist.h"

/* The fields every ABI 1.x definition has (1.0 ends with validator). */
#define CONFIGDEF_MIN_SIZE                                                     \
        (offsetof(rdcp_config_def_t, validator) +                              \
         sizeof(rdcp_config_validator_t))

/* ------------------------------------------------------------ errors */

int rdc_config_errors_add(rdc_config_errors_t *errs, const char *key,
                          const char *fmt, ...) {
        char *message = NULL, *key_copy = NULL;
        va_list ap;
        va_start(ap, fmt);
        int rc = vasprintf(&message, fmt, ap);
        va_end(ap);
        if (rc < 0)
                return -1;
        if (key && !(key_copy = strdup(key)))
                goto fail;
        if (errs->cnt == errs->size) {
                size_t size = errs->size ? errs->size * 2 : 8;
                rdc_config_error_t *grown =
                        realloc(errs->items, size * sizeof(*grown));
                if (!grown)
                        goto fail;
                errs->items = grown;
                errs->size = size;
        }
        errs->items[errs->cnt].key = key_copy;
        errs->items[errs->cnt].message = message;
        errs->cnt++;
        return 0;
fail:
        free(key_copy);
        free(message);
        return -1;
}

void rdc_config_errors_clear(rdc_config_errors_t *errs) {
        for (size_t i = 0; i < errs->cnt; i++) {
                free(errs->items[i].key);
                free(errs->items[i].message);
        }
        free(errs->items);
        errs->items = NULL;
        errs->cnt = errs->size = 0;
}

void rdc_config_errors_format(const rdc_config_errors_t *errs, char *buf,
                              size_t size) {
        size_t len = 0;
        if (!size)
                return;
        buf[0] = '\0';
        for (size_t i = 0; i < errs->cnt && len < size; i++) {
                const rdc_config_error_t *err = &errs->items[i];
                int n = snprintf(buf + len, size - len, "%s%s%s%s",
                                 i ? "; " : "", err->key ? err->key : "",
                                 err->key ? ": " : "", err->message);
                if (n < 0)
                        break;
                len += (size_t)n;
        }
}

/* ----------------------------------------------------------- parsers */

/** Trims ASCII whitespace: [*start, *end) is the trimmed value. */
static void configdef_trim(const char *value, const char **start,
                           const char **end) {
        const char *s = value, *e = value + strlen(value);
        while (s < e && isspace((unsigned char)*s))
                s++;
        while (e > s && isspace((unsigned char)e[-1]))
                e--;
        *start = s;
        *end = e;
}

/** @returns a malloc'd trimmed copy of value, or NULL on OOM. */
static char *configdef_trimmed_dup(const char *value) {
        const char *start, *end;
        configdef_trim(value, &start, &end);
        return strndup(start, (size_t)(end - start));
}

int rdc_config_parse_int64(const char *value, int64_t *out) {
        const char *start, *end;
        if (!value)
                return -1;
        configdef_trim(value, &start, &end);
        /* Only [+-]digits, as Java's Long.parseLong: no hex, no octal. */
        const char *digits = start + (*start == '+' || *start == '-');
        if (digits == end)
                return -1;
        for (const char *p = digits; p < end; p++)
                if (!isdigit((unsigned char)*p))
                        return -1;
        errno = 0;
        char *stop;
        long long parsed = strtoll(start, &stop, 10);
        if (errno == ERANGE || stop != end)
                return -1;
        *out = (int64_t)parsed;
        return 0;
}

int rdc_config_parse_bool(const char *value, int *out) {
        const char *start, *end;
        if (!value)
                return -1;
        configdef_trim(value, &start, &end);
        size_t len = (size_t)(end - start);
        if (len == 4 && !strncasecmp(start, "true", 4))
                *out = 1;
        else if (len == 5 && !strncasecmp(start, "false", 5))
                *out = 0;
        else
                return -1;
        return 0;
}

int rdc_config_parse_double(const char *value, double *out) {
        const char *start, *end;
        if (!value)
                return -1;
        configdef_trim(value, &start, &end);
        /* Plain decimal notation only: strtod would also take "nan",
         * "inf" and hex floats, which are never meant in a config. */
        if (start == end ||
            strspn(start, "0123456789+-.eE") < (size_t)(end - start))
                return -1;
        errno = 0;
        char *stop;
        double parsed = strtod(start, &stop);
        if (stop != end || (errno == ERANGE && isinf(parsed)) ||
            !isfinite(parsed))
                return -1;
        *out = parsed;
        return 0;
}

/* -------------------------------------------------------- definitions */

static const rdcp_config_def_t *configdef_at(const rdcp_config_def_t *defs,
                                             size_t def_size, size_t idx) {
        return (const rdcp_config_def_t *)(const void *)((const char *)defs +
                                                         idx * def_size);
}

const rdcp_config_def_t *rdc_configdef_find(const rdcp_config_def_t *defs,
                                            size_t def_cnt, size_t def_size,
                                            const char *name) {
        for (size_t i = 0; i < def_cnt; i++) {
                const rdcp_config_def_t *def = configdef_at(defs, def_size, i);
                if (def->name && !strcmp(def->name, name))
                        return def;
        }
        return NULL;
}

const char *rdc_configdef_type_name(uint32_t type) {
        switch (type) {
        case RDCP_CFG_STRING:
                return "STRING";
        case RDCP_CFG_SHORT:
                return "SHORT";
        case RDCP_CFG_INT:
                return "INT";
        case RDCP_CFG_LONG:
                return "LONG";
        case RDCP_CFG_DOUBLE:
                return "DOUBLE";
        case RDCP_CFG_BOOLEAN:
                return "BOOLEAN";
        case RDCP_CFG_LIST:
                return "LIST";
        case RDCP_CFG_CLASS:
                return "CLASS";
        case RDCP_CFG_PASSWORD:
                return "PASSWORD";
        default:
                return "UNKNOWN";
        }
}

const char *rdc_configdef_importance_name(uint32_t importance) {
        switch (importance) {
        case RDCP_IMPORTANCE_HIGH:
                return "HIGH";
        case RDCP_IMPORTANCE_MEDIUM:
                return "MEDIUM";
        case RDCP_IMPORTANCE_LOW:
                return "LOW";
        default:
                return "UNKNOWN";
        }
}

/* ---------------------------------------------------------- checking */

/** Writes Kafka's Range message for a value below min or above max. */
static int configdef_range_error(const rdcp_config_def_t *def, int below,
                                 char *errstr, size_t errstr_size) {
        if (below)
                snprintf(errstr, errstr_size, "Value must be at least %lld",
                         (long long)def->min);
        else
                snprintf(errstr, errstr_size, "Value must be no more than %lld",
                         (long long)def->max);
        return -1;
}

/* Integers are compared as integers: a double would round large LONGs. */
static int configdef_check_int_range(const rdcp_config_def_t *def,
                                     int64_t number, char *errstr,
                                     size_t errstr_size) {
        if ((def->flags & RDCP_CFGF_HAS_MIN) && number < def->min)
                return configdef_range_error(def, 1, errstr, errstr_size);
        if ((def->flags & RDCP_CFGF_HAS_MAX) && number > def->max)
                return configdef_range_error(def, 0, errstr, errstr_size);
        return 0;
}

static int configdef_check_double_range(const rdcp_config_def_t *def,
                                        double number, char *errstr,
                                        size_t errstr_size) {
        if ((def->flags & RDCP_CFGF_HAS_MIN) && number < (double)def->min)
                return configdef_range_error(def, 1, errstr, errstr_size);
        if ((def->flags & RDCP_CFGF_HAS_MAX) && number > (double)def->max)
                return configdef_range_error(def, 0, errstr, errstr_size);
        return 0;
}

/** valid_values check of one string (a value or one list element). */
static int configdef_check_valid(const rdcp_config_def_t *def, const char *item,
                                 char *errstr, size_t errstr_size) {
        if (!def->valid_values)
                return 0;
        for (const char *const *valid = def->valid_values; *valid; valid++)
                if (!strcmp(*valid, item))
                        return 0;
        size_t len = (size_t)snprintf(errstr, errstr_size,
                                      "String must be one of: ");
        for (const char *const *valid = def->valid_values;
             *valid && len < errstr_size; valid++)
                len += (size_t)snprintf(errstr + len, errstr_size - len, "%s%s",
                                        valid == def->valid_values ? "" : ", ",
                                        *valid);
        return -1;
}

/** LIST: every comma-separated, trimmed element, and emptiness. */
static int configdef_check_list(const rdcp_config_def_t *def,
                                const char *trimmed, char *errstr,
                                size_t errstr_size) {
        if (!*trimmed) {
                if (def->flags & RDCP_CFGF_NON_EMPTY) {
                        snprintf(errstr, errstr_size, "List must be non-empty");
                        return -1;
                }
                return 0;
        }
        rdc_strlist_t list;
        int ret = 0;
        if (rdc_strlist_parse(trimmed, &list) == -1)
                return rdc_errstr_set(errstr, errstr_size, "out of memory");
        for (size_t i = 0; !ret && i < list.cnt; i++)
                ret = configdef_check_valid(def, list.items[i], errstr,
                                            errstr_size);
        rdc_strlist_clear(&list);
        return ret;
}

/** Type, range and valid-values checks of a trimmed value. */
static int configdef_check_typed(const rdcp_config_def_t *def,
                                 const char *trimmed, char *errstr,
                                 size_t errstr_size) {
        int64_t integer;
        double number;
        int boolean;

        switch (def->type) {
        case RDCP_CFG_SHORT:
        case RDCP_CFG_INT:
        case RDCP_CFG_LONG:
                if (rdc_config_parse_int64(trimmed, &integer) ||
                    (def->type == RDCP_CFG_INT &&
                     (integer < INT32_MIN || integer > INT32_MAX)) ||
                    (def->type == RDCP_CFG_SHORT &&
                     (integer < INT16_MIN || integer > INT16_MAX))) {
                        snprintf(errstr, errstr_size, "Not a number of type %s",
                                 rdc_configdef_type_name(def->type));
                        return -1;
                }
                return configdef_check_int_range(def, integer, errstr,
                                                 errstr_size);
        case RDCP_CFG_DOUBLE:
                if (rdc_config_parse_double(trimmed, &number)) {
                        snprintf(errstr, errstr_size,
                                 "Not a number of type DOUBLE");
                        return -1;
                }
                return configdef_check_double_range(def, number, errstr,
                                                    errstr_size);
        case RDCP_CFG_BOOLEAN:
                if (rdc_config_parse_bool(trimmed, &boolean)) {
                        snprintf(errstr, errstr_size,
                                 "Expected value to be either true or false");
                        return -1;
                }
                return 0;
        case RDCP_CFG_LIST:
                return configdef_check_list(def, trimmed, errstr, errstr_size);
        case RDCP_CFG_STRING:
        case RDCP_CFG_CLASS:
        case RDCP_CFG_PASSWORD:
                /* Kafka trims strings, so blank counts as empty. */
                if ((def->flags & RDCP_CFGF_NON_EMPTY) && !*trimmed) {
                        snprintf(errstr, errstr_size,
                                 "String must be non-empty");
                        return -1;
                }
                return configdef_check_valid(def, trimmed, errstr, errstr_size);
        default:
                snprintf(errstr, errstr_size, "Unknown config type %u",
                         (unsigned)def->type);
                return -1;
        }
}

/* A required key given as "" or whitespace only counts as missing, for
 * every type and every table (framework, worker, plugin): code after
 * validation may rely on a required value being there, and a blank
 * connector.class once reached the herder as "no plugin". */
static int configdef_blank_required(const rdcp_config_def_t *def,
                                    const char *value) {
        const char *start, *end;
        if (!(def->flags & RDCP_CFGF_REQUIRED))
                return 0;
        configdef_trim(value, &start, &end);
        return start == end;
}

int rdc_configdef_check_value(const rdcp_config_def_t *def, const char *value,
                              char *errstr, size_t errstr_size) {
        if (!value) {
                if (def->flags & RDCP_CFGF_REQUIRED) {
                        snprintf(errstr, errstr_size,
                                 "Missing required configuration which has "
                                 "no default value");
                        return -1;
                }
                return 0;
        }
        if (configdef_blank_required(def, value)) {
                snprintf(errstr, errstr_size,
                         "Missing required configuration which has no "
                         "default value (the value given is blank)");
                return -1;
        }
        char *trimmed = configdef_trimmed_dup(value);
        if (!trimmed) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        int ret = configdef_check_typed(def, trimmed, errstr, errstr_size);
        free(trimmed);
        if (ret || !def->validator)
                return ret;
        /* The plugin's own check runs last, on a value known to parse. */
        errstr[0] = '\0';
        if (def->validator(def->name, value, errstr, errstr_size) == RDCP_OK)
                return 0;
        if (!errstr[0])
                snprintf(errstr, errstr_size, "Rejected by the validator");
        return -1;
}

size_t rdc_configdef_validate(const rdcp_config_def_t *defs, size_t def_cnt,
                              size_t def_size, rdc_map_t *cfg,
                              int apply_defaults, rdc_config_errors_t *errs) {
        size_t before = errs->cnt;
        char reason[512];

        if (def_cnt && def_size < CONFIGDEF_MIN_SIZE) {
                rdc_config_errors_add(errs, NULL,
                                      "Config definitions are %zu bytes "
                                      "each, at least %zu expected",
                                      def_size, (size_t)CONFIGDEF_MIN_SIZE);
                return errs->cnt - before;
        }
        for (size_t i = 0; i < def_cnt; i++) {
                const rdcp_config_def_t *def = configdef_at(defs, def_size, i);
                if (!def->name)
                        continue;
                const char *value = rdc_map_get(cfg, def->name);
                if (!value && def->default_value) {
                        value = def->default_value;
                        if (apply_defaults &&
                            rdc_map_set(cfg, def->name, value)) {
                                rdc_config_errors_add(errs, def->name,
                                                      "out of memory");
                                continue;
                        }
                }
                if (!value) {
                        if (def->flags & RDCP_CFGF_REQUIRED)
                                rdc_config_errors_add(
                                        errs, def->name,
                                        "Missing required configuration "
                                        "\"%s\" which has no default value.",
                                        def->name);
                        continue;
                }
                if (configdef_blank_required(def, value)) {
                        rdc_config_errors_add(
                                errs, def->name,
                                "Missing required configuration \"%s\" "
                                "which has no default value (the value "
                                "given is blank).",
                                def->name);
                        continue;
                }
                if (!rdc_configdef_check_value(def, value, reason,
                                               sizeof(reason)))
                        continue;
                /* Kafka never echoes a password. */
                rdc_config_errors_add(
                        errs, def->name,
                        "Invalid value %s for configuration %s: %s",
                        def->type == RDCP_CFG_PASSWORD ? "[hidden]" : value,
                        def->name, reason);
        }
        return errs->cnt - before;
}

int rdc_config_blank(const char *value) {
        if (!value)
                return 1;
        while (isspace((unsigned char)*value))
                value++;
        return !*value;
}
