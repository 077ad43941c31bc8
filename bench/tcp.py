#!/usr/bin/env python3
"""Report for bench/tcp.sh: the round lines (one per iperf3 run, written with bench/vmbus.py
iperf) into a table of medians per (contender, MTU, offloads), the issue-4 ratios, and every JSON
line (input, then "summary" and "ratio" lines).

  tcp.py report FILE
"""

import argparse
import json
import statistics
import sys

# (name, numerator key, denominator key, target or None); keys are (contender, offloads)
RATIOS = [
    ("vsw-pp on/off", ("vsw-pp", "on"), ("vsw-pp", "off"), 3.0),
    ("vsw-pp on/ovs", ("vsw-pp", "on"), ("ovs", "tx-off"), 2.0),
    ("vsw-pp on/veth on", ("vsw-pp", "on"), ("veth", "on"), 0.35),
    ("vsw-pu on/off", ("vsw-pu", "on"), ("vsw-pu", "off"), None),
    ("vsw-pu on/ovs", ("vsw-pu", "on"), ("ovs", "tx-off"), None),
    ("vsw-pu on/veth on", ("vsw-pu", "on"), ("veth", "on"), None),
    ("vsw-pp off/veth off", ("vsw-pp", "off"), ("veth", "off"), None),
]
TARGET_MTU = 1500


def read_json_lines(path):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    return out


def key_of(r):
    return (r["contender"], r.get("mtu"), r.get("offloads"))


def summarize(rounds):
    keys, summaries = [], {}
    for r in rounds:
        if key_of(r) not in keys:
            keys.append(key_of(r))
    for k in keys:
        good = [r for r in rounds if key_of(r) == k and r.get("ok")]
        bad = [r for r in rounds if key_of(r) == k and not r.get("ok")]
        s = {"type": "summary", "contender": k[0], "mtu": k[1], "offloads": k[2], "metric": "gbps",
             "rounds_ok": len(good), "rounds_failed": len(bad)}
        if good:
            v = [r["gbps"] for r in good]
            s.update({"median": round(statistics.median(v), 3), "min": round(min(v), 3),
                      "max": round(max(v), 3)})
            cpu = [r["vsw_cpu_s_per_s"] for r in good if r.get("vsw_cpu_s_per_s") is not None]
            if cpu:
                s["median_vsw_cpu_s_per_s"] = round(statistics.median(cpu), 3)
            busy = [b for r in good for b in (r.get("b_busy_pct") or []) if b is not None]
            if busy:
                s["median_b_busy_pct"] = round(statistics.median(busy), 1)
            rtx = [r["retransmits"] for r in good if r.get("retransmits") is not None]
            if rtx:
                s["median_retransmits"] = statistics.median(rtx)
        if bad:
            s["problems"] = sorted({r.get("problem", "?") for r in bad})
        summaries[k] = s
    return keys, summaries


def ratios(rounds, summaries, mtus):
    out = []
    for name, (ca, oa), (cb, ob), target in RATIOS:
        for mtu in mtus:
            sa, sb = summaries.get((ca, mtu, oa)), summaries.get((cb, mtu, ob))
            if not sa or not sb or "median" not in sa or "median" not in sb or sb["median"] <= 0:
                continue
            same = []
            for ra in rounds:
                if key_of(ra) != (ca, mtu, oa) or not ra.get("ok"):
                    continue
                for rb in rounds:
                    if key_of(rb) == (cb, mtu, ob) and rb.get("ok") and rb["round"] == ra["round"] \
                            and rb["gbps"] > 0:
                        same.append(ra["gbps"] / rb["gbps"])
            o = {"type": "ratio", "name": name, "mtu": mtu,
                 "ratio_of_medians": round(sa["median"] / sb["median"], 3)}
            if same:
                o.update({"same_round_min": round(min(same), 3), "same_round_max": round(max(same), 3)})
            if target is not None and mtu == TARGET_MTU:
                o["target"] = target
                o["met"] = o["ratio_of_medians"] >= target
            out.append(o)
    return out


def cmd_report(args):
    rounds, others = [], []
    for obj in read_json_lines(args.file):
        (rounds if obj.get("type") == "round" else others).append(obj)
    keys, summaries = summarize(rounds)
    mtus = sorted({k[1] for k in keys if k[1] is not None})
    rs = ratios(rounds, summaries, mtus)

    meta = next((o for o in others if o.get("type") == "meta"), {})
    if meta:
        print(f"# {meta.get('date', '')}  {meta.get('host', '')}  kernel {meta.get('kernel', '')}  "
              f"rounds {meta.get('rounds', '')}  warmup {meta.get('warmup_s', '')} s  "
              f"measure {meta.get('duration_s', '')} s  endpoints CPU {meta.get('cpu_endpoints', '')}  "
              f"switch CPU {meta.get('cpu_switch', '')}")
    print()
    print("iperf3 TCP, one stream, Gbit/s: median [min-max over rounds]; vswitchd CPU s/s; "
          "switch thread busy %")
    print(f"{'contender':<10} {'mtu':>5} {'offloads':>8} {'Gbit/s':>24} {'vsw CPU':>8} {'busy %':>7}")
    for k in sorted(keys, key=lambda k: (k[1] or 0, k[0], k[2] or "")):
        s = summaries[k]
        if "median" in s:
            cell = f"{s['median']:.2f} [{s['min']:.2f}-{s['max']:.2f}]"
        else:
            cell = "FAILED"
        if s["rounds_failed"]:
            cell += f" ({s['rounds_failed']} bad)"
        cpu = s.get("median_vsw_cpu_s_per_s")
        busy = s.get("median_b_busy_pct")
        print(f"{k[0]:<10} {k[1]:>5} {k[2]:>8} {cell:>24} {'-' if cpu is None else cpu:>8} "
              f"{'-' if busy is None else busy:>7}")
    if rs:
        print()
        print("Ratios of the medians [min-max of same-round ratios]; targets at MTU "
              f"{TARGET_MTU}")
        for o in rs:
            rng = f" [{o['same_round_min']:.3f}-{o['same_round_max']:.3f}]" if "same_round_min" in o else ""
            tgt = ""
            if "target" in o:
                tgt = f"   target >= {o['target']}: {'met' if o['met'] else 'NOT met'}"
            print(f"  {o['name']:<22} mtu {o['mtu']:>5} {o['ratio_of_medians']:.3f}{rng}{tgt}")
    bad = [r for r in rounds if not r.get("ok")]
    if bad:
        print()
        print("Failed rounds:")
        for r in bad:
            print(f"  {r['contender']} mtu {r.get('mtu')} offloads {r.get('offloads')} round "
                  f"{r['round']}: {r.get('problem', '?')}")
    print()
    for o in others + rounds + [summaries[k] for k in keys] + rs:
        print(json.dumps(o))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("report")
    r.add_argument("file")
    args = ap.parse_args()
    return cmd_report(args)


if __name__ == "__main__":
    sys.exit(main())
