"""The pure-Python reference evaluator."""
