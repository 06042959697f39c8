"""Small counts for bench/bench.sh.

  tally.py msgsize DUMP       average size of the messages in an smtp-sink -D
                              dump (its own X- lines and Received: left out),
                              and how many there are
  tally.py smsbody LOG OUT    the first generic-API request in the gateway
                              simulator's log, as JSON, into OUT
  tally.py dups LOG           SMS sent more than once (same reference)
  tally.py perf SCRIPT PIDS   from `perf script -G -F comm,pid,ip,sym,dso` of a
                              system-wide profile: the share of every process,
                              then of the processes whose pids are listed
                              (comma-separated), by object and each one's top
                              symbols (self); % of all samples"""
import collections
import json
import re
import sys


def msgsize(path):
    data = open(path, "rb").read()
    sizes = []
    for m in re.split(rb"(?m)^X-Client-Addr: ", data):
        if not m:
            continue
        lines = m.split(b"\n")
        i = 1
        while i < len(lines) and lines[i].startswith((b"X-", b"Received:", b"\t")):
            i += 1
        sizes.append(len(b"\n".join(lines[i:])))
    print(sum(sizes) // max(len(sizes), 1), len(sizes))


def smsbody(log, out):
    for line in open(log):
        r = json.loads(line)
        if r.get("provider") == "generic":
            with open(out, "w") as f:
                json.dump(r["fields"], f, ensure_ascii=False)
            return
    sys.exit("tally: no generic request in " + log)


def perf(script, pids):
    ours = set(int(p) for p in pids.split(",") if p)
    line_re = re.compile(r"^\s*(.+?)\s+(\d+)\s+([0-9a-f]+)\s+(.*?)\s+\(([^()]*)\)\s*$")
    total = 0
    by_comm = collections.Counter()
    our_comm = collections.Counter()
    our_dso = collections.Counter()
    our_sym = collections.defaultdict(collections.Counter)
    for line in open(script, errors="replace"):
        m = line_re.match(line)
        if not m:
            continue
        comm, pid, _, sym, dso = m.groups()
        total += 1
        by_comm[comm] += 1
        if int(pid) in ours:
            our_comm[comm] += 1
            dso = dso.rsplit("/", 1)[-1]
            our_dso[(comm, dso)] += 1
            our_sym[comm][(dso, sym.split("+0x")[0] or "?")] += 1
    pct = lambda n: "%6.2f%%" % (100.0 * n / max(total, 1))
    print("== every process on the machine (%d samples)" % total)
    for c, n in by_comm.most_common(12):
        print("  %s  %s" % (pct(n), c))
    print("== this run's processes (dunnd, its PostgreSQL, smtp-sink, the gateway): %s of all" %
          pct(sum(our_comm.values())).strip())
    for (c, d), n in our_dso.most_common(20):
        print("  %s  %-10s %s" % (pct(n), c, d))
    for c, _ in our_comm.most_common(4):
        print("== %s (this run's): top symbols, self" % c)
        for (d, y), n in our_sym[c].most_common(15):
            print("  %s  %-24s %s" % (pct(n), d[:24], y))


def dups(log):
    c = collections.Counter(json.loads(l)["fields"].get("reference") for l in open(log))
    print(sum(v - 1 for v in c.values() if v > 1))


if __name__ == "__main__":
    {"msgsize": msgsize, "smsbody": smsbody, "dups": dups, "perf": perf}[sys.argv[1]](*sys.argv[2:])
