"""How well the detector finds the planted rings: precision, recall, false-positive rate.

The generator's ground truth names ring members by their clear ID number; it is hashed
with the same key as the complaints, so it is compared without ever being stored.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from huiqi.complaints import identity
from huiqi.complaints.detect import Detection


@dataclass(frozen=True)
class Figures:
    complainants: int
    professionals: int
    flagged: int
    true_positives: int
    precision: float
    recall: float
    false_positive_rate: float  # flagged ordinary complainants / ordinary complainants

    def summary(self) -> str:
        return (
            f"{self.complainants:,} complainants ({self.professionals:,} in rings): flagged"
            f" {self.flagged:,}, precision {self.precision:.3f}, recall {self.recall:.3f},"
            f" false-positive rate {self.false_positive_rate:.5f}"
        )


def measure(detection: Detection, truth: pa.Table, key: bytes) -> Figures:
    """Figures of a detection against the generator's truth (complainants by ID number)."""
    hashed = identity.hash_values(key, "id_number", truth.column("id_number").to_pylist())
    professional = {
        h for h, p in zip(hashed, truth.column("professional").to_pylist(), strict=True) if p
    }
    everyone = set(detection.complainants.column("complainant").to_pylist())
    flagged = set(detection.flagged())
    pros = professional & everyone
    tp = len(flagged & pros)
    ordinary = len(everyone) - len(pros)
    return Figures(
        complainants=len(everyone),
        professionals=len(pros),
        flagged=len(flagged),
        true_positives=tp,
        precision=tp / len(flagged) if flagged else 1.0,
        recall=tp / len(pros) if pros else 1.0,
        false_positive_rate=(len(flagged) - tp) / ordinary if ordinary else 0.0,
    )
