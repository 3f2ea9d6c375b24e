"""Taalmaatjes: buddy and participant plan and confirm their meetings together."""
