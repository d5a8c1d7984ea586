"""A deterministic synthetic Norwegian hospital as FHIR R4 resources, for seeding the mock EPJ."""

from mock_epj.seed.hospital import Login, SeedData, generate

__all__ = ["Login", "SeedData", "generate"]
