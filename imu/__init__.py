"""Acquisition: scan, connect, stream, timestamps, loss detection, reconnect and the simulated sensor."""
