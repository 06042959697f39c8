#!/usr/bin/python3
# The billing API's bulk upsert under load: ACCOUNTS accounts in one
# request, then INVOICES invoices in requests of 1,000 over one kept-alive
# connection, twice (the first pass inserts, the second updates every row
# by reference). Bodies are built before the clock starts. Prints one line
# per pass: "pass=insert invoices=N seconds=S per_s=R p50_ms=A max_ms=B".
import http.client
import json
import sys
import time

host, port = sys.argv[1].rsplit(":", 1)
key, n_inv, n_acct = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
conn = http.client.HTTPConnection(host, int(port), timeout=120)
seq = 0


def post(path, body):
    global seq
    seq += 1
    conn.request("POST", path, body=body, headers={
        "Authorization": "Bearer " + key, "Content-Type": "application/json",
        "Idempotency-Key": "bench-%d" % seq})
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        sys.exit("api_client: %s %d %s" % (path, r.status, data[:300]))
    return json.loads(data)


accounts = [{"account_ref": "B-%d" % i, "name": "Bench Customer %d" % i,
             "email": "b%d@bench.example" % i, "locale": "en-US", "timezone": "America/New_York"}
            for i in range(n_acct)]
for i in range(0, n_acct, 1000):
    post("/api/v1/accounts", json.dumps({"accounts": accounts[i:i + 1000]}))

for amount, name in (("49.90", "insert"), ("59.90", "update")):
    bodies = []
    for i in range(0, n_inv, 1000):
        rows = [{"invoice_ref": "BI-%d" % k, "account_ref": "B-%d" % (k % n_acct),
                 "amount": amount, "currency": "USD", "due_date": "2027-01-15",
                 "description": "Plan"} for k in range(i, min(i + 1000, n_inv))]
        bodies.append(json.dumps({"invoices": rows}))
    lat = []
    t0 = time.monotonic()
    for b in bodies:
        t = time.monotonic()
        post("/api/v1/invoices", b)
        lat.append(time.monotonic() - t)
    s = time.monotonic() - t0
    lat.sort()
    print("pass=%s invoices=%d seconds=%.2f per_s=%.0f p50_ms=%.0f max_ms=%.0f body_kb=%.0f" % (
        name, n_inv, s, n_inv / s, 1000 * lat[len(lat) // 2], 1000 * lat[-1],
        len(bodies[0]) / 1024))
