"""The suite's own command (`conformance`): the front door over the engine, the harness and the
tooling."""
