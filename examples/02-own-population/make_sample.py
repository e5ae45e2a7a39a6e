"""Writes sample.csv: made-up answers of 80 invented persons to a 20-item value questionnaire (two items per
value, 1 = not like me at all ... 6 = very much like me). Nobody answered these; they exist so the example runs
without anyone's data. Each invented person leans towards one value and its neighbours on Schwartz's circle.
Run: python3 examples/02-own-population/make_sample.py (standard library only, seeded)."""
import math
import random

VALUES = ["sd", "st", "he", "ac", "po", "se", "co", "tr", "be", "un"]
rng = random.Random(2026)
rows = []
for person in range(1, 81):
    lean = rng.randrange(10)
    row = [f"p{person:03d}"]
    for v, _ in enumerate(VALUES):
        closeness = math.cos(2 * math.pi * (v - lean) / 10)
        for _item in range(2):
            x = 3.5 + 1.6 * closeness + rng.gauss(0, 0.9)
            row.append(str(min(6, max(1, round(x)))))
    rows.append(",".join(row))
header = ",".join(["id"] + [f"{v}{i}" for v in VALUES for i in (1, 2)])
with open(__file__.replace("make_sample.py", "sample.csv"), "w") as f:
    f.write(header + "\n" + "\n".join(rows) + "\n")
