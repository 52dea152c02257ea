/*
 * rules_parse.h - the parser of the rules language as rules_load.c calls
 * it: parse a file or a string into a rule set, and free a rule.  Its
 * files (rules_parse*.c) share rules_lex.h.  librules internal.
 */
#ifndef SG_RULES_PARSE_H
#define SG_RULES_PARSE_H

#include "rules_int.h"

int sg_rules_parse_file(struct sg_rules *rules, const char *path,
                        unsigned depth, unsigned max_depth,
                        const char **error_r);
int sg_rules_parse_text(struct sg_rules *rules, const char *text, size_t len,
                        const char *name, const char *dir, unsigned depth,
                        unsigned max_depth, const char **error_r);
/* Free everything a rule holds and zero it (rules_parse.c). */
void sg_rules_rule_clear(struct rule *r);

#endif
