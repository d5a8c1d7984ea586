"""Tests for the synthetic hospital the mock EPJ is seeded with."""
