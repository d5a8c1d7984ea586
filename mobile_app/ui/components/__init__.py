"""Reusable widgets: patient banner and rows, loading/empty/error states, section headers."""
