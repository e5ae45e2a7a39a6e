-- The same with DuckDB, straight from the CSV files:
--   npx valuesim export runs/<run-id>
--   cd runs/<run-id>/export && duckdb < ../../../examples/06-analyse-export/analyse.sql
SELECT count(DISTINCT agent_id) AS agents, count(*) AS answers, count(*) FILTER (WHERE value IS NULL) AS missing
FROM read_csv_auto('answers.csv');

-- Mean centered score of each value by condition.
SELECT condition, subscale, round(avg(centered), 2) AS mean_centered
FROM read_csv_auto('scores.csv')
GROUP BY condition, subscale
ORDER BY condition, subscale;

-- Share of value-prompted agents whose highest value is the prompted one.
WITH ranked AS (
  SELECT agent_id, primed_value, subscale, row_number() OVER (PARTITION BY agent_id ORDER BY centered DESC) AS r
  FROM read_csv_auto('scores.csv')
)
SELECT avg(CASE WHEN primed_value = subscale THEN 1 ELSE 0 END) AS hit_rate FROM ranked WHERE r = 1 AND primed_value IS NOT NULL;
