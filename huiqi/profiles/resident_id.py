"""The mainland resident ID number's check character (GB 11643-1999), in one place.

An 18-character ID number is 17 digits and a check character: the digits weighted by
:data:`WEIGHTS`, summed, modulo 11, index :data:`CHECKS`. Imports refuse a relation whose
ID number fails it (``linkrules``), the complaints import counts such numbers
(``complaints.reading``), and the synthetic generators make valid ones.

Example:
    >>> digits = "11010119900307123"
    >>> CHECKS[sum(int(d) * w for d, w in zip(digits, WEIGHTS)) % 11]
    '3'
"""

from __future__ import annotations

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECKS = "10X98765432"
