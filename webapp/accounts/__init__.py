"""Accounts: who people are, how they sign in, and who works with whom."""
