"""Clusters of complainants: identities linked by a shared phone, address or bank account.

A ring of professional complainants files under several names and ID numbers but
answers on the same phones and is paid into the same accounts. The graph has one node
per complainant (keyed hash of the ID number) and one per phone, address or bank
account (keyed hash) that two or more complainants gave; its connected components
(networkx) with two or more complainants are the clusters. Values used by one
complainant alone link nothing and never enter the graph, so the graph stays as small
as the sharing is, not as large as the complaint stream.

Example:
    >>> import pyarrow as pa
    >>> t = pa.table({"id_number_hash": ["a", "b", "c", "d"], "phone_hash": ["p", "p", "q", None],
    ...               "address_hash": [None, None, None, None], "bank_hash": ["x", "y", "z", "z"]})
    >>> sorted(sorted(c.members) for c in clusters_of(t))
    [['a', 'b'], ['c', 'd']]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import networkx as nx
import pyarrow as pa

from huiqi.complaints import duck

LINKS = ("phone", "address", "bank")


@dataclass
class Cluster:
    number: int
    members: list[str]  # complainants (ID-number hashes)
    shared: list[tuple[str, str, int]] = field(default_factory=list)  # (kind, value hash, users)

    @property
    def kinds(self) -> set[str]:
        return {kind for kind, _, _ in self.shared}


def shared_edges(con: duckdb.DuckDBPyConnection, table: str = "c") -> list[tuple[str, str, str]]:
    """(complainant, kind, value) for every value two or more complainants gave."""
    parts = [
        f"SELECT DISTINCT id_number_hash, '{kind}', {kind}_hash FROM {table}"
        f" WHERE {kind}_hash IN (SELECT {kind}_hash FROM {table} WHERE {kind}_hash IS NOT NULL"
        f" GROUP BY 1 HAVING count(DISTINCT id_number_hash) > 1)"
        for kind in LINKS
    ]
    return [tuple(r) for r in con.execute(" UNION ALL ".join(parts)).fetchall()]


def build_clusters(edges: list[tuple[str, str, str]]) -> list[Cluster]:
    """Connected components of the complainant–attribute graph, largest first."""
    graph = nx.Graph()
    for who, kind, value in edges:
        graph.add_edge(("c", who), (kind, value))
    found: list[Cluster] = []
    for component in nx.connected_components(graph):
        members = sorted(n[1] for n in component if n[0] == "c")
        shared = sorted((n[0], n[1], graph.degree(n)) for n in component if n[0] != "c")
        found.append(Cluster(0, members, shared))
    found.sort(key=lambda c: (-len(c.members), c.members[0]))
    for number, cluster in enumerate(found, start=1):
        cluster.number = number
    return found


def clusters_of(complaints: pa.Table) -> list[Cluster]:
    """The clusters among the complaints of an Arrow table with the ``*_hash`` columns."""
    con = duck.connect()
    try:
        con.register("c", complaints)
        return build_clusters(shared_edges(con))
    finally:
        con.close()
