"""Schedule: places, events, recurring series, and who comes to what."""
