#!/usr/bin/env python3
"""Helper for bench/run.sh: reads packet counters from a DPDK process's telemetry
socket and turns result lines into a report.

  pktrate.py wait-link --socket PATH [--ports 0,1] [--timeout S] [--split S]
      Wait until the socket answers and every listed port reports link UP.
  pktrate.py measure --socket PATH [--socket PATH...] [--ports 0,1] --warmup S --duration S
                     [--expect-len N] [--meta JSON]
      Sample /ethdev/stats of the ports (of every process, when several sockets are given:
      their ports are summed like one process's) once per second. Samples taken during the
      warm-up are discarded; the rate is (last - first) / elapsed over the rest.
      Prints one JSON line (meta fields merged in).
  pktrate.py report FILE
      Reads the JSON lines written by run.sh (type "round", "c2c", "meta"), prints a
      table on stdout, then every JSON line: the input ones, then "summary" and
      "ratio" lines.
"""

import argparse
import json
import socket
import statistics
import sys
import time


class Telemetry:
    def __init__(self, path, timeout=2.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        hello = json.loads(self.sock.recv(65536).decode())
        self.max_len = int(hello.get("max_output_len", 16384))

    def query(self, cmd):
        self.sock.send(cmd.encode())
        reply = json.loads(self.sock.recv(self.max_len + 1024).decode())
        return reply.get(cmd.split(",", 1)[0])

    def close(self):
        self.sock.close()


def parse_ports(text):
    return [int(p) for p in text.split(",") if p != ""]


def cmd_wait_link(args):
    """Exit 0 once all ports are UP. Give up after --timeout, or earlier when some
    ports have been UP and others DOWN for --split seconds: the memif ports of one
    process connect within milliseconds of each other, so a port still down by then
    has failed its handshake and will not recover by itself."""
    ports = parse_ports(args.ports)
    start = time.monotonic()
    deadline = start + args.timeout
    last = "socket not ready"
    split_since = None
    while time.monotonic() < deadline:
        try:
            tm = Telemetry(args.socket)
            try:
                states = {}
                for p in ports:
                    st = tm.query(f"/ethdev/link_status,{p}")
                    states[p] = (st or {}).get("status", "?")
                if all(s == "UP" for s in states.values()):
                    print(f"wait-link: up after {time.monotonic() - start:.1f} s", file=sys.stderr)
                    return 0
                last = "link " + " ".join(f"{p}:{s}" for p, s in states.items())
                if any(s == "UP" for s in states.values()):
                    now = time.monotonic()
                    split_since = split_since or now
                    if args.split > 0 and now - split_since >= args.split:
                        print(f"wait-link: gave up, {last} for {args.split:.0f} s", file=sys.stderr)
                        return 1
                else:
                    split_since = None
            finally:
                tm.close()
        except (OSError, ValueError) as e:
            last = f"telemetry: {e}"
        time.sleep(0.1)
    print(f"wait-link: timeout after {args.timeout:.0f} s ({last})", file=sys.stderr)
    return 1


def sample(tm, ports):
    """One reading of all ports: (time, per-port stats dicts)."""
    per_port = []
    t_before = time.monotonic()
    for p in ports:
        st = tm.query(f"/ethdev/stats,{p}")
        if st is None:
            raise ValueError(f"no /ethdev/stats for port {p}")
        per_port.append(st)
    t_after = time.monotonic()
    return ((t_before + t_after) / 2, per_port)


def sample_all(tms, ports):
    """One reading of the ports of every process: (time, per-port stats, process by process)."""
    readings = [sample(tm, ports) for tm in tms]
    return (sum(t for t, _ in readings) / len(readings), [st for _, sts in readings for st in sts])


def cmd_measure(args):
    ports = parse_ports(args.ports)
    tms = [Telemetry(path) for path in args.socket]
    start = time.monotonic()
    samples = []
    n_total = int(round(args.warmup)) + int(args.duration) + 1
    # One reading per second on a fixed schedule; readings before the warm-up ends are
    # only used to detect a dead loop early.
    for k in range(n_total):
        target = start + k
        delay = target - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        samples.append(sample_all(tms, ports))
    for tm in tms:
        tm.close()

    first_idx = int(round(args.warmup))
    meas = samples[first_idx:]
    (t0, s0), (t1, s1) = meas[0], meas[-1]
    elapsed = t1 - t0

    def total(s, key):
        return sum(x[key] for x in s)

    rx_pkts = total(s1, "ipackets") - total(s0, "ipackets")
    rx_bytes = total(s1, "ibytes") - total(s0, "ibytes")
    tx_pkts = total(s1, "opackets") - total(s0, "opackets")
    per_dir = [(s1[i]["ipackets"] - s0[i]["ipackets"]) / elapsed / 1e6 for i in range(len(s1))]
    per_sec = []
    for (ta, sa), (tb, sb) in zip(meas, meas[1:]):
        per_sec.append(round((total(sb, "ipackets") - total(sa, "ipackets")) / (tb - ta) / 1e6, 3))
    errors = {}
    for key in ("imissed", "ierrors", "oerrors", "rx_nombuf"):
        errors[key] = total(s1, key) - total(s0, key)

    res = dict(json.loads(args.meta)) if args.meta else {}
    bpp = rx_bytes / rx_pkts if rx_pkts else 0.0
    res.update({
        "mpps": round(rx_pkts / elapsed / 1e6, 4),
        "mpps_per_port": [round(x, 4) for x in per_dir],
        "tx_mpps": round(tx_pkts / elapsed / 1e6, 4),
        "gbps": round(rx_bytes * 8 / elapsed / 1e9, 3),
        "bytes_per_pkt": round(bpp, 2),
        "per_sec_mpps": per_sec,
        "elapsed_s": round(elapsed, 3),
        "errors": errors,
    })
    problems = []
    if rx_pkts == 0:
        problems.append("no packets came back")
    elif min(per_dir) < 0.01 * max(per_dir):
        problems.append("one direction stalled")
    # Packet and byte counters are read while the forwarding lcore updates them, so
    # the average is exact only up to a few packets at the window edges: allow 0.5 %.
    # Corrupted or chained jumbo frames show up as whole-buffer differences.
    if args.expect_len and rx_pkts and abs(bpp - args.expect_len) > 0.005 * args.expect_len:
        problems.append(f"bytes per packet {bpp:.2f} != {args.expect_len}")
    res["ok"] = not problems
    if problems:
        res["problem"] = "; ".join(problems)
    print(json.dumps(res), flush=True)
    return 0


def fmt_range(vals):
    return f"{min(vals):.2f}-{max(vals):.2f}"


def cmd_report(args):
    rounds, others = [], []
    with open(args.file) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            (rounds if obj.get("type") == "round" else others).append(obj)

    contenders = []
    frames = []
    for r in rounds:
        if r["contender"] not in contenders:
            contenders.append(r["contender"])
        if r["frame"] not in frames:
            frames.append(r["frame"])

    summaries = {}
    out_lines = []
    for fr in frames:
        for c in contenders:
            good = [r for r in rounds if r["frame"] == fr and r["contender"] == c and r.get("ok")]
            bad = [r for r in rounds if r["frame"] == fr and r["contender"] == c and not r.get("ok")]
            if not good and not bad:
                continue
            s = {"type": "summary", "contender": c, "frame": fr, "rounds_ok": len(good),
                 "rounds_failed": len(bad)}
            if good:
                v = [r["mpps"] for r in good]
                s.update({"median_mpps": round(statistics.median(v), 4),
                          "min_mpps": round(min(v), 4), "max_mpps": round(max(v), 4),
                          "median_gbps": round(statistics.median(r["gbps"] for r in good), 3)})
            if bad:
                s["problems"] = sorted({r.get("problem", "?") for r in bad})
            summaries[(c, fr)] = s
            out_lines.append(s)

    # Ratios: of the medians, and the spread of the same-round ratios (contenders
    # are measured back to back within a round, so a round's ratio shares its
    # machine conditions).
    ratio_pairs = [("vswitchd", "ovs"), ("vswitchd", "testpmd"), ("ovs", "testpmd")]
    ratios = {}
    for fr in frames:
        for a, b in ratio_pairs:
            sa, sb = summaries.get((a, fr)), summaries.get((b, fr))
            if not sa or not sb or "median_mpps" not in sa or "median_mpps" not in sb:
                continue
            if sb["median_mpps"] <= 0:
                continue
            per_round = []
            for ra in rounds:
                if ra["frame"] != fr or ra["contender"] != a or not ra.get("ok"):
                    continue
                for rb in rounds:
                    if (rb["frame"] == fr and rb["contender"] == b and rb.get("ok")
                            and rb["round"] == ra["round"] and rb["mpps"] > 0):
                        per_round.append(ra["mpps"] / rb["mpps"])
            o = {"type": "ratio", "frame": fr, "name": f"{a}/{b}",
                 "ratio_of_medians": round(sa["median_mpps"] / sb["median_mpps"], 4)}
            if per_round:
                o.update({"same_round_min": round(min(per_round), 4),
                          "same_round_max": round(max(per_round), 4)})
            ratios[(fr, a, b)] = o
            out_lines.append(o)

    # Human table.
    meta = next((o for o in others if o.get("type") == "meta"), {})
    if meta:
        print(f"# {meta.get('date', '')}  {meta.get('host', '')}  kernel {meta.get('kernel', '')}  "
              f"rounds {meta.get('rounds', '')}  warmup {meta.get('warmup_s', '')} s  "
              f"measure {meta.get('duration_s', '')} s")
    print()
    print("Forwarded rate, both directions summed, Mpps: median [min-max over rounds]")
    hdr = f"{'frame':>6} " + "".join(f"{c:>26}" for c in contenders)
    print(hdr)
    for fr in frames:
        row = f"{fr:>6} "
        for c in contenders:
            s = summaries.get((c, fr))
            if not s:
                cell = "-"
            elif "median_mpps" not in s:
                cell = "FAILED"
            else:
                v = [r["mpps"] for r in rounds if r["frame"] == fr and r["contender"] == c and r.get("ok")]
                cell = f"{s['median_mpps']:.2f} [{fmt_range(v)}]"
                if s["rounds_failed"]:
                    cell += f" ({s['rounds_failed']} bad)"
            row += f"{cell:>26}"
        print(row)
    if ratios:
        print()
        print("Ratios: of the medians [min-max of same-round ratios]")
        names = [f"{a}/{b}" for a, b in ratio_pairs]
        print(f"{'frame':>6} " + "".join(f"{n:>26}" for n in names))
        for fr in frames:
            row = f"{fr:>6} "
            for a, b in ratio_pairs:
                o = ratios.get((fr, a, b))
                if not o:
                    cell = "-"
                elif "same_round_min" in o:
                    cell = f"{o['ratio_of_medians']:.3f} [{o['same_round_min']:.3f}-{o['same_round_max']:.3f}]"
                else:
                    cell = f"{o['ratio_of_medians']:.3f}"
                row += f"{cell:>26}"
            print(row)
    for o in others:
        if o.get("type") == "c2c":
            print()
            print(f"Core-to-core cache-line round trip CPU {o['cpus'][0]}<->{o['cpus'][1]}: "
                  f"median {o['round_trip_ns_median']:.0f} ns, best {o['round_trip_ns_min']:.0f} ns")
    bad = [r for r in rounds if not r.get("ok")]
    if bad:
        print()
        print("Failed rounds:")
        for r in bad:
            print(f"  {r['contender']} frame {r['frame']} round {r['round']}: {r.get('problem', '?')}")
    print()
    for o in others + rounds + out_lines:
        print(json.dumps(o))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("wait-link")
    w.add_argument("--socket", required=True)
    w.add_argument("--ports", default="0,1")
    w.add_argument("--timeout", type=float, default=20)
    w.add_argument("--split", type=float, default=0,
                   help="give up when some ports are up and others down this long (0: never)")
    m = sub.add_parser("measure")
    m.add_argument("--socket", required=True, action="append",
                   help="telemetry socket; repeated: the ports of several processes, summed")
    m.add_argument("--ports", default="0,1")
    m.add_argument("--warmup", type=float, default=3)
    m.add_argument("--duration", type=float, default=6)
    m.add_argument("--expect-len", type=int, default=0)
    m.add_argument("--meta", default="")
    r = sub.add_parser("report")
    r.add_argument("file")
    args = ap.parse_args()
    return {"wait-link": cmd_wait_link, "measure": cmd_measure, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
