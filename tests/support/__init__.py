"""Helpers the tests (and benchmarks) share: classes, functions and constants, never fixtures.

Fixtures live in the ``conftest.py`` of the folder that uses them; what they build on lives here,
in modules named for what they are (``mock_server``, ``fake_epj``, ``browser``, ``clocks`` ...),
so a test imports a helper from one obvious place and never from a conftest.
"""
