"""Tests for the pure domain code in mobile_app.domain."""
