"""The nightly and backfill runs, step by step, for the operator: load each source, build
the marts with dbt, gate them, publish, review, and the run's summary page."""
