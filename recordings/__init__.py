"""The session format: crash-safe write, read, recover, export, and bundled sample sessions."""
