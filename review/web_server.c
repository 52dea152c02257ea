/*
 * web_server.c - the review page's HTTP server: libmicrohttpd in front of
 * sg_web_handle.
 *
 * Each request is read whole (a form body at most BODY_MAX bytes, url-
 * encoded only), turned into a struct sg_web_request, handled, and the
 * response sent with the security headers.  A pool of threads serves the
 * connections; sg_web_handle serialises what must be.
 *
 * Where the page listens: plain HTTP only on a loopback address (for a
 * reverse proxy on the same machine, which then provides TLS); anywhere
 * else it needs a certificate and key, and speaks TLS itself.  Behind a
 * proxy named in review_trusted_proxy, the client recorded in the audit
 * and counted by the sign-in limits is the last address in
 * X-Forwarded-For (the one the proxy added), marked "via proxy"; from
 * any other peer the header is ignored (sg_web_client).
 *
 * SECURITY: bounded bodies, headers (the connection memory limit),
 * connections per socket peer and in all; and time: libmicrohttpd's own
 * timeout only measures silence (each byte restarts it), so a client that
 * sends a byte every few seconds would keep its connection for ever.  So
 * every connection is also watched here: it has request_timeout seconds
 * from when it opened, or from its last answer, to send a request and
 * take the answer, and is shut down when that runs out.  No file is ever
 * served.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "fdio.h"
#include "netlist.h"
#include "review_int.h"
#include "sg_config.h"
#include "web_int.h"

#define BODY_MAX   (64 * 1024)
#define MAX_PARAMS 32
#define CERT_MAX   (256 * 1024)

/* One request being read. */
struct req_state {
    struct sg_buf body;
    bool too_big;
};

struct params {
    struct sg_web_param p[MAX_PARAMS];
    size_t n;
    bool overflow;
};

static enum MHD_Result
collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct params *ps = cls;
    if (ps->n >= MAX_PARAMS) {
        ps->overflow = true;
        return MHD_NO;
    }
    ps->p[ps->n].name = key;
    ps->p[ps->n].value = value != NULL ? value : "";
    ps->n++;
    return MHD_YES;
}

static bool
is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >>
                24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a =
            &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return true;
        if (IN6_IS_ADDR_V4MAPPED(a))
            return a->s6_addr[12] == 127;
    }
    return false;
}

/* in6 as text; an IPv4-mapped address as plain IPv4. */
static void
address_text(const struct in6_addr *in6, char *buf, size_t size)
{
    char t[INET6_ADDRSTRLEN];
    if (IN6_IS_ADDR_V4MAPPED(in6))
        inet_ntop(AF_INET, in6->s6_addr + 12, t, sizeof(t));
    else
        inet_ntop(AF_INET6, in6, t, sizeof(t));
    snprintf(buf, size, "%s", t);
}

/* The last hop of an X-Forwarded-For value, if it is an address (IPv6
 * may be in brackets). */
static bool
last_hop(const char *xff, struct in6_addr *in6)
{
    const char *p = strrchr(xff, ',');
    p = p != NULL ? p + 1 : xff;
    p += strspn(p, " \t");
    size_t n = strcspn(p, " \t");
    if (p[n + strspn(p + n, " \t")] != '\0')
        return false; /* two words */
    if (n >= 2 && p[0] == '[' && p[n - 1] == ']') {
        p++;
        n -= 2;
    }
    char addr[INET6_ADDRSTRLEN + 1];
    if (n == 0 || n >= sizeof(addr))
        return false;
    memcpy(addr, p, n);
    addr[n] = '\0';
    struct in_addr in4;
    if (inet_pton(AF_INET, addr, &in4) == 1) {
        memset(in6, 0, sizeof(*in6));
        in6->s6_addr[10] = in6->s6_addr[11] = 0xff;
        memcpy(in6->s6_addr + 12, &in4, 4);
        return true;
    }
    return inet_pton(AF_INET6, addr, in6) == 1;
}

void
sg_web_client(const struct sockaddr *peer, const char *xff, size_t n_xff,
              const struct sg_network *proxies, size_t n_proxies, char *buf,
              size_t size)
{
    struct in6_addr a;
    memset(&a, 0, sizeof(a));
    if (peer != NULL && peer->sa_family == AF_INET) {
        a.s6_addr[10] = a.s6_addr[11] = 0xff;
        memcpy(a.s6_addr + 12, &((const struct sockaddr_in *)peer)->sin_addr,
               4);
    } else if (peer != NULL && peer->sa_family == AF_INET6) {
        a = ((const struct sockaddr_in6 *)peer)->sin6_addr;
    } else {
        snprintf(buf, size, "unknown");
        return;
    }
    struct in6_addr hop;
    if (n_xff == 1 && xff != NULL && n_proxies > 0 &&
        sg_network_match(proxies, n_proxies, peer) && last_hop(xff, &hop)) {
        char t[INET6_ADDRSTRLEN];
        address_text(&hop, t, sizeof(t));
        snprintf(buf, size, "%s via proxy", t);
        return;
    }
    address_text(&a, buf, size);
}

/* The X-Forwarded-For headers of a request: how many, and the first. */
struct xff {
    const char *value;
    size_t n;
};

static enum MHD_Result
find_xff(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct xff *x = cls;
    if (key != NULL && strcasecmp(key, "X-Forwarded-For") == 0) {
        if (x->n++ == 0)
            x->value = value;
    }
    return MHD_YES;
}

static enum MHD_Result
send_response(struct MHD_Connection *c, const struct sg_web *w,
              struct sg_web_response *r, bool tls)
{
    struct MHD_Response *m = MHD_create_response_from_buffer(
        r->body.len, r->body.data != NULL ? r->body.data : (void *)"",
        MHD_RESPMEM_MUST_COPY);
    if (m == NULL)
        return MHD_NO;
    (void)w;
    for (size_t i = 0; sg_web_security_headers[i] != NULL; i += 2)
        MHD_add_response_header(m, sg_web_security_headers[i],
                                sg_web_security_headers[i + 1]);
    if (tls)
        MHD_add_response_header(m, "Strict-Transport-Security",
                                "max-age=31536000");
    MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    if (r->location != NULL)
        MHD_add_response_header(m, MHD_HTTP_HEADER_LOCATION, r->location);
    for (size_t i = 0; i < r->n_cookies; i++)
        MHD_add_response_header(m, MHD_HTTP_HEADER_SET_COOKIE, r->cookies[i]);
    if (r->retry_after > 0) {
        char v[32];
        snprintf(v, sizeof(v), "%u", r->retry_after);
        MHD_add_response_header(m, MHD_HTTP_HEADER_RETRY_AFTER, v);
    }
    enum MHD_Result ret = MHD_queue_response(c, r->status, m);
    MHD_destroy_response(m);
    return ret;
}

/* A connection, watched for the request deadline. */
struct conn {
    struct conn *prev, *next;
    int fd;
    uint64_t since; /* ms: opened, or its last answer sent */
    bool cut;       /* shut down for taking too long */
};

struct server {
    struct sg_web *w;
    bool tls;
    const struct sg_network *proxies;
    size_t n_proxies;
    uint64_t deadline_ms;
    pthread_mutex_t lock; /* conns */
    struct conn *conns;
    unsigned long n_cut;  /* since the last log line */
};

static uint64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
       const char *version, const char *upload, size_t *upload_size,
       void **state)
{
    (void)version;
    struct server *srv = cls;
    struct req_state *rs = *state;
    if (rs == NULL) {
        rs = calloc(1, sizeof(*rs));
        if (rs == NULL)
            return MHD_NO;
        *state = rs;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (rs->body.len + *upload_size > BODY_MAX)
            rs->too_big = true;
        else
            sg_buf_append(&rs->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }

    struct sg_web_response resp;
    memset(&resp, 0, sizeof(resp));
    struct params query = {.n = 0}, form = {.n = 0};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, &query);
    const char *ctype =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    bool is_post = strcmp(method, "POST") == 0;
    if (is_post && rs->body.len > 0 &&
        (ctype == NULL ||
         strncasecmp(ctype, "application/x-www-form-urlencoded", 33) != 0)) {
        resp.status = 415;
    } else if (rs->too_big || query.overflow) {
        resp.status = 413;
    } else {
        if (is_post && rs->body.data != NULL &&
            sg_web_form_parse(rs->body.data, form.p, MAX_PARAMS, &form.n) < 0)
            resp.status = 413;
    }
    if (resp.status != 0) {
        resp.content_type = "text/plain; charset=utf-8";
        sg_buf_puts(&resp.body, "The request was refused.\n");
        enum MHD_Result ret = send_response(c, srv->w, &resp, srv->tls);
        sg_web_response_free(&resp);
        return ret;
    }
    char client[128];
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    struct xff xff = {.n = 0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, find_xff, &xff);
    sg_web_client(ci != NULL ? ci->client_addr : NULL, xff.value, xff.n,
                  srv->proxies, srv->n_proxies, client, sizeof(client));
    struct sg_web_request req = {
        .method = method,
        .path = url,
        .query = query.p,
        .n_query = query.n,
        .form = form.p,
        .n_form = form.n,
        .session_cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND,
                                                      SG_WEB_SESSION_COOKIE),
        .login_cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND,
                                                    SG_WEB_LOGIN_COOKIE),
        .client = client,
        .now = time(NULL),
    };
    sg_web_handle(srv->w, &req, &resp);
    enum MHD_Result ret = send_response(c, srv->w, &resp, srv->tls);
    sg_web_response_free(&resp);
    return ret;
}

static void
completed(void *cls, struct MHD_Connection *c, void **state,
          enum MHD_RequestTerminationCode code)
{
    struct server *srv = cls;
    if (code == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        /* answered: the next request on this connection has its own time */
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        struct conn *k = ci != NULL ? ci->socket_context : NULL;
        if (k != NULL) {
            pthread_mutex_lock(&srv->lock);
            k->since = now_ms();
            pthread_mutex_unlock(&srv->lock);
        }
    }
    struct req_state *rs = *state;
    if (rs != NULL) {
        sg_buf_free(&rs->body);
        free(rs);
        *state = NULL;
    }
}

/* Connections come and go: the watch list. */
static void
notify(void *cls, struct MHD_Connection *c, void **socket_context,
       enum MHD_ConnectionNotificationCode toe)
{
    struct server *srv = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct conn *k = calloc(1, sizeof(*k));
        if (k == NULL) {
            /* a connection that cannot be watched is not served */
            if (ci != NULL)
                shutdown(ci->connect_fd, SHUT_RDWR);
            *socket_context = NULL;
            return;
        }
        k->fd = ci != NULL ? ci->connect_fd : -1;
        pthread_mutex_lock(&srv->lock);
        k->since = now_ms();
        k->next = srv->conns;
        if (srv->conns != NULL)
            srv->conns->prev = k;
        srv->conns = k;
        pthread_mutex_unlock(&srv->lock);
        *socket_context = k;
        return;
    }
    /* closed: libmicrohttpd closes the socket only after this returns, so
     * the watcher, holding the lock, never shuts down a reused number */
    struct conn *k = *socket_context;
    if (k == NULL)
        return;
    pthread_mutex_lock(&srv->lock);
    if (k->prev != NULL)
        k->prev->next = k->next;
    else
        srv->conns = k->next;
    if (k->next != NULL)
        k->next->prev = k->prev;
    pthread_mutex_unlock(&srv->lock);
    free(k);
    *socket_context = NULL;
}

/* Shut down the connections past their deadline; libmicrohttpd then sees
 * the end of the stream and closes them. */
static void
cut_slow(struct server *srv)
{
    uint64_t now = now_ms();
    pthread_mutex_lock(&srv->lock);
    for (struct conn *k = srv->conns; k != NULL; k = k->next) {
        if (!k->cut && k->fd >= 0 && now - k->since >= srv->deadline_ms) {
            shutdown(k->fd, SHUT_RDWR);
            k->cut = true;
            srv->n_cut++;
        }
    }
    pthread_mutex_unlock(&srv->lock);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("safeguard-review serve: ", stderr);
    vfprintf(stderr, fmt, ap);
}

static char *
read_pem(const char *path, const char **error_r)
{
    char *data;
    size_t len;
    const char *err;
    if (sg_read_small_file(path, CERT_MAX, 0, &data, &len, NULL, &err) < 0) {
        sg_review_fail(error_r, "cannot read %s", err);
        return NULL;
    }
    if (len == 0) {
        free(data);
        sg_review_fail(error_r, "cannot read %s: it is empty", path);
        return NULL;
    }
    return data;
}

/* review_listen (split by the configuration's own rule) into an
 * address. */
static int
parse_listen(const char *listen, struct sockaddr_storage *ss,
             const char **error_r)
{
    char host[256], port[16];
    unsigned portnum;
    const char *why;
    if (sg_config_listen(listen, host, sizeof(host), &portnum, &why) < 0)
        return sg_review_fail(error_r, "review_listen \"%s\": %s", listen, why);
    snprintf(port, sizeof(port), "%u", portnum);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        return sg_review_fail(error_r, "review_listen \"%s\": %s", listen,
                              gai_strerror(rc));
    memset(ss, 0, sizeof(*ss));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

int
sg_web_serve(struct sg_web *w, const struct sg_web_server_options *o,
             volatile sig_atomic_t *stop, const char **error_r)
{
    struct sockaddr_storage ss;
    if (parse_listen(o->listen, &ss, error_r) < 0)
        return -1;
    bool tls = o->tls_cert != NULL && *o->tls_cert != '\0';
    bool has_key = o->tls_key != NULL && *o->tls_key != '\0';
    if (tls != has_key)
        return sg_review_fail(error_r, "review_tls_cert and review_tls_key go "
                                       "together");
    if (!tls && !is_loopback((struct sockaddr *)&ss))
        return sg_review_fail(
            error_r,
            "review_listen %s is not a loopback address: give the "
            "page a certificate (review_tls_cert, review_tls_key) "
            "or put it behind a TLS reverse proxy on 127.0.0.1",
            o->listen);
    char *cert = NULL, *key = NULL;
    if (tls && ((cert = read_pem(o->tls_cert, error_r)) == NULL ||
                (key = read_pem(o->tls_key, error_r)) == NULL)) {
        free(cert);
        return -1;
    }
    unsigned timeout =
        o->request_timeout > 0 ? o->request_timeout : SG_WEB_REQUEST_TIMEOUT;
    unsigned per_client = o->client_connections > 0
                              ? o->client_connections
                              : SG_WEB_CLIENT_CONNECTIONS;
    unsigned total =
        o->max_connections > 0 ? o->max_connections : SG_WEB_MAX_CONNECTIONS;
    struct server srv = {
        .w = w,
        .tls = tls,
        .proxies = o->proxies,
        .n_proxies = o->n_proxies,
        .deadline_ms = (uint64_t)timeout * 1000,
    };
    pthread_mutex_init(&srv.lock, NULL);
    /* epoll where there is one: select() cannot watch many sockets */
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (tls)
        flags |= MHD_USE_TLS;
    unsigned threads = o->threads > 0 ? o->threads : 4;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, answer, &srv,
        /* the logger first, or MHD logs the options before it itself */
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, threads,
        /* the socket peer's count: behind a proxy, the proxy's */
        MHD_OPTION_CONNECTION_LIMIT, total,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_client,
        /* silence; the whole request is watched by cut_slow */
        MHD_OPTION_CONNECTION_TIMEOUT, timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, completed, &srv,
        MHD_OPTION_NOTIFY_CONNECTION, notify, &srv,
        tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
        MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
    if (d == NULL) {
        free(cert);
        free(key);
        pthread_mutex_destroy(&srv.lock);
        return sg_review_fail(error_r,
                              "cannot listen on %s (in use, or a bad "
                              "certificate or key)",
                              o->listen);
    }
    fprintf(stderr, "safeguard-review serve: listening on %s://%s/\n",
            tls ? "https" : "http", o->listen);
    time_t logged = time(NULL);
    while (!*stop) {
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
        cut_slow(&srv);
        if (srv.n_cut > 0 && time(NULL) - logged >= 60) {
            fprintf(stderr,
                    "safeguard-review serve: closed %lu connection%s that "
                    "took longer than review_request_timeout (%us)\n",
                    srv.n_cut, srv.n_cut == 1 ? "" : "s", timeout);
            srv.n_cut = 0;
            logged = time(NULL);
        }
    }
    MHD_stop_daemon(d);
    pthread_mutex_destroy(&srv.lock);
    if (key != NULL)
        memset(key, 0, strlen(key));
    free(cert);
    free(key);
    return 0;
}
