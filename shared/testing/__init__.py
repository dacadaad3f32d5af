"""Helpers for the project's tests: a fresh migrated database, sites made to
measure, and a listener for the events services publish."""
