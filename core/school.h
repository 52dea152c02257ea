/*
 * school.h - the schools of a trust: one daemon, one store and one
 * directory serving several schools, each with its own domains, people
 * to tell, contact text, templates, time zone and reviewers.
 *
 * A school is a block of the configuration file:
 *
 *     school northfield {
 *         school_domains = northfield.sch.uk
 *         dsl_addresses = dsl@northfield.sch.uk
 *         dsl_contact = "Mrs Patel, DSL, on 01632 960123"
 *     }
 *
 * The keys outside any block are the trust's, and the defaults of every
 * school: a key a block does not set is the trust's value (except
 * school_domains, which each school names, and the reviewer lists, which
 * a school has only when it names them: its records are otherwise the
 * trust reviewers' alone).  A file with no block is one school, as before
 * schools were kept: nothing anywhere names a school.
 *
 * The school of a person is the school whose domains hold their address
 * (one directory serves the trust); the school of a message is that of
 * its pupil (sg_school_of_message says which first).
 *
 * Errors name the file and line ("FILE:LINE: reason"): an unknown key in
 * a block, a key that cannot be set per school, a domain in two schools,
 * a block with no school_domains, a block not closed.
 */
#ifndef SG_SCHOOL_H
#define SG_SCHOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "settings.h"
#include "sg_person.h"

struct sg_config;

struct sg_school {
    char *name;
    unsigned line;           /* where its block opens */
    struct sg_settings file; /* its block's keys, over this struct */

    char **school_domains;
    size_t n_school_domains;
    char **dsl_addresses;
    size_t n_dsl_addresses;
    char **conduct_addresses;
    size_t n_conduct_addresses;
    char **headteacher_addresses;
    size_t n_headteacher_addresses;
    char *dsl_contact;
    char *timezone;
    char *notice_templates;
    char *policy_name;
    char **school_phone_numbers;
    size_t n_school_phone_numbers;
    char **school_postcodes;
    size_t n_school_postcodes;
    char **school_social_accounts;
    size_t n_school_social_accounts;
    char *subject_tag;
    /* the logins of its reviewers of each track; both empty: only the
     * trust's reviewers (review_trust_reviewers) see its records */
    char **review_conduct_reviewers;
    size_t n_review_conduct_reviewers;
    char **review_welfare_reviewers;
    size_t n_review_welfare_reviewers;
};

/* The reader's hooks for "school NAME {" blocks into cfg (sg_config.c
 * composes them). */
void sg_school_block(struct sg_config *cfg, struct sg_settings_block *b_r);

/* After every key of the file is read: each school takes the trust's
 * value of each key its block left out, and the trust's school_domains
 * gain every school's (mail between the schools of a trust stays
 * inside).  -1 with a reason in why. */
int sg_school_finish(struct sg_config *cfg, char *why, size_t why_len);
void sg_school_free_all(struct sg_config *cfg);

/* The school named name; NULL: none. */
const struct sg_school *sg_school_find(const struct sg_config *cfg,
                                       const char *name);
/* The school whose domains hold address (name@domain, a subdomain
 * counting as its domain); NULL: none, or no schools. */
const struct sg_school *sg_school_of_address(const struct sg_config *cfg,
                                             const char *address);
/* The school of a message: that of the first pupil among its parties
 * (the sender, then the recipients in order) with an address at a
 * school; else the sender's school; else the first recipient's with one.
 * NULL when there are no schools or no party is at one. */
const struct sg_school *sg_school_of_message(const struct sg_config *cfg,
                                             const struct sg_party *sender,
                                             const struct sg_party *rcpts,
                                             size_t n_rcpts);
/* The notice settings of school (NULL: the trust's): its templates and
 * the people its notices go to (the strings are cfg's). */
struct sg_notice_config;
void sg_school_notice(const struct sg_config *cfg,
                      const struct sg_school *school,
                      struct sg_notice_config *nc_r);
/* The same over nc_r (a program's own notice settings): the school's
 * templates and people replace its. */
void sg_school_notice_over(const struct sg_school *school,
                           struct sg_notice_config *nc_r);
/* The contact text (dsl_contact), policy name and subject tag of school
 * (NULL: the trust's). */
const char *sg_school_contact(const struct sg_config *cfg,
                              const struct sg_school *school);
const char *sg_school_policy(const struct sg_config *cfg,
                             const struct sg_school *school);
const char *sg_school_subject_tag(const struct sg_config *cfg,
                                  const struct sg_school *school);

/* Its index in cfg->schools (for what the runtime opens per school). */
size_t sg_school_index(const struct sg_config *cfg,
                       const struct sg_school *school);

/* The school a reviewer's login reviews and the tracks (bits 1 <<
 * enum sg_track) there, given the trust's reviewers (trust, n_trust):
 * *school_r NULL and *tracks_r 0 when the login reviews every school (a
 * trust reviewer, or no school names reviewers and there is no trust
 * list: one school, as before); a school and its tracks when one names
 * the login; otherwise false: the login reviews nothing. */
bool sg_school_reviewer(const struct sg_config *cfg, const char *const *trust,
                        size_t n_trust, const char *login,
                        const struct sg_school **school_r, unsigned *tracks_r);

/* -n: one line per school, after prefix ("school NAME (line N):
 * domains ...; DSL ...; contact ..."). Nothing when there are none. */
void sg_school_print(const struct sg_config *cfg, const char *prefix,
                     FILE *out);

#endif
