/*
 * detect_spelt.h - what only detect_spelt.c and its unit tests share: the
 * number words, and what the tables built from them say of a word, so
 * that a test can hold the tables to the list.  librules internal.
 */
#ifndef SG_DETECT_SPELT_H
#define SG_DETECT_SPELT_H

#include <stdbool.h>
#include <stddef.h>

/* The i-th number word (lower case) and, into *digit_r, what it stands
 * for (a digit, or d t + h k: double, triple, plus, hundred, thousand);
 * NULL past the last. */
const char *sg_detect_num_word_list(size_t i, char *digit_r);

/* What the number-word tables say of the word w[0..wl) of ASCII letters
 * (nothing after it): *digit_r what it stands for (0: no number word),
 * *word_r whether it is one by the prefilter's quick test, *start_r
 * whether it can be one by its first three letters. */
void sg_detect_num_word_says(const char *w, size_t wl, char *digit_r,
                             bool *word_r, bool *start_r);

#endif
