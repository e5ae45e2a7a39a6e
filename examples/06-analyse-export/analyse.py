"""Reads the export of a run with pandas: the answers (one row per agent x item) and the scores (one row per
agent x value). Usage:
    npx valuesim export runs/<run-id>            # writes runs/<run-id>/export/answers.csv and scores.csv
    python3 examples/06-analyse-export/analyse.py runs/<run-id>/export
Needs pandas (pip install pandas)."""
import sys

import pandas as pd

folder = sys.argv[1] if len(sys.argv) > 1 else "export"
answers = pd.read_csv(f"{folder}/answers.csv")
scores = pd.read_csv(f"{folder}/scores.csv")

print(f"{answers['agent_id'].nunique()} agents, {len(answers)} answers, {answers['value'].isna().sum()} missing")

# Schwartz's circle order (pandas would otherwise sort the columns alphabetically); other subscales after it.
CIRCLE = ["SD", "ST", "HE", "AC", "PO", "SE", "CO", "TR", "BE", "UN"]

# Mean centered score of each value by condition: the value profile each prompt produces.
profile = scores.pivot_table(index="condition", columns="subscale", values="centered", aggfunc="mean")
profile = profile[[c for c in CIRCLE if c in profile.columns] + [c for c in profile.columns if c not in CIRCLE]]
print(profile.round(2).to_string())

# Which value each value-prompted agent ranks highest, against the value its prompt asked for. An agent whose
# highest centered score is shared by several values has no single highest value (valuesim's dominant-value
# shares use the same rule): it is counted as tied and left out of the rate, never given the first of its tied
# values (which would depend on the row order). analyse.sql does the same.
best = scores.groupby("agent_id")["centered"].transform("max")
at_top = scores[scores["centered"] == best]
top = at_top.groupby("agent_id").agg(primed_value=("primed_value", "first"), subscale=("subscale", "first"), n=("subscale", "size"))
primed = top[top["primed_value"].notna()]
single = primed[primed["n"] == 1]
hit = (single["primed_value"] == single["subscale"]).mean()
tied = int((primed["n"] > 1).sum())
print(f"value-prompted agents whose single highest value is the prompted one: {hit:.1%} "
      f"(of {len(single)} with a single highest value; {tied} tied for their highest value, left out)")
