"""An upstream DNS server that fails every query: answers each with its own
question and RCODE SERVFAIL, for dnsmasq to relay. Usage: dns_servfail.py PORT"""
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    query, addr = s.recvfrom(4096)
    if len(query) < 12:
        continue
    # QR, the query's opcode and RD, RA; RCODE 2; its question and EDNS
    # record back, no answers.
    flags = bytes([0x80 | (query[2] & 0x79), 0x80 | 2])
    s.sendto(query[:2] + flags + query[4:6] + b"\0\0\0\0" + query[10:], addr)
