"""The published warehouse and its history: the atomic publish, the records of every
publication, the kept files, the diff between two of them, what each changed, rollback."""
