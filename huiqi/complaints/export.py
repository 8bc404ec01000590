"""Write a synthetic complaint stream as the complaint system exports it (CSV), and its
ground truth beside it.

Amounts are written in yuan with two decimals and dates as ``YYYY-MM-DD``, under the
headers of the built-in mapping, in UTF-8 or GBK (GB18030) as the real exports come.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from huiqi.complaints.mapping import default_mapping
from huiqi.complaints.synth import Stream
from huiqi.fsmode import open_private

ENCODINGS = ("utf-8", "gbk")


def _yuan(fen: pa.ChunkedArray) -> pa.Array:
    whole = pc.cast(pc.divide(fen, 100), pa.string())
    cents = pc.utf8_lpad(
        pc.cast(pc.subtract(fen, pc.multiply(pc.divide(fen, 100), 100)), pa.string()), 2, "0"
    )
    return pc.binary_join_element_wise(whole, cents, ".")


def export_table(stream: Stream) -> pa.Table:
    """The export's columns, under the built-in mapping's headers."""
    t = stream.complaints
    headers = default_mapping().columns
    values = {
        "ref": t["ref"],
        "name": t["name"],
        "id_number": t["id_number"],
        "phone": t["phone"],
        "address": t["address"],
        "bank": t["bank"],
        "uscc": t["uscc"],
        "product": t["product"],
        "amount": _yuan(t["amount_fen"]),
        "claim": _yuan(t["claim_fen"]),
        "text": t["text"],
        "filed_on": pc.cast(t["filed_on"], pa.string()),
    }
    return pa.table({headers[f]: v for f, v in values.items()})


def write_stream(stream: Stream, folder: Path, *, encoding: str = "utf-8") -> tuple[Path, Path]:
    """``complaints.csv`` and ``truth.csv`` in ``folder`` (owner-only files)."""
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding is one of {ENCODINGS}, not {encoding!r}")
    folder.mkdir(parents=True, exist_ok=True)
    path, truth = folder / "complaints.csv", folder / "truth.csv"
    with open_private(path, "wb") as fh:
        if encoding == "utf-8":
            pacsv.write_csv(export_table(stream), fh)
        else:
            sink = pa.BufferOutputStream()
            pacsv.write_csv(export_table(stream), sink)
            fh.write(sink.getvalue().to_pybytes().decode("utf-8").encode("gb18030"))
    with open_private(truth, "wb") as fh:
        pacsv.write_csv(stream.truth, fh)
    return path, truth
