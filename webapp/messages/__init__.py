"""Messages between coaches and participants, written once and read in each reader's language."""
