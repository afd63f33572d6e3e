/*
 * Forwarding a REST request to the worker that answers it (see
 * forward.h): the HTTP client on libcurl, the forwarded URL, and Kafka's
 * answers (HerderRequestHandler.completeOrForwardRequest,
 * RestClient.httpRequest).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "core/log.h"
#include "rest/forward.h"
#include "rest/rest_internal.h"

/*
 * ---------------------------------------------------------------------
 * The HTTP client
 * ---------------------------------------------------------------------
 */

static pthread_once_t forward_curl_once = PTHREAD_ONCE_INIT;
static CURLcode forward_curl_init_rc = CURLE_FAILED_INIT;

static void forward_curl_init(void) {
        forward_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct forward_reader {
        rdc_rest_http_response_t *out;
        size_t max_bytes;
        size_t size;
        int too_large;
        int oom;
} forward_reader_t;

static size_t forward_on_body(char *data, size_t size, size_t nmemb,
                              void *opaque) {
        forward_reader_t *r = opaque;
        rdc_rest_http_response_t *out = r->out;
        size_t len = size * nmemb;

        if (len > r->max_bytes - out->body_len) {
                r->too_large = 1;
                return 0; /* curl ends the transfer: CURLE_WRITE_ERROR */
        }
        if (out->body_len + len + 1 > r->size) {
                size_t want = r->size ? r->size : 4096;
                char *body;

                while (want < out->body_len + len + 1)
                        want *= 2;
                body = realloc(out->body, want);
                if (!body) {
                        r->oom = 1;
                        return 0;
                }
                out->body = body;
                r->size = want;
        }
        memcpy(out->body + out->body_len, data, len);
        out->body_len += len;
        out->body[out->body_len] = '\0';
        return len;
}

static size_t forward_on_header(char *data, size_t size, size_t nmemb,
                                void *opaque) {
        forward_reader_t *r = opaque;
        rdc_rest_http_response_t *out = r->out;
        size_t len = size * nmemb;
        const char *value;
        size_t value_len;

        /* A status line starts the headers of a new answer (after a 100
         * Continue, say): only the last answer's count. */
        if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
                free(out->location);
                out->location = NULL;
                return len;
        }
        if (len < 9 || strncasecmp(data, "Location:", 9))
                return len;
        value = data + 9;
        value_len = len - 9;
        while (value_len > 0 && (*value == ' ' || *value == '\t')) {
                value++;
                value_len--;
        }
        while (value_len > 0 && strchr("\r\n \t", value[value_len - 1]))
                value_len--;
        free(out->location);
        out->location = strndup(value, value_len);
        if (!out->location) {
                r->oom = 1;
                return 0;
        }
        return len;
}

static int forward_header(struct curl_slist **headers, const char *line) {
        struct curl_slist *more = curl_slist_append(*headers, line);

        if (!more)
                return -1;
        *headers = more;
        return 0;
}

int rdc_rest_http_request(const char *url, const char *method, const char *body,
                          size_t body_len, const char *authorization,
                          long timeout_ms, size_t max_bytes,
                          rdc_rest_http_response_t *out) {
        forward_reader_t reader = {.out = out, .max_bytes = max_bytes};
        char curl_error[CURL_ERROR_SIZE] = "";
        struct curl_slist *headers = NULL;
        char *auth_header = NULL;
        CURLcode rc = CURLE_OK;
        long status = 0;
        CURL *curl;

        memset(out, 0, sizeof(*out));
        pthread_once(&forward_curl_once, forward_curl_init);
        if (forward_curl_init_rc != CURLE_OK) {
                snprintf(out->error, sizeof(out->error),
                         "cannot initialize libcurl: %s",
                         curl_easy_strerror(forward_curl_init_rc));
                return -1;
        }
        curl = curl_easy_init();
        if (!curl) {
                snprintf(out->error, sizeof(out->error),
                         "cannot initialize libcurl");
                return -1;
        }

        /* Accept as Kafka's client sends it; no Expect: 100-continue,
         * which would cost a round trip on large bodies. */
        if (authorization) {
                auth_header = malloc(strlen(authorization) + 16);
                if (auth_header)
                        sprintf(auth_header, "Authorization: %s",
                                authorization);
        }
        if (forward_header(&headers, "Accept: application/json") == -1 ||
            forward_header(&headers, "Expect:") == -1 ||
            /* Without a body no Content-Type (curl would add a form's). */
            forward_header(&headers, body_len > 0
                                             ? "Content-Type: application/json"
                                             : "Content-Type:") == -1 ||
            (authorization &&
             (!auth_header || forward_header(&headers, auth_header) == -1))) {
                snprintf(out->error, sizeof(out->error), "out of memory");
                rc = CURLE_OUT_OF_MEMORY;
                goto done;
        }

        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
        /* Workers talk to each other directly, as Kafka's do: an
         * http_proxy in the environment is not for them. */
        curl_easy_setopt(curl, CURLOPT_PROXY, "");
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "rdconnect/" RDC_VERSION);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, forward_on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reader);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, forward_on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reader);
        if (!strcmp(method, "GET")) {
                curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
        } else if (!strcmp(method, "DELETE") && body_len == 0) {
                curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
        } else {
                /* POST, PUT, PATCH: always with a Content-Length, 0 when
                 * there is no body. */
                curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : "");
                curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                                 (curl_off_t)body_len);
                if (strcmp(method, "POST"))
                        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
        }

        rc = curl_easy_perform(curl);
        if (rc == CURLE_OK) {
                curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
                out->status = (int)status;
        } else if (reader.too_large) {
                snprintf(out->error, sizeof(out->error),
                         "the answer is larger than %zu bytes", max_bytes);
        } else if (reader.oom) {
                snprintf(out->error, sizeof(out->error), "out of memory");
        } else {
                snprintf(out->error, sizeof(out->error), "%s",
                         *curl_error ? curl_error : curl_easy_strerror(rc));
        }

done:
        curl_easy_cleanup(curl);
        curl_slist_free_all(headers);
        free(auth_header);
        if (rc != CURLE_OK) {
                free(out->body);
                free(out->location);
                out->body = out->location = NULL;
                out->body_len = 0;
                out->status = 0;
                return -1;
        }
        return 0;
}

void rdc_rest_http_response_clear(rdc_rest_http_response_t *resp) {
        free(resp->body);
        free(resp->location);
        resp->body = resp->location = NULL;
        resp->body_len = 0;
}

/*
 * ---------------------------------------------------------------------
 * The forwarded URL
 * ---------------------------------------------------------------------
 */

/** @returns 1 if the raw query parameter's name decodes to "forward"
 *  (percent escapes, '+' for a space, as MHD reads names). */
static int forward_is_flag(const char *param, size_t len) {
        static const char name[] = "forward";
        size_t i = 0, n = 0;

        while (i < len && param[i] != '=') {
                int c = (unsigned char)param[i];

                if (c == '%' && i + 2 < len) {
                        char hex[3] = {param[i + 1], param[i + 2], '\0'};
                        char *end;

                        c = (int)strtol(hex, &end, 16);
                        if (*end)
                                return 0;
                        i += 3;
                } else {
                        c = c == '+' ? ' ' : c;
                        i++;
                }
                if (n >= sizeof(name) - 1 || c != name[n++])
                        return 0;
        }
        return n == sizeof(name) - 1;
}

char *rdc_rest_forward_url(const char *base_url, const char *raw_uri,
                           int forward) {
        size_t base_len = strlen(base_url);
        size_t path_len = strcspn(raw_uri, "?#");
        const char *query =
                raw_uri[path_len] == '?' ? raw_uri + path_len + 1 : NULL;
        size_t query_len = query ? strcspn(query, "#") : 0;
        char *url, *p;
        size_t i = 0;

        while (base_len > 0 && base_url[base_len - 1] == '/')
                base_len--;
        /* At worst every query byte is kept, plus "?forward=false&". */
        url = malloc(base_len + path_len + query_len + 32);
        if (!url)
                return NULL;
        p = url;
        memcpy(p, base_url, base_len);
        p += base_len;
        memcpy(p, raw_uri, path_len);
        p += path_len;
        p += sprintf(p, "?forward=%s",
                     forward == RDC_REST_FORWARD_TRUE ? "true" : "false");
        while (query && i < query_len) {
                size_t len = strcspn(query + i, "&");

                if (len > query_len - i)
                        len = query_len - i;
                if (len > 0 && !forward_is_flag(query + i, len)) {
                        *p++ = '&';
                        memcpy(p, query + i, len);
                        p += len;
                }
                i += len + 1;
        }
        *p = '\0';
        return url;
}

/*
 * ---------------------------------------------------------------------
 * Kafka's answers
 * ---------------------------------------------------------------------
 */

/** Parses a whole answer body as one JSON value. */
static json_object *forward_parse(const char *text, size_t len) {
        struct json_tokener *tok = json_tokener_new_ex(RDC_REST_JSON_MAX_DEPTH);
        json_object *value = NULL;
        size_t end;

        if (!tok)
                return NULL;
        /* The NUL after the text ends a top-level number. */
        value = json_tokener_parse_ex(tok, text, (int)len + 1);
        end = json_tokener_get_parse_end(tok);
        if (end < len)
                end += strspn(text + end, " \t\r\n");
        if (json_tokener_get_error(tok) != json_tokener_success || !value ||
            end < len) {
                json_object_put(value);
                value = NULL;
        }
        json_tokener_free(tok);
        return value;
}

int rdc_rest_forward(const rdc_rest_forward_req_t *req, json_object **body,
                     char *errstr, size_t errstr_size) {
        rdc_rest_http_response_t resp;
        json_object *json = NULL;
        int status;
        char *url;

        *body = NULL;
        if (req->forward == RDC_REST_FORWARD_FALSE) {
                /* Already the second hop between workers: leadership
                 * moved meanwhile. */
                rdc_log_error(RDC_REST_LOGGER,
                              "Request '%s %s' failed because it couldn't "
                              "find the target worker within two hops",
                              req->method, req->raw_uri);
                snprintf(errstr, errstr_size,
                         "Cannot complete request because of a conflicting "
                         "operation (e.g. worker rebalance)");
                return 409;
        }
        if (!req->leader_url || !*req->leader_url) {
                snprintf(errstr, errstr_size,
                         "Cannot complete request momentarily due to no "
                         "known leader URL, likely because a rebalance was "
                         "underway.");
                return 409;
        }
        url = rdc_rest_forward_url(req->leader_url, req->raw_uri,
                                   req->forward == RDC_REST_FORWARD_UNSET
                                           ? RDC_REST_FORWARD_TRUE
                                           : RDC_REST_FORWARD_FALSE);
        if (!url) {
                snprintf(errstr, errstr_size, "Out of memory");
                return 500;
        }
        rdc_log_debug(RDC_REST_LOGGER, "Forwarding request %s %s", req->method,
                      url);
        if (rdc_rest_http_request(url, req->method, req->body, req->body_len,
                                  req->authorization, req->timeout_ms,
                                  RDC_REST_FORWARD_MAX_RESPONSE_BYTES,
                                  &resp) == -1) {
                rdc_log_error(RDC_REST_LOGGER,
                              "IO error forwarding REST request to %s: %s", url,
                              resp.error);
                snprintf(errstr, errstr_size,
                         "IO Error trying to forward REST request: %s",
                         resp.error);
                free(url);
                return 500;
        }

        status = resp.status;
        if (status == 204 || (status >= 200 && status < 300 && !resp.body)) {
                /* No body expected (204), or none given: a 202 of
                 * pause, say. */
        } else if ((status >= 200 && status < 300) || status >= 400) {
                json = resp.body ? forward_parse(resp.body, resp.body_len)
                                 : NULL;
                /* An error answer must be Kafka's error body. */
                if (json && status >= 400 &&
                    !json_object_is_type(json, json_type_object)) {
                        json_object_put(json);
                        json = NULL;
                }
                if (!json) {
                        const char *what =
                                status >= 400 ? "a JSON error body" : "JSON";

                        rdc_log_error(RDC_REST_LOGGER,
                                      "IO error forwarding REST request to "
                                      "%s: its %d answer is not %s",
                                      url, status, what);
                        snprintf(errstr, errstr_size,
                                 "IO Error trying to forward REST request: "
                                 "the %d answer of %s is not %s",
                                 status, url, what);
                        status = 500;
                }
        } else {
                snprintf(errstr, errstr_size,
                         "Unexpected status code when handling forwarded "
                         "request: %d",
                         status);
                status = 500;
        }
        *body = json;
        rdc_rest_http_response_clear(&resp);
        free(url);
        return status;
}
