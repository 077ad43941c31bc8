#!/usr/bin/env python3
# Writes the seed corpus of fuzz_offload (tests/fuzz/corpus/fuzz_offload/): valid frames with the
# 5-byte prefix the target reads (flags, MSS u16 LE, first mbuf size, next mbuf size / 8).
# Checksums are computed here (RFC 1071) so that the coalescing paths see valid segments.
import os
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def frame(ipv6=False, tags=(), proto=6, opts=b'', pay=100, flags=0x18, len0=False, seq=1000):
    payload = bytes((i * 7 + 3) & 0xff for i in range(pay))
    if proto == 6:
        l4 = struct.pack('!HHIIBBHHH', 40000, 5001, seq, 77, (20 + len(opts)) // 4 << 4, flags,
                         512, 0, 0) + opts
    else:
        l4 = struct.pack('!HHHH', 40000, 5001, 8 + pay, 0)
    seg = l4 + payload
    if ipv6:
        src, dst = bytes([0xfd] + [0] * 14 + [1]), bytes([0xfd] + [0] * 14 + [2])
        ip = struct.pack('!IHBB', 0x60012345, 0 if len0 else len(seg), proto, 64) + src + dst
        ph = src + dst + struct.pack('!IxxxB', len(seg), proto)
        etype = 0x86dd
    else:
        src, dst = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
        ip = struct.pack('!BBHHHBBH', 0x45, 0, 0 if len0 else 20 + len(seg), 7, 0x4000, 64, proto,
                         0) + src + dst
        ip = ip[:10] + struct.pack('!H', ~csum(ip) & 0xffff) + ip[12:]
        ph = src + dst + struct.pack('!xBH', proto, len(seg))
        etype = 0x0800
    ck = ~csum(ph + seg) & 0xffff
    off = 16 if proto == 6 else 6
    seg = seg[:off] + struct.pack('!H', ck) + seg[off + 2:]
    l2 = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1])
    for tpid, tci in tags:
        l2 += struct.pack('!HH', tpid, tci)
    return l2 + struct.pack('!H', etype) + ip + seg


TS = bytes([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2])
SYNOPTS = bytes([2, 4, 5, 0xb4, 4, 2, 1, 3, 3, 7, 1, 1])
seeds = {
    'v4_ts_3000': (0, 1448, 0, 0, frame(opts=TS, pay=3000)),
    'v4_lso_len0': (3, 1448, 0, 0, frame(opts=TS, pay=20000, len0=True)),
    'v6_vlan_lso': (3, 1428, 0, 0, frame(ipv6=True, tags=((0x8100, 42),), pay=5000, len0=True)),
    'v6_qinq_chain': (2, 500, 90, 88, frame(ipv6=True, tags=((0x88a8, 100), (0x8100, 200)),
                                             opts=SYNOPTS, pay=1800)),
    'v4_ack_mss': (0, 1000, 0, 0, frame(opts=TS, pay=1000, flags=0x10)),
    'v4_udp': (0, 1000, 0, 0, frame(proto=17, pay=333)),
    'v6_udp': (0, 1000, 0, 0, frame(ipv6=True, proto=17, pay=64)),
    'v4_pure_ack_pad': (0, 1000, 0, 0, frame(pay=0, flags=0x10) + bytes(6)),
}
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                         'corpus', 'fuzz_offload')
os.makedirs(out, exist_ok=True)
for name, (fl, mss, first, nxt, f) in seeds.items():
    with open(os.path.join(out, name), 'wb') as fh:
        fh.write(bytes([fl]) + struct.pack('<H', mss) + bytes([first, nxt]) + f)
