"""A stand-in for the hospital EPJ: a FHIR R4 server on the standard library over SQLite."""
