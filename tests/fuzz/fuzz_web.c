/*
 * fuzz_web.c - libFuzzer target for the review page's request handling:
 * whatever a client sends must get an answer, never a crash, a leak or a
 * read out of bounds, and nothing but the login page without a session.
 *
 * The input is "METHOD PATH\nCOOKIE\nBODY": the body is also the
 * X-Forwarded-For header of a request from the trusted proxy, so the
 * client comes from sg_web_client (and reaches the sign-in limits); then
 * the body goes through the form parser (sg_web_form_parse) as the server
 * would pass it, and the request through sg_web_handle.  The body is also
 * read as a record's recipients by the pseudonymised queue's parser.  A
 * cookie line "S" stands for a real signed-in session, and "csrf=S" in
 * the body for its real token, so the fuzzer also reaches the pages and
 * the decisions.  The store is made once
 * under /tmp with one held message whose text is hostile.
 */
#include "config.h"

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "netlist.h"
#include "store.h"
#include "review.h"
#include "web.h"
#include "web_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct sg_web *web;
static char session[64], csrf[64], record[64];
static char dir[] = "/tmp/sg-fuzz-web-XXXXXX";

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* The store goes when the fuzzer ends. */
static void
remove_store(void)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int
allow(void *ctx, const char *login, const char *password, const char **error_r)
{
    (void)ctx;
    (void)error_r;
    return strcmp(login, "dsl") == 0 && strcmp(password, "pw") == 0
               ? SG_WEB_AUTH_OK
               : SG_WEB_AUTH_BAD;
}

static void
cookie_value(const char *set_cookie, const char *name, char *out, size_t size)
{
    size_t n = strlen(name);
    if (strncmp(set_cookie, name, n) == 0 && set_cookie[n] == '=')
        snprintf(out, size, "%.*s", (int)strcspn(set_cookie + n + 1, ";"),
                 set_cookie + n + 1);
}

static void
field_value(const char *html, char *out, size_t size)
{
    const char *p = strstr(html, "name=\"csrf\" value=\"");
    if (p != NULL) {
        p += strlen("name=\"csrf\" value=\"");
        snprintf(out, size, "%.*s", (int)strcspn(p, "\""), p);
    }
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char db[128], store[128];
    if (mkdtemp(dir) == NULL)
        abort();
    atexit(remove_store);
    snprintf(db, sizeof(db), "%s/q.db", dir);
    snprintf(store, sizeof(store), "%s/messages", dir);
    struct sg_store *q = NULL;
    const char *err;
    if (sg_store_open(db, store, &q, &err) < 0)
        abort();
    static const char msg[] =
        "Subject: <script>x</script>\r\nContent-Type: text/html\r\n\r\n"
        "<p onclick=x>07700 900123 <img src=http://x/></p>\r\n";
    char *matched[] = {"p@school.example"};
    struct sg_finding f = {"uk-mobile", "07700 900123", "body"};
    struct sg_rule_match m = {.id = "personal-contact",
                              .title = "t",
                              .policy = "p",
                              .source = "s",
                              .mode = SG_MODE_ENFORCE,
                              .action = SG_ACTION_HOLD,
                              .recipients = matched,
                              .n_recipients = 1,
                              .findings = &f,
                              .n_findings = 1,
                              .explain_sender = "e",
                              .explain_dsl = "d"};
    struct sg_party rcpt = {"p@school.example", NULL, SG_CHANNEL_NONE};
    struct sg_verdict v = {.action = SG_ACTION_HOLD, .rules = &m, .n_rules = 1};
    struct sg_hold h = {.queue_id = "4F00",
                        .time = time(NULL),
                        .env_from = "<b>@x",
                        .rcpts = &rcpt,
                        .n_rcpts = 1,
                        .subject = "<script>x</script>",
                        .verdict = &v,
                        .data = msg,
                        .len = sizeof(msg) - 1,
                        .fd = -1};
    char *id = NULL;
    if (sg_store_hold(q, &h, &id, &err) < 0)
        abort();
    snprintf(record, sizeof(record), "%s", id);
    free(id);
    sg_store_close(&q);

    struct sg_review_options o = {.db_path = db, .store_dir = store};
    sg_review_settings_init(&o.settings);
    /* decisions run these: nothing real */
    static char ok_cmd[] = "/bin/true {queue_id}", none[] = "";
    o.settings.release_command = ok_cmd;
    o.settings.delete_command = ok_cmd;
    o.settings.queue_command = none;
    struct sg_review *r = NULL;
    if (sg_review_open(&o, &r, &err) < 0)
        abort();
    struct sg_web_options wo = {.review = r,
                                .auth = allow,
                                .session_idle = 3600,
                                .session_max = 86400,
                                .login_attempts = 1000000,
                                .login_lockout = 60,
                                .pseudonymous_tracks =
                                    1u << SG_TRACK_STAFF_CONDUCT};
    if (sg_web_new(&wo, &web, &err) < 0)
        abort();
    /* sign in once */
    struct sg_web_request get = {.method = "GET",
                                 .path = "/login",
                                 .client = "127.0.0.1",
                                 .now = time(NULL)};
    struct sg_web_response resp;
    char login_token[64] = "";
    sg_web_handle(web, &get, &resp);
    cookie_value(resp.cookies[0], SG_WEB_LOGIN_COOKIE, login_token,
                 sizeof(login_token));
    sg_web_response_free(&resp);
    struct sg_web_param form[] = {
        {"csrf", login_token}, {"user", "dsl"}, {"password", "pw"}};
    struct sg_web_request post = {.method = "POST",
                                  .path = "/login",
                                  .form = form,
                                  .n_form = 3,
                                  .login_cookie = login_token,
                                  .client = "127.0.0.1",
                                  .now = time(NULL)};
    sg_web_handle(web, &post, &resp);
    if (resp.n_cookies == 0)
        abort();
    cookie_value(resp.cookies[0], SG_WEB_SESSION_COOKIE, session,
                 sizeof(session));
    sg_web_response_free(&resp);
    struct sg_web_request queue = {.method = "GET",
                                   .path = "/queue",
                                   .session_cookie = session,
                                   .client = "127.0.0.1",
                                   .now = time(NULL)};
    sg_web_handle(web, &queue, &resp);
    field_value(resp.body.data, csrf, sizeof(csrf));
    sg_web_response_free(&resp);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    char *buf = malloc(size + 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    /* METHOD PATH \n COOKIE \n BODY */
    char *line2 = strchr(buf, '\n');
    char *body = "";
    const char *cookie = NULL;
    if (line2 != NULL) {
        *line2++ = '\0';
        char *line3 = strchr(line2, '\n');
        if (line3 != NULL) {
            *line3++ = '\0';
            body = line3;
        }
        cookie = strcmp(line2, "S") == 0 ? session : line2;
    }
    char *path = strchr(buf, ' ');
    if (path != NULL)
        *path++ = '\0';
    else
        path = (char *)"/";
    /* "R" in the path stands for the held record's id */
    char real_path[256];
    if (strncmp(path, "/item/R", 7) == 0)
        snprintf(real_path, sizeof(real_path), "/item/%s%s", record, path + 7);
    else
        snprintf(real_path, sizeof(real_path), "%s", path);

    /* the client, as from a proxy on 127.0.0.1 that sent the body as
     * X-Forwarded-For: the proxy's address, or the last hop's */
    static struct sg_network proxy;
    static bool proxy_set;
    const char *err;
    if (!proxy_set && sg_network_parse("127.0.0.1", &proxy, &err) == 0)
        proxy_set = true;
    struct sockaddr_in peer = {.sin_family = AF_INET};
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char client[128];
    sg_web_client((const struct sockaddr *)&peer, body, 1, &proxy, 1, client,
                  sizeof(client));
    size_t cl = strlen(client);
    if (strcmp(client, "127.0.0.1") != 0 &&
        (cl < 11 || strcmp(client + cl - 10, " via proxy") != 0 ||
         strcspn(client, " ") != cl - 10))
        abort();

    /* the body as a record's recipients, for the pseudonymised queue */
    struct sg_buf pseud = SG_BUF_INIT;
    sg_web_pseudonymous_recipients(&pseud, web, body);
    sg_buf_free(&pseud);

    struct sg_web_param form[16];
    size_t n = 0;
    if (sg_web_form_parse(body, form, 16, &n) == 0) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(form[i].name, "csrf") == 0 &&
                strcmp(form[i].value, "S") == 0)
                form[i].value = csrf;
        struct sg_web_request req = {.method = buf,
                                     .path = real_path,
                                     .form = form,
                                     .n_form = n,
                                     .session_cookie = cookie,
                                     .login_cookie = cookie,
                                     .client = client,
                                     .now = time(NULL)};
        struct sg_web_response resp;
        sg_web_handle(web, &req, &resp);
        if (resp.status < 200 || resp.status > 599)
            abort();
        /* without the session, nothing but a redirect, the login page, an
         * error or the style sheet */
        if (cookie != session && resp.status == 200 && resp.body.data &&
            strstr(resp.body.data, record) != NULL)
            abort();
        sg_web_response_free(&resp);
    }
    free(buf);
    return 0;
}
