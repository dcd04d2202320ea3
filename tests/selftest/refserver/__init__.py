"""Selftests of the `refserver` part."""
