/*
 * rules_compile.c - compiling a detector's pattern: PCRE2 in UTF mode
 * that reads invalid UTF-8 as it comes, with JIT where the platform has
 * it.  Used by the built-in detectors and by the parser for site-defined
 * ones; nothing is compiled at evaluation time.
 *
 * SECURITY: patterns come from the library and the admin's rules file,
 * never from mail.  The match limits that bound each match on mail are set
 * on the rule set's match context (rules_load.c).
 * Fails by returning NULL with the PCRE2 message and offset in the
 * thread's error text (common/sg_error.h).
 */
#include "config.h"

#include "rules_int.h"

pcre2_code *
sg_rules_compile(const char *pattern, bool caseless, const char **error_r)
{
    return sg_rules_compile_with(pattern, caseless ? PCRE2_CASELESS : 0,
                                 error_r);
}

pcre2_code *
sg_rules_compile_with(const char *pattern, uint32_t options,
                      const char **error_r)
{
    int ec;
    PCRE2_SIZE eo;
    uint32_t flags = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
                     PCRE2_USE_OFFSET_LIMIT | options;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                   flags, &ec, &eo, NULL);
    if (re == NULL) {
        char msg[256];
        pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof(msg));
        *error_r =
            sg_rules_errorf("%s at offset %zu of the pattern", msg, (size_t)eo);
        return NULL;
    }
    /* JIT where the platform has it; the interpreter otherwise.  Building
     * with -DSG_RULES_NO_JIT leaves it out, for valgrind, which cannot see
     * into JIT code and reports its reads as uninitialised. */
#ifndef SG_RULES_NO_JIT
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
#endif
    return re;
}
