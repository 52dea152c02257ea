-- Two messages on one milter connection, then an aborted third and a
-- fourth: each completed message gets one verdict, the aborted one none.
-- Variables from miltertest -D: socket.
-- miltertest prints nothing when a script fails, so say why first.
-- The filter negotiates SMFIP_NOEOH, so no end-of-header is sent, as
-- Postfix would not send one.
local function fail(why) mt.echo("FAIL: " .. why); error(why) end
local EOM = string.byte("E") -- SMFIC_BODYEOB: macros for end of message
local conn = mt.connect(socket, 40, 0.25)
if conn == nil then fail("cannot connect to " .. socket) end

if mt.conninfo(conn, "client.example", "203.0.113.9") ~= nil then
    fail("conninfo failed")
end
if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("connect not continued") end

local function message(qid, from, rcpts, subject, body)
    mt.macro(conn, SMFIC_MAIL, "i", qid, "{auth_authen}", "tsmith")
    if mt.mailfrom(conn, from) ~= nil then fail("mailfrom failed") end
    if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("mailfrom not continued") end
    for _, r in ipairs(rcpts) do
        if mt.rcptto(conn, r) ~= nil then fail("rcptto failed") end
        if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("rcpt not continued") end
    end
    mt.header(conn, "From", "Tom Smith <" .. string.sub(from, 2, -2) .. ">")
    mt.header(conn, "Subject", subject)
    mt.header(conn, "MIME-Version", "1.0")
    mt.header(conn, "Content-Type", "text/plain; charset=utf-8")
    mt.bodystring(conn, body)
end

message("MT0001", "<t.smith@school.example>",
        {"<p.jones@school.example>", "<k.ali@school.example>"},
        "Trip letter", "Please bring the signed letter on Monday.\r\n")
mt.macro(conn, EOM, "i", "MT0001")
if mt.eom(conn) ~= nil then fail("eom failed") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("message 1 not accepted") end

message("MT0002", "<t.smith@school.example>", {"<office@school.example>"},
        "Register", "Register attached later.\r\n")
mt.macro(conn, EOM, "i", "MT0002")
if mt.eom(conn) ~= nil then fail("eom failed") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("message 2 not accepted") end

message("MT0003", "<t.smith@school.example>", {"<office@school.example>"},
        "Aborted", "This transaction is reset.\r\n")
if mt.abort(conn) ~= nil then fail("abort failed") end

message("MT0004", "<t.smith@school.example>", {"<office@school.example>"},
        "After abort", "Fresh transaction.\r\n")
mt.macro(conn, EOM, "i", "MT0004")
if mt.eom(conn) ~= nil then fail("eom failed") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("message 4 not accepted") end

mt.disconnect(conn)
