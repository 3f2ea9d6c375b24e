"""Audit: who changed what of whose data, and when."""
