"""Demo data for trying Mijn Week: a believable programme around today."""
