"""The detector on the generator's default scenario: measured against the planted truth."""

from __future__ import annotations

import functools

import pyarrow.compute as pc
import pytest

from huiqi.complaints.detect import Detection, detect
from huiqi.complaints.measure import measure
from huiqi.complaints.reading import protect
from huiqi.complaints.synth import Scenario, Stream, generate

KEY = b"test-key-not-a-secret-0123456789"


@functools.cache
def _default() -> tuple[Stream, Detection]:
    stream = generate(Scenario())
    return stream, detect(protect(stream.complaints, KEY))


def test_default_scenario_meets_the_precision_and_recall_target() -> None:
    stream, detection = _default()
    figures = measure(detection, stream.truth, KEY)
    assert figures.professionals >= 100
    assert figures.precision >= 0.95, figures.summary()
    assert figures.recall >= 0.8, figures.summary()
    assert figures.false_positive_rate <= 0.001, figures.summary()


def test_measure_fails_a_detector_that_flags_everyone() -> None:
    """The figures can fail: flagging every complainant ruins precision."""
    stream, detection = _default()
    everyone = detection.complainants.set_column(
        detection.complainants.schema.get_field_index("flagged"),
        "flagged",
        pc.greater_equal(detection.complainants.column("score"), 0),
    )
    figures = measure(
        Detection(everyone, detection.complaints, detection.clusters), stream.truth, KEY
    )
    assert figures.precision < 0.95 and figures.recall == 1.0


def test_every_flag_carries_its_evidence() -> None:
    _, detection = _default()
    for who in detection.flagged():
        ev = detection.evidence[who]
        reasons = ev["own"]["reasons"] + (ev["cluster"]["reasons"] if ev["cluster"] else [])
        assert sum(r["points"] for r in ev["own"]["reasons"]) >= ev["own"]["score"]
        assert reasons and all(r["why"] for r in reasons)
        assert ev["complaints"] and ev["complaints_total"] >= len(ev["complaints"])
        if ev["cluster"]:
            assert ev["cluster"]["shared"], "a cluster names the attributes its members share"
            assert all(s["masked"] and "*" in s["masked"] for s in ev["cluster"]["shared"])
        if any(r["signal"] == "templated_texts" for r in ev["own"]["reasons"]):
            assert ev["similar_texts"] and all(g["similarity"] >= 0.5 for g in ev["similar_texts"])


def test_the_score_rejects_no_complaint() -> None:
    stream, detection = _default()
    assert detection.complaints.num_rows == stream.complaints.num_rows
    assert (
        detection.complaints.column("ref").to_pylist()
        == stream.complaints.column("ref").to_pylist()
    )


def test_near_identical_complaints_to_one_enterprise_are_answered_once() -> None:
    stream, detection = _default()
    c = stream.complaints
    answer = dict(
        zip(
            detection.complaints["ref"].to_pylist(),
            detection.complaints["answer_group"].to_pylist(),
            strict=True,
        )
    )
    seen: dict[tuple[str, str], str] = {}
    resent = 0
    for ref, uscc, text in zip(
        c["ref"].to_pylist(), c["uscc"].to_pylist(), c["text"].to_pylist(), strict=True
    ):
        if (uscc, text) in seen:
            resent += 1
            assert answer[ref] == answer[seen[(uscc, text)]]
        else:
            seen[(uscc, text)] = ref
    assert resent > 0  # the scenario sends some complaints twice
    groups = set(answer.values())
    assert len(groups) < len(answer)


@pytest.mark.parametrize("seed", [1, 2])
def test_other_seeds_also_meet_the_target(seed: int) -> None:
    stream = generate(Scenario(complaints=8_000, seed=seed))
    figures = measure(detect(protect(stream.complaints, KEY)), stream.truth, KEY)
    assert figures.precision >= 0.95 and figures.recall >= 0.8, figures.summary()


@pytest.mark.parametrize("n", [0, 1, 2])
def test_no_or_few_complaints_are_scored_without_error(n: int) -> None:
    """Regression: one complaint left LSH with no bucket pair, and joining no edges failed."""
    stream = generate(Scenario(complaints=50, seed=1))
    detection = detect(protect(stream.complaints, KEY).slice(0, n))
    assert detection.complaints.num_rows == n and detection.flagged() == []
