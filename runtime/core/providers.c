/*
 * Config providers: see providers.h. References are found as Kafka's
 * ConfigTransformer finds them, with its pattern
 *   \$\{([^}]*?):(([^}]*?):)?([^}]*?)\}
 * (provider up to the first ':', then the path up to the next ':' if
 * there is one, then the key up to '}').
 */
#define _GNU_SOURCE
#include "core/providers.h"

#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/errstr.h"
#include "core/fileio.h"
#include "core/props.h"
#include "core/strlist.h"

#define PROVIDERS_PREFIX "config.providers."
#define PROVIDER_PKG     "org.apache.kafka.common.config.provider."

typedef enum provider_kind {
        PROVIDER_FILE,
        PROVIDER_DIRECTORY,
        PROVIDER_ENV,
} provider_kind_t;

static const struct {
        const char *simple; /* class name without its package */
        provider_kind_t kind;
        const char *param; /* the one parameter it takes */
} provider_classes[] = {
        {"FileConfigProvider", PROVIDER_FILE, "allowed.paths"},
        {"DirectoryConfigProvider", PROVIDER_DIRECTORY, "allowed.paths"},
        {"EnvVarConfigProvider", PROVIDER_ENV, "allowlist.pattern"},
};

typedef struct provider {
        char *name;
        provider_kind_t kind;
        rdc_strlist_t allowed; /* normalized absolute paths; none: all */
        int has_pattern;
        regex_t pattern; /* env: names that may be read */
} provider_t;

struct rdc_providers {
        provider_t *items;
        size_t cnt;
};

/* A parsed ${provider:path:key}: pointers into the value, with lengths. */
typedef struct reference {
        const char *start, *end; /* the whole "${...}" */
        const char *provider, *path, *key;
        size_t provider_len, path_len, key_len;
} reference_t;

/* ----------------------------------------------------------- parsing */

/** Finds the next reference at or after from. @returns 1 if found. */
static int reference_next(const char *from, reference_t *ref) {
        for (const char *p = strstr(from, "${"); p; p = strstr(p + 1, "${")) {
                const char *body = p + 2, *close = strchr(body, '}');
                const char *colon, *second;
                if (!close)
                        return 0;
                colon = memchr(body, ':', (size_t)(close - body));
                if (!colon)
                        continue; /* no provider: not a reference */
                ref->start = p;
                ref->end = close + 1;
                ref->provider = body;
                ref->provider_len = (size_t)(colon - body);
                second = memchr(colon + 1, ':', (size_t)(close - colon - 1));
                if (second) {
                        ref->path = colon + 1;
                        ref->path_len = (size_t)(second - colon - 1);
                        ref->key = second + 1;
                } else {
                        ref->path = NULL;
                        ref->path_len = 0;
                        ref->key = colon + 1;
                }
                ref->key_len = (size_t)(close - ref->key);
                return 1;
        }
        return 0;
}

static const provider_t *provider_find(const rdc_providers_t *providers,
                                       const char *name, size_t len) {
        for (size_t i = 0; providers && i < providers->cnt; i++)
                if (strlen(providers->items[i].name) == len &&
                    !memcmp(providers->items[i].name, name, len))
                        return &providers->items[i];
        return NULL;
}

/* ------------------------------------------------------ allowed.paths */

/**
 * Lexical normalization of an absolute path, as Java's Path.normalize():
 * "." and empty components dropped, ".." removes the one before.
 * @returns a malloc'd path, or NULL if path is not absolute.
 */
static char *path_normalize(const char *path, size_t len) {
        char *out;
        size_t n = 0;
        if (len == 0 || path[0] != '/' || !(out = malloc(len + 2)))
                return NULL;
        for (size_t i = 0; i < len;) {
                size_t j = i;
                while (j < len && path[j] != '/')
                        j++;
                size_t clen = j - i;
                if (clen == 0 || (clen == 1 && path[i] == '.')) {
                        /* nothing */
                } else if (clen == 2 && path[i] == '.' && path[i + 1] == '.') {
                        while (n > 0 && out[n - 1] != '/')
                                n--;
                        if (n > 0)
                                n--;
                } else {
                        out[n++] = '/';
                        memcpy(out + n, path + i, clen);
                        n += clen;
                }
                i = j + 1;
        }
        if (n == 0)
                out[n++] = '/';
        out[n] = '\0';
        return out;
}

/** @returns 1 if path is dir or below it, component by component. */
static int path_under(const char *path, const char *dir) {
        size_t len = strlen(dir);
        if (!strcmp(dir, "/"))
                return 1;
        return !strncmp(path, dir, len) &&
               (path[len] == '\0' || path[len] == '/');
}

/** The normalized path if p may read it; NULL with errstr otherwise. */
static char *provider_path(const provider_t *p, const char *path, size_t len,
                           char *errstr, size_t errstr_size) {
        char *norm = path_normalize(path, len);
        if (!norm) {
                rdc_errstr_set(errstr, errstr_size,
                               "'%.*s' is not an absolute path", (int)len,
                               path);
                return NULL;
        }
        if (!p->allowed.cnt)
                return norm;
        for (size_t i = 0; i < p->allowed.cnt; i++)
                if (path_under(norm, p->allowed.items[i]))
                        return norm;
        rdc_errstr_set(errstr, errstr_size,
                       "the path %s is not in config.providers.%s.param."
                       "allowed.paths",
                       norm, p->name);
        free(norm);
        return NULL;
}

/* ------------------------------------------------------------ lookups */

static char *lookup_file(const provider_t *p, const reference_t *ref,
                         char *errstr, size_t errstr_size) {
        char *path, *key, *value = NULL;
        rdc_map_t *props;
        char why[512];
        if (!ref->path)
                return rdc_errstr_set(errstr, errstr_size,
                                      "${%s:path:key} needs a file path",
                                      p->name),
                       NULL;
        if (!(path = provider_path(p, ref->path, ref->path_len, errstr,
                                   errstr_size)))
                return NULL;
        props = rdc_map_new();
        key = strndup(ref->key, ref->key_len);
        if (!props || !key) {
                rdc_errstr_set(errstr, errstr_size, "out of memory");
        } else if (rdc_props_load_file(path, props, why, sizeof(why)) == -1) {
                rdc_errstr_set(errstr, errstr_size, "%s", why);
        } else if (!rdc_map_get(props, key)) {
                rdc_errstr_set(errstr, errstr_size, "%s has no key '%s'", path,
                               key);
        } else if (!(value = strdup(rdc_map_get(props, key)))) {
                rdc_errstr_set(errstr, errstr_size, "out of memory");
        }
        rdc_map_destroy(props);
        free(key);
        free(path);
        return value;
}

static char *lookup_directory(const provider_t *p, const reference_t *ref,
                              char *errstr, size_t errstr_size) {
        char *dir, *file = NULL, *value = NULL;
        struct stat st;
        size_t len;
        if (!ref->path)
                return rdc_errstr_set(errstr, errstr_size,
                                      "${%s:directory:file} needs a directory",
                                      p->name),
                       NULL;
        /* Only a file directly in the directory is a key, as in Kafka. */
        if (!ref->key_len || memchr(ref->key, '/', ref->key_len) ||
            (ref->key_len <= 2 && !strncmp(ref->key, "..", ref->key_len)))
                return rdc_errstr_set(errstr, errstr_size,
                                      "'%.*s' is not a file name",
                                      (int)ref->key_len, ref->key),
                       NULL;
        if (!(dir = provider_path(p, ref->path, ref->path_len, errstr,
                                  errstr_size)))
                return NULL;
        if (asprintf(&file, "%s/%.*s", dir, (int)ref->key_len, ref->key) < 0) {
                file = NULL;
                rdc_errstr_set(errstr, errstr_size, "out of memory");
        } else if (stat(file, &st) == -1 || !S_ISREG(st.st_mode)) {
                rdc_errstr_set(errstr, errstr_size,
                               "%s is not a readable file in %s", file, dir);
        } else if (!(value = rdc_file_read(file, &len))) {
                rdc_errstr_set(errstr, errstr_size, "%s: cannot read: %s", file,
                               strerror(errno));
        } else if (strlen(value) != len) {
                rdc_errstr_set(errstr, errstr_size, "%s holds a NUL byte",
                               file);
                free(value);
                value = NULL;
        }
        free(file);
        free(dir);
        return value;
}

static char *lookup_env(const provider_t *p, const reference_t *ref,
                        char *errstr, size_t errstr_size) {
        char *name = strndup(ref->key, ref->key_len), *value = NULL;
        const char *env;
        if (!name)
                return rdc_errstr_set(errstr, errstr_size, "out of memory"),
                       NULL;
        if (p->has_pattern && regexec(&p->pattern, name, 0, NULL, 0))
                rdc_errstr_set(errstr, errstr_size,
                               "the environment variable %s does not match "
                               "config.providers.%s.param.allowlist.pattern",
                               name, p->name);
        else if (!(env = getenv(name)))
                rdc_errstr_set(errstr, errstr_size,
                               "the environment variable %s is not set", name);
        else if (!(value = strdup(env)))
                rdc_errstr_set(errstr, errstr_size, "out of memory");
        free(name);
        return value;
}

static char *lookup(const provider_t *p, const reference_t *ref, char *errstr,
                    size_t errstr_size) {
        switch (p->kind) {
        case PROVIDER_FILE:
                return lookup_file(p, ref, errstr, errstr_size);
        case PROVIDER_DIRECTORY:
                return lookup_directory(p, ref, errstr, errstr_size);
        case PROVIDER_ENV:
                return lookup_env(p, ref, errstr, errstr_size);
        }
        return NULL;
}

/* ------------------------------------------------------------ resolve */

int rdc_providers_references(const rdc_providers_t *providers,
                             const char *value) {
        reference_t ref;
        for (const char *at = value; at && reference_next(at, &ref);
             at = ref.end)
                if (provider_find(providers, ref.provider, ref.provider_len))
                        return 1;
        return 0;
}

/** value with its references replaced (malloc'd), or NULL with errstr. */
static char *resolve_value(const rdc_providers_t *providers, const char *value,
                           char *errstr, size_t errstr_size) {
        reference_t ref;
        char *out = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&out, &len);
        const char *at = value;
        if (!fp)
                return NULL;
        while (reference_next(at, &ref)) {
                const provider_t *p = provider_find(providers, ref.provider,
                                                    ref.provider_len);
                fwrite(at, 1, (size_t)(ref.start - at), fp);
                if (!p) {
                        fwrite(ref.start, 1, (size_t)(ref.end - ref.start), fp);
                } else {
                        char *found = lookup(p, &ref, errstr, errstr_size);
                        if (!found) {
                                fclose(fp);
                                free(out);
                                return NULL;
                        }
                        fputs(found, fp);
                        free(found);
                }
                at = ref.end;
        }
        fputs(at, fp);
        if (fclose(fp)) {
                free(out);
                return NULL;
        }
        return out;
}

rdc_map_t *rdc_providers_resolve(const rdc_providers_t *providers,
                                 const rdc_map_t *cfg, const char **failed_key,
                                 char *errstr, size_t errstr_size) {
        rdc_map_t *out = rdc_map_dup(cfg);
        if (failed_key)
                *failed_key = NULL;
        char why[1024];
        if (!out) {
                rdc_errstr_set(errstr, errstr_size, "out of memory");
                return NULL;
        }
        for (size_t i = 0;
             providers && providers->cnt && i < rdc_map_count(cfg); i++) {
                const char *key = rdc_map_key_at(cfg, i);
                const char *value = rdc_map_value_at(cfg, i);
                if (!rdc_providers_references(providers, value))
                        continue;
                why[0] = '\0';
                char *resolved =
                        resolve_value(providers, value, why, sizeof(why));
                if (!resolved || rdc_map_set(out, key, resolved)) {
                        /* The reference, never a value, goes in the text. */
                        rdc_errstr_set(errstr, errstr_size,
                                       "Invalid value %s for configuration "
                                       "%s: it cannot be resolved: %s",
                                       value, key,
                                       why[0] ? why : "out of memory");
                        free(resolved);
                        rdc_map_destroy(out);
                        if (failed_key)
                                *failed_key = key;
                        return NULL;
                }
                free(resolved);
        }
        return out;
}

/* --------------------------------------------------------- the worker */

static void provider_clear(provider_t *p) {
        free(p->name);
        rdc_strlist_clear(&p->allowed);
        if (p->has_pattern)
                regfree(&p->pattern);
}

void rdc_providers_destroy(rdc_providers_t *providers) {
        if (!providers)
                return;
        for (size_t i = 0; i < providers->cnt; i++)
                provider_clear(&providers->items[i]);
        free(providers->items);
        free(providers);
}

/** The parameter value of provider p, or NULL. */
static const char *provider_param(const rdc_map_t *props, const char *name,
                                  const char *param) {
        char key[512];
        snprintf(key, sizeof(key), PROVIDERS_PREFIX "%s.param.%s", name, param);
        return rdc_map_get(props, key);
}

static int provider_setup(provider_t *p, const rdc_map_t *props,
                          const char *param, rdc_config_errors_t *errs) {
        char key[512];
        const char *value = provider_param(props, p->name, param);
        snprintf(key, sizeof(key), PROVIDERS_PREFIX "%s.param.%s", p->name,
                 param);
        if (!value)
                return 0;
        if (p->kind == PROVIDER_ENV) {
                /* A whole-name match, as Java's Pattern.matches(). */
                char *anchored = NULL;
                if (asprintf(&anchored, "^(%s)$", value) < 0)
                        return -1;
                int rc = regcomp(&p->pattern, anchored,
                                 REG_EXTENDED | REG_NOSUB);
                free(anchored);
                if (rc) {
                        rdc_config_errors_add(errs, key,
                                              "Invalid value %s for "
                                              "configuration %s: not a "
                                              "regular expression",
                                              value, key);
                        return -1;
                }
                p->has_pattern = 1;
                return 0;
        }
        rdc_strlist_t list;
        if (rdc_strlist_parse(value, &list) == -1)
                return -1;
        for (size_t i = 0; i < list.cnt; i++) {
                char *norm =
                        path_normalize(list.items[i], strlen(list.items[i]));
                if (!norm) {
                        rdc_config_errors_add(errs, key,
                                              "Invalid value %s for "
                                              "configuration %s: '%s' is not "
                                              "an absolute path",
                                              value, key, list.items[i]);
                        rdc_strlist_clear(&list);
                        return -1;
                }
                free(list.items[i]);
                list.items[i] = norm;
        }
        p->allowed = list;
        return 0;
}

/* Checks the config.providers.<name>.* keys of props: the class and the
 * one parameter of each configured name, nothing else. */
static size_t providers_check_keys(const rdc_providers_t *providers,
                                   const rdc_map_t *props,
                                   rdc_config_errors_t *errs) {
        size_t cnt = 0, plen = strlen(PROVIDERS_PREFIX);
        for (size_t i = 0; i < rdc_map_count(props); i++) {
                const char *key = rdc_map_key_at(props, i);
                if (strncmp(key, PROVIDERS_PREFIX, plen))
                        continue;
                const char *rest = key + plen, *dot = strchr(rest, '.');
                const provider_t *p = dot ? provider_find(providers, rest,
                                                          (size_t)(dot - rest))
                                          : NULL;
                int known = p && !strcmp(dot, ".class");
                for (size_t c = 0;
                     p && !known &&
                     c < sizeof(provider_classes) / sizeof(provider_classes[0]);
                     c++) {
                        char param[128];
                        snprintf(param, sizeof(param), ".param.%s",
                                 provider_classes[c].param);
                        known = provider_classes[c].kind == p->kind &&
                                !strcmp(dot, param);
                }
                if (!known) {
                        rdc_config_errors_add(
                                errs, key,
                                "%s is not a setting of a provider listed in "
                                "config.providers (FileConfigProvider and "
                                "DirectoryConfigProvider take "
                                "param.allowed.paths, EnvVarConfigProvider "
                                "param.allowlist.pattern)",
                                key);
                        cnt++;
                }
        }
        return cnt;
}

rdc_providers_t *rdc_providers_new(const rdc_map_t *worker_props,
                                   rdc_config_errors_t *errs) {
        rdc_providers_t *providers = calloc(1, sizeof(*providers));
        rdc_strlist_t names = {0};
        size_t before = errs->cnt;
        if (!providers ||
            rdc_strlist_parse(rdc_map_get(worker_props, "config.providers"),
                              &names) == -1)
                goto oom;
        providers->items =
                calloc(names.cnt ? names.cnt : 1, sizeof(*providers->items));
        if (!providers->items)
                goto oom;
        for (size_t i = 0; i < names.cnt; i++) {
                char key[512];
                const char *name = names.items[i], *cls;
                size_t c, nclasses = sizeof(provider_classes) /
                                     sizeof(provider_classes[0]);
                snprintf(key, sizeof(key), PROVIDERS_PREFIX "%s.class", name);
                if (!*name || strchr(name, '.') ||
                    provider_find(providers, name, strlen(name))) {
                        rdc_config_errors_add(
                                errs, "config.providers",
                                "Invalid value %s for "
                                "configuration config.providers:"
                                " '%s' is not a distinct "
                                "provider name",
                                rdc_map_get(worker_props, "config.providers"),
                                name);
                        continue;
                }
                cls = rdc_map_get(worker_props, key);
                for (c = 0; cls && c < nclasses; c++)
                        if (!strcmp(cls, provider_classes[c].simple) ||
                            (!strncmp(cls, PROVIDER_PKG,
                                      strlen(PROVIDER_PKG)) &&
                             !strcmp(cls + strlen(PROVIDER_PKG),
                                     provider_classes[c].simple)))
                                break;
                if (!cls || c == nclasses) {
                        rdc_config_errors_add(
                                errs, key,
                                cls ? "Invalid value %s for configuration %s: "
                                      "not a config provider rdconnect has "
                                      "(FileConfigProvider, "
                                      "DirectoryConfigProvider, "
                                      "EnvVarConfigProvider)"
                                    : "Missing required configuration "
                                      "\"%s%s\" which has no default value.",
                                cls ? cls : key, cls ? key : "");
                        continue;
                }
                provider_t *p = &providers->items[providers->cnt];
                if (!(p->name = strdup(name)))
                        goto oom;
                p->kind = provider_classes[c].kind;
                providers->cnt++;
                if (provider_setup(p, worker_props, provider_classes[c].param,
                                   errs) == -1 &&
                    errs->cnt == before)
                        goto oom;
        }
        providers_check_keys(providers, worker_props, errs);
        rdc_strlist_clear(&names);
        if (errs->cnt > before) {
                rdc_providers_destroy(providers);
                return NULL;
        }
        return providers;
oom:
        rdc_config_errors_add(errs, "config.providers", "out of memory");
        rdc_strlist_clear(&names);
        rdc_providers_destroy(providers);
        return NULL;
}

int rdc_providers_unresolve(const rdc_providers_t *providers, rdc_map_t *cfg,
                            const rdc_map_t *raw, const rdc_map_t *live) {
        for (size_t i = 0; i < rdc_map_count(raw); i++) {
                const char *key = rdc_map_key_at(raw, i);
                const char *value = rdc_map_value_at(raw, i);
                const char *resolved = rdc_map_get(live, key);
                const char *now = rdc_map_get(cfg, key);
                if (!rdc_providers_references(providers, value) || !now ||
                    !resolved || strcmp(now, resolved))
                        continue;
                if (rdc_map_set(cfg, key, value))
                        return -1;
        }
        return 0;
}
