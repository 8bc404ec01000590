"""Matching and explanations as operations: the engine behind access checks."""
