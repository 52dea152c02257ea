/*
 * review_sar.c - the subject access export (safeguard-review sar): every
 * record where one person is the sender or a recipient, with each
 * message's metadata, the rules it matched and what they found, and the
 * decisions and notes on it, as a printable HTML document or JSON, for
 * the school's data protection officer to check and send.
 *
 * Everyone else's personal data is masked, consistently across the
 * export, so that the requester reads who did what without learning who
 * the others are: each other address, and the directory's name of its
 * owner (whole, and each word of it), becomes "[person N]"; every other
 * e-mail address and every telephone-like number in any text (subject,
 * findings, notes) becomes "[person N]" or "[number N]"; the reviewers'
 * logins become "[reviewer N]".  Names the directory does not know,
 * written into a note, cannot be found: the DPO reads the export before
 * it goes (safeguard-review(8) says so).  The message itself is not in
 * the export: its text is the other parties' as much as the requester's.
 *
 * The HTML is self-contained (its CSS inline, no script, no link), every
 * text escaped.  The export is audited with the requester and the count,
 * never the content.
 *
 * Fails by returning -1 with an error string; never logs, never exits.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "review_cmd.h"
#include "review_int.h"
#include "sg_buf.h"
#include "sg_person.h"
#include "web_int.h"

/* ------------------------------------------------------------ masking */

struct mask_key {
    char *text;  /* matched case-insensitively */
    char *label; /* "[person 1]" */
    bool word;   /* a name: matched as whole words only */
};

struct sar {
    const char *subject; /* the requester's address */
    struct mask_key *keys;
    size_t n, cap;
    unsigned persons, numbers, reviewers;
    bool oom;
};

static void
sar_clear(struct sar *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->keys[i].text);
        free(s->keys[i].label);
    }
    free(s->keys);
}

static const char *
key_label(const struct sar *s, const char *text)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcasecmp(s->keys[i].text, text) == 0)
            return s->keys[i].label;
    return NULL;
}

static void
key_add(struct sar *s, const char *text, const char *label, bool word)
{
    if (s->oom || text == NULL || *text == '\0' || key_label(s, text) != NULL)
        return;
    if (sg_array_grow((void **)&s->keys, &s->cap, s->n + 1,
                      sizeof(*s->keys)) < 0) {
        s->oom = true;
        return;
    }
    struct mask_key *k = &s->keys[s->n];
    k->text = strdup(text);
    k->label = strdup(label);
    k->word = word;
    if (k->text == NULL || k->label == NULL) {
        free(k->text);
        free(k->label);
        s->oom = true;
        return;
    }
    s->n++;
}

/* The label of an address (a new person the first time), NULL for the
 * requester's own. */
static const char *
person(struct sar *s, const char *address)
{
    if (address == NULL || *address == '\0' ||
        strcasecmp(address, s->subject) == 0)
        return NULL;
    const char *l = key_label(s, address);
    if (l != NULL)
        return l;
    char label[32];
    snprintf(label, sizeof(label), "[person %u]", ++s->persons);
    key_add(s, address, label, false);
    return key_label(s, address);
}

/* Another person's directory name: whole, and each word of three
 * letters or more, under their label. */
static void
person_name(struct sar *s, const char *address, const char *name)
{
    const char *label = person(s, address);
    if (label == NULL || name == NULL || *name == '\0')
        return;
    char copy[256];
    snprintf(copy, sizeof(copy), "%s", label);
    key_add(s, name, copy, true);
    char words[256];
    snprintf(words, sizeof(words), "%s", name);
    for (char *save = NULL, *w = strtok_r(words, " \t.,", &save); w != NULL;
         w = strtok_r(NULL, " \t.,", &save))
        if (strlen(w) >= 3)
            key_add(s, w, copy, true);
}

/* A reviewer's login (not the requester, not the program). */
static const char *
reviewer(struct sar *s, const char *actor)
{
    if (actor == NULL || strcasecmp(actor, s->subject) == 0 ||
        strncmp(actor, "safeguard-", 10) == 0)
        return actor;
    const char *l = key_label(s, actor);
    if (l != NULL)
        return l;
    char label[32];
    snprintf(label, sizeof(label), "[reviewer %u]", ++s->reviewers);
    key_add(s, actor, label, true);
    l = key_label(s, actor);
    return l != NULL ? l : "[reviewer]";
}

static bool
addr_char(char c)
{
    return isalnum((unsigned char)c) || strchr("._%+-", c) != NULL;
}

/* Does text begin with a date, YYYY-MM-DD (not a telephone number)? */
static bool
iso_date(const char *t)
{
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? t[i] != '-' : !isdigit((unsigned char)t[i]))
            return false;
    return true;
}

/* The longest key at text (whole words for names): its index or -1. */
static long
key_at(const struct sar *s, const char *text, size_t at)
{
    long best = -1;
    size_t best_len = 0;
    bool start = at == 0 || !isalnum((unsigned char)text[at - 1]);
    for (size_t i = 0; i < s->n; i++) {
        size_t n = strlen(s->keys[i].text);
        if (n <= best_len || strncasecmp(text + at, s->keys[i].text, n) != 0)
            continue;
        if (s->keys[i].word &&
            (!start || isalnum((unsigned char)text[at + n])))
            continue;
        best = (long)i;
        best_len = n;
    }
    return best;
}

/* text with every other person masked, into out. */
static void
mask(struct sar *s, const char *text, struct sg_buf *out)
{
    size_t len = text != NULL ? strlen(text) : 0;
    for (size_t i = 0; i < len;) {
        long k = key_at(s, text, i);
        if (k >= 0) {
            sg_buf_puts(out, s->keys[k].label);
            i += strlen(s->keys[k].text);
            continue;
        }
        bool word_start = i == 0 || !addr_char(text[i - 1]);
        if (word_start && addr_char(text[i])) {
            /* an address: local@domain.tld */
            size_t j = i, d;
            while (j < len && addr_char(text[j]))
                j++;
            if (text[j] == '@') {
                d = j + 1;
                while (d < len && (isalnum((unsigned char)text[d]) ||
                                   text[d] == '.' || text[d] == '-'))
                    d++;
                while (d > j + 1 && text[d - 1] == '.')
                    d--;
                if (memchr(text + j + 1, '.', d - j - 1) != NULL) {
                    char addr[320];
                    snprintf(addr, sizeof(addr), "%.*s", (int)(d - i),
                             text + i);
                    const char *l = person(s, addr);
                    sg_buf_puts(out, l != NULL ? l : addr);
                    i = d;
                    continue;
                }
            }
        }
        if (word_start && (isdigit((unsigned char)text[i]) || text[i] == '+') &&
            !iso_date(text + i)) {
            /* a telephone-like number: seven digits or more */
            size_t j = i, digits = 0, end = i;
            char key[64] = "#";
            while (j < len && (isdigit((unsigned char)text[j]) ||
                               strchr(" +()-", text[j]) != NULL)) {
                if (isdigit((unsigned char)text[j])) {
                    size_t kl = strlen(key);
                    if (kl + 1 < sizeof(key)) {
                        key[kl] = text[j];
                        key[kl + 1] = '\0';
                    }
                    digits++;
                    end = j + 1;
                }
                j++;
            }
            if (digits >= 7) {
                const char *l = key_label(s, key);
                if (l == NULL) {
                    char label[32];
                    snprintf(label, sizeof(label), "[number %u]",
                             ++s->numbers);
                    key_add(s, key, label, false);
                    l = key_label(s, key);
                }
                sg_buf_puts(out, l != NULL ? l : "[number]");
                i = end;
                continue;
            }
        }
        sg_buf_putc(out, text[i]);
        i++;
    }
}

/* text masked, in a buffer of the export's (freed with it). */
static const char *
masked(struct sar *s, struct sg_buf *b, const char *text)
{
    sg_buf_reset(b);
    sg_buf_puts(b, "");
    mask(s, text, b);
    if (sg_buf_failed(b))
        s->oom = true;
    return sg_buf_text_or(b, "");
}

char *
sg_review_sar_mask_text(const char *subject, const char *text)
{
    struct sar s = {.subject = subject};
    struct sg_buf b = SG_BUF_INIT;
    const char *m = masked(&s, &b, text);
    char *copy = s.oom ? NULL : strdup(m);
    sar_clear(&s);
    sg_buf_free(&b);
    return copy;
}

/* ------------------------------------------------------------ records */

/* A record with its rows (a struct sg_review_detail without the copy,
 * the queue and the notices: none is exported): 0 and *d_r,
 * SG_REVIEW_NOT_FOUND, or -1. */
static int
record_read(struct sg_review *r, const char *id,
            const struct sg_review_actor *actor,
            struct sg_review_detail **d_r, const char **error_r)
{
    const char *err = NULL;
    struct sg_review_detail *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return sg_review_fail(error_r, "out of memory");
    int rc = sg_review_get(r, id, actor, &d->record, error_r);
    if (rc == 0 &&
        (sg_store_rcpts(r->q, id, &d->rcpts, &d->n_rcpts, &err) < 0 ||
         sg_store_rules(r->q, id, &d->rules, &d->n_rules, &err) < 0 ||
         sg_store_findings(r->q, id, &d->findings, &d->n_findings, &err) <
             0 ||
         sg_store_audit_rows(r->q, id, NULL, 0, &d->history, &d->n_history,
                             &err) < 0))
        rc = sg_review_keep(error_r, "", err);
    if (rc != 0)
        sg_review_detail_free(&d);
    *d_r = d;
    return rc;
}

/* Everyone on the record, so that their names are known before any
 * text is masked. */
static void
learn(struct sar *s, const struct sg_review_detail *x)
{
    person_name(s, x->record->env_from, x->record->sender_name);
    for (size_t i = 0; i < x->n_rcpts; i++)
        person_name(s, x->rcpts[i].address, x->rcpts[i].name);
    for (size_t i = 0; i < x->n_history; i++)
        reviewer(s, x->history[i].actor);
}

/* An audit row the requester is told of: decisions and notes, not the
 * reviewers' views. */
static bool
told(const struct sg_store_audit_row *a)
{
    return strcmp(a->action, "view") != 0;
}

/* ------------------------------------------------------------ JSON */

static json_t *
jstr(struct sar *s, struct sg_buf *b, const char *text)
{
    return text != NULL ? json_string(masked(s, b, text)) : json_null();
}

static json_t *
json_record(struct sar *s, struct sg_buf *b, const struct sg_review_detail *x)
{
    char when[32];
    json_t *o = json_object(), *a;
    json_object_set_new(o, "id", json_string(x->record->id));
    sg_review_iso(x->record->created, when, sizeof(when));
    json_object_set_new(o, "time", json_string(when));
    json_object_set_new(o, "sender", jstr(s, b, x->record->env_from));
    json_object_set_new(o, "sender_name",
                        person(s, x->record->env_from) == NULL
                            ? jstr(s, b, x->record->sender_name)
                            : jstr(s, b, x->record->env_from));
    json_object_set_new(o, "subject", jstr(s, b, x->record->subject));
    json_object_set_new(o, "status",
                        json_string(sg_store_status_name(x->record->status)));
    json_object_set_new(o, "recipients", a = json_array());
    for (size_t i = 0; i < x->n_rcpts; i++) {
        json_t *p = json_object();
        json_object_set_new(p, "address", jstr(s, b, x->rcpts[i].address));
        json_object_set_new(p, "roles", json_string(x->rcpts[i].roles));
        json_array_append_new(a, p);
    }
    json_object_set_new(o, "rules", a = json_array());
    for (size_t i = 0; i < x->n_rules; i++) {
        json_t *p = json_object();
        json_object_set_new(p, "id", json_string(x->rules[i].id));
        json_object_set_new(p, "title", jstr(s, b, x->rules[i].title));
        json_object_set_new(p, "policy", jstr(s, b, x->rules[i].policy));
        json_array_append_new(a, p);
    }
    json_object_set_new(o, "findings", a = json_array());
    for (size_t i = 0; i < x->n_findings; i++) {
        json_t *p = json_object();
        json_object_set_new(p, "rule", json_string(x->findings[i].rule_id));
        json_object_set_new(p, "text", jstr(s, b, x->findings[i].text));
        json_object_set_new(p, "location",
                            jstr(s, b, x->findings[i].location));
        json_array_append_new(a, p);
    }
    json_object_set_new(o, "history", a = json_array());
    for (size_t i = 0; i < x->n_history; i++) {
        if (!told(&x->history[i]))
            continue;
        json_t *p = json_object();
        sg_review_iso(x->history[i].time, when, sizeof(when));
        json_object_set_new(p, "time", json_string(when));
        json_object_set_new(p, "by",
                            json_string(reviewer(s, x->history[i].actor)));
        json_object_set_new(p, "action", json_string(x->history[i].action));
        json_object_set_new(p, "note", jstr(s, b, x->history[i].note));
        json_array_append_new(a, p);
    }
    return o;
}

/* ------------------------------------------------------------ HTML */

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
    "'none'; style-src 'unsafe-inline'\">\n"
    "<title>Subject access export</title>\n<style>\n"
    "body{font:11pt/1.4 sans-serif;margin:2em;color:#000}\n"
    "h1{font-size:16pt}h2{font-size:13pt;border-top:1px solid #888;"
    "padding-top:.5em;page-break-before:auto}\n"
    "table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border:1px solid #aaa;padding:.2em .5em;text-align:left;"
    "vertical-align:top}\n"
    "section{page-break-inside:avoid}\n"
    "@media print{body{margin:0}}\n"
    "</style></head><body>\n";

static void
html_cell(struct sar *s, struct sg_buf *out, struct sg_buf *b,
          const char *tag, const char *text)
{
    sg_buf_printf(out, "<%s>", tag);
    sg_web_text(out, masked(s, b, text != NULL ? text : ""));
    sg_buf_printf(out, "</%s>", tag);
}

/* A row of two masked cells. */
static void
html_row(struct sar *s, struct sg_buf *out, struct sg_buf *b, const char *a,
         const char *c)
{
    sg_buf_puts(out, "<tr>");
    html_cell(s, out, b, "td", a);
    html_cell(s, out, b, "td", c);
    sg_buf_puts(out, "</tr>\n");
}

/* A cell of the export's own (a time, a status, an action, a label):
 * nothing in it to mask. */
static void
html_plain(struct sg_buf *out, const char *text)
{
    sg_buf_puts(out, "<td>");
    sg_web_text(out, text);
    sg_buf_puts(out, "</td>");
}

static void
html_record(struct sar *s, struct sg_buf *out, struct sg_buf *b,
            const struct sg_review_detail *x)
{
    char when[32];
    sg_buf_puts(out, "<section><h2>Record ");
    sg_web_text(out, x->record->id);
    sg_buf_puts(out, "</h2>\n<table>\n<tr><th>Time</th>");
    sg_review_iso(x->record->created, when, sizeof(when));
    html_plain(out, when);
    sg_buf_puts(out, "</tr>\n<tr><th>Sender</th>");
    html_cell(s, out, b, "td", x->record->env_from);
    sg_buf_puts(out, "</tr>\n<tr><th>Subject</th>");
    html_cell(s, out, b, "td", x->record->subject);
    sg_buf_puts(out, "</tr>\n<tr><th>Status</th>");
    html_plain(out, sg_store_status_title(x->record->status));
    sg_buf_puts(out, "</tr>\n");
    for (size_t i = 0; i < x->n_rcpts; i++) {
        sg_buf_puts(out, "<tr><th>Recipient</th>");
        html_cell(s, out, b, "td", x->rcpts[i].address);
        html_plain(out, x->rcpts[i].roles);
        sg_buf_puts(out, "</tr>\n");
    }
    sg_buf_puts(out, "</table>\n<table><tr><th>Rule</th><th>Policy</th>"
                     "</tr>\n");
    for (size_t i = 0; i < x->n_rules; i++)
        html_row(s, out, b, x->rules[i].title, x->rules[i].policy);
    sg_buf_puts(out, "</table>\n<table><tr><th>Found</th><th>Where</th>"
                     "</tr>\n");
    for (size_t i = 0; i < x->n_findings; i++)
        html_row(s, out, b, x->findings[i].text, x->findings[i].location);
    sg_buf_puts(out, "</table>\n<table><tr><th>When</th><th>By</th>"
                     "<th>What</th><th>Note</th></tr>\n");
    for (size_t i = 0; i < x->n_history; i++) {
        if (!told(&x->history[i]))
            continue;
        sg_buf_puts(out, "<tr>");
        sg_review_iso(x->history[i].time, when, sizeof(when));
        html_plain(out, when);
        html_plain(out, reviewer(s, x->history[i].actor));
        html_plain(out, x->history[i].action);
        html_cell(s, out, b, "td", x->history[i].note);
        sg_buf_puts(out, "</tr>\n");
    }
    sg_buf_puts(out, "</table></section>\n");
}

/* ------------------------------------------------------------ export */

int
sg_review_sar(struct sg_review *r, const char *address,
              const struct sg_review_actor *actor, bool json, FILE *out,
              size_t *n_r, const char **error_r)
{
    if (!sg_review_actor_ok(actor) || address == NULL || *address == '\0')
        return sg_review_fail(error_r, "sar: missing address or actor");
    char **ids = NULL;
    size_t n = 0;
    const char *err = NULL;
    if (sg_store_party_ids(r->q, address, &ids, &n, &err) < 0)
        return sg_review_keep(error_r, "", err);
    struct sg_review_detail **x = calloc(n + 1, sizeof(*x));
    if (x == NULL) {
        sg_strv_free(&ids, &n);
        return sg_review_fail(error_r, "out of memory");
    }
    struct sar s = {.subject = address};
    int ret = 0;
    size_t got = 0;
    for (size_t i = 0; i < n && ret == 0; i++) {
        int rc = record_read(r, ids[i], actor, &x[got], error_r);
        if (rc == SG_REVIEW_NOT_FOUND)
            continue; /* another track's, or gone meanwhile */
        if (rc != 0)
            ret = -1;
        else
            learn(&s, x[got++]);
    }
    struct sg_buf doc = SG_BUF_INIT, b = SG_BUF_INIT;
    char when[32];
    sg_review_iso(time(NULL), when, sizeof(when));
    if (ret == 0 && json) {
        json_t *root = json_object(), *recs = json_array();
        json_object_set_new(root, "subject", json_string(address));
        json_object_set_new(root, "made", json_string(when));
        json_object_set_new(root, "records", recs);
        for (size_t i = 0; i < got; i++)
            json_array_append_new(recs, json_record(&s, &b, x[i]));
        char *text = json_dumps(root, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        json_decref(root);
        if (text == NULL)
            s.oom = true;
        else
            sg_buf_puts(&doc, text);
        free(text);
        sg_buf_putc(&doc, '\n');
    } else if (ret == 0) {
        sg_buf_puts(&doc, html_head);
        sg_buf_puts(&doc, "<h1>Subject access export: ");
        sg_web_text(&doc, address);
        sg_buf_printf(&doc, "</h1>\n<p>Made %s.  %zu record%s.  Other people "
                            "are shown as [person N], reviewers as "
                            "[reviewer N], other numbers as [number N].</p>\n",
                      when, got, got == 1 ? "" : "s");
        for (size_t i = 0; i < got; i++)
            html_record(&s, &doc, &b, x[i]);
        sg_buf_puts(&doc, "</body></html>\n");
    }
    for (size_t i = 0; i < got; i++)
        sg_review_detail_free(&x[i]);
    free(x);
    sg_strv_free(&ids, &n);
    sar_clear(&s);
    sg_buf_free(&b);
    if (ret == 0 && (s.oom || sg_buf_failed(&doc)))
        ret = sg_review_fail(error_r, "sar: out of memory");
    if (ret == 0 && (fwrite(doc.data, 1, doc.len, out) != doc.len ||
                     fflush(out) != 0))
        ret = sg_review_fail(error_r, "sar: cannot write the export");
    sg_buf_free(&doc);
    if (ret != 0)
        return -1;
    char note[96];
    snprintf(note, sizeof(note), "subject access export: %zu records", got);
    if (sg_review_audit(r, NULL, actor, "subject-access", note, error_r) < 0)
        return -1;
    if (n_r != NULL)
        *n_r = got;
    return 0;
}

/* sar ADDRESS [--format html|json] [--output FILE] [--by NAME] */
int
sg_review_cmd_sar(const struct sg_review_cmd *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"by", required_argument, NULL, 'b'},
        {NULL, 0, NULL, 0},
    };
    const char *output = NULL, *by = NULL;
    bool json = false;
    int o;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (o) {
        case 'f':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "html") != 0) {
                fprintf(stderr, "safeguard-review: sar: --format html or "
                                "json\n");
                return EX_USAGE;
            }
            json = strcmp(optarg, "json") == 0;
            break;
        case 'o':
            output = optarg;
            break;
        case 'b':
            by = optarg;
            break;
        default:
            return EX_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "safeguard-review: sar ADDRESS [--format html|json] "
                        "[--output FILE] [--by NAME]\n");
        return EX_USAGE;
    }
    c->credit(c->ctx, by);
    FILE *out = stdout;
    if (output != NULL) {
        /* personal data: readable by its owner alone */
        int fd = open(output, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
        if (fd < 0 || (out = fdopen(fd, "w")) == NULL) {
            fprintf(stderr, "safeguard-review: sar: cannot create %s: %s\n",
                    output, strerror(errno));
            if (fd >= 0)
                close(fd);
            return EX_CANTCREAT;
        }
    }
    size_t n = 0;
    const char *err = NULL;
    int rc = sg_review_sar(c->r, argv[optind], c->actor, json, out, &n, &err);
    if (out != stdout && fclose(out) != 0 && rc == 0) {
        rc = -1;
        err = "cannot write the export";
    }
    if (rc != 0) {
        if (output != NULL)
            unlink(output); /* never half an export */
        fprintf(stderr, "safeguard-review: sar: %s\n", err);
        return EX_TEMPFAIL;
    }
    if (output != NULL)
        printf("sar: %zu records of %s written to %s\n", n, argv[optind],
               output);
    return EX_OK;
}
