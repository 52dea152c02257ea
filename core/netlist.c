/*
 * netlist.c - parse and match address prefixes for trusted_networks.
 *
 * SECURITY: strict parsing (inet_pton, prefix bounds, host bits must be
 * zero so that "192.0.2.7/24" is not silently read as the whole /24).
 * Fails by returning -1 with a static error string.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "netlist.h"

int
sg_network_check(const char *text, const char **error_r)
{
    struct sg_network net;
    return sg_network_parse(text, &net, error_r);
}

int
sg_network_parse(const char *text, struct sg_network *net_r,
                 const char **error_r)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *slash = strchr(text, '/');
    size_t hlen = slash != NULL ? (size_t)(slash - text) : strlen(text);
    if (hlen == 0 || hlen >= sizeof(host)) {
        *error_r = "not an IP address or prefix";
        return -1;
    }
    memcpy(host, text, hlen);
    host[hlen] = '\0';
    char *h = host;
    if (h[0] == '[') { /* Postfix writes IPv6 networks as [::1]/128 */
        if (hlen < 3 || h[hlen - 1] != ']') {
            *error_r = "unbalanced [ ] around an IPv6 address";
            return -1;
        }
        h[hlen - 1] = '\0';
        h++;
    }
    memset(net_r, 0, sizeof(*net_r));
    unsigned maxbits;
    if (inet_pton(AF_INET, h, net_r->addr) == 1) {
        net_r->family = AF_INET;
        maxbits = 32;
    } else if (inet_pton(AF_INET6, h, net_r->addr) == 1) {
        net_r->family = AF_INET6;
        maxbits = 128;
    } else {
        *error_r = "not an IP address or prefix";
        return -1;
    }
    net_r->prefix = maxbits;
    if (slash != NULL) {
        const char *p = slash + 1;
        char *end;
        if (*p < '0' || *p > '9') {
            *error_r = "prefix length is not a number";
            return -1;
        }
        unsigned long bits = strtoul(p, &end, 10);
        if (*end != '\0' || bits > maxbits) {
            *error_r = "prefix length out of range";
            return -1;
        }
        net_r->prefix = (unsigned)bits;
    }
    /* host bits must be zero */
    for (unsigned bit = net_r->prefix; bit < maxbits; bit++) {
        if (net_r->addr[bit / 8] & (0x80u >> (bit % 8))) {
            *error_r = "address has bits set beyond the prefix length";
            return -1;
        }
    }
    return 0;
}

static bool
prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
    unsigned bytes = bits / 8, rest = bits % 8;
    if (memcmp(a, b, bytes) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xffu << (8 - rest));
    return (a[bytes] & mask) == (b[bytes] & mask);
}

static bool
match_raw(const struct sg_network *nets, size_t n, int family,
          const unsigned char *addr)
{
    for (size_t i = 0; i < n; i++)
        if (nets[i].family == family &&
            prefix_equal(nets[i].addr, addr, nets[i].prefix))
            return true;
    return false;
}

bool
sg_network_match(const struct sg_network *nets, size_t n,
                 const struct sockaddr *sa)
{
    if (sa == NULL)
        return false;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
        return match_raw(nets, n, AF_INET,
                         (const unsigned char *)&sin->sin_addr);
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
        const unsigned char *a = sin6->sin6_addr.s6_addr;
        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
            return match_raw(nets, n, AF_INET, a + 12);
        return match_raw(nets, n, AF_INET6, a);
    }
    return false;
}

bool
sg_network_match_text(const struct sg_network *nets, size_t n,
                      const char *addr)
{
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    memset(&sin, 0, sizeof(sin));
    memset(&sin6, 0, sizeof(sin6));
    if (inet_pton(AF_INET, addr, &sin.sin_addr) == 1) {
        sin.sin_family = AF_INET;
        return sg_network_match(nets, n, (const struct sockaddr *)&sin);
    }
    if (inet_pton(AF_INET6, addr, &sin6.sin6_addr) == 1) {
        sin6.sin6_family = AF_INET6;
        return sg_network_match(nets, n, (const struct sockaddr *)&sin6);
    }
    return false;
}
