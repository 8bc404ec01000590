"""The fused plan on a GPU: one CUDA kernel launch evaluates every policy (CuPy).

Each warp takes 32 rows through every policy of the plan (``fused_plan``); a lane stops
a policy at its first failing criterion (or grades failures, keeping near misses), and
the warp's outcomes are ballots into the bitmaps of ``FusedResult``. A popcount kernel
counts them, and ``CudaPlan.rows`` gathers the kept rows on the GPU so that only row
numbers cross to the host. It gives ``run_numpy``'s outcomes exactly
(``tests/engine/test_fused.py``; at city scale, ``benchmarks/bench_fused.py``).

This module reads only NumPy (and the CuPy module it is given), so a GPU machine can load
it without huiqi's dependencies.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from huiqi.engine.array.fused_plan import (
    ERROR,
    NEVER,
    OUTCOMES,
    UNKNOWN,
    FusedPlan,
    FusedResult,
)

KERNEL = r"""
#define FULL 0xffffffffu

__device__ __forceinline__ int program(
    const int c, const long long row, const long long n,
    const int* __restrict__ buckets, const unsigned char* __restrict__ tables,
    const int* __restrict__ tstart, const int* __restrict__ lcol,
    const int* __restrict__ ops, const int* __restrict__ ostart)
{
    unsigned char stack[16];
    int top = 0;
    for (int i = ostart[c]; i < ostart[c + 1]; ++i) {
        const int op = ops[i];
        if (op >= 0) {
            const int col = lcol[op];
            const int b = col < 0 ? 0 : buckets[(long long)col * n + row];
            stack[top++] = tables[tstart[op] + b];
        } else if (op == -3) {
            const int a = stack[top - 1];
            stack[top - 1] = a == 2 ? 2 : 1 - a;
        } else {
            const int b = stack[--top];
            const int a = stack[top - 1];
            if (op == -1) {
                stack[top - 1] = (a == 1 || b == 1) ? 1 : (a > b ? a : b);
            } else {
                stack[top - 1] = (a == 0 || b == 0) ? 0 : ((a == 2 || b == 2) ? 2 : 1);
            }
        }
    }
    return stack[0];
}

/* One warp takes 32 rows through policies p0..p1-1; per policy four ballots at most:
   eligible (every word written), needs data, error and near miss (only for a policy that
   can have them: flags bits 0, 1 and 2; those planes are zeroed before the launch). A
   criterion read from one leaf is (column, table) in ecol/etab; ecol -2 marks a program.
   With near_misses a failure is graded by enear (0 always, 1 never, 2 margin: hard
   unless the program enprog holds), a hard one counting two; a row leaves at two
   failures, or a failure and an unknown. Without, it leaves at its first failure. */
extern "C" __global__ void fused(
    const long long n, const int p0, const int p1, const long long W, const int P,
    const int* __restrict__ buckets, const unsigned char* __restrict__ tables,
    const int* __restrict__ tstart, const int* __restrict__ lcol,
    const int* __restrict__ ops, const int* __restrict__ ostart,
    const int* __restrict__ cstart, const int* __restrict__ ecol,
    const int* __restrict__ etab, const int* __restrict__ acol,
    const int* __restrict__ atab, const int* __restrict__ flags,
    const int* __restrict__ enear, const int* __restrict__ enprog, const int near_misses,
    unsigned int* __restrict__ bits)
{
    const int lane = threadIdx.x & 31;
    const long long per_block = blockDim.x >> 5;
    const long long first = blockIdx.x * per_block + (threadIdx.x >> 5);
    const long long stride = gridDim.x * per_block;
    for (long long w = first; w < W; w += stride) {
        const long long row = w * 32 + lane;
        const bool live = row < n;
        for (int p = p0; p < p1; ++p) {
            int outcome = 4;  /* 0 eligible, 1 needs data, 2 error, 3 near miss, 4 none */
            if (live) {
                bool unknown = false;
                int fails = 0;
                const int end = cstart[p + 1];
                for (int k = cstart[p]; k < end; ++k) {
                    const int col = ecol[k];
                    int code;
                    if (col >= -1) {
                        const int b = col < 0 ? 0 : buckets[(long long)col * n + row];
                        code = tables[etab[k] + b];
                    } else {
                        code = program(etab[k], row, n, buckets, tables, tstart, lcol, ops, ostart);
                    }
                    if (code == 1) {
                        if (!near_misses) { fails = 2; break; }
                        const int kind = enear[k];
                        if (kind == 1) { fails = 2; break; }
                        if (kind == 2 && program(enprog[k], row, n, buckets, tables, tstart,
                                                 lcol, ops, ostart) != 0) { fails = 2; break; }
                        fails += 1;
                    } else if (code == 2) {
                        unknown = true;
                    }
                    if (fails >= 2 || (fails == 1 && unknown)) { fails = 2; break; }
                }
                if (fails == 1) {
                    outcome = 3;
                } else if (fails == 0) {
                    if (unknown) {
                        outcome = 1;
                    } else {
                        const int col = acol[p];
                        const int b = col < 0 ? 0 : buckets[(long long)col * n + row];
                        const int a = tables[atab[p] + b];
                        outcome = a == 0 ? 0 : (a == 3 ? 2 : 1);
                    }
                }
            }
            const unsigned int e = __ballot_sync(FULL, outcome == 0);
            if (lane == 0) bits[(long long)p * W + w] = e;
            const int f = flags[p];
            if (f & 1) {
                const unsigned int d = __ballot_sync(FULL, outcome == 1);
                if (lane == 0 && d) bits[((long long)P + p) * W + w] = d;
            }
            if (f & 2) {
                const unsigned int x = __ballot_sync(FULL, outcome == 2);
                if (lane == 0 && x) bits[((long long)2 * P + p) * W + w] = x;
            }
            if (f & 4) {
                const unsigned int m = __ballot_sync(FULL, outcome == 3);
                if (lane == 0 && m) bits[((long long)3 * P + p) * W + w] = m;
            }
        }
    }
}

/* The rows of every bitmap, one after another: word i's set bits go to out from
   before[i] (the set bits of the words before it), as row numbers (i % W) * 32 + bit. */
extern "C" __global__ void scatter(
    const unsigned int* __restrict__ bits, const long long words, const long long W,
    const long long* __restrict__ before, int* __restrict__ out)
{
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < words; i += stride) {
        unsigned int w = bits[i];
        if (!w) continue;
        long long at = before[i];
        const int row0 = (int)((i % W) * 32);
        while (w) {
            const int b = __ffs(w) - 1;
            out[at++] = row0 + b;
            w &= w - 1;
        }
    }
}

/* counts[p * planes + plane] = the set bits of one bitmap; one block per (plane, policy). */
extern "C" __global__ void tally(
    const unsigned int* __restrict__ bits, const long long W, const int P, const int planes,
    unsigned long long* __restrict__ counts)
{
    const long long base = (long long)blockIdx.x * W;
    unsigned long long s = 0;
    for (long long i = threadIdx.x; i < W; i += blockDim.x) s += __popc(bits[base + i]);
    for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(FULL, s, o);
    __shared__ unsigned long long part[32];
    if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = s;
    __syncthreads();
    if (threadIdx.x < 32) {
        s = threadIdx.x < (blockDim.x >> 5) ? part[threadIdx.x] : 0;
        for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(FULL, s, o);
        if (threadIdx.x == 0) {
            const int plane = blockIdx.x / P, p = blockIdx.x % P;
            counts[p * planes + plane] = s;
        }
    }
}
"""

# Policies per launch (a launch is short either way; the bound keeps one under a second).
GROUP = 4096
THREADS = 256


def entries(plan: FusedPlan, *, near_misses: bool = False) -> tuple[Any, ...]:
    """What the kernel reads per policy criterion and per policy: (column, table start)
    of a criterion read from one leaf (column -2 and the criterion for a program), of
    each amount, flags (1: the policy can need data, 2: it can be an error, 4: it can be
    a near miss), and per criterion its nearness and relaxed rule."""
    ts = np.asarray(plan.table_start, dtype=np.int64)
    col = np.asarray(plan.leaf_column, dtype=np.int64)
    op_start = np.asarray(plan.op_start, dtype=np.int64)
    single = np.diff(op_start) == 1
    leaf_of = np.where(
        single, np.asarray(plan.ops)[np.minimum(op_start[:-1], len(plan.ops) - 1)], -1
    )
    crits = np.asarray(plan.crits, dtype=np.int64)
    ecol = np.where(single[crits], col[leaf_of[crits]], -2) if len(crits) else crits
    etab = np.where(single[crits], ts[leaf_of[crits]], crits) if len(crits) else crits
    amount = np.asarray(plan.amount_leaf, dtype=np.int64)
    # The NULL bucket (the last) counts only where some row is NULL.
    top = [int(b.max()) if len(b) else -1 for b in plan.buckets]
    has = {code: np.zeros(len(col), dtype=bool) for code in (UNKNOWN, ERROR)}
    for i in range(len(col)):
        table = plan.tables[ts[i] : ts[i + 1]]
        seen = table if col[i] < 0 or top[col[i]] >= len(table) - 1 else table[:-1]
        for code, found in has.items():
            found[i] = bool((seen == code).any())
    flags = np.zeros(len(amount), dtype=np.int32)
    for q in range(len(amount)):
        leaves = [int(amount[q])]
        for c in plan.crits[plan.crit_start[q] : plan.crit_start[q + 1]].tolist():
            leaves += [op for op in plan.ops[op_start[c] : op_start[c + 1]].tolist() if op >= 0]
        own = plan.crits[plan.crit_start[q] : plan.crit_start[q + 1]]
        near = near_misses and bool((np.asarray(plan.near_kind)[own] != NEVER).any())
        flags[q] = int(has[UNKNOWN][leaves].any()) | 2 * int(has[ERROR][amount[q]]) | 4 * int(near)
    acol = col[amount] if len(amount) else amount
    atab = ts[amount] if len(amount) else amount
    enear = np.asarray(plan.near_kind)[crits] if len(crits) else crits
    enprog = np.asarray(plan.near_crit)[crits] if len(crits) else crits
    return ecol, etab, acol, atab, flags, enear, enprog


class CudaPlan:
    """A plan held on the GPU, with its kernels compiled; ``run`` evaluates it."""

    def __init__(self, plan: FusedPlan, cupy: Any, *, near_misses: bool = False) -> None:
        self.cp = cupy
        self.plan = plan
        self.near_misses = near_misses
        self.policies = len(plan.crit_start) - 1

        def as32(a: Any) -> Any:
            a = np.asarray(a, dtype=np.int32)
            return cupy.asarray(a if len(a) else np.zeros(1, dtype=np.int32))

        self.buckets = cupy.asarray(
            np.stack([np.asarray(b, dtype=np.int32) for b in plan.buckets])
            if plan.buckets
            else np.zeros((1, max(plan.n, 1)), dtype=np.int32)
        )
        self.tables = cupy.asarray(np.asarray(plan.tables, dtype=np.uint8))
        self.tstart = as32(plan.table_start)
        self.lcol = as32(plan.leaf_column)
        self.ops = as32(plan.ops)
        self.ostart = as32(plan.op_start)
        self.cstart = as32(plan.crit_start)
        ecol, etab, acol, atab, flags, enear, enprog = entries(plan, near_misses=near_misses)
        self.ecol, self.etab = as32(ecol), as32(etab)
        self.acol, self.atab, self.flags = as32(acol), as32(atab), as32(flags)
        self.enear, self.enprog = as32(enear), as32(enprog)
        module = cupy.RawModule(code=KERNEL)
        self.kernel = module.get_function("fused")
        self.tally = module.get_function("tally")
        self.scatter = module.get_function("scatter")
        self.popcount = cupy.ElementwiseKernel("uint32 x", "int64 y", "y = __popc(x)", "popc")
        self.bits = cupy.zeros((len(OUTCOMES), self.policies, plan.words), dtype=cupy.uint32)
        self.counts = cupy.zeros((self.policies, len(OUTCOMES)), dtype=cupy.uint64)
        sms = int(cupy.cuda.Device().attributes["MultiProcessorCount"])
        self.blocks = max(1, min(sms * 8, (plan.words + THREADS // 32 - 1) // (THREADS // 32)))

    def run(self) -> None:
        """Evaluate every policy; the outcomes stay on the GPU (``bits``, ``counts``)."""
        plan = self.plan
        if not self.policies:
            return
        self.bits[1:].fill(0)
        for p0 in range(0, self.policies, GROUP):
            p1 = min(p0 + GROUP, self.policies)
            self.kernel(
                (self.blocks,),
                (THREADS,),
                (
                    np.int64(plan.n),
                    np.int32(p0),
                    np.int32(p1),
                    np.int64(plan.words),
                    np.int32(self.policies),
                    self.buckets,
                    self.tables,
                    self.tstart,
                    self.lcol,
                    self.ops,
                    self.ostart,
                    self.cstart,
                    self.ecol,
                    self.etab,
                    self.acol,
                    self.atab,
                    self.flags,
                    self.enear,
                    self.enprog,
                    np.int32(self.near_misses),
                    self.bits,
                ),
            )
        self.tally(
            (len(OUTCOMES) * self.policies,),
            (THREADS,),
            (
                self.bits,
                np.int64(plan.words),
                np.int32(self.policies),
                np.int32(len(OUTCOMES)),
                self.counts,
            ),
        )

    def result(self) -> FusedResult:
        """The bitmaps and counts, copied to the host."""
        return FusedResult(
            self.cp.asnumpy(self.bits), self.cp.asnumpy(self.counts).astype(np.int64)
        )

    def rows(self) -> FusedResult:
        """The counts and the rows themselves, gathered on the GPU: only the set bits
        cross to the host (4 bytes a kept row), not the bitmaps."""
        cp = self.cp
        words = self.bits.reshape(-1)
        set_bits = self.popcount(words)
        before = cp.cumsum(set_bits)
        total = int(before[-1]) if len(before) else 0
        before -= set_bits  # each word's set bits before it
        flat = cp.empty(max(total, 1), dtype=cp.int32)
        blocks = max(1, min(65535, (len(words) + THREADS - 1) // THREADS))
        self.scatter(
            (blocks,),
            (THREADS,),
            (words, np.int64(len(words)), np.int64(self.plan.words), before, flat),
        )
        counts = cp.asnumpy(self.counts).astype(np.int64)
        offsets = np.concatenate([[0], np.cumsum(counts.T.reshape(-1))])
        return FusedResult(None, counts, cp.asnumpy(flat[:total]), offsets)


def run_cuda(plan: FusedPlan, cupy: Any, *, near_misses: bool = False) -> FusedResult:
    """The plan evaluated on a GPU (``cupy``: the module ``array.namespace`` returns)."""
    held = CudaPlan(plan, cupy, near_misses=near_misses)
    held.run()
    return held.result()
