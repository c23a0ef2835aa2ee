#!/usr/bin/env python3
"""Raw Ethernet frames for the PPPoE pass-through test (AF_PACKET).

ether.py send IFACE DST_MAC KIND MARK     send one frame
ether.py recv IFACE KIND MARK SECONDS     wait for it; exit 0 when it came

KIND: padi (0x8863, code 0x09), pado (0x8863, code 0x07), session
(0x8864), ipv4 (0x0800, a UDP datagram). MARK (8 hex digits) goes into the
frame (PPPoE Host-Uniq tag, the session's payload, the UDP payload) so that
a receiver counts only the frame its test sent. recv prints "ready" once its
socket listens, then "got KIND from MAC" when the frame comes.
"""
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
TYPES = {"padi": 0x8863, "pado": 0x8863, "session": 0x8864, "ipv4": 0x0800}
CODES = {"padi": 0x09, "pado": 0x07}


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def payload(kind, mark):
    """The frame's payload after the Ethernet header."""
    if kind in CODES:
        # PPPoE discovery: ver/type 0x11, code, session 0; tags Service-Name
        # (empty), Host-Uniq (the mark), for a PADO an AC-Name.
        tags = struct.pack("!HH", 0x0101, 0) + struct.pack("!HH", 0x0103, 4) + mark
        if kind == "pado":
            name = b"oqlink-lab-ac"
            tags += struct.pack("!HH", 0x0102, len(name)) + name
        return struct.pack("!BBHH", 0x11, CODES[kind], 0, len(tags)) + tags
    if kind == "session":
        # PPPoE session 0x1234 carrying an LCP echo request with the mark.
        ppp = struct.pack("!HBBH", 0xC021, 9, 1, 8) + mark
        return struct.pack("!BBHH", 0x11, 0x00, 0x1234, len(ppp)) + ppp
    # IPv4/UDP 192.0.2.99 -> 255.255.255.255, port 9, no checksum.
    udp = struct.pack("!HHHH", 40000, 9, 8 + len(mark), 0) + mark
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                      socket.inet_aton("192.0.2.99"), socket.inet_aton("255.255.255.255"))
    s = sum(struct.unpack("!10H", hdr))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    hdr = hdr[:10] + struct.pack("!H", ~s & 0xFFFF) + hdr[12:]
    return hdr + udp


def matches(kind, mark, frame):
    if len(frame) < 14 or struct.unpack("!H", frame[12:14])[0] != TYPES[kind]:
        return False
    body = frame[14:]
    if kind in CODES and (len(body) < 2 or body[1] != CODES[kind]):
        return False
    return mark in body


def main(argv):
    if len(argv) == 5 and argv[0] == "send":
        iface, dst, kind, mark = argv[1], argv[2], argv[3], bytes.fromhex(argv[4])
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((iface, 0))
        src = s.getsockname()[4]
        s.send(mac_bytes(dst) + src + struct.pack("!H", TYPES[kind]) + payload(kind, mark))
        return 0
    if len(argv) == 5 and argv[0] == "recv":
        iface, kind, mark, secs = argv[1], argv[2], bytes.fromhex(argv[3]), float(argv[4])
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((iface, 0))
        print("ready", flush=True)
        end = time.monotonic() + secs
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return 1
            s.settimeout(left)
            try:
                frame, addr = s.recvfrom(65535)
            except socket.timeout:
                return 1
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            if matches(kind, mark, frame):
                print("got %s from %s" % (kind, ":".join("%02x" % b for b in frame[6:12])),
                      flush=True)
                return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
