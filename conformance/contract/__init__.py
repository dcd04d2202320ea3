"""The contract as data: the OpenAPI document, its rules, the boundary matrix and the probe tables."""
