"""Recomputes the medallion example's gold table from the raw JSON files
with DuckDB, independently of the Go pipeline, and prints it as JSON lines
sorted by (transaction_date, category).

usage: duckdb_gold.py RAW_DIR

The rules are the example's, stated again in SQL: a record is kept when its
line parses, its amount is a number >= 0 and its transaction_date is set;
duplicates of a transaction_id count once; amount_usd converts with the
same fixed rates.
"""
import json
import sys

import duckdb

raw = sys.argv[1].rstrip("/")
con = duckdb.connect()
rows = con.execute(
    f"""
    WITH raw AS (
      SELECT * FROM read_json('{raw}/*.json', format = 'newline_delimited', ignore_errors = true,
        columns = {{transaction_id: 'VARCHAR', customer_id: 'VARCHAR', amount: 'VARCHAR',
                   currency: 'VARCHAR', category: 'VARCHAR', transaction_date: 'VARCHAR'}})
    ),
    typed AS (
      SELECT transaction_id, category, TRY_CAST(transaction_date AS DATE) AS d,
             TRY_CAST(amount AS DOUBLE) AS amount, currency
      FROM raw
      WHERE transaction_id IS NOT NULL
    ),
    clean AS (
      SELECT DISTINCT transaction_id, category, d, amount, currency FROM typed
      WHERE amount IS NOT NULL AND amount >= 0 AND d IS NOT NULL
    ),
    usd AS (
      SELECT d, category, amount * CASE currency WHEN 'USD' THEN 1.0 WHEN 'EUR' THEN 1.08 WHEN 'GBP' THEN 1.27 END AS amount_usd
      FROM clean
    )
    SELECT strftime(d, '%Y-%m-%d'), category, count(*), sum(amount_usd), avg(amount_usd)
    FROM usd GROUP BY d, category ORDER BY d, category
    """
).fetchall()
for d, cat, n, total, avg in rows:
    print(json.dumps({"transaction_date": d, "category": cat, "transactions": n, "total_usd": total, "avg_usd": avg}))
