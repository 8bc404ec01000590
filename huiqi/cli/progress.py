"""``huiqi publish`` telling how far a delivery has got, on stderr (stdout keeps the
results): the same phases the console's job page shows, one line each, and a line per
tenth of the chunks."""

from __future__ import annotations

from huiqi.cli.common import counted, err_console
from huiqi.delivery.records import DeliveryReport


class TerminalProgress:
    """A :class:`huiqi.delivery.progress.Progress` that prints to stderr."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.shown = -1

    def matching(self, pv_id: int, version: int) -> None:
        err_console.print(f"{self.label} v{version}: matching…", soft_wrap=True)

    def delivering(self, report: DeliveryReport, chunk: int, chunks: int) -> None:
        tenth = chunk * 10 // chunks if chunks else 10
        if tenth == self.shown:
            return
        self.shown = tenth
        err_console.print(
            f"{self.label}: delivering, chunk {chunk} of {chunks}"
            f" ({counted(report.granted, 'grant')}, {counted(report.offered, 'offer')},"
            f" {counted(report.applications, 'application')} so far)",
            soft_wrap=True,
        )

    def flagging(self, report: DeliveryReport) -> None:
        err_console.print(f"{self.label}: flagging records no longer eligible…", soft_wrap=True)
