"""What each source is, in one place: its name and label, its steps, its raw tables, its
gate, its dbt selector, its ops table (warehouse/sources/registry.py)."""
