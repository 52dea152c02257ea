/*
 * exempt.c - exempt_addresses: what is exempt, and the checks at load
 * (see exempt.h).
 *
 * Addresses are compared as the directory compares them
 * (sg_dir_address_normalise, without removing a +detail: "rep+x@" is not
 * "rep@", so it is inspected, never exempted by a guess).  A domain
 * covers that domain only, not its subdomains: the school names each
 * domain it trusts with its staff's private correspondence.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exempt.h"
#include "log.h"

/* "@domain" or "domain": the domain; "name@domain": NULL. */
static const char *
item_domain(const char *item)
{
    if (item[0] == '@')
        return item + 1;
    return strchr(item, '@') == NULL ? item : NULL;
}

int
sg_exempt_item_check(const char *item, const char **why_r)
{
    const char *domain = item_domain(item);
    if (domain == NULL)
        return sg_config_check_address(item, why_r);
    /* a domain is checked as the domain of a mailbox in it */
    size_t len = strlen(domain);
    char *probe = malloc(len + 3);
    if (probe == NULL) {
        *why_r = "out of memory";
        return -1;
    }
    memcpy(probe, "x@", 2);
    memcpy(probe + 2, domain, len + 1);
    char *norm = len > 0 && strchr(domain, '.') != NULL
                     ? sg_dir_address_normalise(probe, NULL)
                     : NULL;
    free(probe);
    free(norm);
    if (norm == NULL) {
        *why_r = "is neither a mail address (name@domain) nor a domain "
                 "(@domain or domain)";
        return -1;
    }
    return 0;
}

bool
sg_exempt_address(const struct sg_config *cfg, const char *addr)
{
    if (cfg->n_exempt_addresses == 0 || addr == NULL || addr[0] == '\0')
        return false;
    char *norm = sg_dir_address_normalise(addr, NULL);
    if (norm == NULL)
        return false; /* not a mailbox: never exempt */
    const char *at = strrchr(norm, '@');
    bool exempt = false;
    for (size_t i = 0; i < cfg->n_exempt_addresses && !exempt; i++) {
        const char *item = cfg->exempt_addresses[i];
        const char *domain = item_domain(item);
        if (domain != NULL) {
            exempt = at != NULL && strcasecmp(at + 1, domain) == 0;
        } else {
            char *mine = sg_dir_address_normalise(item, NULL);
            exempt = mine != NULL && strcmp(mine, norm) == 0;
            free(mine);
        }
    }
    free(norm);
    return exempt;
}

bool
sg_exempt_protected(const struct sg_person *person)
{
    return person != NULL &&
           (sg_person_has_role(person, SG_ROLE_PUPIL) ||
            sg_person_has_role(person, SG_ROLE_FORMER_PUPIL) ||
            sg_person_has_role(person, SG_ROLE_FORMER_PUPIL_UNDER_18));
}

int
sg_exempt_verify(const struct sg_config *cfg, struct sg_directory *dir,
                 const char **error_r)
{
    unsigned line = sg_config_line(cfg, "exempt_addresses");
    for (size_t i = 0; i < cfg->n_exempt_addresses; i++) {
        const char *item = cfg->exempt_addresses[i];
        const char *domain = item_domain(item);
        if (domain != NULL) {
            for (size_t d = 0; d < cfg->n_school_domains; d++) {
                if (strcasecmp(domain, cfg->school_domains[d]) == 0) {
                    *error_r = sg_settings_error(
                        sg_config_name(cfg), line,
                        "exempt_addresses: %s is a school domain: it would "
                        "exempt the pupils' mail; name the exempt mailboxes "
                        "in it one by one",
                        item);
                    return -1;
                }
            }
            continue;
        }
        if (dir == NULL)
            continue;
        struct sg_person *person = NULL;
        enum sg_channel channel = SG_CHANNEL_NONE;
        const char *why = NULL;
        enum sg_dir_status st =
            sg_dir_lookup(dir, item, &person, &channel, &why);
        bool pupil = st == SG_DIR_FOUND && sg_exempt_protected(person);
        sg_person_free(&person);
        if (pupil) {
            *error_r = sg_settings_error(
                sg_config_name(cfg), line,
                "exempt_addresses: %s belongs to a pupil or former pupil in "
                "the directory: a pupil's mail is never exempt",
                item);
            return -1;
        }
        if (st == SG_DIR_TEMPFAIL || st == SG_DIR_CONFIG)
            sg_log_warn("%s:%u: exempt_addresses: %s could not be looked up "
                        "(%s); each message is checked again",
                        sg_config_name(cfg), line, item,
                        why != NULL ? why : "unknown error");
    }
    return 0;
}
