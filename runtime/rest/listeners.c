/*
 * REST listeners: parses `listeners` ("http://host:port", IPv6 in
 * brackets, empty host = every interface), binds the sockets, and sets
 * the worker's advertised URL (rest.advertised.host.name/port or the first
 * listener).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/errstr.h"
#include "core/strlist.h"
#include "rest/rest_internal.h"

/*
 * ---------------------------------------------------------------------
 * Listeners and start-up
 * ---------------------------------------------------------------------
 */

/** Parses "http://host:port" (host may be empty or [IPv6]).
 *  @returns 0 or -1 with errstr. */
static int rest_listener_parse(const char *url, rest_listener_t *out,
                               char *errstr, size_t errstr_size) {
        const char *p, *host, *host_end, *port_text;
        char *end;
        long port;

        memset(out, 0, sizeof(*out));
        out->fd = -1;
        p = strstr(url, "://");
        if (!p) {
                snprintf(errstr, errstr_size,
                         "listeners: invalid listener '%s': expected "
                         "http://host:port",
                         url);
                return -1;
        }
        if ((size_t)(p - url) != 4 || strncasecmp(url, "http", 4)) {
                snprintf(errstr, errstr_size,
                         "listeners: unsupported listener '%s': only http "
                         "is supported%s",
                         url,
                         !strncasecmp(url, "https://", 8)
                                 ? " (https is not implemented yet)"
                                 : "");
                return -1;
        }
        host = p + 3;
        if (*host == '[') {
                host_end = strchr(host, ']');
                if (!host_end || host_end[1] != ':')
                        goto bad;
                host++;
                port_text = host_end + 2;
        } else {
                host_end = strrchr(host, ':');
                if (!host_end || memchr(host, ':', host_end - host))
                        goto bad;
                port_text = host_end + 1;
        }
        if ((size_t)(host_end - host) >= sizeof(out->host))
                goto bad;
        memcpy(out->host, host, host_end - host);
        errno = 0;
        port = strtol(port_text, &end, 10);
        if (end == port_text || errno || port < 0 || port > 65535 ||
            (*end && strcmp(end, "/")))
                goto bad;
        out->port = (int)port;
        return 0;

bad:
        snprintf(errstr, errstr_size,
                 "listeners: invalid listener '%s': expected "
                 "http://host:port with a port 0-65535",
                 url);
        return -1;
}

/* Connections the kernel holds until the MHD thread accepts them. With
 * 128, 200 clients connecting at once on a busy 2-core machine overflowed
 * it (TcpExtListenOverflows), and each dropped SYN came back 1 s later:
 * the REST load of bench/ had p99 > 1 s from that alone. */
#define RDC_REST_LISTEN_BACKLOG 1024

/** Opens one listening socket on addr. @returns fd or -1 (errno set). */
static int rest_socket_listen(const struct sockaddr *addr, socklen_t len,
                              int dual_stack) {
        int fd, one = 1, zero = 0;

        fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd == -1)
                return -1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (addr->sa_family == AF_INET6)
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
                           dual_stack ? &zero : &one, sizeof(int));
        if (bind(fd, addr, len) == -1 ||
            listen(fd, RDC_REST_LISTEN_BACKLOG) == -1 ||
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
                int saved = errno;

                close(fd);
                errno = saved;
                return -1;
        }
        return fd;
}

/** Binds a listener: an empty host is every interface (IPv6 dual stack,
 *  else IPv4); a name binds its first address that works. */
static int rest_listener_bind(rest_listener_t *l, const char *url, char *errstr,
                              size_t errstr_size) {
        struct addrinfo hints = {0}, *res = NULL, *ai;
        struct sockaddr_storage bound;
        socklen_t bound_len = sizeof(bound);
        char port[16];
        int rc, saved = 0;

        snprintf(port, sizeof(port), "%d", l->port);
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
        if (!*l->host)
                hints.ai_family = AF_INET6;
        rc = getaddrinfo(*l->host ? l->host : NULL, port, &hints, &res);
        if (rc != 0 && !*l->host) {
                hints.ai_family = AF_INET;
                rc = getaddrinfo(NULL, port, &hints, &res);
        }
        if (rc != 0) {
                snprintf(errstr, errstr_size,
                         "listeners: cannot resolve host of '%s': %s", url,
                         gai_strerror(rc));
                return -1;
        }
        for (ai = res; ai && l->fd == -1; ai = ai->ai_next) {
                l->fd = rest_socket_listen(ai->ai_addr, ai->ai_addrlen,
                                           !*l->host);
                if (l->fd == -1)
                        saved = errno;
                else
                        l->family = ai->ai_family;
        }
        freeaddrinfo(res);
        if (l->fd == -1 && !*l->host) {
                /* No IPv6 on this host: every IPv4 interface instead. */
                struct sockaddr_in any4 = {.sin_family = AF_INET,
                                           .sin_port = htons(l->port)};

                any4.sin_addr.s_addr = htonl(INADDR_ANY);
                l->fd = rest_socket_listen((struct sockaddr *)&any4,
                                           sizeof(any4), 0);
                if (l->fd == -1)
                        saved = errno;
                else
                        l->family = AF_INET;
        }
        if (l->fd == -1) {
                snprintf(errstr, errstr_size, "listeners: cannot bind '%s': %s",
                         url, strerror(saved));
                return -1;
        }
        if (getsockname(l->fd, (struct sockaddr *)&bound, &bound_len) == 0)
                l->bound_port = ntohs(
                        bound.ss_family == AF_INET6
                                ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                : ((struct sockaddr_in *)&bound)->sin_port);
        return 0;
}

const char *rdc_rest_config(const rdc_worker_t *worker, const char *key) {
        const char *value =
                worker->config ? rdc_map_get(worker->config, key) : NULL;

        return value && *value ? value : NULL;
}

/**
 * Sets worker_id and rest_url: rest.advertised.host.name/port if set,
 * else the first listener's host (every interface: this host's name) and
 * the port it is bound to.
 */
static int rest_advertise(rdc_worker_t *worker, const rest_listener_t *l,
                          char *errstr, size_t errstr_size) {
        const char *host = rdc_rest_config(worker, "rest.advertised.host.name");
        const char *port_text = rdc_rest_config(worker, "rest.advertised.port");
        const char *scheme =
                rdc_rest_config(worker, "rest.advertised.listener");
        char hostname[256];
        int64_t port = l->bound_port;
        int bracket;

        if (scheme && strcasecmp(scheme, "http")) {
                snprintf(errstr, errstr_size,
                         "rest.advertised.listener: '%s' is not supported: "
                         "only http listeners exist",
                         scheme);
                return -1;
        }
        if (port_text && (rdc_config_parse_int64(port_text, &port) == -1 ||
                          port < 1 || port > 65535)) {
                snprintf(errstr, errstr_size,
                         "rest.advertised.port: invalid port '%s'", port_text);
                return -1;
        }
        if (!host) {
                host = l->host;
                if (!*host || !strcmp(host, "0.0.0.0") || !strcmp(host, "::")) {
                        if (gethostname(hostname, sizeof(hostname)) == -1)
                                snprintf(hostname, sizeof(hostname),
                                         "localhost");
                        hostname[sizeof(hostname) - 1] = '\0';
                        host = hostname;
                }
        }
        bracket = strchr(host, ':') != NULL && host[0] != '[';
        if ((size_t)snprintf(worker->worker_id, sizeof(worker->worker_id),
                             "%s%s%s:%" PRId64, bracket ? "[" : "", host,
                             bracket ? "]" : "",
                             port) >= sizeof(worker->worker_id)) {
                snprintf(errstr, errstr_size,
                         "rest.advertised.host.name: host name too long");
                return -1;
        }
        snprintf(worker->rest_url, sizeof(worker->rest_url), "http://%s/",
                 worker->worker_id);
        return 0;
}

int rdc_rest_listeners_open(rdc_worker_t *worker, rest_listener_t *out,
                            char *errstr, size_t errstr_size) {
        const char *spec = rdc_rest_config(worker, "listeners");
        rdc_strlist_t list;
        int cnt = 0;

        if (rdc_strlist_parse(spec ? spec : RDC_REST_DEFAULT_LISTENERS,
                              &list) == -1)
                return rdc_errstr_set(errstr, errstr_size, "Out of memory");
        for (size_t i = 0; i < list.cnt; i++) {
                const char *item = list.items[i];

                if (!*item)
                        continue;
                if (cnt == RDC_REST_MAX_LISTENERS) {
                        rdc_errstr_set(errstr, errstr_size,
                                       "listeners: more than %d listeners",
                                       RDC_REST_MAX_LISTENERS);
                        goto fail;
                }
                if (rest_listener_parse(item, &out[cnt], errstr, errstr_size) ==
                    -1)
                        goto fail;
                cnt++;
                if (rest_listener_bind(&out[cnt - 1], item, errstr,
                                       errstr_size) == -1)
                        goto fail;
        }
        if (cnt == 0) {
                rdc_errstr_set(errstr, errstr_size,
                               "listeners: no listener in '%s'",
                               spec ? spec : "");
                goto fail;
        }
        /* Advertised before serving: a 201 answer's Location needs it. */
        if (rest_advertise(worker, &out[0], errstr, errstr_size) == -1)
                goto fail;
        rdc_strlist_clear(&list);
        return cnt;
fail:
        while (cnt-- > 0)
                if (out[cnt].fd != -1)
                        close(out[cnt].fd);
        rdc_strlist_clear(&list);
        return -1;
}
