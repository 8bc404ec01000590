"""Near-identical texts: MinHash over Chinese character bigrams, banded LSH, in NumPy.

Chinese has no spaces between words, so a text is compared by its character bigrams
(``投诉``, ``诉人``…): two texts from one template share nearly all of them, two texts
written by different people few. A text's MinHash signature is, for each of
``BANDS × ROWS`` hash functions, the smallest hash of its bigrams; the share of equal
positions between two signatures estimates the Jaccard similarity of their bigram sets.
Texts whose signatures agree on a whole band land in one bucket; each bucket member
is then compared with the bucket's first text over the full signature and linked to it
when the estimate reaches ``threshold``, so a common phrase that happens to fill a
bucket links nothing. Linked texts form groups (connected components).

Only the first ``MAX_CHARS`` characters are hashed: a template shows itself early, and
this bounds the work per text. Everything runs on fixed-width code-point arrays in
chunks, never a Python loop per text.

Example:
    >>> t = "本人于{}在贵公司购买{}一件，支付{}元。该商品标签未标注生产许可证编号，属于不符合食品安全标准的食品，要求退还货款并支付十倍赔偿金"
    >>> a, b = t.format("3月5日", "蜂蜜", "29.90"), t.format("4月9日", "茶叶", "35.00")
    >>> c = "洗衣机安装后一直漏水，把楼下天花板泡坏了，客服一直推诿，要求赔偿实际损失"
    >>> groups = near_duplicate_groups([a, b, c])
    >>> bool(groups[0] == groups[1]), bool(groups[0] == groups[2])
    (True, False)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

BANDS, ROWS = 6, 4
MAX_CHARS = 128
CHUNK = 20_000
THRESHOLD = 0.7
_rng = np.random.default_rng(0x5EED)
# Odd multipliers and offsets of the hash family, each a permutation of 32-bit values
# (fixed: signatures are comparable across runs).
_A = (_rng.integers(0, 2**31, BANDS * ROWS, dtype=np.uint64) * 2 + 1).astype(np.uint32)
_B = _rng.integers(0, 2**32, BANDS * ROWS, dtype=np.uint64).astype(np.uint32)


def _bigrams(texts: Sequence[str], width: int) -> np.ndarray:
    """(n, width-1) uint32 bigram hashes; past a text's end, its first bigram again (a
    repeated bigram changes no minimum, so no mask is needed)."""
    fixed = np.array([t[:width] for t in texts], dtype=f"<U{width}")
    cp = fixed.view(np.uint32).reshape(len(texts), width)
    left, right = cp[:, :-1], cp[:, 1:]
    bigram = (left * np.uint32(0x9E3779B1)) ^ (right * np.uint32(0x85EBCA77))
    return np.where(right == 0, bigram[:, :1], bigram)


def _sign_chunk(texts: Sequence[str], rows: np.ndarray, width: int, out: np.ndarray) -> None:
    bigram = _bigrams([texts[i] for i in rows], width)
    tmp = np.empty_like(bigram)
    for k in range(BANDS * ROWS):
        np.multiply(bigram, _A[k], out=tmp)
        np.add(tmp, _B[k], out=tmp)
        out[rows, k] = tmp.min(axis=1)


def signatures(texts: Sequence[str]) -> np.ndarray:
    """(n, BANDS*ROWS) uint32 MinHash signatures of the texts' character bigrams.

    Texts are hashed shortest first, in chunks as wide as their longest text, so short
    texts pay for their own length only. Chunks run on every core (NumPy's arithmetic
    releases the GIL); each writes its own rows."""
    out = np.empty((len(texts), BANDS * ROWS), dtype=np.uint32)
    lengths = np.fromiter((min(len(t), MAX_CHARS) for t in texts), np.int64, len(texts))
    order = np.argsort(lengths, kind="stable")
    chunks = [order[start : start + CHUNK] for start in range(0, len(texts), CHUNK)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        done = [
            pool.submit(_sign_chunk, texts, rows, max(int(lengths[rows[-1]]), 2), out)
            for rows in chunks
        ]
        for future in done:
            future.result()
    return out


def components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The smallest member of each item's connected component, over edges (left, right)."""
    label = np.arange(n, dtype=np.int64)
    if len(left) == 0:
        return label
    while True:
        low = np.minimum(label[left], label[right])
        before = label.copy()
        np.minimum.at(label, left, low)
        np.minimum.at(label, right, low)
        while True:  # pointer jumping: each label points at its own label's label
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
        if np.array_equal(label, before):
            return label


def _leaders(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(member, the first item with the same key) for every item that is not first."""
    n = len(key)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = sorted_key[1:] != sorted_key[:-1]
    leader = order[np.maximum.accumulate(np.where(starts, np.arange(n), 0))]
    keep = order != leader
    return order[keep], leader[keep]


def _rows_key(block: np.ndarray) -> np.ndarray:
    """One 64-bit key per row of uint32 values (sorting it is far faster than sorting the
    rows; a rare collision only proposes a pair, which the full signature then checks)."""
    key = np.zeros(len(block), dtype=np.uint64)
    for j in range(block.shape[1]):
        key = (key ^ block[:, j].astype(np.uint64)) * np.uint64(0x100000001B3)
    return key


def similar_pairs(sig: np.ndarray, threshold: float = THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """Edges (text, its bucket's first text) between texts estimated ≥ ``threshold`` alike.
    Texts with equal signatures (a complaint sent again) share a bucket of their own, so
    they are linked even where a band's first text is unlike them."""
    lefts, rights = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    blocks = [sig] + [sig[:, b * ROWS : (b + 1) * ROWS] for b in range(BANDS)]
    for block in blocks:
        member, leader = _leaders(_rows_key(block))
        if len(member):
            ok = (sig[member] == sig[leader]).mean(axis=1) >= threshold
            lefts.append(member[ok])
            rights.append(leader[ok])
    return np.concatenate(lefts).astype(np.int64), np.concatenate(rights).astype(np.int64)


def near_duplicate_groups(texts: Sequence[str], threshold: float = THRESHOLD) -> np.ndarray:
    """For each text, the index of the first text of its near-duplicate group (itself if
    it has none)."""
    return grouped(texts, threshold)[0]


def grouped(texts: Sequence[str], threshold: float = THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """The groups of :func:`near_duplicate_groups` and the texts' signatures."""
    if not texts:
        return np.empty(0, np.int64), np.empty((0, BANDS * ROWS), np.uint32)
    sig = signatures(texts)
    left, right = similar_pairs(sig, threshold)
    return components(len(texts), left, right), sig


def similarity(sig: np.ndarray, a: int, b: int) -> float:
    """The MinHash estimate of the bigram Jaccard similarity of texts ``a`` and ``b``."""
    return float((sig[a] == sig[b]).mean())
