"""One run: its settings, typed outcomes, the preflight, the baseline and the exit status."""
