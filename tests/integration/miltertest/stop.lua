-- A connection open, between messages, when the daemon is told to stop:
-- once connected it makes the file READY (miltertest's output is
-- buffered) and then stays open without a word.
-- Variables from miltertest -D: socket, ready.
local function fail(why) mt.echo("FAIL: " .. why); error(why) end
local conn = mt.connect(socket, 40, 0.25)
if conn == nil then fail("cannot connect to " .. socket) end
if mt.conninfo(conn, "client.example", "203.0.113.9") ~= nil then
    fail("conninfo failed")
end
if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("connect not continued") end
local f = io.open(ready, "w")
f:close()
mt.sleep(30)
