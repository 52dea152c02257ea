/*
 * safeguard-extract - write the text of one mail attachment, read on
 * stdin, to stdout as UTF-8.  Run by safeguard-milter for each attachment
 * that may hold text (man 8 safeguard-extract).
 *
 *   safeguard-extract [-q] [-i max_in] [-o max_out] [-e entries]
 *                     [-d depth] [-r ratio] [-p pages] [-t cpu_seconds]
 *                     [-m mem_mib] TYPE NAME
 *
 * Exit status (enum sg_extract_status): 0 all of its text was written;
 * 2 it could not all be read (encrypted, malformed, a limit reached: what
 * was read is written); 3 it has no text to read; 1 (or a signal) it was
 * not inspected.  The milter treats anything but 0 and 3 as "could not
 * inspect".
 *
 * THREAT MODEL.  The attachment is written by whoever sends the mail and
 * the parsers that read it (poppler for PDF, libarchive for ZIP, libxml2
 * for the XML inside OOXML and OpenDocument files) are large C libraries
 * with a history of memory-safety bugs.  A file that crashes one, makes
 * it loop, or makes it allocate without end must cost the milter one
 * attachment that is "not fully inspected", never the milter process,
 * its mail, its LDAP credentials or the quarantine.  So:
 *   - the parsing runs here, in a process of its own that the milter
 *     starts for one attachment and kills after a timeout;
 *   - before it reads a byte it closes every descriptor but 0, 1 and 2,
 *     sets no-new-privileges, and limits itself (setrlimit): CPU seconds,
 *     address space (not under AddressSanitizer, which reserves terabytes
 *     of it), no core dump;
 *   - the input is read whole, bounded (-i), before any parser runs;
 *   - then, with the libraries initialised, a seccomp filter (libseccomp)
 *     allows only what parsing memory needs: read, write to stdout and
 *     stderr, memory mapping without execute permission, futexes, clocks,
 *     and exit.  Opening any file and making a socket fail with EACCES
 *     (a library that looks for a font or a character map degrades; it
 *     does not die); every other system call (exec, fork, clone, ptrace,
 *     connect, ...) kills the process.  So a parser taken over by a
 *     hostile file can write only to the pipe the milter reads, bounded
 *     there, and can reach no file, network or process.
 * bubblewrap is not used: it needs user namespaces or a setuid binary,
 * and the seccomp filter already leaves no file system or network to
 * hide.  Sizes of what is unpacked and written are bounded in extract.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <seccomp.h>

#include "extract.h"

#if defined(__SANITIZE_ADDRESS__)
#define SG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SG_ASAN 1
#endif
#endif

static void
sg_usage(void)
{
    fprintf(stderr,
            "usage: safeguard-extract [-q] [-i max_in] [-o max_out] [-e entries] "
            "[-d depth] [-r ratio] [-p pages] [-t cpu_seconds] "
            "[-m mem_mib] TYPE NAME\n");
    _exit(SG_EXTRACT_FAILED);
}

static unsigned long long
sg_number(const char *s, unsigned long long max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v == 0 || v > max) {
        fprintf(stderr, "safeguard-extract: bad number: %s\n", s);
        _exit(SG_EXTRACT_FAILED);
    }
    return v;
}

static void
sg_limit(int resource, rlim_t soft, rlim_t hard)
{
    struct rlimit rl = {soft, hard};
    if (setrlimit(resource, &rl) != 0) {
        perror("safeguard-extract: setrlimit");
        _exit(SG_EXTRACT_FAILED);
    }
}

/* The seccomp allow-list (see the threat model above). */
static void
sg_sandbox(void)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    int rc = ctx != NULL ? 0 : -ENOMEM;
    static const int allowed[] = {
        SCMP_SYS(read), SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap),
        SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(exit),
        SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn),
        SCMP_SYS(rt_sigprocmask), SCMP_SYS(clock_gettime),
        SCMP_SYS(gettimeofday), SCMP_SYS(getrandom), SCMP_SYS(fstat),
        SCMP_SYS(newfstatat), SCMP_SYS(lseek), SCMP_SYS(close),
        SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(sched_yield),
        SCMP_SYS(sigaltstack), SCMP_SYS(getrlimit), SCMP_SYS(prlimit64),
    };
    for (size_t i = 0; rc == 0 && i < sizeof(allowed) / sizeof(*allowed); i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
    /* writes to stdout and stderr only */
    for (int fd = 1; rc == 0 && fd <= 2; fd++) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fd));
        if (rc == 0)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(writev), 1,
                                  SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fd));
    }
    /* memory, never executable */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                              SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                              SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    /* files and sockets: refused, so that a library degrades */
    static const int refused[] = {SCMP_SYS(open), SCMP_SYS(openat),
                                  SCMP_SYS(socket), SCMP_SYS(access),
                                  SCMP_SYS(readlink), SCMP_SYS(stat),
                                  SCMP_SYS(lstat), SCMP_SYS(faccessat),
                                  SCMP_SYS(faccessat2)};
    for (size_t i = 0; rc == 0 && i < sizeof(refused) / sizeof(*refused); i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), refused[i], 0);
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOTTY), SCMP_SYS(ioctl), 0);
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0) {
        fprintf(stderr, "safeguard-extract: seccomp: %s\n", strerror(-rc));
        _exit(SG_EXTRACT_FAILED);
    }
}

/* Read all of stdin, at most max bytes; *over_r when there was more. */
static char *
sg_read_input(size_t max, size_t *len_r, bool *over_r)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap + 1);
    *over_r = false;
    while (buf != NULL) {
        if (len == cap) {
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *grown = ncap > cap ? realloc(buf, ncap + 1) : NULL;
            if (grown == NULL) {
                free(buf);
                return NULL;
            }
            buf = grown;
            cap = ncap;
        }
        ssize_t n = read(0, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            free(buf);
            return NULL;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max) {
            *over_r = true;
            len = max;
            break;
        }
    }
    if (buf != NULL)
        buf[len] = '\0';
    *len_r = len;
    return buf;
}

static void
sg_write_all(const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(1, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(SG_EXTRACT_FAILED);
        data += n;
        len -= (size_t)n;
    }
}

int
main(int argc, char **argv)
{
    struct sg_extract_limits limits = SG_EXTRACT_DEFAULT_LIMITS;
    unsigned long long max_in = 32ULL << 20, cpu = 10, mem = 512;
    bool quiet = false;
    int opt;
    while ((opt = getopt(argc, argv, "qi:o:e:d:r:p:t:m:")) != -1) {
        switch (opt) {
        case 'q': quiet = true; break;
        case 'i': max_in = sg_number(optarg, SIZE_MAX / 2); break;
        case 'o': limits.max_out = sg_number(optarg, SIZE_MAX / 2); break;
        case 'e': limits.max_entries = sg_number(optarg, 1000000); break;
        case 'd': limits.max_depth = (unsigned)sg_number(optarg, 16); break;
        case 'r': limits.max_ratio = (unsigned)sg_number(optarg, 100000); break;
        case 'p': limits.max_pages = (unsigned)sg_number(optarg, 1000000); break;
        case 't': cpu = sg_number(optarg, 3600); break;
        case 'm': mem = sg_number(optarg, 1ULL << 20); break;
        default: sg_usage();
        }
    }
    if (argc - optind != 2)
        sg_usage();
    const char *type = argv[optind], *name = argv[optind + 1];
    if (quiet) { /* no diagnostics: stderr may be read with the text */
        int null = open("/dev/null", O_WRONLY);
        if (null < 0 || dup2(null, 2) < 0)
            return SG_EXTRACT_FAILED;
        if (null != 2)
            close(null);
    }

    /* nothing of the milter's reaches the parsers */
    if (syscall(__NR_close_range, 3U, ~0U, 0U) != 0) {
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        perror("safeguard-extract: no_new_privs");
        return SG_EXTRACT_FAILED;
    }
    sg_limit(RLIMIT_CPU, (rlim_t)cpu, (rlim_t)cpu + 1);
    sg_limit(RLIMIT_CORE, 0, 0);
#ifndef SG_ASAN
    sg_limit(RLIMIT_AS, (rlim_t)mem << 20, (rlim_t)mem << 20);
#else
    (void)mem;
#endif

    size_t len;
    bool over;
    char *data = sg_read_input((size_t)max_in, &len, &over);
    if (data == NULL) {
        perror("safeguard-extract: reading the attachment");
        return SG_EXTRACT_FAILED;
    }
    if (over) { /* too large to inspect */
        fprintf(stderr, "safeguard-extract: more than %llu bytes\n", max_in);
        _exit(SG_EXTRACT_INCOMPLETE);
    }
    sg_extract_init();
    sg_sandbox();

    struct sg_buf out = SG_BUF_INIT;
    int status = sg_extract(data, len, name, type, &limits, &out);
    if (status != SG_EXTRACT_FAILED)
        sg_write_all(out.data != NULL ? out.data : "", out.len);
    /* _exit: no atexit handlers (a leak checker would need more system
     * calls than the sandbox allows) */
    _exit(status);
}
