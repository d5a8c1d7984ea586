"""Run the mock EPJ with ``python -m mock_epj``."""

from mock_epj.cli import main

raise SystemExit(main())
