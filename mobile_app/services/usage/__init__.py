"""Usage logging for evaluators: privacy-safe events, written on the device and sent to a collector.

The app creates one ``UsageLog(UsageConfig.load())`` and calls ``event()``; see log.py for the
calls, registry.py for the events and their attributes, records.py for the record format and
otlp.py for how records travel (OpenTelemetry logs over HTTP/JSON).
"""

from mobile_app.services.usage.config import UsageConfig
from mobile_app.services.usage.log import Timing, UsageLog, UsageStats
from mobile_app.services.usage.records import Pseudonymizer
from mobile_app.services.usage.registry import EVENTS, EventRejected, EventSpec, error_type
from mobile_app.services.usage.sus import SUS_ITEMS_EN, sus_score
from mobile_app.services.usage.sus_schedule import SusSchedule

__all__ = [
    "EVENTS",
    "SUS_ITEMS_EN",
    "EventRejected",
    "EventSpec",
    "Pseudonymizer",
    "SusSchedule",
    "Timing",
    "UsageConfig",
    "UsageLog",
    "UsageStats",
    "error_type",
    "sus_score",
]
