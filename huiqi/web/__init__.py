"""The web portal and the JSON API (``/api/v1``): a shell around the service functions.

Pages and endpoints parse the request, call one service function (which checks
access), and render the result; nothing here decides who may see what. The
engine and the ledger never import this package. ``create_app`` (in ``app.py``)
builds the FastAPI application; ``huiqi serve`` runs it under uvicorn.
"""
