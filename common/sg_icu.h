/*
 * sg_icu.h - the one place that opens and drives ICU's text transforms
 * for the directory and the rules: the address key's case folding
 * (ldap/sg_dir_address.c), the display names' NFKC case folding and
 * confusable skeletons (ldap/sg_dir_name.c), the text normalisation
 * before detectors (rules/normalise.c).
 *
 * libsgicu, a library of its own in common/ built with ICU's flags:
 * librules and libdirectory link it, and libsgcommon, which every program
 * links, stays free of ICU.
 *
 * The normalisers and the spoof checker are opened once per process, on
 * first use (thread-safe), and live as long as the process.  Every
 * transform goes through sg_icu_step_into: in a buffer of the caller's,
 * or, through sg_icu_apply, in one that grows to fit, up to a bound.
 * Thread-safe; never logs.
 */
#ifndef SG_ICU_H
#define SG_ICU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <unicode/unorm2.h>
#include <unicode/utypes.h>

enum sg_icu_step {
    SG_ICU_NFD,
    SG_ICU_NFC,
    SG_ICU_NFKC,
    SG_ICU_NFKC_CASEFOLD, /* NFKC_Casefold: compatibility forms, case,
                             default-ignorable characters removed */
    SG_ICU_CASEFOLD,      /* full case folding (as Postfix folds addresses) */
    SG_ICU_SKELETON,      /* confusable skeleton (Unicode UTS #39) */
};

/* Are all the transforms available?  false when ICU cannot be set up
 * (its data missing). */
bool sg_icu_ready(void);

/* The normaliser of SG_ICU_NFD, _NFC, _NFKC or _NFKC_CASEFOLD, for
 * property questions (unorm2_isNormalized, unorm2_hasBoundaryBefore);
 * NULL for another step or when ICU cannot provide it. */
const UNormalizer2 *sg_icu_normalizer(enum sg_icu_step step);

/* One step over in[0..n) into out[0..cap).  The result's length when it
 * fits (<= cap; not NUL-terminated); a length greater than cap when it
 * does not (the units needed; out holds nothing usable); -1 when ICU
 * fails. */
int32_t sg_icu_step_into(enum sg_icu_step step, const UChar *in, int32_t n,
                         UChar *out, int32_t cap);

/* The steps in order over *s (*n units, malloc'ed; replaced by the
 * result).  A step whose buffer would have to exceed max_units (0: no
 * bound) stops: 1, *s as it was before that step.  0, 1, or -1
 * (allocation, ICU). */
int sg_icu_apply(UChar **s, int32_t *n, const enum sg_icu_step *steps,
                 size_t n_steps, int32_t max_units);

/* s[0..n) (UTF-8) as a malloc'ed UTF-16 string, its length in *len_r;
 * NULL when s is not valid UTF-8 or on allocation failure. */
UChar *sg_icu_from_utf8(const char *s, size_t n, int32_t *len_r);
/* Unicode scalar values as a malloc'ed UTF-16 string; NULL on
 * allocation failure. */
UChar *sg_icu_from_code_points(const uint32_t *cps, size_t n,
                               int32_t *len_r);
/* u[0..n) as UTF-8 in buf, NUL-terminated: its length in bytes, or -1
 * when it does not fit or u is not valid UTF-16 (buf is then ""). */
int32_t sg_icu_to_utf8_into(const UChar *u, int32_t n, char *buf,
                            size_t size);
/* u[0..n) as a malloc'ed NUL-terminated UTF-8 string, its length in
 * *len_r; NULL on allocation failure or invalid UTF-16. */
char *sg_icu_to_utf8(const UChar *u, int32_t n, size_t *len_r);

#endif
