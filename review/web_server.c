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
 * proxy on loopback, the client recorded in the audit is the last address
 * in X-Forwarded-For (the one the proxy added), marked "via proxy".
 *
 * SECURITY: bounded bodies, headers (the connection memory limit),
 * connections per client and idle connections; no file is ever served.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
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

static void
client_name(struct MHD_Connection *c, char *buf, size_t size)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;
    char host[INET6_ADDRSTRLEN + 1] = "unknown";
    if (sa != NULL)
        getnameinfo(sa,
                    sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                              : sizeof(struct sockaddr_in),
                    host, sizeof(host), NULL, 0, NI_NUMERICHOST);
    const char *xff =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For");
    if (sa != NULL && is_loopback(sa) && xff != NULL) {
        const char *last = strrchr(xff, ',');
        last = last != NULL ? last + 1 : xff;
        while (*last == ' ')
            last++;
        size_t n = strspn(last, "0123456789abcdefABCDEF:.");
        if (n > 0 && n < 64 && last[n] == '\0') {
            snprintf(buf, size, "%.*s via proxy", (int)n, last);
            return;
        }
    }
    snprintf(buf, size, "%s", host);
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

struct server {
    struct sg_web *w;
    bool tls;
};

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
    client_name(c, client, sizeof(client));
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
    (void)cls;
    (void)c;
    (void)code;
    struct req_state *rs = *state;
    if (rs != NULL) {
        sg_buf_free(&rs->body);
        free(rs);
        *state = NULL;
    }
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
        review_fail(error_r, "cannot read %s", err);
        return NULL;
    }
    if (len == 0) {
        free(data);
        review_fail(error_r, "cannot read %s: it is empty", path);
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
        return review_fail(error_r, "review_listen \"%s\": %s", listen, why);
    snprintf(port, sizeof(port), "%u", portnum);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        return review_fail(error_r, "review_listen \"%s\": %s", listen,
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
        return review_fail(error_r, "review_tls_cert and review_tls_key go "
                                    "together");
    if (!tls && !is_loopback((struct sockaddr *)&ss))
        return review_fail(
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
    struct server srv = {.w = w, .tls = tls};
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
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
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)32,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
        MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
    if (d == NULL) {
        free(cert);
        free(key);
        return review_fail(error_r,
                           "cannot listen on %s (in use, or a bad "
                           "certificate or key)",
                           o->listen);
    }
    fprintf(stderr, "safeguard-review serve: listening on %s://%s/\n",
            tls ? "https" : "http", o->listen);
    while (!*stop) {
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(d);
    if (key != NULL)
        memset(key, 0, strlen(key));
    free(cert);
    free(key);
    return 0;
}
