"""Organisations and their locations, as an admin sees them."""
