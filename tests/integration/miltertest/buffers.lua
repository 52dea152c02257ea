-- Messages of different sizes one after another on one milter connection,
-- each judged on its own bytes: a large one held in memory, a small clean
-- one, one past message_buffer_size (spilled to a file), a small clean
-- one, a small one with a number.  The large ones carry the mobile number
-- at their very end, so a buffer that lost bytes would let them through,
-- and a buffer that kept an earlier message's bytes would hold the clean
-- ones.  Variables from miltertest -D: socket, big (bytes of the first),
-- huge (bytes of the third).
-- miltertest prints nothing when a script fails, so say why first.
local function fail(why) mt.echo("FAIL: " .. why); error(why) end
local EOM = string.byte("E") -- SMFIC_BODYEOB: macros for end of message
local conn = mt.connect(socket, 40, 0.25)
if conn == nil then fail("cannot connect to " .. socket) end
if mt.conninfo(conn, "localhost", "127.0.0.1") ~= nil then
    fail("conninfo failed")
end
if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("connect not continued") end

-- lines of ordinary prose up to size bytes, then the tail
local function body(size, tail)
    local line = "Please finish the rainfall tables on page 42 for Tuesday.\r\n"
    return string.rep(line, math.floor(size / #line)) .. tail
end

local function message(qid, rcpts, text)
    mt.macro(conn, SMFIC_MAIL, "i", qid)
    if mt.mailfrom(conn, "<j.smith@school.example>") ~= nil then
        fail("mailfrom failed")
    end
    if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("mailfrom not continued") end
    for _, r in ipairs(rcpts) do
        if mt.rcptto(conn, r) ~= nil then fail("rcptto failed") end
        if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("rcpt not continued") end
    end
    mt.header(conn, "From", "John Smith <j.smith@school.example>")
    mt.header(conn, "Subject", qid)
    mt.header(conn, "MIME-Version", "1.0")
    mt.header(conn, "Content-Type", "text/plain; charset=utf-8")
    -- in packets of at most 65535 bytes, as an MTA sends them
    for i = 1, #text, 65535 do
        if mt.bodystring(conn, string.sub(text, i, i + 65534)) ~= nil then
            fail("body failed")
        end
    end
    mt.macro(conn, EOM, "i", qid)
    if mt.eom(conn) ~= nil then fail("eom failed") end
    if mt.getreply(conn) ~= SMFIR_CONTINUE then fail(qid .. " not continued") end
end

local pupil = {"<amy.patel@school.example>"}
-- a colleague in copy: not private one-to-one, so no rule acts on it
local class = {"<amy.patel@school.example>", "<a.jones@school.example>"}
local number = "If you get stuck, ring me on 07700 900123.\r\n"
message("MB0001", pupil, body(tonumber(big), number))
message("MB0002", class, "See you on Tuesday.\r\n")
message("MB0003", pupil, body(tonumber(huge), number))
message("MB0004", class, "The trip is on Thursday.\r\n")
message("MB0005", pupil, number)
mt.disconnect(conn)
