"""Device profiles (GATT UUIDs, start/stop commands) and pure packet codecs; no I/O."""
