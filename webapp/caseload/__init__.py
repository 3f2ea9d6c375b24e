"""The coach's caseload: who needs attention, and each participant's page."""
