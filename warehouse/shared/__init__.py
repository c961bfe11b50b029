"""What every room of the warehouse uses: its errors, the one-writer lock, the shape of a
run's summary, results rendered as text tables."""
