"""The pytest layer: the only part of the engine that imports pytest."""
