#!/usr/bin/env python3
"""Independent oracle for dunning.fee_split (migration 0029, check_fees):
reads lines "amount w1 w2 ..." and prints the shares, space-separated. It
works with exact fractions, as the rule is written: each invoice's exact
share amount * w / sum(w), its whole part first, then the minor units left
over one each to the largest fractional parts, ties to the earlier."""
import sys
from fractions import Fraction
from math import floor

for line in sys.stdin:
    nums = [int(x) for x in line.split()]
    amount, weights = nums[0], nums[1:]
    total = sum(weights)
    exact = [Fraction(amount * w, total) for w in weights]
    shares = [floor(x) for x in exact]
    left = amount - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[:left]:
        shares[i] += 1
    print(" ".join(str(s) for s in shares))
