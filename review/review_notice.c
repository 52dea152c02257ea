/*
 * review_notice.c - the review tool's own notices: the outcome to the
 * sender of a rejected message (rejected-sender.txt) and the digest to
 * the DSL (digest-dsl.txt), both in the notice templates directory.
 *
 * They go out exactly as the milter's notices do: rendered by
 * milter/notice.c (header encoding, wrapping, the keyed X-Safeguard-Notice
 * mark, so the milter passes them unjudged) and piped to the configured
 * sendmail without a shell.  notice.c knows two template kinds only
 * (held-sender.txt, held-dsl.txt), so, until it has kinds of its own for
 * these, the wanted template is copied under a name notice.c loads into a
 * private temporary directory (mode 0700, removed afterwards) and rendered
 * as that kind.  The DSL's words travel in {explanation}.
 *
 * SECURITY: template files are read with a size bound; the temporary
 * directory is made with mkdtemp and its files with O_EXCL.  Values come
 * from the record (untrusted mail) and are made safe by notice.c.
 *
 * Fails by returning -1 with an error string.  No logging.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "review_int.h"

#define TEMPLATE_MAX (64 * 1024)

static const char *const files[] = {
    [REVIEW_NOTICE_REJECTED_SENDER] = "rejected-sender.txt",
    [REVIEW_NOTICE_DIGEST_DSL] = "digest-dsl.txt",
};

static int
copy_file(const char *from, const char *to, const char **error_r)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return review_fail(error_r, "cannot read the template %s: %s", from,
                           strerror(errno));
    char *buf = malloc(TEMPLATE_MAX + 1);
    size_t len = 0;
    ssize_t n = 0;
    while (buf != NULL && len <= TEMPLATE_MAX &&
           (n = read(in, buf + len, TEMPLATE_MAX + 1 - len)) > 0)
        len += (size_t)n;
    close(in);
    if (buf == NULL)
        return review_fail(error_r, "out of memory");
    if (n < 0 || len > TEMPLATE_MAX) {
        free(buf);
        return review_fail(error_r, "cannot read the template %s: %s", from,
                           n < 0 ? strerror(errno) : "too large");
    }
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        free(buf);
        return review_fail(error_r, "cannot write %s: %s", to,
                           strerror(errno));
    }
    ssize_t w = write(out, buf, len);
    int e = errno;
    close(out);
    free(buf);
    if (w < 0 || (size_t)w != len)
        return review_fail(error_r, "cannot write %s: %s", to,
                           w < 0 ? strerror(e) : "short write");
    return 0;
}

int
review_notice_send(const struct sg_review *r, enum review_notice_kind k,
                   const struct sg_notice_values *values,
                   const char *const *to, size_t n_to, const char **error_r)
{
    if (r->ncfg == NULL)
        return review_fail(error_r, "notices are not configured "
                                    "(notice_from is empty)");
    const char *tmpbase = getenv("TMPDIR");
    if (tmpbase == NULL || *tmpbase != '/')
        tmpbase = "/tmp";
    char dir[PATH_MAX - 64], src[PATH_MAX], slot[2][PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/sg-review-XXXXXX", tmpbase);
    if (mkdtemp(dir) == NULL)
        return review_fail(error_r, "cannot make a temporary directory in "
                                    "%s: %s", tmpbase, strerror(errno));
    snprintf(src, sizeof(src), "%s/%s", r->ncfg->templates_dir, files[k]);
    snprintf(slot[0], sizeof(slot[0]), "%s/%s", dir,
             sg_notice_kind_file(SG_NOTICE_HELD_SENDER));
    snprintf(slot[1], sizeof(slot[1]), "%s/%s", dir,
             sg_notice_kind_file(SG_NOTICE_HELD_DSL));
    int rc = -1;
    struct sg_notice *n = NULL;
    if (copy_file(src, slot[0], error_r) < 0 ||
        copy_file(src, slot[1], error_r) < 0)
        goto out;
    struct sg_notice_config cfg = *r->ncfg;
    cfg.templates_dir = dir;
    if (sg_notice_open(&cfg, &n, error_r) < 0)
        goto out;
    rc = sg_notice_deliver(n, SG_NOTICE_HELD_SENDER, values, to, n_to,
                           time(NULL), error_r);
out:
    sg_notice_free(&n);
    unlink(slot[0]);
    unlink(slot[1]);
    rmdir(dir);
    return rc;
}
