/*
 * netlist.h - address/prefix lists (trusted_networks).
 *
 * SECURITY: decides whether a client may be believed when it uses a school
 * address without authenticating, so parsing is strict: a malformed entry is
 * a configuration error, never silently skipped.
 */
#ifndef SG_NETLIST_H
#define SG_NETLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct sg_network {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    unsigned prefix;
};

/* Parse "192.0.2.0/24", "2001:db8::/32", "127.0.0.1" (a host), or
 * "[::1]/128" (Postfix style brackets).  0, or -1 with *error_r set. */
int sg_network_parse(const char *text, struct sg_network *net_r,
                     const char **error_r);
/* Is text a network sg_network_parse accepts?  (A settings item check.) */
int sg_network_check(const char *text, const char **error_r);
/* Does the socket address fall in one of the networks?  An IPv4-mapped
 * IPv6 address (::ffff:a.b.c.d) is matched as IPv4. */
bool sg_network_match(const struct sg_network *nets, size_t n,
                      const struct sockaddr *sa);
/* Same, for an address in text form (e.g. from a log or the checker). */
bool sg_network_match_text(const struct sg_network *nets, size_t n,
                           const char *addr);

#endif
