-- The same with DuckDB, straight from the CSV files:
--   npx valuesim export runs/<run-id>
--   cd runs/<run-id>/export && duckdb < ../../../examples/06-analyse-export/analyse.sql
SELECT count(DISTINCT agent_id) AS agents, count(*) AS answers, count(*) FILTER (WHERE value IS NULL) AS missing
FROM read_csv_auto('answers.csv');

-- Mean centered score of each value by condition, values in Schwartz's circle order (others after them).
SELECT condition, subscale, round(avg(centered), 2) AS mean_centered
FROM read_csv_auto('scores.csv')
GROUP BY condition, subscale
ORDER BY condition, coalesce(list_position(['SD', 'ST', 'HE', 'AC', 'PO', 'SE', 'CO', 'TR', 'BE', 'UN'], subscale), 99), subscale;

-- Share of value-prompted agents whose single highest value is the prompted one. An agent whose highest centered
-- score is shared by several values has no single highest value (as in valuesim's dominant-value shares): it is
-- counted as tied and left out of the rate, as analyse.py does.
WITH scores AS (SELECT * FROM read_csv_auto('scores.csv')),
best AS (SELECT agent_id, max(centered) AS best FROM scores GROUP BY agent_id),
top AS (
  SELECT s.agent_id, any_value(s.primed_value) AS primed_value, any_value(s.subscale) AS subscale, count(*) AS n
  FROM scores s JOIN best b ON s.agent_id = b.agent_id AND s.centered = b.best
  GROUP BY s.agent_id
)
SELECT avg(CASE WHEN primed_value = subscale THEN 1 ELSE 0 END) FILTER (WHERE n = 1) AS hit_rate,
       count(*) FILTER (WHERE n = 1) AS single_highest,
       count(*) FILTER (WHERE n > 1) AS tied
FROM top WHERE primed_value IS NOT NULL;
