"""What the engine judges: verdicts on exchanges, semantic checks, Schemathesis property checks."""
