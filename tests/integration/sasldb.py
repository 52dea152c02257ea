#!/usr/bin/env python3
"""sasldb.py FILE FQDN < LOGINS: write a Cyrus SASL password database.

Each line of standard input is "LOGIN PASSWORD"; a LOGIN with an '@' is
stored in the realm after it, one without in the realm FQDN (Postfix's
myhostname: the realm smtpd asks for when smtpd_sasl_local_domain is
empty, and then reports the bare login).  The work is done by the system's own libsasl2 and its sasldb
plugin (sasl_setpass), exactly as saslpasswd2 does it, so the test Postfix
authenticates against a real database without sasl2-bin installed.
"""
import ctypes
import sys

SASL_OK = 0
SASL_CB_LIST_END = 0
SASL_CB_GETOPT = 1
SASL_SET_CREATE = 1

path, fqdn = sys.argv[1], sys.argv[2].encode()
options = {
    b"sasldb_path": path.encode(),
    b"auxprop_plugin": b"sasldb",
    b"pwcheck_method": b"auxprop",
}

sasl = ctypes.CDLL("libsasl2.so.2")
GETOPT = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p,
                          ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p),
                          ctypes.POINTER(ctypes.c_uint))


@GETOPT
def getopt(context, plugin, option, result, length):
    value = options.get(option)
    if value is None:
        return -1  # SASL_FAIL: not set, use the default
    result[0] = value
    if length:
        length[0] = len(value)
    return SASL_OK


class Callback(ctypes.Structure):
    _fields_ = [("id", ctypes.c_ulong), ("proc", ctypes.c_void_p),
                ("context", ctypes.c_void_p)]


callbacks = (Callback * 2)(
    Callback(SASL_CB_GETOPT, ctypes.cast(getopt, ctypes.c_void_p), None),
    Callback(SASL_CB_LIST_END, None, None))
if sasl.sasl_server_init(callbacks, b"saslpasswd2") != SASL_OK:
    sys.exit("sasl_server_init failed")
for line in sys.stdin:
    if not line.strip():
        continue
    login, password = line.split()
    user, _, realm = login.partition("@")
    conn = ctypes.c_void_p()
    rc = sasl.sasl_server_new(b"smtp", fqdn, realm.encode() or None, None,
                              None, callbacks, 0, ctypes.byref(conn))
    if rc != SASL_OK:
        sys.exit("sasl_server_new failed: %d" % rc)
    rc = sasl.sasl_setpass(conn, user.encode(), password.encode(),
                           len(password.encode()), None, 0, SASL_SET_CREATE)
    if rc != SASL_OK:
        sys.exit("sasl_setpass %s failed: %d" % (login, rc))
    sasl.sasl_dispose(ctypes.byref(conn))
