"""Complaints about enterprises (投诉举报) and the detection of profit-seeking professional
complainants (牟利性职业举报).

The detector (``detect`` and the modules it calls: ``minhash``, ``graph``, ``signals``,
``score``) is engine-level code over Arrow tables: it imports no web layer and no ledger.
``models``, ``ledger`` and ``service`` keep complaints, scores and review decisions in the
operational database; the CLI and the web call ``service``.
"""
