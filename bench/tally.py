"""Small counts for bench/bench.sh.

  tally.py msgsize DUMP       average size of the messages in an smtp-sink -D
                              dump (its own X- lines and Received: left out),
                              and how many there are
  tally.py smsbody LOG OUT    the first generic-API request in the gateway
                              simulator's log, as JSON, into OUT
  tally.py dups LOG           SMS sent more than once (same reference)"""
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


def dups(log):
    c = collections.Counter(json.loads(l)["fields"].get("reference") for l in open(log))
    print(sum(v - 1 for v in c.values() if v > 1))


if __name__ == "__main__":
    {"msgsize": msgsize, "smsbody": smsbody, "dups": dups}[sys.argv[1]](*sys.argv[2:])
