"""The conformance suite's pytest plugins; dormant for the selftests, which never ask for a target.

The engine (`conformance.plugin`) tests a target; the harness (`harness.plugin`) offers the
embedded reference server when no BASE_URL names one; `conformance.htmlplugin` titles
report.html, links it to summary.html and writes summary.html after a conformance run."""

pytest_plugins = ["conformance.plugin", "harness.plugin", "conformance.htmlplugin"]
