"""Ready-made phrases and the wordings built from them: written once, read in every language."""
