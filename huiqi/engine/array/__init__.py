"""The array backend: bulk matching over in-memory, dictionary-encoded columns (NumPy; CuPy)."""
