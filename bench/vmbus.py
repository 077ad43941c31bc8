#!/usr/bin/env python3
"""Helper for bench/vmbus.sh: turns the partitions' pktgen output and iperf3's JSON into round
lines, and the round lines into a report.

  vmbus.py pktgen --warmup S --duration S [--expect-len N] [--meta JSON] LOG...
      LOG: the logs of two vsw-guest-pktgen partitions run with ticks=1 (or of two
      vsw-dpdk-app blast partitions, which print the same lines), each sending to the other;
      or the one log of a vsw-dpdk-app pair partition, whose lines carry a "port" key: each
      (log, port) is one receiver. The window starts WARMUP seconds after the last receiver
      started sending and lasts DURATION seconds (cut short if a sender stopped earlier; a round
      whose window is shorter than 3/4 of DURATION is flagged). Each receiver's rate is taken
      from its own once-per-second counters inside the window ((last - first) / elapsed); the
      result is the sum over receivers. Prints one JSON line.
  vmbus.py iperf [--meta JSON] FILE
      FILE: iperf3 -J output of the client. Prints one JSON line (receiver's Gbit/s over the
      non-omitted intervals).
  vmbus.py report FILE
      FILE: the JSON lines written by vmbus.sh. Prints the tables, then every JSON line: the
      input ones, then "summary" and "ratio" lines.
"""

import argparse
import json
import statistics
import sys


def read_json_lines(path):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def window_rate(ticks, t_start, t_end, duration):
    """(packets, bytes, elapsed, per-second packet rates) from the first tick at or after
    t_start to the last tick at most 'duration' (+0.1 s of tick jitter) later and not after
    t_end; None if fewer than two ticks qualify."""
    after = [t for t in ticks if t["t"] >= t_start]
    if not after:
        return None
    last = min(t_end, after[0]["t"] + duration + 0.1)
    inside = [t for t in after if t["t"] <= last]
    if len(inside) < 2:
        return None
    a, b = inside[0], inside[-1]
    per_sec = []
    for x, y in zip(inside, inside[1:]):
        if y["t"] > x["t"]:
            per_sec.append((y["rx"] - x["rx"]) / (y["t"] - x["t"]))
    return (b["rx"] - a["rx"], b["rx_bytes"] - a["rx_bytes"], b["t"] - a["t"], per_sec)


def cmd_pktgen(args):
    res = dict(json.loads(args.meta)) if args.meta else {}
    problems = []
    parts = []
    for path in args.logs:
        lines = read_json_lines(path)
        ports = sorted({x.get("port", -1) for x in lines if x.get("bench") == "guest_pktgen"})
        if not ports:
            print(f"{path}: no final guest_pktgen line (did the partition attach?)", file=sys.stderr)
            return 1
        for port in ports:
            mine = [x for x in lines if x.get("port", -1) == port]
            ticks = [x for x in mine if x.get("bench") == "guest_pktgen_tick"]
            final = [x for x in mine if x.get("bench") == "guest_pktgen"]
            parts.append((ticks, final[-1]))
    if len(parts) != 2:
        print(f"{len(parts)} receivers in the logs, 2 expected", file=sys.stderr)
        return 1
    t_start = max(f["tx_start"] for _, f in parts) + args.warmup
    t_end = min(f["tx_end"] for _, f in parts)
    rx_pkts = rx_bytes = 0
    gbps = 0.0
    per_dir, elapsed, per_sec_lists = [], [], []
    for ticks, final in parts:
        w = window_rate(ticks, t_start, t_end, args.duration)
        if w is None:
            print(f"fewer than two samples in the window {t_start:.3f}-{t_end:.3f}", file=sys.stderr)
            return 1
        pk, by, el, ps = w
        rx_pkts += pk
        rx_bytes += by
        gbps += by * 8 / el / 1e9
        per_dir.append(round(pk / el / 1e6, 4))
        elapsed.append(round(el, 3))
        per_sec_lists.append(ps)
    mpps = sum(per_dir)
    n = min(len(p) for p in per_sec_lists)
    per_sec = [round(sum(p[i] for p in per_sec_lists) / 1e6, 3) for i in range(n)]
    tx_total = sum(f["tx"] for _, f in parts)
    rx_total = sum(f["rx"] for _, f in parts)
    bpp = rx_bytes / rx_pkts if rx_pkts else 0.0
    res.update({
        "mpps": round(mpps, 4),
        "mpps_per_dir": per_dir,
        "gbps": round(gbps, 3),
        "bytes_per_pkt": round(bpp, 2),
        "per_sec_mpps": per_sec,
        "elapsed_s": elapsed,
        "tx_frames": tx_total,
        "rx_frames": rx_total,
        "lost_frames": tx_total - rx_total,
        "tx_pps_per_dir": [round(f["tx_pps"]) for _, f in parts],
        "tx_busy": [f["tx_busy"] for _, f in parts],
        "rx_bad": sum(f["rx_bad"] for _, f in parts),
        "rx_other": sum(f["rx_other"] for _, f in parts),
    })
    if rx_pkts == 0:
        problems.append("no packets received")
    elif min(per_dir) < 0.01 * max(per_dir):
        problems.append("one direction stalled")
    if res["rx_bad"]:
        problems.append(f"{res['rx_bad']} corrupt frames")
    if args.expect_len and rx_pkts and abs(bpp - args.expect_len) > 0.005 * args.expect_len:
        problems.append(f"bytes per packet {bpp:.2f} != {args.expect_len}")
    if min(elapsed) < 0.75 * args.duration:
        problems.append(f"window only {min(elapsed):.1f} s")
    res["ok"] = not problems
    if problems:
        res["problem"] = "; ".join(problems)
    print(json.dumps(res), flush=True)
    return 0


def cmd_iperf(args):
    res = dict(json.loads(args.meta)) if args.meta else {}
    with open(args.file) as f:
        data = json.load(f)
    if data.get("error"):
        print(f"iperf3: {data['error']}", file=sys.stderr)
        return 1
    end = data["end"]
    rcv = end["sum_received"]
    per_sec = [round(iv["sum"]["bits_per_second"] / 1e9, 3) for iv in data.get("intervals", [])
               if not iv["sum"].get("omitted")]
    res.update({
        "gbps": round(rcv["bits_per_second"] / 1e9, 3),
        "bytes": rcv["bytes"],
        "elapsed_s": round(rcv["seconds"], 3),
        "retransmits": end.get("sum_sent", {}).get("retransmits"),
        "per_sec_gbps": per_sec,
        "cpu_sender_pct": round(end.get("cpu_utilization_percent", {}).get("host_total", 0), 1),
        "cpu_receiver_pct": round(end.get("cpu_utilization_percent", {}).get("remote_total", 0), 1),
    })
    problems = []
    if rcv["bytes"] <= 0:
        problems.append("nothing received")
    res["ok"] = not problems
    if problems:
        res["problem"] = "; ".join(problems)
    print(json.dumps(res), flush=True)
    return 0


RATIOS = [("pktgen", "ovs", "mpps"), ("pmd", "ovs", "mpps"), ("pmd", "ovs2", "mpps"),
          ("pmd1", "ovs", "mpps"), ("iperf", "veth", "gbps"), ("iperf", "veth-nooff", "gbps")]


def cmd_report(args):
    rounds, others = [], []
    for obj in read_json_lines(args.file):
        (rounds if obj.get("type") == "round" else others).append(obj)

    def key_of(r):
        return (r["contender"], r.get("frame"))

    keys = []
    for r in rounds:
        if key_of(r) not in keys:
            keys.append(key_of(r))
    metric_of = {}
    for r in rounds:
        if "metric" in r:
            metric_of[r["contender"]] = r["metric"]

    summaries, out_lines = {}, []
    for k in keys:
        c, fr = k
        m = metric_of.get(c, "mpps" if fr else "gbps")
        good = [r for r in rounds if key_of(r) == k and r.get("ok")]
        bad = [r for r in rounds if key_of(r) == k and not r.get("ok")]
        s = {"type": "summary", "contender": c, "frame": fr, "metric": m,
             "rounds_ok": len(good), "rounds_failed": len(bad)}
        if good:
            v = [r[m] for r in good]
            s.update({"median": round(statistics.median(v), 4), "min": round(min(v), 4),
                      "max": round(max(v), 4)})
            busy = [b for r in good for b in (r.get("b_busy_pct") or []) if b is not None]
            if busy:
                s["median_b_busy_pct"] = round(statistics.median(busy), 1)
            # the switch thread's busy time per frame it forwarded: less sensitive than the
            # rate to what limits the endpoints (busy share of one core / frames per second)
            ns = [10.0 * r["b_busy_pct"][0] / r[m] for r in good
                  if m == "mpps" and r.get(m) and r.get("b_busy_pct") and r["b_busy_pct"][0] is not None]
            if ns:
                s["median_b_ns_per_frame"] = round(statistics.median(ns), 1)
        if bad:
            s["problems"] = sorted({r.get("problem", "?") for r in bad})
        summaries[k] = s
        out_lines.append(s)

    frames = sorted({fr for (_, fr) in keys if fr is not None})
    ratios = []
    for a, b, m in RATIOS:
        for fr in (frames if m == "mpps" else [None]):
            sa, sb = summaries.get((a, fr)), summaries.get((b, fr))
            if not sa or not sb or "median" not in sa or "median" not in sb or sb["median"] <= 0:
                continue
            same = []
            for ra in rounds:
                if key_of(ra) != (a, fr) or not ra.get("ok"):
                    continue
                for rb in rounds:
                    if key_of(rb) == (b, fr) and rb.get("ok") and rb["round"] == ra["round"] and rb[m] > 0:
                        same.append(ra[m] / rb[m])
            o = {"type": "ratio", "frame": fr, "name": f"{a}/{b}",
                 "ratio_of_medians": round(sa["median"] / sb["median"], 4)}
            if same:
                o.update({"same_round_min": round(min(same), 4), "same_round_max": round(max(same), 4)})
            ratios.append(o)
            out_lines.append(o)

    def cell(k):
        s = summaries.get(k)
        if not s:
            return "-"
        if "median" not in s:
            return "FAILED"
        t = f"{s['median']:.2f} [{s['min']:.2f}-{s['max']:.2f}]"
        if s["rounds_failed"]:
            t += f" ({s['rounds_failed']} bad)"
        return t

    meta = next((o for o in others if o.get("type") == "meta"), {})
    if meta:
        print(f"# {meta.get('date', '')}  {meta.get('host', '')}  kernel {meta.get('kernel', '')}  "
              f"rounds {meta.get('rounds', '')}  warmup {meta.get('warmup_s', '')} s  "
              f"measure {meta.get('duration_s', '')} s  endpoints CPU {meta.get('cpu_endpoints', '')}  "
              f"switch CPU {meta.get('cpu_switch', '')}")
    pr = [c for c in ("pktgen", "pmd", "pmd1", "ovs", "ovs2") if any(k[0] == c for k in keys)]
    if pr:
        print()
        print("Packet rate, both directions summed, Mpps: median [min-max over rounds]")
        print(f"{'frame':>6} " + "".join(f"{c:>28}" for c in pr))
        for fr in frames:
            print(f"{fr:>6} " + "".join(f"{cell((c, fr)):>28}" for c in pr))
    tcp = [c for c in ("iperf", "veth", "veth-nooff") if any(k[0] == c for k in keys)]
    if tcp:
        print()
        print("iperf3 TCP, one stream, Gbit/s: median [min-max over rounds]")
        print("       " + "".join(f"{c:>28}" for c in tcp))
        print("       " + "".join(f"{cell((c, None)):>28}" for c in tcp))
    if ratios:
        print()
        print("Ratios: of the medians [min-max of same-round ratios]")
        for o in ratios:
            rng = f" [{o['same_round_min']:.3f}-{o['same_round_max']:.3f}]" if "same_round_min" in o else ""
            where = f"frame {o['frame']}" if o["frame"] is not None else "TCP"
            print(f"  {o['name']:<18} {where:<11} {o['ratio_of_medians']:.3f}{rng}")
    busy = [(k, s["median_b_busy_pct"]) for k, s in summaries.items() if "median_b_busy_pct" in s]
    if busy:
        print()
        print("Switch forwarding thread busy (median %): " + ", ".join(
            f"{c}{'/' + str(fr) if fr else ''} {b}" for (c, fr), b in busy))
    cost = [(k, s["median_b_ns_per_frame"]) for k, s in summaries.items() if "median_b_ns_per_frame" in s]
    if cost:
        print()
        print("Switch thread busy time per forwarded frame (median ns): " + ", ".join(
            f"{c}/{fr} {v:.0f}" for (c, fr), v in cost))
    placed = [r for r in rounds if r.get("ok") and r.get("c2c_ns")]
    if placed:
        # the placement of the two vCPUs on the host moves between minutes; a round's rate is
        # only comparable with rounds taken at a similar round trip
        print()
        print("Per round: rate @ core-to-core round trip in ns (the larger of just before/after)")
        for k in keys:
            c, fr = k
            m = metric_of.get(c, "mpps" if fr else "gbps")
            rr = [r for r in placed if key_of(r) == k]
            if rr:
                print(f"  {c + ('/' + str(fr) if fr else ''):<14} " + "  ".join(
                    f"r{r['round']} {r[m]:.2f}@{max(r['c2c_ns']):.0f}" for r in rr))
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
            fr = f" frame {r['frame']}" if r.get("frame") else ""
            print(f"  {r['contender']}{fr} round {r['round']}: {r.get('problem', '?')}")
    print()
    for o in others + rounds + out_lines:
        print(json.dumps(o))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pktgen")
    p.add_argument("--warmup", type=float, default=2)
    p.add_argument("--duration", type=float, default=8)
    p.add_argument("--expect-len", type=int, default=0)
    p.add_argument("--meta", default="")
    p.add_argument("logs", nargs="+")
    i = sub.add_parser("iperf")
    i.add_argument("--meta", default="")
    i.add_argument("file")
    r = sub.add_parser("report")
    r.add_argument("file")
    args = ap.parse_args()
    return {"pktgen": cmd_pktgen, "iperf": cmd_iperf, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
