#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpora of tests/fuzz/fuzz_nvsp and fuzz_rndis: valid exchanges of a Linux 6.1
netvsc guest (hyperv-facts.md 6.2, 6.3, 7), in the input formats described at the top of
tests/fuzz/fuzz_nvsp.c and fuzz_rndis.c.  Usage: gen_fuzz_corpus.py [REPO_ROOT]"""
import os
import struct
import sys

PFN_BASE = 0x1000


def u16(v):
    return struct.pack('<H', v)


def u32(v):
    return struct.pack('<I', v)


def u64(v):
    return struct.pack('<Q', v)


def pad(b, n):
    return b + bytes(n - len(b))


# ---- ring packets (facts 5.2) -----------------------------------------------------------------
def desc(typ, off8, len8, flags, trans):
    return u16(typ) + u16(off8) + u16(len8) + u16(flags) + u64(trans)


def inband(trans, msg, comp=True):
    return desc(6, 2, 7, 1 if comp else 0, trans) + pad(msg, 40)


def gpa(trans, nvsp, ranges):
    body = b''
    for count, offset, pfns in ranges:
        body += u32(count) + u32(offset) + b''.join(u64(p) for p in pfns)
    hdr = 24 + len(body)
    return desc(9, hdr // 8, (hdr + 40) // 8, 1, trans) + u32(0) + u32(len(ranges)) + body + pad(nvsp, 40)


def comp(trans, status=1):
    return desc(0xb, 2, 7, 0, trans) + pad(u32(108) + u32(status), 40)


def nvsp_rndis(channel, index, used):
    return u32(107) + u32(channel) + u32(index) + u32(used)


# ---- NVSP messages (facts 6.1) ----------------------------------------------------------------
INIT61 = u32(1) + u32(0x60001) + u32(0x60001)
NDIS_CFG = u32(125) + u32(1514) + u32(0) + u64(0xac)
NDIS_VER = u32(100) + u32(6) + u32(30)
RECV_BUF = u32(101) + u32(0x100) + u16(0xcafe)
SEND_BUF = u32(104) + u32(0x101) + u16(0)


# ---- RNDIS (facts 7) --------------------------------------------------------------------------
def r_init(req=1):
    return u32(2) + u32(24) + u32(req) + u32(1) + u32(0) + u32(0x4000)


def r_query(req, oid, buf=b''):
    return u32(4) + u32(28 + len(buf)) + u32(req) + u32(oid) + u32(len(buf)) + u32(20) + u32(0) + buf


def r_set(req, oid, buf):
    return u32(5) + u32(28 + len(buf)) + u32(req) + u32(oid) + u32(len(buf)) + u32(20) + u32(0) + buf


def ppi(typ, value):
    return u32(16) + u32(typ) + u32(12) + u32(value)


def r_packet(frame, ppis=b'', padding=0):
    n = 44 + len(ppis) + len(frame) + padding
    hdr = u32(1) + u32(n) + u32(36 + len(ppis)) + u32(len(frame)) + bytes(12)
    hdr += (u32(36) if ppis else u32(0)) + u32(len(ppis)) + u32(0) + u32(0)
    return hdr + ppis + frame + bytes(padding)


def frame(n, ethertype=0x0800, seed=1):
    b = bytearray((seed + i * 7) & 0xff for i in range(n))
    b[12:14] = struct.pack('>H', ethertype)
    return bytes(b)


KEY = bytes.fromhex('6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa')
RSS_OBJ = (bytes([0x89, 2, 40, 0]) + u16(0) + u16(0) + u32(0x1701) + u16(512) + u16(0) + u32(40) +
           u16(40) + u16(0) + u32(552) + bytes(12) + bytes(512) + KEY)
OFFLOAD = pad(bytes([0x80, 3, 28, 0, 1]), 28)
OFFLOAD_ALL = pad(bytes([0x80, 3, 28, 0, 1, 4, 4, 4, 4, 0, 0, 2, 2]), 22) + bytes([2, 2, 0, 0, 0, 0])
HWCAPS_IN = pad(bytes([0xa7, 3, 156, 0]), 156)
RSSCAPS_IN = pad(bytes([0x88, 2, 18, 0]), 18)

CONTROL = [
    r_init(),
    r_query(2, 0x00010106),
    r_query(3, 0x01010101),
    r_query(4, 0x00020216),
    r_query(5, 0xfc01020d, HWCAPS_IN),
    r_set(6, 0xfc01020c, OFFLOAD),
    r_query(7, 0x00010114),
    r_query(8, 0x00010107),
    r_query(9, 0x00010203, RSSCAPS_IN),
    r_set(10, 0x00010204, RSS_OBJ),
    r_set(11, 0x0001010e, u32(0x0d)),
    u32(8) + u32(12) + u32(12),  # KEEPALIVE
    u32(6) + u32(12) + u32(0),  # RESET
    u32(3) + u32(12) + u32(13),  # HALT
]


def tcp4_frame(payload, flags=0x18, proto=6, ihl=5, total=None):
    """Ethernet + IPv4 10.0.0.1 -> 10.0.0.2 + TCP (data offset 5) + payload bytes."""
    ip_len = 20 + 20 + payload if total is None else total
    eth = bytes.fromhex('020000000002020000000001') + u16(0x0008)
    ip = bytes([0x40 | ihl, 0]) + struct.pack('>HHHBBH', ip_len, 0x1234, 0x4000, 64, proto, 0)
    ip += bytes([10, 0, 0, 1, 10, 0, 0, 2]) + bytes((ihl - 5) * 4)
    tcp = struct.pack('>HHIIBBHHH', 12345, 80, 1000, 0, 0x50, flags, 0xffff, 0, 0)
    return eth + ip + tcp + bytes((i * 7 + 3) & 0xff for i in range(payload))


def tcp6_frame(payload):
    eth = bytes.fromhex('020000000002020000000001') + struct.pack('>H', 0x86dd)
    ip = struct.pack('>IHBB', 0x60000000, 20 + payload, 6, 64) + bytes(15) + b'\x01' + bytes(15) + b'\x02'
    tcp = struct.pack('>HHIIBBHHH', 12345, 80, 1000, 0, 0x50, 0x10, 0xffff, 0, 0)
    return eth + ip + tcp + bytes((i * 5 + 1) & 0xff for i in range(payload))



# ---- fuzz_nvsp records ------------------------------------------------------------------------
def rec(op, payload):
    return bytes([op]) + u16(len(payload)) + payload


def pkt(p):
    return rec(0, p)


def ram(offset, data):
    return rec(3, u16(offset) + data)


def section(offset, data):
    return rec(4, u16(offset) + data)


def ctl_via_gpa(trans, msg, page=2, offset=0x100):
    n = (offset + len(msg) + 4095) // 4096
    pfns = [PFN_BASE + page + k for k in range(n)]
    return (ram(page * 4096 + offset, msg) +
            pkt(gpa(trans, nvsp_rndis(1, 0xffffffff, 0), [(len(msg), offset, pfns)])) +
            rec(6, b'\x01'))


def nvsp_seeds():
    seeds = {}
    up = (pkt(inband(1, INIT61)) + pkt(inband(0, NDIS_CFG, False)) + pkt(inband(0, NDIS_VER, False)) +
          pkt(inband(2, RECV_BUF)) + pkt(inband(3, SEND_BUF)))
    bring = up
    for i, m in enumerate(CONTROL[:11]):
        bring += ctl_via_gpa(0x10 + i, m, offset=0xf00 if len(m) > 200 else 0x100)
    seeds['bringup_linux61'] = b'\x00' + bring

    # data: three batched packets in section 3, then GPA data with a split header, then mixed
    f1, f2, f3 = frame(60), frame(101, 0x86dd, 2), frame(1514, 0x0806, 3)
    batch = r_packet(f1) + r_packet(f2, padding=3) + r_packet(f3)
    data = section(3 * 6144 % 65536, batch) + pkt(inband(0x20, nvsp_rndis(0, 3, len(batch))))
    hdr = r_packet(frame(1000, seed=9), ppi(0, 0x1 | 0x4 | (34 << 16)))
    data += ram(3 * 4096 + 4076, hdr[:60]) + ram(6 * 4096 + 0x80, frame(1000, seed=9))
    data += pkt(gpa(0x21, nvsp_rndis(0, 0xffffffff, 0),
                    [(60, 4076, [PFN_BASE + 3, PFN_BASE + 4]), (1000, 0x80, [PFN_BASE + 6])]))
    p1 = r_packet(frame(200), padding=4)
    p2 = r_packet(frame(1500, seed=6))
    data += section(0, p1 + p2[:44]) + ram(10 * 4096 + 0x10, p2[44:])
    data += pkt(gpa(0x22, nvsp_rndis(0, 0, len(p1) + 44), [(1500, 0x10, [PFN_BASE + 10])]))
    lso = r_packet(b'', ppi(2, 0x40000000 | (34 << 20) | 1448))
    lso = lso[:4] + u32(60 + 9000) + lso[8:12] + u32(9000) + lso[16:]
    data += ram(0, lso) + pkt(gpa(0x23, nvsp_rndis(0, 0xffffffff, 0),
                                  [(60, 0, [PFN_BASE]), (9000, 0, [PFN_BASE + 1, PFN_BASE + 2, PFN_BASE + 3])]))
    seeds['data_section_gpa_mixed_lso'] = b'\x03' + data

    # offloads enabled as Linux enables them, then an LSO frame with real headers by GPA_DIRECT
    # and a checksum frame in a section
    on = up
    for i, m in enumerate(CONTROL[:5] + [r_set(6, 0xfc01020c, OFFLOAD_ALL)] + CONTROL[6:11]):
        on += ctl_via_gpa(0x40 + i, m, offset=0xf00 if len(m) > 200 else 0x100)
    big = tcp4_frame(9000)
    lso_hdr = r_packet(b'', ppi(2, 0x40000000 | (34 << 20) | 1448))
    lso_hdr = lso_hdr[:4] + u32(60 + len(big)) + lso_hdr[8:12] + u32(len(big)) + lso_hdr[16:]
    on += ram(0, lso_hdr) + ram(4096, big[:4096]) + ram(8192, big[4096:8192]) + ram(12288, big[8192:])
    on += pkt(gpa(0x50, nvsp_rndis(0, 0xffffffff, 0),
                  [(60, 0, [PFN_BASE]), (len(big), 0, [PFN_BASE + 1, PFN_BASE + 2, PFN_BASE + 3])]))
    small = r_packet(tcp4_frame(200), ppi(0, 0x1 | 0x4 | (34 << 16)))
    on += section(0, small) + pkt(inband(0x51, nvsp_rndis(0, 0, len(small))))
    seeds['offloads_lso_gpa_csum'] = b'\x03' + on

    rx = (rec(5, b'\x03' + frame(100)) + rec(5, b'\x00' + frame(1514)) + rec(13, b'\x02' + frame(60)) +
          rec(6, b'\x01') + rec(6, b'\x01') + rec(7, b'') + rec(39, b'') + rec(15, b'\x00'))
    seeds['rx_complete_link'] = b'\x03' + rx

    misc = (pkt(inband(4, u32(133) + u32(1) + u32(3))) + pkt(inband(5, u32(129) + u32(1))) +
            pkt(inband(0, u32(103) + u16(0xcafe), False)) + pkt(inband(0, u32(106) + u16(0), False)) +
            pkt(inband(6, u32(110))) + pkt(desc(6, 2, 3, 1, 7) + u32(101) + u32(0)) +
            pkt(inband(8, u32(1) + u32(2) + u32(2))))
    seeds['nvsp_misc'] = b'\x01' + misc

    # multi-queue: 3 subchannels granted, RSS parameters as Linux/DPDK send them (592 bytes:
    # 128 entries i % 4, default key), requests and frames on subchannels (op bits 3-5)
    key = bytes.fromhex('6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c'
                        '6a42b73bbeac01fa')
    params = (bytes([0x89, 2]) + u16(40) + u16(0) + u16(0) + u32(0x1701) + u16(512) + u16(0) +
              u32(40) + u16(40) + u16(0) + u32(552) + u32(0) * 3 +
              b''.join(u32(i % 4) for i in range(128)) + key)
    mq = pkt(inband(4, u32(133) + u32(1) + u32(3)))
    mq += ctl_via_gpa(0x40, r_set(21, 0x00010204, params), offset=0x200)
    mq += rec(8, inband(0x41, u32(129) + u32(1))) + rec(16, inband(0x42, u32(129) + u32(0)))
    mq += rec(5 | 16, b'\x07' + frame(100)) + rec(5 | 32 | 8, b'\x04' + frame(60))
    mq += rec(5 | 48 | 8, b'\x00' + frame(1514)) + rec(6, b'\x01')
    seeds['subchannels_rss'] = b'\x03' + mq
    seeds['ctl_queries'] = b'\x03' + b''.join(ctl_via_gpa(0x30 + i, m) for i, m in enumerate(CONTROL[1:]))
    return seeds


def lso(mss, tcp_off, v6=False):
    return ppi(2, 0x40000000 | (0x80000000 if v6 else 0) | (tcp_off << 20) | mss)


def offload_seeds(hdr):
    """PACKETs with LSO/checksum PPIs on real headers (flags 0x07: offloads enabled), good and
    malformed as facts 9 item 6 lists them."""
    on = b'\x07' + u16(0) + u16(0)
    return {
        'lso4_good': on + r_packet(tcp4_frame(4000), lso(1448, 34)),
        'lso6_good': on + r_packet(tcp6_frame(4000), lso(1440, 54, True)),
        'lso4_mss0': on + r_packet(tcp4_frame(4000), lso(0, 34)),
        'lso4_mss_big': on + r_packet(tcp4_frame(4000), lso(1461, 34)),
        'lso4_len0': on + r_packet(tcp4_frame(4000, total=0), lso(1448, 34)),
        'lso4_not_tcp': on + r_packet(tcp4_frame(4000, proto=17), lso(1448, 34)),
        'lso4_offset_wrong': on + r_packet(tcp4_frame(4000, ihl=6), lso(1448, 34)),
        'lso4_v6_ppi': on + r_packet(tcp4_frame(4000), lso(1448, 54, True)),
        'lso4_no_payload': on + r_packet(tcp4_frame(0), lso(1448, 34)),
        'csum4_tcp': on + r_packet(tcp4_frame(100), ppi(0, 0x1 | 0x4 | (34 << 16))),
        'lso_csum_batch': on + r_packet(tcp4_frame(3000), ppi(0, 0x1 | 0x4 | (34 << 16)) + lso(1448, 34),
                                        padding=4) + r_packet(tcp4_frame(10), ppi(0, 0x1 | 0x4 | (34 << 16))),
        'lso_not_enabled': hdr + r_packet(tcp4_frame(4000), lso(1448, 34)),
        'offload_params_raw': b'\x07' + u16(0) + u16(0) + r_set(40, 0xfc01020c, pad(bytes([0x80, 3, 28, 0, 1, 4, 4, 4, 4, 0, 0, 2, 2]), 22) + bytes([2, 2, 0, 0, 0, 0])),
    }


def rndis_seeds():
    seeds = {}
    hdr = b'\x03' + u16(0) + u16(0)
    for i, m in enumerate(CONTROL):
        seeds['ctl_%02d' % i] = (b'\x00' if i == 0 else b'\x03') + u16(len(m) // 2) + u16(0) + m
    seeds['packet_plain'] = hdr + r_packet(frame(60))
    seeds['packet_csum'] = b'\x03' + u16(20) + u16(50) + r_packet(frame(100), ppi(0, 0x1 | 0x4 | (34 << 16)))
    seeds['packet_lso_vlan_hash'] = hdr + r_packet(frame(1400), ppi(8, 0x12345678) + ppi(6, 5 | (100 << 4)) +
                                                   ppi(2, 0x40000000 | (34 << 20) | 1448))
    seeds['packet_udp6'] = hdr + r_packet(frame(200, 0x86dd), ppi(0, 0x2 | 0x8 | (54 << 16)))
    seeds['batch_three'] = b'\x03' + u16(100) + u16(300) + (r_packet(frame(60)) + r_packet(frame(101), padding=3) +
                                                           r_packet(frame(300)))
    seeds['packet_unknown_ppi'] = hdr + r_packet(frame(64), ppi(0x55, 1) + ppi(0x80000001, 0x07000001))
    seeds.update(offload_seeds(hdr))
    return seeds


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..')
    for name, seeds in (('fuzz_nvsp', nvsp_seeds()), ('fuzz_rndis', rndis_seeds())):
        d = os.path.join(root, 'tests', 'fuzz', 'corpus', name)
        os.makedirs(d, exist_ok=True)
        for k, v in seeds.items():
            with open(os.path.join(d, k), 'wb') as f:
                f.write(v)


if __name__ == '__main__':
    main()
