"""Selftests of the `engine` part."""
