/*
 * web_form.c - the review page's form bodies
 * (application/x-www-form-urlencoded), split and decoded in place.
 *
 * SECURITY: the input is whatever a client sent (bounded by the server);
 * decoding only shortens the text, so it stays inside the buffer; a
 * malformed escape is kept as it is.  Thread-safe (strtok_r).
 */
#include "config.h"

#include <string.h>

#include "web.h"

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void
decode(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '+') {
            *o++ = ' ';
        } else if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            *o++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

int
sg_web_form_parse(char *body, struct sg_web_param *params, size_t max,
                  size_t *n_r)
{
    char *save = NULL;
    size_t n = 0;
    for (char *pair = strtok_r(body, "&", &save); pair != NULL;
         pair = strtok_r(NULL, "&", &save)) {
        if (n >= max) {
            *n_r = n;
            return -1;
        }
        char *eq = strchr(pair, '=');
        if (eq != NULL)
            *eq++ = '\0';
        decode(pair);
        if (eq != NULL)
            decode(eq);
        params[n].name = pair;
        params[n].value = eq != NULL ? eq : "";
        n++;
    }
    *n_r = n;
    return 0;
}
