/*
 * sg_runtime.c - open what the settings name, and the current runtime
 * (see sg_runtime.h).
 *
 * Errors name the file and line of the key to blame ("FILE:LINE:
 * reason"), formatted as the loader's (sg_settings_error).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exempt.h"
#include "school.h"
#include "sg_person.h"
#include "sg_runtime.h"
#include "store_hosts.h"

#define set_error sg_settings_error

/* Without a directory every address counts as external, and the rules
 * about staff and pupils never match: so there must be one, unless
 * directory_backend = none says outright that there is none. */
static int
open_directory(struct sg_runtime *rt, const char **error_r)
{
    const struct sg_config *cfg = rt->settings;
    bool has_file = cfg->dir.file_path != NULL && cfg->dir.file_path[0] != '\0';
    if (rt->directory != NULL)
        return 0;
    if (cfg->dir.backend == SG_DIR_BACKEND_NONE) {
        if (!has_file)
            return 0;
        *error_r = set_error(sg_config_name(cfg),
                             sg_config_line(cfg, "directory_file"),
                             "directory_file is set, but directory_backend "
                             "= none (line %u) says there is no directory",
                             sg_config_line(cfg, "directory_backend"));
        return -1;
    }
    /* the example configuration (and the package's) as shipped: no
     * school yet, so nothing to filter for; said as such, not as one
     * missing setting among others */
    if (cfg->dir.backend == SG_DIR_BACKEND_FILE && !has_file &&
        cfg->n_school_domains == 0) {
        *error_r = set_error(sg_config_name(cfg), 0,
                             "not configured yet: no school_domains and no "
                             "directory configured: set school_domains (the "
                             "school's mail domains) and directory_file, or "
                             "directory_backend = ldap with the ldap_* "
                             "settings (man 5 safeguard-milter.conf)");
        return -1;
    }
    if (cfg->dir.backend == SG_DIR_BACKEND_FILE && !has_file) {
        *error_r = set_error(sg_config_name(cfg), 0,
                             "no directory configured: set directory_file, "
                             "or directory_backend = ldap with the ldap_* "
                             "settings; say directory_backend = none to run "
                             "without one (every address then counts as "
                             "external)");
        return -1;
    }
    /* the settings first, to name the line of the one at fault */
    const char *why = NULL, *setting = NULL;
    if (sg_dir_config_check(&cfg->dir, &setting, &why) == SG_DIR_CONFIG) {
        *error_r = set_error(sg_config_name(cfg),
                             setting != NULL ? sg_config_line(cfg, setting)
                                             : 0,
                             "directory: %s", why);
        return -1;
    }
    if (sg_dir_new(&cfg->dir, &rt->directory, &why) != SG_DIR_FOUND) {
        *error_r = set_error(sg_config_name(cfg), 0, "directory: %s",
                             why != NULL ? why : "cannot open");
        return -1;
    }
    return 0;
}

/* The rules see the school through these options; the lists are the
 * config's own (the library copies what it keeps).  A school of a trust
 * (sch, NULL: the trust's) has its own numbers, postcodes, accounts, time
 * zone and contact; the domains are the trust's, which hold every
 * school's, so that mail between its schools stays inside. */
static int
load_rules(const struct sg_config *cfg, const struct sg_school *sch,
           struct sg_rules **rules_r, const char **error_r)
{
    if (cfg->rules_file[0] == '\0') {
        if (cfg->allow_no_rules)
            return 0;
        *error_r =
            set_error(sg_config_name(cfg), sg_config_line(cfg, "rules_file"),
                      "rules_file is empty: no rule would apply and "
                      "every message would be accepted (say "
                      "allow_no_rules = yes if that is meant)");
        return -1;
    }
    char **known = NULL;
    size_t n_known = 0;
    if (sg_dir_known_roles(&cfg->dir, &known, &n_known) < 0) {
        *error_r = set_error(sg_config_name(cfg), 0, "out of memory");
        return -1;
    }
    struct sg_rules_options opt;
    memset(&opt, 0, sizeof(opt));
    opt.school_domains = (const char *const *)cfg->school_domains;
    opt.n_school_domains = cfg->n_school_domains;
    opt.school_phone_numbers = (const char *const *)cfg->school_phone_numbers;
    opt.n_school_phone_numbers = cfg->n_school_phone_numbers;
    opt.school_postcodes = (const char *const *)cfg->school_postcodes;
    opt.n_school_postcodes = cfg->n_school_postcodes;
    opt.school_social_accounts =
        (const char *const *)cfg->school_social_accounts;
    opt.n_school_social_accounts = cfg->n_school_social_accounts;
    opt.personal_email_domains =
        (const char *const *)cfg->personal_email_domains;
    opt.n_personal_email_domains = cfg->n_personal_email_domains;
    opt.timezone = cfg->timezone;
    opt.image_small_pixels = (unsigned long)cfg->image_small_pixels;
    opt.image_small_bytes = cfg->image_small_bytes;
    opt.dsl_contact = cfg->dsl_contact;
    opt.scan_cache_dir = cfg->scan_cache_dir;
    opt.known_roles = (const char *const *)known;
    opt.n_known_roles = n_known;
    if (sch != NULL) {
        opt.school_phone_numbers =
            (const char *const *)sch->school_phone_numbers;
        opt.n_school_phone_numbers = sch->n_school_phone_numbers;
        opt.school_postcodes = (const char *const *)sch->school_postcodes;
        opt.n_school_postcodes = sch->n_school_postcodes;
        opt.school_social_accounts =
            (const char *const *)sch->school_social_accounts;
        opt.n_school_social_accounts = sch->n_school_social_accounts;
        opt.timezone = sch->timezone;
        opt.dsl_contact = sch->dsl_contact;
    }
    const char *why = NULL;
    int rc = sg_rules_load(cfg->rules_file, &opt, rules_r, &why);
    sg_strv_free(&known, &n_known);
    if (rc < 0) {
        /* the rules' errors already name their file, line and column */
        *error_r =
            set_error("rules_file", 0, "%s", why != NULL ? why : "cannot load");
        return -1;
    }
    if (sg_rules_count(*rules_r) == 0 && !cfg->allow_no_rules) {
        sg_rules_free(rules_r);
        *error_r =
            set_error(sg_config_name(cfg), sg_config_line(cfg, "rules_file"),
                      "rules_file = %s holds no rule (it is empty or "
                      "only comments): every message would be "
                      "accepted (say allow_no_rules = yes if that is "
                      "meant)",
                      cfg->rules_file);
        return -1;
    }
    return 0;
}

/* The trust's rules, and each school's. */
static int
open_rules(struct sg_runtime *rt, const char **error_r)
{
    const struct sg_config *cfg = rt->settings;
    if (rt->rules != NULL)
        return 0;
    if (load_rules(cfg, NULL, &rt->rules, error_r) < 0)
        return -1;
    if (rt->rules == NULL || cfg->n_schools == 0)
        return 0;
    rt->school_rules = calloc(cfg->n_schools, sizeof(*rt->school_rules));
    if (rt->school_rules == NULL) {
        *error_r = "out of memory";
        return -1;
    }
    for (size_t i = 0; i < cfg->n_schools; i++)
        if (load_rules(cfg, cfg->schools[i], &rt->school_rules[i], error_r) < 0)
            return -1;
    return 0;
}

static int
open_register(struct sg_runtime *rt, const char **error_r)
{
    const struct sg_config *cfg = rt->settings;
    if (cfg->exceptions_register[0] == '\0' || rt->exceptions != NULL)
        return 0;
    const char *why = NULL;
    if (sg_register_load(cfg->exceptions_register, &rt->exceptions, &why) < 0) {
        *error_r = set_error("exceptions_register", 0, "%s",
                             why != NULL ? why : "cannot load");
        return -1;
    }
    return 0;
}

/* Notices are on when notice_from is set; then everything they need
 * (templates, secret, sendmail, DSL addresses) must be there. */
static int
open_notice(struct sg_runtime *rt, const char **error_r)
{
    const struct sg_config *cfg = rt->settings;
    if (cfg->notice_from[0] == '\0' || rt->notice != NULL)
        return 0;
    struct sg_notice_config nc;
    sg_config_notice(cfg, &nc);
    const char *why = NULL;
    if (sg_notice_open(&nc, &rt->notice, &why) < 0) {
        *error_r = set_error(sg_config_name(cfg), 0, "notices: %s",
                             why != NULL ? why
                                         : "cannot "
                                           "open");
        return -1;
    }
    if (cfg->n_schools == 0)
        return 0;
    /* each school's templates and people to tell */
    rt->school_notice = calloc(cfg->n_schools, sizeof(*rt->school_notice));
    if (rt->school_notice == NULL) {
        *error_r = "out of memory";
        return -1;
    }
    for (size_t i = 0; i < cfg->n_schools; i++) {
        const struct sg_school *sch = cfg->schools[i];
        sg_school_notice(cfg, sch, &nc);
        if (sg_notice_open(&nc, &rt->school_notice[i], &why) < 0) {
            *error_r = set_error(sg_config_name(cfg), sch->line,
                                 "school \"%s\": notices: %s", sch->name,
                                 why != NULL ? why : "cannot open");
            return -1;
        }
    }
    return 0;
}

/* Attachments are read by a helper: one named in the file that is not
 * there would leave every attachment unread (and every message with one
 * held), so that is a mistake in the file, said at once. */
static int
open_extract(const struct sg_config *cfg, const char **error_r)
{
    const struct sg_extract_opts *x = &cfg->extract;
    unsigned line = sg_config_line(cfg, "extract_helper");
    /* a default path not installed (a build tree) is not the file's
     * mistake: each attachment then counts as unreadable */
    if (!x->enabled || line == 0)
        return 0;
    if (x->helper[0] != '/' || access(x->helper, X_OK) != 0) {
        *error_r = set_error(sg_config_name(cfg), line,
                             "extract_helper = %s is not an executable "
                             "program (%s): attachments could not be read; "
                             "give the full path of safeguard-extract, or "
                             "say extract_attachments = no",
                             x->helper,
                             x->helper[0] != '/' ? "not a full path"
                                                 : strerror(errno));
        return -1;
    }
    return 0;
}

int
sg_runtime_open(struct sg_config *settings, struct sg_runtime **rt_r,
                const char **error_r)
{
    struct sg_runtime *rt = calloc(1, sizeof(*rt));
    *rt_r = NULL;
    if (rt == NULL) {
        sg_config_free(&settings);
        *error_r = "out of memory";
        return -1;
    }
    atomic_init(&rt->refs, 1);
    pthread_mutex_init(&rt->quarantine_lock, NULL);
    rt->settings = settings;
    if (open_directory(rt, error_r) < 0 ||
        sg_exempt_verify(settings, rt->directory, error_r) < 0 ||
        open_rules(rt, error_r) < 0 ||
        open_register(rt, error_r) < 0 || open_notice(rt, error_r) < 0 ||
        open_extract(settings, error_r) < 0) {
        sg_runtime_unref(&rt);
        return -1;
    }
    *rt_r = rt;
    return 0;
}

struct sg_store *
sg_runtime_quarantine(struct sg_runtime *rt, const char **error_r)
{
    const struct sg_config *cfg = rt->settings;
    pthread_mutex_lock(&rt->quarantine_lock);
    char host[256];
    if (rt->quarantine == NULL &&
        sg_store_open(sg_config_store(cfg), cfg->quarantine_dir,
                      &rt->quarantine, error_r) == 0 &&
        sg_store_hosts_set_local(
            rt->quarantine,
            sg_mailqueue_host_name(cfg->mailqueue.host_name, host, sizeof(host)),
            error_r) < 0)
        /* every record this daemon writes names this host (store_hosts.h):
         * a store that cannot say so is not used, since its records could
         * be taken for another host's */
        sg_store_close(&rt->quarantine);
    struct sg_store *q = rt->quarantine;
    pthread_mutex_unlock(&rt->quarantine_lock);
    return q;
}

const struct sg_rules *
sg_runtime_rules(const struct sg_runtime *rt, const struct sg_school *school)
{
    size_t i = sg_school_index(rt->settings, school);
    return rt->school_rules != NULL && i < rt->settings->n_schools
               ? rt->school_rules[i]
               : rt->rules;
}

struct sg_notice *
sg_runtime_notice(const struct sg_runtime *rt, const struct sg_school *school)
{
    size_t i = sg_school_index(rt->settings, school);
    return rt->school_notice != NULL && i < rt->settings->n_schools
               ? rt->school_notice[i]
               : rt->notice;
}

struct sg_runtime *
sg_runtime_ref(struct sg_runtime *rt)
{
    atomic_fetch_add(&rt->refs, 1);
    return rt;
}

static void
runtime_free(struct sg_runtime *rt)
{
    sg_dir_free(&rt->directory);
    sg_rules_free(&rt->rules);
    sg_register_free(&rt->exceptions);
    sg_store_close(&rt->quarantine);
    sg_notice_free(&rt->notice);
    for (size_t i = 0; i < rt->settings->n_schools; i++) {
        if (rt->school_rules != NULL)
            sg_rules_free(&rt->school_rules[i]);
        if (rt->school_notice != NULL)
            sg_notice_free(&rt->school_notice[i]);
    }
    free(rt->school_rules);
    free(rt->school_notice);
    pthread_mutex_destroy(&rt->quarantine_lock);
    sg_config_free(&rt->settings);
    free(rt);
}

void
sg_runtime_unref(struct sg_runtime **rt)
{
    if (*rt == NULL)
        return;
    if (atomic_fetch_sub(&(*rt)->refs, 1) == 1)
        runtime_free(*rt);
    *rt = NULL;
}

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sg_runtime *current;

struct sg_runtime *
sg_runtime_current(void)
{
    pthread_mutex_lock(&current_lock);
    struct sg_runtime *rt = current != NULL ? sg_runtime_ref(current) : NULL;
    pthread_mutex_unlock(&current_lock);
    return rt;
}

void
sg_runtime_set_current(struct sg_runtime *rt)
{
    pthread_mutex_lock(&current_lock);
    struct sg_runtime *old = current;
    current = rt;
    pthread_mutex_unlock(&current_lock);
    sg_runtime_unref(&old);
}
