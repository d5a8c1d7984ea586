"""Screen state as plain observable objects: all UI logic lives here, testable without a page."""
