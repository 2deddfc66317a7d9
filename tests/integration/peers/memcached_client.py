"""Drives a memcached server over its text protocol, as a client library
would: sets (some noreply, one of a 200 KB value), pipelined gets, meta
commands, deletes, incrs, an unknown command; prints what it sent, one
"command count" line each."""
import socket
import sys

port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port))
f = s.makefile("rb")
sent = {}


def send(cmd, data=None, expect=True, count_as=None):
    name = count_as or cmd.split()[0]
    sent[name] = sent.get(name, 0) + 1
    s.sendall(cmd.encode() + b"\r\n" + (data + b"\r\n" if data is not None else b""))


def line():
    return f.readline().rstrip(b"\r\n")


for i in range(30):
    send("set k%d 0 0 5" % i, b"v%04d" % i)
    assert line() == b"STORED"
for i in range(6):
    send("set q%d 0 0 3 noreply" % i, b"abc", expect=False)
big = b"x" * 200000
send("set big 0 0 %d" % len(big), big)
assert line() == b"STORED"
# Pipelined: ten gets in one write, then their replies.
for batch in range(5):
    s.sendall(b"".join(b"get k%d\r\n" % (batch * 10 + i) for i in range(10)))
    sent["get"] = sent.get("get", 0) + 10
    for i in range(10):
        first = line()
        if first.startswith(b"VALUE"):
            f.readline()
            assert line() == b"END"
        else:
            assert first == b"END", first
send("get big")
assert line().startswith(b"VALUE big 0 200000")
assert f.read(200002)[-2:] == b"\r\n" and line() == b"END"
for i in range(10):
    send("delete k%d" % (i * 5))
    assert line() in (b"DELETED", b"NOT_FOUND")
send("set n 0 0 1", b"1")
assert line() == b"STORED"
for i in range(5):
    send("incr n 2")
    assert line().isdigit()
for i in range(7):
    send("mg k%d v" % (i + 1))
    r = line()
    if r.startswith(b"VA"):
        f.readline()
    else:
        assert r == b"EN", r
for i in range(4):
    send("ms m%d 2" % i, b"hi")
    assert line() == b"HD"
for i in range(3):
    send("bogus %d" % i, count_as="_OTHER")
    assert line() == b"ERROR"
send("version")
assert line().startswith(b"VERSION")
s.close()
for k in sorted(sent):
    print(k, sent[k])
