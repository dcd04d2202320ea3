"""The conformance suite's pytest plugin; dormant for the selftests, which never ask for a target."""

pytest_plugins = ["conformance.plugin"]
