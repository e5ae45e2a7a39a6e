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

# Mean centered score of each value by condition: the value profile each prompt produces.
profile = scores.pivot_table(index="condition", columns="subscale", values="centered", aggfunc="mean")
print(profile.round(2).to_string())

# Which value each value-prompted agent ranks highest, against the value its prompt asked for.
top = scores.loc[scores.groupby("agent_id")["centered"].idxmax(), ["agent_id", "primed_value", "subscale"]]
primed = top[top["primed_value"].notna()]
hit = (primed["primed_value"] == primed["subscale"]).mean()
print(f"value-prompted agents whose highest value is the prompted one: {hit:.1%}")
