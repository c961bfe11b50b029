"""What statisticians work from: each run's submissions with their problems, warnings and
flagged figures, the feedback workbooks for countries, quarantine and release."""
