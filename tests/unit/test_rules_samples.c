/*
 * test_rules_samples.c - the shipped policy (rules/policy/default.rules)
 * against the demo school (contrib/samples/school.dir) and every sample
 * message in contrib/samples/MANIFEST: the enforced action and the exact
 * set of matching rules, and every rule is triggered by some sample.
 *
 * People are looked up through the directory's file backend, as the
 * daemon does with directory_file.  The message view is built here by a
 * deliberately tiny test-only reader
 * (headers, plain-text body, one level of multipart with attachment names,
 * and the builder's nesting bounds told from counts of Content-Type lines)
 * so that these tests do not depend on the GMime view builder.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "msgview_build.h" /* the bounds only */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sg_directory.h"
#include "sg_rules.h"
#include "rules_util.h"

#ifndef SAMPLES_DIR
#error SAMPLES_DIR must be defined
#endif
#ifndef POLICY_FILE
#error POLICY_FILE must be defined
#endif

/* ------------------------------------------------------------ directory */
/* The demo school through the directory's own file backend, its calendar
 * day the sample's; the people its lookups return are kept until
 * dir_free. */
struct dir {
    struct sg_directory *d;
    struct sg_date today;
    struct sg_person *kept[64];
    size_t n;
};

static void
dir_today(void *ctx, struct sg_date *today_r)
{
    *today_r = ((const struct dir *)ctx)->today;
}

static void
dir_load(struct dir *d, const struct sg_date *today)
{
    struct sg_dir_config cfg;
    sg_dir_config_init(&cfg);
    cfg.file_path = (char *)SAMPLES_DIR "/school.dir";
    const char *error = NULL;
    if (sg_dir_new(&cfg, &d->d, &error) != SG_DIR_FOUND)
        fail_msg("school.dir: %s", error);
    d->today = *today;
    sg_dir_set_clock(d->d, NULL, dir_today, d);
}

static void
dir_free(struct dir *d)
{
    for (size_t i = 0; i < d->n; i++)
        sg_person_free(&d->kept[i]);
    d->n = 0;
    sg_dir_free(&d->d);
}

static const struct sg_person *
dir_keep(struct dir *d, struct sg_person *p)
{
    assert_true(d->n < sizeof(d->kept) / sizeof(d->kept[0]));
    return d->kept[d->n++] = p;
}

static struct sg_party
dir_party(struct dir *d, const char *addr)
{
    struct sg_party x = {addr, NULL, SG_CHANNEL_NONE};
    struct sg_person *p = NULL;
    const char *error = NULL;
    enum sg_dir_status st = sg_dir_lookup(d->d, addr, &p, &x.channel, &error);
    if (st == SG_DIR_FOUND)
        x.person = dir_keep(d, p);
    else if (st != SG_DIR_NOTFOUND)
        fail_msg("lookup of %s: %s", addr, error);
    return x;
}

static int
dir_name_lookup(void *ctx, const char *name, const struct sg_person **p_r)
{
    struct dir *d = ctx;
    struct sg_person *p = NULL;
    const char *error = NULL;
    enum sg_dir_status st = sg_dir_lookup_name(d->d, name, &p, &error);
    if (st == SG_DIR_FOUND) {
        *p_r = dir_keep(d, p);
        return 1;
    }
    if (st != SG_DIR_NOTFOUND)
        fail_msg("name lookup of %s: %s", name, error);
    return 0;
}

/* The pupil with that name, as milter/judge.c's pupil lookup answers. */
static int
dir_pupil_lookup(void *ctx, const char *name, const struct sg_person **p_r)
{
    int r = dir_name_lookup(ctx, name, p_r);
    if (r == 1 && !sg_person_has_role(*p_r, SG_ROLE_PUPIL))
        return 0;
    return r;
}

/* ------------------------------------------------------------ messages */
static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* Header value (first occurrence, unfolded into buf) from a header block
 * that ends at the first blank line. */
static bool
header(const char *msg, const char *name, char *buf, size_t sz)
{
    size_t nl = strlen(name);
    const char *p = msg;
    while (*p && *p != '\n') {
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            p += nl + 1;
            while (*p == ' ')
                p++;
            size_t k = 0;
            while (*p && k + 1 < sz) {
                if (*p == '\n') {
                    if (p[1] == ' ' || p[1] == '\t') {
                        p++;
                        continue;
                    }
                    break;
                }
                buf[k++] = *p++;
            }
            buf[k] = '\0';
            return true;
        }
        p = strchr(p, '\n');
        if (p == NULL)
            return false;
        p++;
    }
    return false;
}

static const char *
body_of(const char *msg)
{
    const char *b = strstr(msg, "\n\n");
    return b ? b + 2 : "";
}

static char *
param(const char *value, const char *name)
{
    char key[32];
    snprintf(key, sizeof(key), "%s=\"", name);
    const char *p = strstr(value, key);
    if (p == NULL)
        return NULL;
    p += strlen(key);
    const char *e = strchr(p, '"');
    return e ? strndup(p, (size_t)(e - p)) : NULL;
}

static void
add_text(struct sg_msgview *v, const char *text, size_t len)
{
    v->texts = realloc(v->texts, (v->n_texts + 1) * sizeof(*v->texts));
    struct sg_text_part *t = &v->texts[v->n_texts++];
    memset(t, 0, sizeof(*t));
    t->text = strndup(text, len);
    t->len = strlen(t->text);
    t->content_type = strdup("text/plain");
    t->label = strdup("body");
}

/* Lines of msg that start with prefix (case-insensitive). */
static size_t
count_lines(const char *msg, const char *prefix)
{
    size_t n = 0;
    for (const char *p = msg; p != NULL; p = strchr(p, '\n')) {
        p += *p == '\n';
        if (strncasecmp(p, prefix, strlen(prefix)) == 0)
            n++;
    }
    return n;
}

static struct sg_msgview *
load_eml(const char *path, time_t *date_r)
{
    char *msg = slurp(path);
    struct sg_msgview *v = sg_msgview_new();
    char buf[512];
    v->subject = strdup(header(msg, "Subject", buf, sizeof(buf)) ? buf : "");
    if (header(msg, "From", buf, sizeof(buf))) {
        char *lt = strchr(buf, '<');
        if (lt && lt > buf) {
            char *e = lt;
            while (e > buf && e[-1] == ' ')
                e--;
            v->from_name = strndup(buf, (size_t)(e - buf));
            char *gt = strchr(lt, '>');
            if (gt)
                v->from_addr = strndup(lt + 1, (size_t)(gt - lt - 1));
        } else {
            v->from_addr = strdup(buf);
        }
    }
    assert_true(header(msg, "Date", buf, sizeof(buf)));
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    char *rest = strptime(buf, "%a, %d %b %Y %H:%M:%S", &tm);
    assert_non_null(rest);
    *date_r = timegm(&tm) - strtol(rest, NULL, 10) / 100 * 3600;

    /* as many nested as there are parts of the kind, in these samples */
    if (count_lines(msg, "Content-Type: message/rfc822") > SG_MSGVIEW_MAX_DEPTH)
        v->incomplete |= SG_INCOMPLETE_DEPTH;
    if (count_lines(msg, "Content-Type: multipart/") > SG_MSGVIEW_MAX_MULTIPART)
        v->incomplete |= SG_INCOMPLETE_NESTING;

    const char *body = body_of(msg);
    char *boundary = NULL;
    if (header(msg, "Content-Type", buf, sizeof(buf)) &&
        strncasecmp(buf, "multipart/", 10) == 0)
        boundary = param(buf, "boundary");
    if (boundary == NULL) {
        add_text(v, body, strlen(body));
    } else {
        char delim[128];
        snprintf(delim, sizeof(delim), "--%s", boundary);
        const char *p = strstr(body, delim);
        while (p != NULL) {
            p += strlen(delim);
            if (strncmp(p, "--", 2) == 0)
                break;
            p = strchr(p, '\n');
            if (p == NULL)
                break;
            p++;
            const char *next = strstr(p, delim);
            const char *end = next ? next : p + strlen(p);
            char ct[256] = "text/plain", cd[256] = "";
            header(p, "Content-Type", ct, sizeof(ct));
            header(p, "Content-Disposition", cd, sizeof(cd));
            char *fn = param(cd, "filename");
            if (fn == NULL)
                fn = param(ct, "name");
            const char *pb = body_of(p);
            if (fn == NULL && strncasecmp(ct, "text/plain", 10) == 0) {
                add_text(v, pb, (size_t)(end - pb));
            } else {
                v->attachments = realloc(v->attachments,
                                         (v->n_attachments + 1) *
                                             sizeof(*v->attachments));
                struct sg_attachment *a = &v->attachments[v->n_attachments++];
                memset(a, 0, sizeof(*a));
                char *semi = strchr(ct, ';');
                if (semi)
                    *semi = '\0';
                for (char *c = ct; *c; c++)
                    *c = (char)tolower((unsigned char)*c);
                a->content_type = strdup(ct);
                a->filename = fn;
                a->size = (size_t)(end - pb);
                fn = NULL;
            }
            free(fn);
            p = next;
        }
        free(boundary);
    }
    free(msg);
    return v;
}

/* ------------------------------------------------------------ the test */
static struct sg_rules *
load_policy(void)
{
    struct sg_rules_options o;
    sg_test_school_options(&o);
    o.timezone = "Europe/London";
    o.dsl_contact = "Mrs Aisha Khan, Designated Safeguarding Lead "
                    "(a.khan@school.example, extension 210)";
    struct sg_rules *r = NULL;
    const char *err = NULL;
    if (sg_rules_load(POLICY_FILE, &o, &r, &err) < 0)
        fail_msg("%s", err);
    return r;
}

/* Every rule of the shipped policy says where its concerns are filed. */
static void
test_categories(void **state)
{
    (void)state;
    struct sg_rules *rules = load_policy();
    for (size_t i = 0; i < sg_rules_count(rules); i++) {
        const char *c = sg_rules_category(rules, i);
        if (c == NULL || c[0] == '\0')
            fail_msg("rule %s has no category", sg_rules_id(rules, i));
    }
    sg_rules_free(&rules);
}

static void
test_manifest(void **state)
{
    (void)state;
    struct sg_rules *rules = load_policy();
    size_t n_rules = sg_rules_count(rules);
    assert_true(n_rules >= 10);
    unsigned *triggered = calloc(n_rules, sizeof(unsigned));
    FILE *m = fopen(SAMPLES_DIR "/MANIFEST", "r");
    assert_non_null(m);
    char line[1024];
    size_t samples = 0;
    bool print = getenv("SG_SAMPLES_PRINT") != NULL;
    while (fgets(line, sizeof(line), m)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char file[128], from[128], to[512], auth[128], action[32],
            want_rules[512] = "-";
        int nf = sscanf(line, "%127s %127s %511s %127s %31s %511s", file,
                        from, to, auth, action, want_rules);
        assert_true(nf >= 5);
        samples++;

        char path[512];
        snprintf(path, sizeof(path), "%s/%s", SAMPLES_DIR, file);
        time_t now;
        struct sg_msgview *view = load_eml(path, &now);
        struct tm tm;
        gmtime_r(&now, &tm);
        struct sg_date today = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
        struct dir d = {.d = NULL};
        dir_load(&d, &today);

        struct sg_eval_input in;
        memset(&in, 0, sizeof(in));
        in.view = view;
        in.now = now;
        in.sender = dir_party(&d, from);
        /* Sender identity: a school address counts only when it
         * authenticated (DESIGN, "Sender identity"). */
        if (in.sender.channel == SG_CHANNEL_SCHOOL && strcmp(auth, "-") == 0) {
            in.sender.person = NULL;
            in.sender.channel = SG_CHANNEL_NONE;
        }
        struct sg_party rc[8];
        size_t nr = 0;
        char *save;
        for (char *t = strtok_r(to, ",", &save); t && nr < 8;
             t = strtok_r(NULL, ",", &save))
            rc[nr++] = dir_party(&d, t);
        in.rcpts = rc;
        in.n_rcpts = nr;
        in.name_lookup = dir_name_lookup;
        in.name_lookup_ctx = &d;
        in.pupil_lookup = dir_pupil_lookup;
        in.pupil_lookup_ctx = &d;

        struct sg_verdict *v = NULL;
        const char *err = NULL;
        if (sg_rules_eval(rules, &in, &v, &err) < 0)
            fail_msg("%s: %s", file, err);
        if (print) {
            printf("== %s: %s\n", file, sg_action_name(v->action));
            for (size_t i = 0; i < v->n_rules; i++)
                printf("-- %s (%s)\n%s\n-- for the DSL:\n%s\n",
                       v->rules[i].id, sg_mode_name(v->rules[i].mode),
                       v->rules[i].explain_sender, v->rules[i].explain_dsl);
        }
        if (strcmp(sg_action_name(v->action), action) != 0)
            fail_msg("%s: action %s, expected %s", file,
                     sg_action_name(v->action), action);
        /* The exact set of matching rules. */
        size_t want_n = 0;
        if (strcmp(want_rules, "-") != 0) {
            for (char *t = strtok_r(want_rules, ",", &save); t;
                 t = strtok_r(NULL, ",", &save)) {
                want_n++;
                bool found = false;
                for (size_t i = 0; i < v->n_rules; i++)
                    if (strcmp(v->rules[i].id, t) == 0)
                        found = true;
                if (!found)
                    fail_msg("%s: rule %s did not match", file, t);
            }
        }
        if (v->n_rules != want_n)
            fail_msg("%s: %zu rules matched (first %s), expected %zu", file,
                     v->n_rules, v->n_rules ? v->rules[0].id : "-", want_n);
        for (size_t i = 0; i < v->n_rules; i++)
            for (size_t k = 0; k < n_rules; k++)
                if (strcmp(sg_rules_id(rules, k), v->rules[i].id) == 0)
                    triggered[k]++;

        /* Rejections decidable at RCPT time are rejected there too. */
        if (v->action == SG_ACTION_REJECT) {
            struct sg_eval_input one = in;
            one.view = NULL;
            one.n_rcpts = 1;
            struct sg_verdict *rv = NULL;
            assert_int_equal(sg_rules_eval_rcpt(rules, &one, &rv, &err), 0);
            assert_int_equal(rv->action, SG_ACTION_REJECT);
            sg_verdict_free(&rv);
        }
        sg_verdict_free(&v);
        sg_msgview_free(&view);
        dir_free(&d);
    }
    fclose(m);
    /* Every rule in the shipped policy is triggered by a sample, and there
     * is a near miss for each. */
    for (size_t k = 0; k < n_rules; k++)
        if (triggered[k] == 0)
            fail_msg("no sample triggers rule %s", sg_rules_id(rules, k));
    assert_true(samples >= 2 * n_rules);
    free(triggered);
    sg_rules_free(&rules);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest),
        cmocka_unit_test(test_categories),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
