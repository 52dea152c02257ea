/*
 * policy.c - the policy changelog (policy.h): the policy's text with its
 * secrets left out, its hash, the diff from the version before, and the
 * rule that a version is recorded only when it changed.
 *
 * The diff is a line diff, each hunk's header naming the rule it is in
 * (as diff -p names the function): the lines both texts begin and end
 * with are set aside, and the longest common subsequence of the rest is
 * found by dynamic programming.  A change of the policy is a few lines, so the
 * rest is small; when it is not (more than MAX_CELLS pairs of lines),
 * the rest is shown as removed and added whole rather than computed at
 * length in the daemon.
 *
 * Fails by returning -1 (or NULL) with the error string; never logs.
 */
#include "config.h"

#include <ctype.h>
#include <pwd.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "fdio.h"
#include "mailqueue.h"
#include "policy.h"
#include "sg_buf.h"
#include "sg_error.h"

/* The largest rules file read (the rules loader's own cap is lower). */
#define MAX_RULES_FILE (16u * 1024 * 1024)
/* The most pairs of lines the diff compares. */
#define MAX_CELLS (4u * 1024 * 1024)
/* Lines of context around a change. */
#define CONTEXT 3

#define SECRET_LEFT_OUT "(secret, not recorded)"
/* The line before the configuration in the policy's text. */
#define CONFIG_HEADING "# configuration "

/* Does this configuration line give a secret?  A key that names a
 * password or a secret (a file's path is left out too: harmless, and
 * one rule is simpler), or a value that holds a password (a PostgreSQL
 * conninfo "password=..." or a URI "postgresql://user:pass@host"). */
static bool
secret_line(const char *line, size_t len)
{
    const char *eq = memchr(line, '=', len);
    if (eq == NULL)
        return false;
    char key[128];
    size_t klen = (size_t)(eq - line);
    if (klen >= sizeof(key))
        klen = sizeof(key) - 1;
    memcpy(key, line, klen);
    key[klen] = '\0';
    if (strcasestr(key, "password") != NULL ||
        strcasestr(key, "secret") != NULL)
        return true;
    char value[4096];
    size_t vlen = len - (size_t)(eq + 1 - line);
    if (vlen >= sizeof(value))
        return true; /* too long to look at: leave it out */
    memcpy(value, eq + 1, vlen);
    value[vlen] = '\0';
    if (strcasestr(value, "password") != NULL)
        return true;
    const char *scheme = strstr(value, "://");
    if (scheme != NULL) {
        const char *at = strchr(scheme + 3, '@');
        const char *slash = strchr(scheme + 3, '/');
        const char *colon = strchr(scheme + 3, ':');
        if (at != NULL && colon != NULL && colon < at &&
            (slash == NULL || at < slash))
            return true;
    }
    return false;
}

/* The configuration as sg_config_dump writes it, secrets left out. */
static int
put_config(struct sg_buf *b, const struct sg_config *cfg)
{
    char *dump = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&dump, &len);
    if (out == NULL)
        return -1;
    int rc = sg_config_dump(cfg, out);
    if (fclose(out) != 0 || rc < 0) {
        free(dump);
        return -1;
    }
    for (const char *p = dump; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
        if (secret_line(p, n)) {
            const char *eq = memchr(p, '=', n);
            sg_buf_append(b, p, (size_t)(eq - p));
            sg_buf_puts(b, "= " SECRET_LEFT_OUT "\n");
        } else {
            sg_buf_append(b, p, n);
            sg_buf_putc(b, '\n');
        }
        p += n + (nl != NULL);
    }
    free(dump);
    return sg_buf_failed(b) ? -1 : 0;
}

char *
sg_policy_text(const struct sg_config *cfg, const char **error_r)
{
    struct sg_buf b = SG_BUF_INIT;
    if (cfg->rules_file != NULL && cfg->rules_file[0] != '\0') {
        char *rules = NULL;
        size_t len = 0;
        if (sg_read_small_file(cfg->rules_file, MAX_RULES_FILE, 0, &rules, &len,
                               NULL, error_r) < 0)
            return NULL;
        sg_buf_printf(&b, "# rules_file %s\n", cfg->rules_file);
        sg_buf_append(&b, rules, len);
        if (len > 0 && rules[len - 1] != '\n')
            sg_buf_putc(&b, '\n');
        free(rules);
    }
    sg_buf_printf(&b, CONFIG_HEADING "%s\n",
                  cfg->file.path != NULL ? cfg->file.path
                                         : "(built-in defaults)");
    if (put_config(&b, cfg) < 0 || sg_buf_failed(&b)) {
        sg_buf_free(&b);
        sg_error_fail(error_r, "the policy's text: out of memory");
        return NULL;
    }
    return sg_buf_steal(&b);
}

/* Add the name of path's owner to b, once. */
static void
add_owner(struct sg_buf *b, const char *path)
{
    struct stat st;
    if (path == NULL || *path == '\0' || stat(path, &st) != 0)
        return;
    char buf[1024], num[32];
    struct passwd pw, *res = NULL;
    const char *name = num;
    if (getpwuid_r(st.st_uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
        name = res->pw_name;
    else
        snprintf(num, sizeof(num), "uid %lu", (unsigned long)st.st_uid);
    size_t n = strlen(name);
    for (const char *p = b->data; p != NULL && *p != '\0';) {
        const char *end = strstr(p, ", ");
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return;
        p = end != NULL ? end + 2 : NULL;
    }
    if (b->len > 0)
        sg_buf_puts(b, ", ");
    sg_buf_puts(b, name);
}

char *
sg_policy_owner(const struct sg_config *cfg)
{
    struct sg_buf b = SG_BUF_INIT;
    add_owner(&b, cfg->file.path);
    add_owner(&b, cfg->rules_file);
    if (b.data == NULL)
        sg_buf_puts(&b, "");
    if (sg_buf_failed(&b)) {
        sg_buf_free(&b);
        return NULL;
    }
    return sg_buf_steal(&b);
}

/* ------------------------------------------------------------ the diff */

struct lines {
    const char **at; /* each line's start */
    size_t *len;     /* its length, without the newline */
    size_t n;
};

static int
split_lines(const char *text, struct lines *l)
{
    size_t cap = 1;
    for (const char *p = text; *p != '\0'; p++)
        cap += *p == '\n';
    l->n = 0;
    l->at = malloc(cap * sizeof(*l->at));
    l->len = malloc(cap * sizeof(*l->len));
    if (l->at == NULL || l->len == NULL)
        return -1;
    for (const char *p = text; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
        l->at[l->n] = p;
        l->len[l->n++] = n;
        p += n + (nl != NULL);
    }
    return 0;
}

static bool
same_line(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
    return a->len[i] == b->len[j] && memcmp(a->at[i], b->at[j], a->len[i]) == 0;
}

/* One step of the edit script: a line kept (' '), removed ('-') or
 * added ('+'), and its index in the old or the new text. */
struct op {
    char kind;
    size_t line;
};

/* The edit script of a and b: 0 and *ops_r (*n_r steps), or -1. */
static int
edit_script(const struct lines *a, const struct lines *b, struct op **ops_r,
            size_t *n_r)
{
    size_t pre = 0, suf = 0;
    while (pre < a->n && pre < b->n && same_line(a, pre, b, pre))
        pre++;
    while (suf < a->n - pre && suf < b->n - pre &&
           same_line(a, a->n - 1 - suf, b, b->n - 1 - suf))
        suf++;
    size_t n = a->n - pre - suf, m = b->n - pre - suf;
    struct op *ops = malloc((a->n + b->n + 1) * sizeof(*ops));
    if (ops == NULL)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < pre; i++)
        ops[k++] = (struct op){' ', i};

    /* lcs[i][j]: the common subsequence of a's middle from i and b's
     * from j, when it is small enough to compute */
    uint32_t *lcs = NULL;
    if (n > 0 && m > 0 && (n + 1) * (m + 1) <= MAX_CELLS &&
        (lcs = calloc((n + 1) * (m + 1), sizeof(*lcs))) == NULL) {
        free(ops);
        return -1;
    }
#define L(i, j) lcs[(i) * (m + 1) + (j)]
    if (lcs != NULL)
        for (size_t i = n; i-- > 0;)
            for (size_t j = m; j-- > 0;)
                L(i, j) = same_line(a, pre + i, b, pre + j)
                              ? L(i + 1, j + 1) + 1
                              : (L(i + 1, j) >= L(i, j + 1) ? L(i + 1, j)
                                                            : L(i, j + 1));
    size_t i = 0, j = 0;
    while (lcs != NULL && i < n && j < m) {
        if (same_line(a, pre + i, b, pre + j)) {
            ops[k++] = (struct op){' ', pre + i};
            i++;
            j++;
        } else if (L(i + 1, j) >= L(i, j + 1)) {
            ops[k++] = (struct op){'-', pre + i++};
        } else {
            ops[k++] = (struct op){'+', pre + j++};
        }
    }
#undef L
    free(lcs);
    while (i < n)
        ops[k++] = (struct op){'-', pre + i++};
    while (j < m)
        ops[k++] = (struct op){'+', pre + j++};
    for (size_t s = 0; s < suf; s++)
        ops[k++] = (struct op){' ', a->n - suf + s};
    *ops_r = ops;
    *n_r = k;
    return 0;
}

/* The hunks of the script, as diff -u writes them. */
static void
put_hunks(struct sg_buf *out, const struct op *ops, size_t n,
          const struct lines *a, const struct lines *b)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && ops[i].kind == ' ')
            i++;
        if (i == n)
            break;
        /* a hunk runs on while the changes are at most two contexts
         * apart, and ends CONTEXT lines after its last change */
        size_t start = i > CONTEXT ? i - CONTEXT : 0, last = i;
        for (size_t t = i + 1; t < n && t - last <= 2 * CONTEXT + 1; t++)
            if (ops[t].kind != ' ')
                last = t;
        size_t end = last + CONTEXT + 1 < n ? last + CONTEXT + 1 : n;
        /* the line numbers where the hunk begins in each text */
        size_t a0 = 0, b0 = 0, an = 0, bn = 0;
        for (size_t t = 0; t < start; t++) {
            a0 += ops[t].kind != '+';
            b0 += ops[t].kind != '-';
        }
        for (size_t t = start; t < end; t++) {
            an += ops[t].kind != '+';
            bn += ops[t].kind != '-';
        }
        sg_buf_printf(out, "@@ -%zu,%zu +%zu,%zu @@", an ? a0 + 1 : a0, an,
                      bn ? b0 + 1 : b0, bn);
        /* as diff -p names the function: the rule the hunk is in, so
         * that a change far below its "rule NAME {" line is still known
         * as that rule's */
        for (size_t t = start; t-- > 0;) {
            const struct lines *l = ops[t].kind == '+' ? b : a;
            const char *line = l->at[ops[t].line];
            size_t len = l->len[ops[t].line];
            if (ops[t].kind == '-')
                continue;
            if (strncmp(line, CONFIG_HEADING, strlen(CONFIG_HEADING)) == 0)
                break; /* the configuration is in no rule */
            if (len > 5 && strncmp(line, "rule ", 5) == 0) {
                sg_buf_putc(out, ' ');
                sg_buf_append(out, line, len);
                break;
            }
        }
        sg_buf_putc(out, '\n');
        for (size_t t = start; t < end; t++) {
            const struct lines *l = ops[t].kind == '+' ? b : a;
            sg_buf_putc(out, ops[t].kind);
            sg_buf_append(out, l->at[ops[t].line], l->len[ops[t].line]);
            sg_buf_putc(out, '\n');
        }
        i = end;
    }
}

char *
sg_policy_diff(const char *old_text, const char *new_text)
{
    struct lines a = {0}, b = {0};
    struct op *ops = NULL;
    size_t n = 0;
    struct sg_buf out = SG_BUF_INIT;
    char *res = NULL;
    if (split_lines(old_text, &a) < 0 || split_lines(new_text, &b) < 0 ||
        edit_script(&a, &b, &ops, &n) < 0)
        goto out;
    sg_buf_puts(&out, "");
    bool changed = false;
    for (size_t i = 0; i < n && !changed; i++)
        changed = ops[i].kind != ' ';
    if (changed) {
        sg_buf_puts(&out, "--- before\n+++ after\n");
        put_hunks(&out, ops, n, &a, &b);
    }
    if (!sg_buf_failed(&out))
        res = sg_buf_steal(&out);
out:
    sg_buf_free(&out);
    free(ops);
    free(a.at);
    free(a.len);
    free(b.at);
    free(b.len);
    return res;
}

/* ------------------------------------------------------------ record */

static void
hash_hex(const char *text, char hex[crypto_hash_sha256_BYTES * 2 + 1])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)text, strlen(text));
    sodium_bin2hex(hex, crypto_hash_sha256_BYTES * 2 + 1, h, sizeof(h));
}

int
sg_policy_record(struct sg_store *q, const struct sg_config *cfg,
                 const char *note, time_t now, const char **error_r)
{
    if (sodium_init() < 0)
        return sg_error_fail(error_r, "libsodium could not be initialised");
    char *text = sg_policy_text(cfg, error_r);
    if (text == NULL)
        return -1;
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    hash_hex(text, hex);
    char *last_hash = NULL, *last_text = NULL, *diff = NULL, *owner = NULL;
    char host_buf[256];
    const char *host = sg_mailqueue_host_name(cfg->mailqueue.host_name,
                                              host_buf, sizeof(host_buf));
    int rc = sg_store_policy_latest(q, host, &last_hash, &last_text, error_r);
    bool forced = note != NULL && *note != '\0';
    if (rc < 0 || (!forced && last_hash != NULL && strcmp(last_hash, hex) == 0))
        goto out;
    if ((diff = sg_policy_diff(last_text != NULL ? last_text : "", text)) ==
            NULL ||
        (owner = sg_policy_owner(cfg)) == NULL) {
        rc = sg_error_fail(error_r, "the policy's diff: out of memory");
        goto out;
    }
    struct sg_store_policy_new c = {
        .time = now,
        .host = host,
        .hash = hex,
        .owner = owner,
        .note = forced ? note : "",
        .diff = diff,
        .text = text,
    };
    rc = sg_store_policy_add(q, &c, error_r) < 0 ? -1 : 1;
out:
    free(text);
    free(last_hash);
    free(last_text);
    free(diff);
    free(owner);
    return rc;
}
