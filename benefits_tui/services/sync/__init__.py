"""The sync engine: requesting syncs, pre-flight checks, and the worker that talks to Benefits."""
