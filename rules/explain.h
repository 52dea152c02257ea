/*
 * explain.h - the texts of a verdict (explain.c): the check of a rule's
 * templates at load, and each matched rule's explanations at evaluation.
 * librules internal.
 */
#ifndef SG_RULES_EXPLAIN_H
#define SG_RULES_EXPLAIN_H

#include "rules_int.h"

#include <time.h>

/* Findings gathered for one rule. */
struct flist {
    struct sg_finding *f;
    size_t n;
};

/* Template check: every {placeholder} known; 0 or -1 with name of bad one
 * in *bad_r (the thread's error text, common/sg_error.h). */
int sg_explain_check(const char *tmpl, const char **bad_r);

/* What the texts of a verdict are made from. */
struct sg_explain_input {
    const struct sg_rules *rules;
    const struct sg_eval_input *in;
};
/* Fill m's explain_sender and explain_dsl from r's templates (or the
 * defaults) with m's findings; targets: per recipient of x->in, whether
 * the rule applied to them ({pupils}).  0, or -1 when memory runs out. */
int sg_explain_match(const struct sg_explain_input *x, const struct rule *r,
                     const bool *targets, struct sg_rule_match *m);

#endif
