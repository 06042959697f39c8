#!/usr/bin/env python3
"""Independent oracle for engine/fee.c (check_fee): reads lines
"currency exponent base rate fixed cap legal already" (minor units, -1 for
none; rate is percent * 10^4) and prints the fee in minor units. It works
in major units with Decimal, as a person reading the policy would:
percent of the overdue amount, quantized to the currency's exponent
half up, plus the fixed fee, then the cap, then the legal maximum's room."""
import sys
from decimal import Decimal, ROUND_HALF_UP, getcontext

getcontext().prec = 60

for line in sys.stdin:
    cur, exp, base, rate, fixed, cap, legal, already = line.split()
    exp = int(exp)
    unit = Decimal(1).scaleb(-exp)          # 0.01 for USD, 1 for JPY
    major = lambda m: Decimal(int(m)) * unit
    base, fixed, cap, legal, already = (int(x) for x in (base, fixed, cap, legal, already))
    pct = Decimal(int(rate)) / Decimal(10000)
    charges = fixed > 0 or (int(rate) > 0 and cap >= 0)
    if not charges:
        print(0)
        continue
    fee = Decimal(0)
    if cap >= 0:
        fee += (major(base) * pct / 100).quantize(unit, rounding=ROUND_HALF_UP)
    if fixed > 0:
        fee += major(fixed)
    if cap >= 0:
        fee = min(fee, major(cap))
    if legal >= 0:
        fee = min(fee, max(major(legal) - major(max(already, 0)), Decimal(0)))
    print(int((fee / unit).to_integral_value()))
