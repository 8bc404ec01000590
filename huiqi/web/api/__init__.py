"""The JSON API, version 1 (``/api/v1``): the same service functions as the pages."""
