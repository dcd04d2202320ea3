"""The conformance suite's pytest plugins; dormant for the selftests, which never ask for a target.

The engine (`conformance.pytest_layer.plugin`) tests a target; the harness (`harness.plugin`) offers the
embedded reference server when no BASE_URL names one; `conformance.pytest_layer.htmlplugin` titles
report.html, links it to summary.html and writes summary.html after a conformance run;
`conformance.pytest_layer.stopline` prints a setup stop as one line."""

pytest_plugins = [
    "conformance.pytest_layer.plugin",
    "harness.plugin",
    "conformance.pytest_layer.htmlplugin",
    "conformance.pytest_layer.stopline",
]
