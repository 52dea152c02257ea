/*
 * fuzz_names.c - libFuzzer target for the display-name keys
 * (ldap/sg_dir_name.c) and the name lookup through the file backend: any
 * input (a header's display name, attacker-controlled) must give either
 * no key or well-formed keys, never crash, leak or read out of bounds.
 * Checked: a key is valid UTF-8 without control characters except a
 * variant's leading mark, without a leading, trailing or double space;
 * the full-name key (sg_dir_name_normalise) is the first key a query is
 * looked up by and one of the keys the same name has in a directory; and
 * a lookup in a small directory is found or not found, never an error.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_dir_internal.h"
#include "sg_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sg_directory *dir;

static void
open_directory(void)
{
    char path[] = "/tmp/fuzz_names.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        abort();
    static const char text[] =
        "t.smith@school.example staff name=\"Tom Smith\"\n"
        "a.jones@school.example staff name=\"Jones, Anna\"\n"
        "i.hill@school.example staff name=\"Ian Hill\"\n"
        "r.brown@school.example staff name=\"Robert Brown\"\n"
        "rachel@school.example staff name=\"Rachel Brown\"\n"
        "ben@school.example pupil name=\"Ben Okafor\"\n"
        "zoe@school.example pupil name=\"Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m\"\n"
        "ivan@school.example staff name=\"\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd "
        "\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2\"\n";
    if (write(fd, text, sizeof(text) - 1) != (ssize_t)(sizeof(text) - 1))
        abort();
    close(fd);
    struct sg_dir_config cfg;
    sg_dir_config_init(&cfg);
    cfg.file_path = path;
    cfg.cache_size = 0; /* every input reaches the backend */
    const char *error = NULL;
    if (sg_dir_new(&cfg, &dir, &error) != SG_DIR_FOUND)
        abort();
    unlink(path);
}

static void
check_key(const char *key, size_t len)
{
    if (len == 0)
        abort();
    size_t start = sg_dir_name_key_is_variant(key) ? 1 : 0;
    if (key[start] == ' ' || key[len - 1] == ' ')
        abort();
    for (size_t i = start; i < len;) {
        uint32_t c;
        size_t l = sg_utf8_decode((const unsigned char *)key + i, len - i, &c);
        if (l == 0 || c < 0x20 || c == 0x7f)
            abort();
        if (c == ' ' && key[i + 1] == ' ')
            abort();
        i += l;
    }
}

/* Check every line of a key list; returns how many. */
static int
check_keys(const char *keys)
{
    int n = 0;
    for (const char *p = keys; p != NULL;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        check_key(p, len);
        n++;
        p = nl != NULL ? nl + 1 : NULL;
    }
    return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (dir == NULL)
        open_directory();
    char *name = malloc(size + 1);
    if (name == NULL)
        return 0;
    memcpy(name, data, size);
    name[size] = '\0';

    char *full = NULL, *query = NULL, *entry = NULL;
    int rc = sg_dir_name_normalise(name, &full);
    int nq = sg_dir_name_keys(name, SG_DIR_NAME_QUERY, &query);
    int ne = sg_dir_name_keys(name, SG_DIR_NAME_ENTRY, &entry);
    if (rc < 0 || nq < 0 || ne < 0)
        abort(); /* only on allocation failure, which the fuzzer avoids */
    if ((rc == 1) != (full != NULL) || (nq > 0) != (query != NULL) ||
        (ne > 0) != (entry != NULL))
        abort();
    if (query != NULL && check_keys(query) != nq)
        abort();
    if (entry != NULL && check_keys(entry) != ne)
        abort();
    if (full != NULL) {
        check_key(full, strlen(full));
        size_t len = strlen(full);
        if (query == NULL || strncmp(query, full, len) != 0 ||
            (query[len] != '\0' && query[len] != '\n'))
            abort();
        if (entry == NULL || !sg_dir_name_keys_contain(entry, full))
            abort();
    }

    struct sg_person *p = NULL;
    const char *error = NULL;
    enum sg_dir_status st = sg_dir_lookup_name(dir, name, &p, &error);
    if (st != SG_DIR_FOUND && st != SG_DIR_NOTFOUND)
        abort();
    if ((st == SG_DIR_FOUND) != (p != NULL))
        abort();
    if (st == SG_DIR_FOUND && nq == 0)
        abort(); /* found without a key */
    sg_person_free(&p);
    free(full);
    free(query);
    free(entry);
    free(name);
    return 0;
}
