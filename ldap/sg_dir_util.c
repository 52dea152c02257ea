/*
 * sg_dir_util.c - small pieces of libdirectory: a string-keyed hash
 * table, RFC 4515 filter escaping.
 *
 * SECURITY: sg_dir_filter_escape() is what keeps an envelope address such
 * as "*)(uid=*" from widening an LDAP search: every filter metacharacter,
 * NUL and non-ASCII byte is written as \XX.
 * Fails by returning NULL / -1 on allocation failure; never logs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_dir_internal.h"

/* ---------------------------------------------------------------- hash */

struct hash_node {
    struct hash_node *next;
    void *value;
    char key[]; /* NUL-terminated */
};

struct sg_dir_hash {
    struct hash_node **buckets;
    size_t n_buckets; /* power of two */
    size_t count;
};

static uint64_t
hash_key(const char *key)
{
    /* FNV-1a, 64 bit */
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

struct sg_dir_hash *
sg_dir_hash_new(size_t hint)
{
    struct sg_dir_hash *hash = calloc(1, sizeof(*hash));
    if (hash == NULL)
        return NULL;
    hash->n_buckets = 16;
    while (hash->n_buckets < hint && hash->n_buckets < ((size_t)1 << 28))
        hash->n_buckets <<= 1;
    hash->buckets = calloc(hash->n_buckets, sizeof(*hash->buckets));
    if (hash->buckets == NULL) {
        free(hash);
        return NULL;
    }
    return hash;
}

static void
hash_grow(struct sg_dir_hash *hash)
{
    size_t n = hash->n_buckets * 2;
    struct hash_node **b = calloc(n, sizeof(*b));
    if (b == NULL)
        return; /* keep working with longer chains */
    for (size_t i = 0; i < hash->n_buckets; i++) {
        struct hash_node *node = hash->buckets[i], *next;
        for (; node != NULL; node = next) {
            next = node->next;
            size_t j = hash_key(node->key) & (n - 1);
            node->next = b[j];
            b[j] = node;
        }
    }
    free(hash->buckets);
    hash->buckets = b;
    hash->n_buckets = n;
}

int
sg_dir_hash_put(struct sg_dir_hash *hash, const char *key, void *value)
{
    size_t i = hash_key(key) & (hash->n_buckets - 1);
    for (struct hash_node *node = hash->buckets[i]; node; node = node->next)
        if (strcmp(node->key, key) == 0)
            return 1;
    size_t len = strlen(key);
    struct hash_node *node = malloc(sizeof(*node) + len + 1);
    if (node == NULL)
        return -1;
    memcpy(node->key, key, len + 1);
    node->value = value;
    node->next = hash->buckets[i];
    hash->buckets[i] = node;
    if (++hash->count > hash->n_buckets)
        hash_grow(hash);
    return 0;
}

void *
sg_dir_hash_get(const struct sg_dir_hash *hash, const char *key)
{
    size_t i = hash_key(key) & (hash->n_buckets - 1);
    for (struct hash_node *node = hash->buckets[i]; node; node = node->next)
        if (strcmp(node->key, key) == 0)
            return node->value;
    return NULL;
}

void *
sg_dir_hash_remove(struct sg_dir_hash *hash, const char *key)
{
    size_t i = hash_key(key) & (hash->n_buckets - 1);
    for (struct hash_node **pp = &hash->buckets[i]; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->key, key) == 0) {
            struct hash_node *node = *pp;
            void *value = node->value;
            *pp = node->next;
            free(node);
            hash->count--;
            return value;
        }
    }
    return NULL;
}

size_t
sg_dir_hash_count(const struct sg_dir_hash *hash)
{
    return hash->count;
}

void
sg_dir_hash_free(struct sg_dir_hash **hash_p, void (*free_value)(void *))
{
    struct sg_dir_hash *hash = *hash_p;
    if (hash == NULL)
        return;
    for (size_t i = 0; i < hash->n_buckets; i++) {
        struct hash_node *node = hash->buckets[i], *next;
        for (; node != NULL; node = next) {
            next = node->next;
            if (free_value != NULL)
                free_value(node->value);
            free(node);
        }
    }
    free(hash->buckets);
    free(hash);
    *hash_p = NULL;
}

/* ---------------------------------------------------------------- RFC 4515 */

char *
sg_dir_filter_escape(const char *value)
{
    static const char hex[] = "0123456789abcdef";
    size_t len = strlen(value);
    char *out = malloc(len * 3 + 1);
    if (out == NULL)
        return NULL;
    char *o = out;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        /* RFC 4515 requires escaping * ( ) \ and NUL; escape every
         * non-printable and non-ASCII byte too, so that nothing odd
         * reaches the server unescaped. */
        if (*p == '*' || *p == '(' || *p == ')' || *p == '\\' || *p < 0x20 ||
            *p >= 0x7f) {
            *o++ = '\\';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 0xf];
        } else {
            *o++ = (char)*p;
        }
    }
    *o = '\0';
    return out;
}
