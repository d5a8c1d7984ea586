"""The Flet UI: screens (one per module), shared components, view-model state, theme and the message
catalogue. It holds no business logic; it reads the EPJ through the ``Epj`` protocol and the services."""
