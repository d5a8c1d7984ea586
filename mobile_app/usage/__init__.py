"""The evaluators' side of the usage logs: reading, analysis, the HTML report, the simulator and the
``visitt-usage`` command. The phone's side (logging and sending) is mobile_app/services/usage/."""
