"""How far a delivery has got, told to whoever watches it: the console's job page (through
:class:`huiqi.jobs.progress.JobProgress`) or ``huiqi publish`` on the terminal.

``deliver`` calls ``matching`` once the version is known, ``delivering`` before the
first chunk and after each one (with the counts so far), and ``flagging`` before it
flags the records of enterprises no longer eligible."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from huiqi.delivery.records import DeliveryReport


class Progress(Protocol):
    def matching(self, pv_id: int, version: int) -> None: ...

    def delivering(self, report: DeliveryReport, chunk: int, chunks: int) -> None: ...

    def flagging(self, report: DeliveryReport) -> None: ...
