"""Selftests of the `tooling` part."""
