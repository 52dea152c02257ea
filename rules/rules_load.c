/*
 * rules_load.c - a rule set's life: making one from the options (school
 * domains, phone numbers and postcodes, time zone, PCRE2 match limits,
 * built-in detectors), loading it from a file or a string (rules_parse.c),
 * querying and freeing it.
 *
 * SECURITY: every pattern is compiled once, at load (with JIT unless built
 * with -DSG_RULES_NO_JIT), and so is the scan database of all of them
 * (detect_hs.c, with Hyperscan); the match limits set here bound the work
 * of each match on attacker-controlled text at evaluation time.
 * Fails by returning -1 (or NULL) with the message as the thread's error
 * text (common/sg_error.h); a half-built rule set is freed, never returned.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "rules_parse.h"

/* ------------------------------------------------------------ load */
void
sg_rules_free(struct sg_rules **rules_p)
{
    struct sg_rules *rules = *rules_p;
    if (rules == NULL)
        return;
    for (size_t i = 0; i < rules->n_rules; i++)
        sg_rules_rule_clear(&rules->rules[i]);
    free(rules->rules);
    for (size_t i = 0; i < rules->n_detectors; i++) {
        free(rules->detectors[i].name);
        free(rules->detectors[i].describe);
        free(rules->detectors[i].pattern);
        if (rules->detectors[i].re)
            pcre2_code_free(rules->detectors[i].re);
        if (rules->detectors[i].re_spelt)
            pcre2_code_free(rules->detectors[i].re_spelt);
    }
    free(rules->detectors);
    for (size_t i = 0; i < rules->n_lists; i++) {
        free(rules->lists[i].name);
        sg_rules_strv_clear(&rules->lists[i].items);
    }
    free(rules->lists);
    sg_rules_strv_clear(&rules->school_domains);
    sg_rules_strv_clear(&rules->school_phones);
    sg_rules_strv_clear(&rules->school_postcodes);
    sg_rules_strv_clear(&rules->personal_domains);
    sg_rules_strv_clear(&rules->school_social);
    sg_rules_strv_clear(&rules->role_names);
    sg_tz_free(&rules->tz);
    free(rules->dsl_contact);
    if (rules->mctx)
        pcre2_match_context_free(rules->mctx);
#ifdef HAVE_HYPERSCAN
    sg_detect_hs_free(&rules->hs);
    sg_detect_hs_sets_free(rules);
#endif
    free(rules);
    *rules_p = NULL;
}

/* An allocation failed: the message, and -1. */
static int
oom(const char **error_r)
{
    *error_r = sg_rules_errorf("out of memory");
    return -1;
}

/* The school's own domains, phone numbers and postcodes, as the
 * validators compare them; 0 or -1. */
static int
add_school_own(struct sg_rules *rules, const struct sg_rules_options *opt,
               const char **error_r)
{
    for (size_t i = 0; i < opt->n_school_domains; i++) {
        char *d = strdup(opt->school_domains[i]);
        if (d == NULL)
            return oom(error_r);
        for (char *p = d; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        char *s = d[0] == '@' ? d + 1 : d;
        int r = sg_rules_strv_add(&rules->school_domains, s);
        free(d);
        if (r < 0)
            return oom(error_r);
    }
    for (size_t i = 0; i < opt->n_school_phone_numbers; i++) {
        char norm[32];
        if (sg_phone_normalise(opt->school_phone_numbers[i], norm,
                               sizeof(norm)) < 0) {
            *error_r = sg_rules_errorf(
                "school phone number '%s' is not a UK number",
                opt->school_phone_numbers[i]);
            return -1;
        }
        if (sg_rules_strv_add(&rules->school_phones, norm) < 0)
            return oom(error_r);
    }
    for (size_t i = 0; i < opt->n_school_postcodes; i++) {
        char pc[16];
        size_t k = 0;
        for (const char *p = opt->school_postcodes[i]; *p && k < 15; p++)
            if (!isspace((unsigned char)*p))
                pc[k++] = (char)toupper((unsigned char)*p);
        pc[k] = '\0';
        if (sg_rules_strv_add(&rules->school_postcodes, pc) < 0)
            return oom(error_r);
    }
    return 0;
}

/* The consumer mail providers (built-in and the site's) and the school's
 * social media accounts; 0 or -1. */
static int
add_personal_social(struct sg_rules *rules, const struct sg_rules_options *opt,
                    const char **error_r)
{
    for (size_t i = 0; sg_personal_domains_builtin[i] != NULL; i++)
        if (sg_rules_strv_add(&rules->personal_domains,
                              sg_personal_domains_builtin[i]) < 0)
            return oom(error_r);
    for (size_t i = 0; i < opt->n_personal_email_domains; i++) {
        const char *why;
        const char *item = opt->personal_email_domains[i];
        if (sg_rules_personal_domain_check(item, &why) < 0) {
            *error_r = sg_rules_errorf("personal email domain '%s' %s", item,
                                       why);
            return -1;
        }
        char *d = strdup(item + (item[0] == '@'));
        if (d == NULL)
            return oom(error_r);
        for (char *p = d; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        int r = sg_rules_strv_add(&rules->personal_domains, d);
        free(d);
        if (r < 0)
            return oom(error_r);
    }
    for (size_t i = 0; i < opt->n_school_social_accounts; i++) {
        const char *item = opt->school_social_accounts[i];
        char key[160];
        if (sg_social_account(item, strlen(item), key, sizeof(key)) < 0) {
            const char *why = "";
            sg_rules_social_account_check(item, &why);
            *error_r = sg_rules_errorf("school social media account '%s' %s",
                                       item, why);
            return -1;
        }
        if (sg_rules_strv_add(&rules->school_social, key) < 0)
            return oom(error_r);
    }
    return 0;
}

static struct sg_rules *
rules_new(const struct sg_rules_options *opt, const char **error_r)
{
    struct sg_rules *rules = calloc(1, sizeof(*rules));
    if (rules == NULL) {
        *error_r = sg_rules_errorf("out of memory");
        return NULL;
    }
    static const struct sg_rules_options none;
    if (opt == NULL)
        opt = &none;
    if (add_school_own(rules, opt, error_r) < 0)
        goto fail;
    rules->image_small_pixels = opt->image_small_pixels != 0
                                    ? opt->image_small_pixels
                                    : SG_IMAGE_SMALL_PIXELS_DEFAULT;
    rules->image_small_bytes = opt->image_small_bytes != 0
                                   ? opt->image_small_bytes
                                   : SG_IMAGE_SMALL_BYTES_DEFAULT;
    if (add_personal_social(rules, opt, error_r) < 0)
        goto fail;
    if (opt->dsl_contact != NULL) {
        rules->dsl_contact = strdup(opt->dsl_contact);
        if (rules->dsl_contact == NULL)
            goto nomem;
    }
    if (opt->timezone != NULL && opt->timezone[0] != '\0' &&
        strcmp(opt->timezone, "UTC") != 0) {
        if (sg_tz_load(opt->timezone, opt->zoneinfo_dir, &rules->tz, error_r) <
            0)
            goto fail;
    }
    rules->mctx = pcre2_match_context_create(NULL);
    if (rules->mctx == NULL)
        goto nomem;
    /* Bound the work of one match: a pathological site pattern fails that
     * scan instead of stalling the mail flow. */
    pcre2_set_match_limit(rules->mctx, 1000000);
    pcre2_set_depth_limit(rules->mctx, 10000);
    if (sg_detectors_builtin_add(rules, error_r) < 0)
        goto fail;
    return rules;
nomem:
    oom(error_r);
fail:
    sg_rules_free(&rules);
    return NULL;
}

/* Parse a file (text NULL) or a string into a new rule set. */
static int
rules_load(const char *path, const char *text, size_t len,
           const struct sg_rules_options *opt, struct sg_rules **rules_r,
           const char **error_r)
{
    struct sg_rules *rules = rules_new(opt, error_r);
    if (rules == NULL)
        return -1;
    unsigned max = opt && opt->max_include_depth ? opt->max_include_depth : 8;
    if (opt != NULL) {
        rules->known_roles = opt->known_roles;
        rules->n_known_roles = opt->n_known_roles;
    }
    int rc = text == NULL ? sg_rules_parse_file(rules, path, 0, max, error_r)
                          : sg_rules_parse_text(rules, text, len, path, NULL, 0,
                                                max, error_r);
    rules->known_roles = NULL; /* the caller's; not kept */
    rules->n_known_roles = 0;
#ifdef HAVE_HYPERSCAN
    /* every detector is known now: one database for all their patterns */
    if (rc == 0)
        rc = sg_detect_hs_build(rules, opt ? opt->scan_cache_dir : NULL,
                                error_r);
#endif
    if (rc < 0) {
        sg_rules_free(&rules);
        return -1;
    }
    *rules_r = rules;
    return 0;
}

int
sg_rules_load(const char *path, const struct sg_rules_options *opt,
              struct sg_rules **rules_r, const char **error_r)
{
    return rules_load(path, NULL, 0, opt, rules_r, error_r);
}

int
sg_rules_load_string(const char *text, size_t len, const char *name,
                     const struct sg_rules_options *opt,
                     struct sg_rules **rules_r, const char **error_r)
{
    return rules_load(name ? name : "(string)", text != NULL ? text : "",
                      len, opt, rules_r, error_r);
}

size_t
sg_rules_count(const struct sg_rules *rules)
{
    return rules->n_rules;
}

const char *
sg_rules_scan_source(const struct sg_rules *rules)
{
    if (rules->hs == NULL)
        return NULL;
    return rules->hs_from_disk ? "read from the cache" : "compiled";
}

size_t
sg_rules_detector_count(const struct sg_rules *rules)
{
    return rules->n_detectors;
}

const char *
sg_rules_id(const struct sg_rules *rules, size_t i)
{
    return i < rules->n_rules ? rules->rules[i].id : NULL;
}

const char *
sg_rules_category(const struct sg_rules *rules, size_t i)
{
    return i < rules->n_rules ? rules->rules[i].category : NULL;
}
