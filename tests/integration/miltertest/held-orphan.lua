-- A message the filter holds, over the milter protocol with no Postfix
-- behind it: the record is written for queue id qid, and no mail system
-- ever keeps the message, as when Postfix's cleanup died or gave up
-- before the filter's answer reached it.  Variables from miltertest -D:
-- socket, qid.
-- miltertest prints nothing when a script fails, so say why first.
local function fail(why) mt.echo("FAIL: " .. why); error(why) end
local EOM = string.byte("E") -- SMFIC_BODYEOB: macros for end of message
local conn = mt.connect(socket, 40, 0.25)
if conn == nil then fail("cannot connect to " .. socket) end
if mt.conninfo(conn, "localhost", "127.0.0.1") ~= nil then
    fail("conninfo failed")
end
if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("connect not continued") end
mt.macro(conn, SMFIC_MAIL, "i", qid)
if mt.mailfrom(conn, "<j.smith@school.example>") ~= nil then
    fail("mailfrom failed")
end
if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("mailfrom not continued") end
if mt.rcptto(conn, "<amy.patel@school.example>") ~= nil then
    fail("rcptto failed")
end
if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("rcpt not continued") end
mt.header(conn, "From", "John Smith <j.smith@school.example>")
mt.header(conn, "To", "Amy Patel <amy.patel@school.example>")
mt.header(conn, "Subject", "Half-term revision")
mt.header(conn, "MIME-Version", "1.0")
mt.header(conn, "Content-Type", "text/plain; charset=utf-8")
mt.bodystring(conn, "Hi Amy,\r\n\r\nIf you get stuck, ring me on " ..
              "07700 900123 and I'll help.\r\n\r\nMr Smith\r\n")
mt.macro(conn, EOM, "i", qid)
if mt.eom(conn) ~= nil then fail("eom failed") end
-- the answer is read and thrown away: no mail system keeps the message
mt.getreply(conn)
mt.disconnect(conn)
