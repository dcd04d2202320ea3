"""Selftests of the contract: the OpenAPI document, its examples and the seed page."""
