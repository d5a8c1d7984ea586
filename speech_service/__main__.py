"""``python -m speech_service`` runs the ``visitt-speech`` command."""

import sys

from speech_service.cli import main

sys.exit(main())
