"""The pure-Python reference backend (see ``backend.PythonBackend``)."""
