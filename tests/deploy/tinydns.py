"""A tiny DNS server for the tests: cluster DNS in a network namespace.

Answers A queries for names under the given zones with 127.0.0.1, AAAA queries
with no data, and anything else with NXDOMAIN. UDP on 127.0.0.1:53, one thread.
It lets a static binary prove that it resolves service names the way it will
in a cluster (glibc's DNS resolver, resolv.conf search list and ndots).
"""
import socket
import struct


def dns_server(zone_suffixes, stop):
    """Answers A queries for names under zone_suffixes with 127.0.0.1, AAAA
    with no data, anything else with NXDOMAIN. UDP only, one thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 53))
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            data, peer = sock.recvfrom(512)
        except socket.timeout:
            continue
        try:
            reply = answer(data, zone_suffixes)
        except (IndexError, struct.error, UnicodeError):
            continue  # not a query we understand: no answer
        if reply:
            sock.sendto(reply, peer)
    sock.close()


def answer(data, zone_suffixes):
    """The reply to one query packet, or None to stay silent."""
    if len(data) < 12:
        return None
    qid = struct.unpack(">H", data[:2])[0]
    i, labels = 12, []
    while data[i] != 0:
        n = data[i]
        labels.append(data[i + 1:i + 1 + n].decode("ascii"))
        i += n + 1
    qtype = struct.unpack(">H", data[i + 1:i + 3])[0]
    question = data[12:i + 5]
    name = ".".join(labels).lower()
    known = any(name == z or name.endswith("." + z) for z in zone_suffixes)
    if known and qtype == 1:  # A: 127.0.0.1, TTL 5 s
        record = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 5, 4) + socket.inet_aton("127.0.0.1")
        return struct.pack(">HHHHHH", qid, 0x8580, 1, 1, 0, 0) + question + record
    rcode = 0 if known else 3  # NOERROR without data (AAAA), or NXDOMAIN
    return struct.pack(">HHHHHH", qid, 0x8580 | rcode, 1, 0, 0, 0) + question
