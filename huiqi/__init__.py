"""huiqi: deliver business-support policies to the enterprises that qualify."""

__version__ = "0.1.0"
