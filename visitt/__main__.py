"""Run Visitt with ``python -m visitt``."""

from visitt.cli import main

raise SystemExit(main())
