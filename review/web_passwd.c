/*
 * web_passwd.c - the review page's local password file.
 *
 * One account per line, "login:HASH", where HASH is libsodium's argon2id
 * string ("$argon2id$v=19$m=...,t=...,p=...$salt$hash"); blank lines and
 * lines starting with '#' are ignored.  For schools without a directory,
 * and for the demo.  Every account in the file is a DSL.
 *
 * SECURITY: the file must be a regular file not writable by group or
 * others (anyone who can write it can make themselves a DSL).  An unknown
 * login still costs one hash verification, so the time taken does not say
 * which logins exist.  Passwords are hashed with libsodium's "interactive"
 * argon2id limits; the verification uses the limits stored in each hash.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "fdio.h"
#include "review_int.h"
#include "web.h"

#define FILE_MAX (1024 * 1024)

static bool
login_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || strchr("._@-+", *p) != NULL))
            return false;
    return true;
}

/* The whole file, checked; NULL with *error_r.  A missing file is "" when
 * missing_ok. */
static char *
read_file(const char *path, bool missing_ok, const char **error_r)
{
    char *data;
    size_t len;
    struct stat st;
    const char *err;
    if (sg_read_small_file(path, FILE_MAX, O_NOFOLLOW, &data, &len, &st, &err) <
        0) {
        if (errno == ENOENT && missing_ok)
            return strdup("");
        sg_review_fail(error_r, "cannot use the password file %s", err);
        return NULL;
    }
    if ((st.st_mode & 022) != 0) {
        free(data);
        sg_review_fail(error_r,
                       "the password file %s is writable by group or others "
                       "(chmod go-w it)",
                       path);
        return NULL;
    }
    return data;
}

/* The hash of login in text (modified: lines are cut), or NULL. */
static const char *
find_hash(char *text, const char *login)
{
    size_t ll = strlen(login);
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        line[strcspn(line, "\r")] = '\0';
        if (*line == '#' || *line == '\0')
            continue;
        if (strncmp(line, login, ll) == 0 && line[ll] == ':')
            return line + ll + 1;
    }
    return NULL;
}

/* A hash of a random password, verified when the login is unknown. */
static char dummy[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void
make_dummy(void)
{
    unsigned char pw[16];
    randombytes_buf(pw, sizeof(pw));
    if (crypto_pwhash_str(dummy, (const char *)pw, sizeof(pw),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        dummy[0] = '\0';
}

int
sg_web_passwd_check(const char *path, const char *login, const char *password,
                    const char **error_r)
{
    if (sodium_init() < 0)
        return sg_review_failc(SG_WEB_AUTH_ERROR, error_r,
                               "libsodium cannot start");
    pthread_once(&dummy_once, make_dummy);
    /* no file yet: no accounts, every sign-in refused (serve says so) */
    char *text = read_file(path, true, error_r);
    if (text == NULL)
        return SG_WEB_AUTH_ERROR;
    const char *hash = login_name_ok(login) ? find_hash(text, login) : NULL;
    int ok = crypto_pwhash_str_verify(hash != NULL ? hash : dummy, password,
                                      strlen(password)) == 0;
    free(text);
    return hash != NULL && ok ? SG_WEB_AUTH_OK : SG_WEB_AUTH_BAD;
}

int
sg_web_passwd_auth(void *ctx, const char *login, const char *password,
                   const char **error_r)
{
    return sg_web_passwd_check((const char *)ctx, login, password, error_r);
}

int
sg_web_passwd_set(const char *path, const char *login, const char *password,
                  const char **error_r)
{
    return sg_web_passwd_set_group(path, login, password, (gid_t)-1, error_r);
}

int
sg_web_passwd_set_group(const char *path, const char *login,
                        const char *password, gid_t group,
                        const char **error_r)
{
    if (sodium_init() < 0)
        return sg_review_fail(error_r, "libsodium cannot start");
    if (!login_name_ok(login))
        return sg_review_fail(error_r,
                              "\"%s\" is not a usable login name (letters, "
                              "digits and . _ @ - +, at most 128)",
                              login);
    if (strlen(password) < 10)
        return sg_review_fail(error_r,
                              "the password must be at least 10 characters");
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, password, strlen(password),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return sg_review_fail(error_r, "out of memory hashing the password");
    char *text = read_file(path, true, error_r);
    if (text == NULL)
        return -1;

    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        free(text);
        return sg_review_fail(error_r, "cannot write beside %s: %s", path,
                              strerror(errno));
    }
    /* The new file gets the old one's owner, group and mode (a group's
     * read kept, no write for group or others), so that root changing a
     * password leaves the file readable by the page; a first file gets
     * the group asked for.  The temporary file is set before the rename,
     * so the page never sees a file it cannot read. */
    struct stat old;
    int set = 0;
    if (stat(path, &old) == 0) {
        if (geteuid() == 0)
            set = fchown(fd, old.st_uid, old.st_gid);
        if (set == 0)
            set = fchmod(fd, old.st_mode & 0640);
    } else if (group != (gid_t)-1) {
        set = fchown(fd, (uid_t)-1, group);
        if (set == 0)
            set = fchmod(fd, 0640);
    }
    if (set != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        free(text);
        return sg_review_fail(error_r, "cannot set the owner or mode of %s: %s",
                              tmp, strerror(e));
    }
    FILE *out = fdopen(fd, "w");
    if (out == NULL) {
        close(fd);
        unlink(tmp);
        free(text);
        return sg_review_fail(error_r, "out of memory");
    }
    bool replaced = false;
    size_t ll = strlen(login);
    for (char *line = text, *next; line != NULL && *line; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        if (strncmp(line, login, ll) == 0 && line[ll] == ':') {
            fprintf(out, "%s:%s\n", login, hash);
            replaced = true;
        } else {
            fprintf(out, "%s\n", line);
        }
    }
    if (!replaced)
        fprintf(out, "%s:%s\n", login, hash);
    free(text);
    sodium_memzero(hash, sizeof(hash));
    if (fflush(out) != 0 || fsync(fd) != 0 || fclose(out) != 0) {
        unlink(tmp);
        return sg_review_fail(error_r, "cannot write %s: %s", tmp,
                              strerror(errno));
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return sg_review_fail(error_r, "cannot replace %s: %s", path,
                              strerror(e));
    }
    return 0;
}
