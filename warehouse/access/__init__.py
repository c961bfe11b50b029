"""What analysts reach: SQL on the published warehouse (or a kept publication), and its
tables as files for other tools."""
