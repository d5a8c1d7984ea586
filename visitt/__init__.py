"""The ``visitt`` command: the app, with the mock EPJ embedded unless ``--epj-url`` is given.

This launcher is the one place that knows both programs; the app itself never imports the mock.
"""
