/*
 * Configuration files into rdc_map (see props.h).
 *
 * .properties: inih does the line parsing (comments, separator, trimming);
 * a custom ini_parse_stream reader in front of it supplies what Java's
 * Properties format has and INI lacks. The reader joins backslash
 * continuation lines into one logical line and rewrites the escapes inih
 * would misread (\= \: and escaped whitespace, '#', '!', '[') as \uXXXX,
 * which the handler decodes with all other escapes. inih therefore never
 * splits a key at an escaped separator, never trims an escaped space, and
 * never takes a key that starts with '[' for a section header.
 *
 * Connector JSON: json-c, both the POST /connectors body and the flat map.
 */
#define _GNU_SOURCE
#include "core/props.h"

#include <errno.h>
#include <ini.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/errstr.h"
#include "core/fileio.h"

/* Longest logical line accepted; inih's buffer grows up to this. */
#define PROPS_MAX_LINE (16 * 1024 * 1024)

/* ------------------------------------------------------------ helpers */

/** @returns the 1-based line of byte offset in text. */
static int props_text_line(const char *text, size_t offset) {
        int line = 1;
        for (size_t i = 0; i < offset; i++)
                if (text[i] == '\n')
                        line++;
        return line;
}

/** Reads a whole file. @returns a NUL-terminated malloc'd copy or NULL
 *  with errno set. */
/* --------------------------------------------------- .properties reader */

/** Feeds inih one logical line at a time (fgets-style, see ini_reader). */
typedef struct props_reader {
        const char *text;
        size_t len;
        size_t pos;      /**< next unread byte of text */
        int next_lineno; /**< physical number of the line at pos */
        int lineno;      /**< where the current logical line started */
        char *line;      /**< current logical line, '\n'-terminated */
        size_t line_len;
        size_t line_size;
        size_t line_off;  /**< bytes of line already handed to inih */
        const char *name; /**< file name (or "<string>") for errors */
        rdc_map_t *out;
        int failed; /**< errstr holds the first error */
        char *errstr;
        size_t errstr_size;
} props_reader_t;

static void props_reader_fail(props_reader_t *rd, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void props_reader_fail(props_reader_t *rd, const char *fmt, ...) {
        if (rd->failed)
                return; /* the first error wins */
        rd->failed = 1;
        int n = snprintf(rd->errstr, rd->errstr_size, "%s:%d: ", rd->name,
                         rd->lineno);
        if (n < 0 || (size_t)n >= rd->errstr_size)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rd->errstr + n, rd->errstr_size - (size_t)n, fmt, ap);
        va_end(ap);
}

static int props_line_put(props_reader_t *rd, const char *bytes, size_t cnt) {
        if (rd->line_size - rd->line_len < cnt + 2) {
                size_t size = rd->line_size ? rd->line_size : 256;
                while (size - rd->line_len < cnt + 2)
                        size *= 2;
                char *grown = realloc(rd->line, size);
                if (!grown) {
                        props_reader_fail(rd, "out of memory");
                        return -1;
                }
                rd->line = grown;
                rd->line_size = size;
        }
        memcpy(rd->line + rd->line_len, bytes, cnt);
        rd->line_len += cnt;
        return 0;
}

/** Java's whitespace in .properties: space, tab, form feed. */
static int props_is_space(char c) {
        return c == ' ' || c == '\t' || c == '\f';
}

/**
 * @brief Finds the physical line at rd->pos.
 * @returns its length (without the terminator) and moves rd->pos past the
 *          terminator (\n, \r\n or \r, as Java's LineReader).
 */
static size_t props_next_physical(props_reader_t *rd, const char **start) {
        const char *text = rd->text + rd->pos;
        size_t avail = rd->len - rd->pos, len = 0;
        while (len < avail && text[len] != '\n' && text[len] != '\r')
                len++;
        size_t consumed = len;
        if (consumed < avail) {
                consumed++;
                if (text[len] == '\r' && consumed < avail &&
                    text[consumed] == '\n')
                        consumed++;
        }
        *start = text;
        rd->pos += consumed;
        rd->next_lineno++;
        return len;
}

/** Appends "\u00XX" for c so that inih sees no special character. */
static int props_line_put_protected(props_reader_t *rd, char c) {
        char escaped[8];
        snprintf(escaped, sizeof(escaped), "\\u%04x", (unsigned char)c);
        return props_line_put(rd, escaped, 6);
}

/**
 * @brief Copies one physical line of a key/value line into rd->line,
 *        protecting escapes (see the file comment).
 * @returns 1 if the line ends with an unpaired backslash (continues on
 *          the next line), 0 if not, -1 on error.
 */
static int props_copy_segment(props_reader_t *rd, const char *seg, size_t len) {
        size_t i = 0;
        while (i < len) {
                if (seg[i] != '\\') {
                        if (props_line_put(rd, &seg[i], 1))
                                return -1;
                        i++;
                        continue;
                }
                if (i + 1 == len)
                        return 1; /* continuation; the backslash goes */
                char next = seg[i + 1];
                int rc = strchr("=: \t\f#![", next)
                                 ? props_line_put_protected(rd, next)
                                 : props_line_put(rd, &seg[i], 2);
                if (rc)
                        return -1;
                i += 2;
        }
        return 0;
}

/** Builds the next logical line in rd->line. @returns 0, or -1 at the end
 *  of input or on error. */
static int props_next_logical(props_reader_t *rd) {
        const char *seg;
        size_t len, skip = 0;

        rd->line_len = rd->line_off = 0;
        if (rd->failed || rd->pos >= rd->len)
                return -1;
        rd->lineno = rd->next_lineno;
        len = props_next_physical(rd, &seg);
        while (skip < len && props_is_space(seg[skip]))
                skip++;
        if (skip == len || seg[skip] == '#' || seg[skip] == '!') {
                /* Blank or comment: never continued, inih skips it. */
                if (props_line_put(rd, seg, len))
                        return -1;
        } else {
                /* A key starting with '[' would be an INI section. */
                if (seg[skip] == '[') {
                        if (props_line_put_protected(rd, '['))
                                return -1;
                        skip++;
                }
                int rc;
                while ((rc = props_copy_segment(rd, seg + skip, len - skip)) ==
                               1 &&
                       rd->pos < rd->len) {
                        len = props_next_physical(rd, &seg);
                        /* Leading whitespace of continuation lines goes. */
                        for (skip = 0; skip < len && props_is_space(seg[skip]);
                             skip++)
                                ;
                }
                if (rc < 0)
                        return -1;
        }
        if (rd->line_len + 3 >= PROPS_MAX_LINE) {
                props_reader_fail(rd, "line longer than %d bytes",
                                  PROPS_MAX_LINE);
                return -1;
        }
        /* Through props_line_put: a line that was only a continuation
         * backslash has put nothing yet, so there may be no buffer. */
        if (props_line_put(rd, "\n", 1))
                return -1;
        rd->line[rd->line_len] = '\0';
        return 0;
}

/** ini_reader: hands out the logical line in fgets-sized pieces. */
static char *props_ini_read(char *str, int num, void *stream) {
        props_reader_t *rd = stream;
        if (rd->line_off >= rd->line_len && props_next_logical(rd))
                return NULL;
        size_t piece = rd->line_len - rd->line_off;
        if (piece > (size_t)num - 1)
                piece = (size_t)num - 1;
        memcpy(str, rd->line + rd->line_off, piece);
        str[piece] = '\0';
        rd->line_off += piece;
        return str;
}

/** Appends code point cp as UTF-8. @returns bytes written. */
static size_t props_utf8_encode(unsigned long cp, char *out) {
        if (cp < 0x80) {
                out[0] = (char)cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char)(0xc0 | (cp >> 6));
                out[1] = (char)(0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char)(0xe0 | (cp >> 12));
                out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                out[2] = (char)(0x80 | (cp & 0x3f));
                return 3;
        }
        out[0] = (char)(0xf0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char)(0x80 | (cp & 0x3f));
        return 4;
}

/** Parses the 4 hex digits of \uXXXX at s. @returns the unit or -1. */
static long props_hex4(const char *s) {
        long unit = 0;
        for (int i = 0; i < 4; i++) {
                char c = s[i];
                int digit;
                if (c >= '0' && c <= '9')
                        digit = c - '0';
                else if (c >= 'a' && c <= 'f')
                        digit = c - 'a' + 10;
                else if (c >= 'A' && c <= 'F')
                        digit = c - 'A' + 10;
                else
                        return -1;
                unit = unit * 16 + digit;
        }
        return unit;
}

/**
 * @brief Decodes \uXXXX at s (after the backslash-u), joining a UTF-16
 *        surrogate pair into one code point.
 * @returns the characters consumed after "\u" or -1 on a malformed escape.
 */
static int props_decode_u(const char *s, unsigned long *cp) {
        long unit = props_hex4(s);
        if (unit < 0)
                return -1;
        if (unit >= 0xdc00 && unit <= 0xdfff)
                return -1; /* low surrogate without a high one */
        if (unit < 0xd800 || unit > 0xdbff) {
                *cp = (unsigned long)unit;
                return 4;
        }
        long low = s[4] == '\\' && s[5] == 'u' ? props_hex4(s + 6) : -1;
        if (low < 0xdc00 || low > 0xdfff)
                return -1;
        *cp = 0x10000 + (((unsigned long)unit - 0xd800) << 10) +
              ((unsigned long)low - 0xdc00);
        return 10;
}

/**
 * @brief Decodes Java escapes: \t \n \r \f, \uXXXX (to UTF-8) and \c = c
 *        for any other c (so \\ \= \: \  \# \!).
 * @returns a malloc'd string, or NULL with the reason in *why.
 */
static char *props_unescape(const char *in, const char **why) {
        /* Every escape decodes to no more bytes than it takes. */
        char *out = malloc(strlen(in) + 1);
        size_t len = 0;
        if (!out) {
                *why = "out of memory";
                return NULL;
        }
        for (const char *p = in; *p; p++) {
                if (*p != '\\') {
                        out[len++] = *p;
                        continue;
                }
                p++;
                switch (*p) {
                case '\0':
                        p--; /* a lone final backslash is dropped */
                        break;
                case 't':
                        out[len++] = '\t';
                        break;
                case 'n':
                        out[len++] = '\n';
                        break;
                case 'r':
                        out[len++] = '\r';
                        break;
                case 'f':
                        out[len++] = '\f';
                        break;
                case 'u': {
                        unsigned long cp;
                        int used = props_decode_u(p + 1, &cp);
                        if (used < 0) {
                                *why = "malformed \\uXXXX escape";
                                goto fail;
                        }
                        if (cp == 0) {
                                *why = "\\u0000 is not allowed";
                                goto fail;
                        }
                        len += props_utf8_encode(cp, out + len);
                        p += used;
                        break;
                }
                default:
                        out[len++] = *p;
                        break;
                }
        }
        out[len] = '\0';
        return out;
fail:
        free(out);
        return NULL;
}

/** ini_handler: one key/value pair of the logical line just read. */
static int props_ini_handler(void *user, const char *section, const char *name,
                             const char *value) {
        props_reader_t *rd = user;
        char *key = NULL, *decoded = NULL;
        const char *why = NULL;
        (void)section; /* always "": '[' is escaped by the reader */

        /* Escaped whitespace reaches here as \u0020, so literal whitespace
         * in the key means "key value" with no '=' or ':'. */
        if (strpbrk(name, " \t\f")) {
                props_reader_fail(rd,
                                  "key \"%s\" contains whitespace: use '=' or "
                                  "':' as separator (whitespace alone is not "
                                  "supported) or escape it as '\\ '",
                                  name);
                return 0;
        }
        key = props_unescape(name, &why);
        if (key)
                decoded = props_unescape(value, &why);
        if (!decoded) {
                props_reader_fail(rd, "%s in %s \"%s\"", why,
                                  key ? "value of" : "key", key ? key : name);
                goto fail;
        }
        if (rdc_map_set(rd->out, key, decoded)) {
                props_reader_fail(rd, "out of memory");
                goto fail;
        }
        free(key);
        free(decoded);
        return 1;
fail:
        free(key);
        free(decoded);
        return 0;
}

/* inih's behaviour is set through process-wide globals: set once. */
static pthread_once_t props_ini_once = PTHREAD_ONCE_INIT;

static void props_ini_configure(void) {
        ini_start_comment_prefixes = "#!";
        ini_allow_inline_comments = false;
        ini_allow_multiline = false;
        ini_use_stack = false;
        ini_allow_realloc = true;
        ini_max_line = PROPS_MAX_LINE;
        /* Stop at once so that the reader's line is the one in error. */
        ini_stop_on_first_error = true;
}

/** Parses text[0..len) (name is used in messages) into out. */
static int props_parse(const char *name, const char *text, size_t len,
                       rdc_map_t *out, char *errstr, size_t errstr_size) {
        props_reader_t rd = {
                .text = text,
                .len = len,
                .next_lineno = 1,
                .name = name,
                .errstr = errstr,
                .errstr_size = errstr_size,
        };
        int ret = -1;

        pthread_once(&props_ini_once, props_ini_configure);
        /* inih works on C strings: a NUL byte would end the input early. */
        const char *nul = memchr(text, '\0', len);
        if (nul) {
                rd.lineno = props_text_line(text, (size_t)(nul - text));
                props_reader_fail(&rd, "NUL byte in line");
                return -1;
        }
        /* A UTF-8 byte order mark is not part of the first key. */
        if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
                rd.pos = 3;
        /* Parse into a scratch map so that out is untouched on error. */
        rd.out = rdc_map_new();
        if (!rd.out) {
                rdc_errstr_set(errstr, errstr_size, "%s: out of memory", name);
                goto done;
        }
        int rc = ini_parse_stream(props_ini_read, &rd, props_ini_handler, &rd);
        if (rc > 0 && !rd.failed)
                props_reader_fail(&rd,
                                  "expected '=' or ':' between key and value");
        else if (rc == -2 && !rd.failed)
                props_reader_fail(&rd, "out of memory");
        if (rd.failed)
                goto done;
        if (rdc_map_merge(out, rd.out)) {
                rdc_errstr_set(errstr, errstr_size, "%s: out of memory", name);
                goto done;
        }
        ret = 0;
done:
        rdc_map_destroy(rd.out);
        free(rd.line);
        return ret;
}

int rdc_props_load_string(const char *text, rdc_map_t *out, char *errstr,
                          size_t errstr_size) {
        return props_parse("<string>", text, strlen(text), out, errstr,
                           errstr_size);
}

int rdc_props_load_file(const char *path, rdc_map_t *out, char *errstr,
                        size_t errstr_size) {
        size_t len;
        char *text = rdc_file_read(path, &len);
        if (!text) {
                rdc_errstr_set(errstr, errstr_size, "%s: cannot read: %s", path,
                               strerror(errno));
                return -1;
        }
        int ret = props_parse(path, text, len, out, errstr, errstr_size);
        free(text);
        return ret;
}

/* -------------------------------------------------------------- JSON */

/** Parses exactly one JSON value (trailing whitespace allowed). */
static json_object *props_json_parse(const char *text, char *errstr,
                                     size_t errstr_size) {
        json_tokener *tok = json_tokener_new();
        json_object *root = NULL;
        size_t len = strlen(text);
        if (!tok) {
                rdc_errstr_set(errstr, errstr_size, "out of memory");
                return NULL;
        }
        root = json_tokener_parse_ex(tok, text, (int)len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t end = json_tokener_get_parse_end(tok);
        if (jerr == json_tokener_continue) {
                rdc_errstr_set(
                        errstr, errstr_size,
                        "invalid JSON at line %d: unexpected end of input",
                        props_text_line(text, len));
                goto fail;
        }
        if (jerr != json_tokener_success) {
                rdc_errstr_set(errstr, errstr_size,
                               "invalid JSON at line %d: %s",
                               props_text_line(text, end),
                               json_tokener_error_desc(jerr));
                goto fail;
        }
        end += strspn(text + end, " \t\r\n");
        if (end < len) {
                rdc_errstr_set(errstr, errstr_size,
                               "invalid JSON at line %d: unexpected text after "
                               "the end of the object",
                               props_text_line(text, end));
                goto fail;
        }
        if (!root) {
                /* json-c's value for a valid "null". */
                rdc_errstr_set(errstr, errstr_size,
                               "expected a JSON object, got null");
                goto fail;
        }
        json_tokener_free(tok);
        return root;
fail:
        json_object_put(root);
        json_tokener_free(tok);
        return NULL;
}

/** Stores every key of a flat config object into out. */
static int props_json_store_config(json_object *config, rdc_map_t *out,
                                   char *errstr, size_t errstr_size) {
        json_object_object_foreach(config, key, value) {
                switch (json_object_get_type(value)) {
                case json_type_string:
                case json_type_int:
                case json_type_double:
                case json_type_boolean:
                        break;
                case json_type_null:
                        rdc_errstr_set(errstr, errstr_size,
                                       "config key \"%s\" is null: give it a "
                                       "value or leave it out",
                                       key);
                        return -1;
                default:
                        rdc_errstr_set(
                                errstr, errstr_size,
                                "config key \"%s\" has a nested %s: values "
                                "must be strings, numbers or booleans",
                                key,
                                json_object_is_type(value, json_type_array)
                                        ? "array"
                                        : "object");
                        return -1;
                }
                /* Numbers and booleans keep the text they were written as. */
                if (rdc_map_set(out, key, json_object_get_string(value))) {
                        rdc_errstr_set(errstr, errstr_size, "out of memory");
                        return -1;
                }
        }
        return 0;
}

/** The POST /connectors form: {"name", "config", "initial_state"}. */
static int props_json_store_request(json_object *root, json_object *config,
                                    rdc_map_t *out, char *errstr,
                                    size_t errstr_size) {
        json_object *name = NULL, *config_name = NULL;
        json_object_object_foreach(root, key, value) {
                if (!strcmp(key, "name")) {
                        name = value;
                } else if (!strcmp(key, "initial_state")) {
                        /* KIP-980 field; the target state is not part of
                         * the config map, so it is checked, not stored. */
                        const char *state = json_object_get_string(value);
                        if (!json_object_is_type(value, json_type_string) ||
                            (strcmp(state, "RUNNING") &&
                             strcmp(state, "PAUSED") &&
                             strcmp(state, "STOPPED"))) {
                                rdc_errstr_set(errstr, errstr_size,
                                               "\"initial_state\" must be "
                                               "RUNNING, PAUSED or STOPPED");
                                return -1;
                        }
                } else if (strcmp(key, "config")) {
                        rdc_errstr_set(
                                errstr, errstr_size,
                                "unknown top-level field \"%s\" (expected "
                                "name, config, initial_state)",
                                key);
                        return -1;
                }
        }
        if (name && !json_object_is_type(name, json_type_string)) {
                rdc_errstr_set(errstr, errstr_size,
                               "\"name\" must be a JSON string");
                return -1;
        }
        if (name && json_object_object_get_ex(config, "name", &config_name) &&
            strcmp(json_object_get_string(name),
                   json_object_get_string(config_name))) {
                rdc_errstr_set(errstr, errstr_size,
                               "connector name \"%s\" differs from config.name "
                               "\"%s\"",
                               json_object_get_string(name),
                               json_object_get_string(config_name));
                return -1;
        }
        if (props_json_store_config(config, out, errstr, errstr_size))
                return -1;
        if (name && rdc_map_set(out, "name", json_object_get_string(name))) {
                rdc_errstr_set(errstr, errstr_size, "out of memory");
                return -1;
        }
        return 0;
}

int rdc_props_load_json_string(const char *text, rdc_map_t *out, char *errstr,
                               size_t errstr_size) {
        json_object *root = props_json_parse(text, errstr, errstr_size);
        json_object *config;
        rdc_map_t *scratch = NULL;
        int ret = -1;
        if (!root)
                return -1;
        if (!json_object_is_type(root, json_type_object)) {
                rdc_errstr_set(errstr, errstr_size,
                               "expected a JSON object, got %s",
                               json_type_to_name(json_object_get_type(root)));
                goto done;
        }
        scratch = rdc_map_new();
        if (!scratch) {
                rdc_errstr_set(errstr, errstr_size, "out of memory");
                goto done;
        }
        if (!json_object_object_get_ex(root, "config", &config)) {
                ret = props_json_store_config(root, scratch, errstr,
                                              errstr_size);
        } else if (json_object_is_type(config, json_type_object)) {
                ret = props_json_store_request(root, config, scratch, errstr,
                                               errstr_size);
        } else {
                rdc_errstr_set(errstr, errstr_size,
                               "\"config\" must be a JSON object");
        }
        if (ret == 0 && rdc_map_merge(out, scratch)) {
                rdc_errstr_set(errstr, errstr_size, "out of memory");
                ret = -1;
        }
done:
        rdc_map_destroy(scratch);
        json_object_put(root);
        return ret;
}

/** @returns 1 if path names a JSON connector file (see props.h). */
static int props_is_json(const char *path, const char *text) {
        size_t path_len = strlen(path);
        if (path_len >= 5 && !strcasecmp(path + path_len - 5, ".json"))
                return 1;
        if (!strncmp(text, "\xef\xbb\xbf", 3))
                text += 3;
        text += strspn(text, " \t\r\n\f");
        return *text == '{';
}

int rdc_props_load_connector_file(const char *path, rdc_map_t *out,
                                  char *errstr, size_t errstr_size) {
        size_t len;
        char *text = rdc_file_read(path, &len);
        int ret;
        if (!text) {
                rdc_errstr_set(errstr, errstr_size, "%s: cannot read: %s", path,
                               strerror(errno));
                return -1;
        }
        if (!props_is_json(path, text)) {
                ret = props_parse(path, text, len, out, errstr, errstr_size);
                goto done;
        }
        char reason[512] = "";
        const char *json = text;
        if (!strncmp(json, "\xef\xbb\xbf", 3))
                json += 3;
        if (strlen(json) != len - (size_t)(json - text)) {
                rdc_errstr_set(errstr, errstr_size, "%s: NUL byte in JSON file",
                               path);
                ret = -1;
                goto done;
        }
        ret = rdc_props_load_json_string(json, out, reason, sizeof(reason));
        if (ret)
                rdc_errstr_set(errstr, errstr_size, "%s: %s", path, reason);
done:
        free(text);
        return ret;
}
