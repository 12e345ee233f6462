"""Support code for Proctor's end-to-end tests (tests/e2e)."""
