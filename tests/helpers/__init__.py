"""Helpers shared by the schedule and web tests (owned by them; others may import)."""
