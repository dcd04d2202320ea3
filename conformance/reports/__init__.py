"""Reports built from the run's typed outcomes: JSON, Markdown, HTML, terminal."""
