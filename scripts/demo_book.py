"""Generate the demo book: accounts and invoices CSVs in the forms that
`dunnctl import` reads. Deterministic (fixed seed), stdlib only.

usage: demo_book.py OUTDIR START_DATE(YYYY-MM-DD) [N_ACCOUNTS]
"""
import csv
import datetime
import os
import random
import sys

out, start = sys.argv[1], datetime.date.fromisoformat(sys.argv[2])
n = int(sys.argv[3]) if len(sys.argv) > 3 else 240
rnd = random.Random(20261123)

# locale, time zone, currency, amounts (major units as on the bill), names, phone prefix
PROFILES = [
    ("en-US", "America/New_York", "USD", ["49.90", "89.00", "120.50", "19.99"],
     ["Alice Walker", "Brian Ortiz", "Chloe Kim", "David Chen", "Emma Brown"], "+1202555"),
    ("en-US", "America/Los_Angeles", "USD", ["35.00", "64.20", "210.00"],
     ["Frank Miller", "Grace Lee", "Hannah Park", "Ian Wright"], "+1415555"),
    ("en-GB", "Europe/London", "GBP", ["29.99", "45.00", "150.00"],
     ["Olivia Smith", "Harry Jones", "Amelia Taylor", "George Davies"], "+447700"),
    ("ko-KR", "Asia/Seoul", "KRW", ["55000", "120000", "33000", "250000"],
     ["김민수", "이서연", "박지훈", "최유진", "정하늘"], "+8210"),
    ("ja-JP", "Asia/Tokyo", "JPY", ["5000", "12800", "3980", "24000"],
     ["佐藤 健", "鈴木 花子", "高橋 翔", "田中 美咲", "渡辺 大輔"], "+8190"),
    ("zh-CN", "Asia/Shanghai", "CNY", ["128.00", "99.50", "560.00"],
     ["王伟", "李娜", "张敏", "刘洋", "陈静"], "+86138"),
]

os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "accounts.csv"), "w", newline="") as fa, \
        open(os.path.join(out, "invoices.csv"), "w", newline="") as fi:
    wa, wi = csv.writer(fa), csv.writer(fi)
    wa.writerow(["account_ref", "name", "email", "phone", "locale", "timezone", "segment"])
    wi.writerow(["invoice_ref", "account_ref", "amount", "currency", "due_date", "description"])
    for i in range(1, n + 1):
        loc, tz, cur, amounts, names, prefix = PROFILES[i % len(PROFILES)]
        ref = "ACC-%05d" % i
        name = rnd.choice(names)
        phone = prefix + "%07d" % rnd.randrange(10**7)
        segment = "business" if i % 7 == 0 else "retail"
        wa.writerow([ref, name, "customer%05d@demo.example" % i, phone, loc, tz, segment])
        # One or two invoices, due in the ten days before the walk starts.
        for k in range(1 + (i % 5 == 0)):
            due = start - datetime.timedelta(days=rnd.randrange(0, 10))
            wi.writerow(["INV-%05d-%d" % (i, k), ref, rnd.choice(amounts), cur,
                         due.isoformat(), "Service %s" % due.strftime("%Y-%m")])
