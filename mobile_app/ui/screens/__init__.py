"""One module per screen; each renders its state object and calls its methods, nothing more."""
