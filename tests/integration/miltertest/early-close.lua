-- Connections that end early: before negotiation, and after connect but
-- before any message.  The filter must survive both (xxfi_close with no
-- private data) and serve the next connection.
-- miltertest prints nothing when a script fails, so say why first.
-- The filter negotiates SMFIP_NOEOH, so no end-of-header is sent, as
-- Postfix would not send one.
local function fail(why) mt.echo("FAIL: " .. why); error(why) end
local EOM = string.byte("E") -- SMFIC_BODYEOB: macros for end of message
local conn = mt.connect(socket, 40, 0.25)
if conn == nil then fail("cannot connect") end
mt.disconnect(conn, false)

conn = mt.connect(socket, 40, 0.25)
mt.conninfo(conn, "client.example", "198.51.100.20")
mt.disconnect(conn, true)

conn = mt.connect(socket, 40, 0.25)
mt.conninfo(conn, "client.example", "198.51.100.21")
mt.macro(conn, SMFIC_MAIL, "i", "MTLATE1")
mt.mailfrom(conn, "<x@school.example>")
mt.rcptto(conn, "<y@school.example>")
mt.header(conn, "Subject", "still alive")
mt.bodystring(conn, "ok\r\n")
mt.macro(conn, EOM, "i", "MTLATE1")
if mt.eom(conn) ~= nil then fail("eom failed") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("late message not accepted") end
mt.disconnect(conn)
