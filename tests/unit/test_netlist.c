/*
 * test_netlist.c - trusted_networks parsing and matching.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "netlist.h"

static void
test_parse(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int ok;
        int family;
        unsigned prefix;
        const char *error;
    } cases[] = {
        {"127.0.0.0/8", 0, AF_INET, 8, NULL},
        {"192.0.2.1", 0, AF_INET, 32, NULL},
        {"0.0.0.0/0", 0, AF_INET, 0, NULL},
        {"::1", 0, AF_INET6, 128, NULL},
        {"[::1]/128", 0, AF_INET6, 128, NULL},
        {"[2001:db8::]/32", 0, AF_INET6, 32, NULL},
        {"2001:db8::/32", 0, AF_INET6, 32, NULL},
        {"192.0.2.1/24", -1, 0, 0,
         "address has bits set beyond the prefix length"},
        {"192.0.2.0/33", -1, 0, 0, "prefix length out of range"},
        {"192.0.2.0/", -1, 0, 0, "prefix length is not a number"},
        {"192.0.2.0/x", -1, 0, 0, "prefix length is not a number"},
        {"192.0.2.0/24x", -1, 0, 0, "prefix length out of range"},
        {"192.0.2", -1, 0, 0, "not an IP address or prefix"},
        {"[::1", -1, 0, 0, "unbalanced [ ] around an IPv6 address"},
        {"", -1, 0, 0, "not an IP address or prefix"},
        {"/8", -1, 0, 0, "not an IP address or prefix"},
        {"localhost", -1, 0, 0, "not an IP address or prefix"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sg_network net;
        const char *error = NULL;
        int rc = sg_network_parse(cases[i].text, &net, &error);
        if (rc != cases[i].ok)
            fail_msg("case %zu (%s): rc %d", i, cases[i].text, rc);
        if (rc == 0) {
            assert_int_equal(net.family, cases[i].family);
            assert_int_equal(net.prefix, cases[i].prefix);
        } else {
            assert_string_equal(error, cases[i].error);
        }
    }
}

static void
test_match(void **state)
{
    (void)state;
    const char *nets_text[] = {"127.0.0.0/8", "192.0.2.128/25",
                               "2001:db8:1::/48", "198.51.100.7"};
    struct sg_network nets[4];
    const char *error;
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(sg_network_parse(nets_text[i], &nets[i], &error), 0);
    static const struct {
        const char *addr;
        bool match;
    } cases[] = {
        {"127.0.0.1", true},         {"127.255.255.254", true},
        {"128.0.0.1", false},        {"192.0.2.128", true},
        {"192.0.2.255", true},       {"192.0.2.127", false},
        {"198.51.100.7", true},      {"198.51.100.8", false},
        {"2001:db8:1::25", true},    {"2001:db8:2::25", false},
        {"::ffff:127.0.0.1", true}, /* IPv4-mapped */
        {"::ffff:10.0.0.1", false},  {"::1", false},
        {"not-an-address", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (sg_network_match_text(nets, 4, cases[i].addr) != cases[i].match)
            fail_msg("%s: expected %s", cases[i].addr,
                     cases[i].match ? "match" : "no match");
    assert_false(sg_network_match(nets, 4, NULL));
    assert_false(sg_network_match_text(nets, 0, "127.0.0.1"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
