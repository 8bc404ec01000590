"""The operations users call: every public function of a ``service`` module, and the
delivery flows, that takes an ``actor``. The access matrix test and the API docs are
checked against this list, so a new operation cannot ship unchecked or undocumented."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import huiqi

FLOW_MODULES = (
    "huiqi.complaints.intake",
    "huiqi.accounts.tokens",
    "huiqi.delivery.applications",
    "huiqi.delivery.attachments",
    "huiqi.delivery.sharing",
    "huiqi.delivery.corrections",
    "huiqi.delivery.claims",
    "huiqi.delivery.dashboard",
    "huiqi.delivery.indicators",
    "huiqi.delivery.park",
    "huiqi.delivery.batchfiles",
    "huiqi.delivery.disburse",
    "huiqi.delivery.drafts",
    "huiqi.delivery.inbox",
    "huiqi.delivery.incremental",
    "huiqi.delivery.payments",
    "huiqi.delivery.policy_lines",
    "huiqi.delivery.lifecycle",
    "huiqi.delivery.notice",
    "huiqi.delivery.notify",
    "huiqi.delivery.publish",
    "huiqi.delivery.publishjob",
    "huiqi.delivery.ratings",
    "huiqi.delivery.recompute",
    "huiqi.delivery.versions",
    "huiqi.delivery.withdrawal",
    "huiqi.desk.categories",
    "huiqi.desk.closing",
    "huiqi.desk.context",
    "huiqi.desk.filing",
    "huiqi.desk.handling",
    "huiqi.desk.hotline",
    "huiqi.desk.queries",
    "huiqi.desk.rating",
    "huiqi.desk.routing",
    "huiqi.desk.stats",
    "huiqi.desk.sweep",
    "huiqi.matching.mydata",
    "huiqi.matching.nearmiss",
    "huiqi.matching.simulate",
)


def operations() -> set[str]:
    """Qualified names (``module.function``) of every operation that takes an actor."""
    names = set(FLOW_MODULES)
    for info in pkgutil.walk_packages(huiqi.__path__, "huiqi."):
        if info.name.rsplit(".", 1)[-1] == "service":
            names.add(info.name)
    found = set()
    for name in names:
        module = importlib.import_module(name)
        for attr, fn in vars(module).items():
            if attr.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != name:
                continue
            if "actor" in inspect.signature(fn).parameters:
                found.add(f"{name}.{attr}")
    return found
