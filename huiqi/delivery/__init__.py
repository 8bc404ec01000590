"""Delivery: turn matches into benefits exactly once, and keep the books."""
