#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpora of fuzz_vmbus_ring and fuzz_vmbus_chanmsg from valid exchanges.

The bytes are laid out here from hyperv-facts.md sections 4.3 and 5.2 (independently of the C
builders). Usage: vmbus/gen_fuzz_corpus.py [repo root]; rewrites
tests/fuzz/corpus/fuzz_vmbus_{ring,chanmsg}/.
"""
import os
import struct
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")


def desc(ptype, offset8, len8, flags, tid):
    return struct.pack("<HHHHQ", ptype, offset8, len8, flags, tid)


def pad8(b):
    return b + b"\0" * (-len(b) % 8)


def inband(payload, flags=1, tid=1):
    body = pad8(payload)
    return desc(6, 2, 2 + len(body) // 8, flags, tid) + body


def comp(payload, tid=1):
    body = pad8(payload)
    return desc(11, 2, 2 + len(body) // 8, 0, tid) + body


def xfer_pages(ranges, payload, tid=2):
    hdr = struct.pack("<HBBI", 0xCAFE, 0, 0, len(ranges))
    hdr += b"".join(struct.pack("<II", c, o) for c, o in ranges)
    body = pad8(payload)
    off8 = (16 + len(hdr)) // 8
    return desc(7, off8, off8 + len(body) // 8, 1, tid) + hdr + body


def gpa_direct(ranges, payload, tid=3):
    hdr = struct.pack("<II", 0, len(ranges))
    for count, offset, pfns in ranges:
        hdr += struct.pack("<II", count, offset) + b"".join(struct.pack("<Q", p) for p in pfns)
    body = pad8(payload)
    off8 = (16 + len(hdr)) // 8
    return desc(9, off8, off8 + len(body) // 8, 1, tid) + hdr + body


def ring_input(packets, data_size, start, feature=1, bufsel=3):
    """Control indices + options + data area with the packets (and trailers) from 'start'."""
    data = bytearray(data_size)
    pos = start
    for p in packets:
        rec = p + struct.pack("<II", 0, pos)
        for b in rec:
            data[pos] = b
            pos = (pos + 1) % data_size
    hdr = struct.pack("<IIII", pos, start, 0, 0) + bytes([feature | (bufsel << 1)])
    return hdr + bytes(data)


def write(target, name, blob):
    d = os.path.join(root, "tests", "fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(blob)


def ring_corpus():
    pkts = [
        inband(bytes(range(1, 9))),
        comp(b"\x02\x00\x00\x00\x01\x00\x00\x00"),
        xfer_pages([(1514, 0), (60, 0x1000)], struct.pack("<III", 0x65, 0, 0)),
        gpa_direct([(0x100, 0xF80, [0x1234, 0x1235])], bytes(16)),
        gpa_direct([(1, 0xFFF, [7]), (0x2000, 0, [9, 10])], b""),
    ]
    write("fuzz_vmbus_ring", "empty", ring_input([], 256, 0))
    write("fuzz_vmbus_ring", "packets", ring_input(pkts, 512, 0))
    write("fuzz_vmbus_ring", "packets_wrapped", ring_input(pkts, 512, 512 - 40))
    write("fuzz_vmbus_ring", "small_buffer", ring_input(pkts, 512, 128, bufsel=0))
    write("fuzz_vmbus_ring", "no_feature", ring_input(pkts[:2], 256, 248, feature=0, bufsel=1))


def rec(msg, opt=0):
    assert len(msg) <= 240
    return bytes([len(msg), opt]) + msg


def hdr(t):
    return struct.pack("<II", t, 0)


def gpadl_msgs(relid, handle, offset, count, pfns):
    """Linux split: header with up to 26 PFNs, bodies of up to 28 (facts 4.3)."""
    buflen = (8 + 8 * len(pfns)) & 0xFFFF
    out = [hdr(8) + struct.pack("<IIHHII", relid, handle, buflen, 1, count, offset)
           + b"".join(struct.pack("<Q", p) for p in pfns[:26])]
    rest = pfns[26:]
    while rest:
        out.append(hdr(9) + struct.pack("<II", 0, handle)
                   + b"".join(struct.pack("<Q", p) for p in rest[:28]))
        rest = rest[28:]
    return out


def chanmsg_corpus():
    contact = hdr(14) + struct.pack("<IIBBBBIQQ", 0x50002, 0, 2, 0, 0, 0, 0, 0x1000, 0x2000)
    ring = gpadl_msgs(14, 0xE1E10, 0, 40 * 4096, [(i * 5) % 256 for i in range(40)])
    recv = gpadl_msgs(14, 0xE1E11, 0, 70 * 4096, [(i * 3 + 1) % 256 for i in range(70)])
    open_ = hdr(5) + struct.pack("<IIIII", 14, 14, 0xE1E10, 0, 20) + bytes(120)
    seq = [rec(contact), rec(hdr(3))] + [rec(m) for m in ring] + [rec(open_, 2)]
    seq += [rec(m) for m in recv]
    seq += [rec(hdr(22) + struct.pack("<II", 14, 1)),
            rec(hdr(7) + struct.pack("<I", 14)),
            rec(hdr(11) + struct.pack("<II", 14, 0xE1E11)),
            rec(hdr(11) + struct.pack("<II", 14, 0xE1E10)),
            rec(hdr(13) + struct.pack("<I", 14)),
            rec(hdr(16), 8)]
    write("fuzz_vmbus_chanmsg", "linux_bringup", b"".join(seq))

    a = gpadl_msgs(14, 1, 0x10, 60 * 4096 - 0x10, list(range(60)))
    b = gpadl_msgs(15, 2, 0, 30 * 4096, list(range(100, 130)))
    inter = [a[0], b[0], a[1], b[1], a[2]]
    write("fuzz_vmbus_chanmsg", "interleaved_gpadls", b"".join(rec(m, 2) for m in inter))
    small = gpadl_msgs(16, 3, 0xFFF, 2, [5, 6])
    write("fuzz_vmbus_chanmsg", "small_gpadl",
          rec(small[0]) + rec(hdr(2) + struct.pack("<I", 16), 6))


ring_corpus()
chanmsg_corpus()
