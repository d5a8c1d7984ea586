"""Long-lived app services the screens receive: session and lock, token storage, the outbox."""
