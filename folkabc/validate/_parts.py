"""Read measured bars as a musician does: parts, pickups, repeats and endings.

Rules (see ``docs/check.md``):

* A part ends at ``:|`` (unless a variant ending follows), before ``|:``, at
  ``||`` / ``|]``, and at the end of the tune. A lone short bar followed straight
  by ``|:`` or ``||`` is a pickup *into* what follows and stays with that part.
* A part's first bar, when short, is its pickup (anacrusis).
* A part's closing bar (the last bar, and the last bar of each variant ending)
  may be short when a pickup completes it as it is played: a closing bar that
  repeats (``:|``) by the part's own pickup only (what is played next: a part's
  pickup is completed only by the bar that closes that same part); one that
  does not repeat by the part's own pickup, the next part's pickup, or, for the
  last part, the first part's pickup (going round to the top).
* A short bar right before ``|1`` continues into each ending: it is checked
  together with the first bar of every ending.
* Every other bar must have exactly the meter's length.
"""

from __future__ import annotations

from .._record import Record
from ._bars import RawBar

__all__ = ["PartPlan", "BarVerdict", "analyse"]


class BarVerdict(Record):
    """What the part logic concluded about one written bar (lengths in ticks; a record that changes)."""

    __slots__ = ("bar", "number", "part", "length", "kind", "detail", "completes", "sums")

    bar: RawBar
    number: int
    part: int
    length: int                  # effective length (with a merged pre-ending bar)
    kind: str                    # ok | short | long | pickup | unmatched-pickup | merged | free
    detail: str
    completes: list[int] | tuple  # pickups this bar completes (verdict indices)
    sums: list[int] | tuple       # a short closing bar plus each candidate pickup

    def __init__(self, bar: RawBar, number: int, part: int, length: int, kind: str = "ok", detail: str = "",
                 completes: list[int] | tuple = (), sums: list[int] | tuple = ()) -> None:
        self.bar, self.number, self.part, self.length = bar, number, part, length
        self.kind, self.detail, self.completes, self.sums = kind, detail, completes, sums


class PartPlan(Record):
    """One part: its bars, pickup, endings and how often it is played (a record that changes)."""

    __slots__ = ("index", "bars", "pickup", "repeated", "endings", "n_bars")

    index: int
    bars: list[int]              # indices into the verdict list
    pickup: int | None           # verdict index of the pickup
    repeated: bool
    endings: list[int]           # ending numbers in order
    n_bars: int                  # bars as a musician counts them (first time through)

    def __init__(self, index: int, bars: list[int], pickup: int | None = None, repeated: bool = False,
                 endings: list[int] | None = None, n_bars: int = 0) -> None:
        self.index, self.bars, self.pickup, self.repeated = index, bars, pickup, repeated
        self.endings = [] if endings is None else endings  # a new list per part
        self.n_bars = n_bars


def _split_parts(bars: list[RawBar]) -> list[list[int]]:
    parts: list[list[int]] = []
    cur: list[int] = []
    for j, b in enumerate(bars):
        if cur:
            sign = bars[j - 1].close
            new = False
            if sign is not None:
                if (sign.end_repeat or sign.hard) and b.ending == 0:
                    new = True
                if new or sign.start_repeat:
                    # a lone short opening bar before |: or || is the pickup of what follows
                    first = bars[cur[0]]
                    only_pickup = (len(cur) == 1 and first.expected and first.length < first.expected
                                   and not sign.end_repeat and b.ending == 0)
                    new = not only_pickup
            if new:
                parts.append(cur)
                cur = []
        cur.append(j)
    if cur:
        parts.append(cur)
    return parts


def analyse(bars: list[RawBar]) -> tuple[list[BarVerdict], list[PartPlan]]:
    """Judge every bar; returns one verdict per bar (written order) and the parts.

    Parameters
    ----------
    bars : list of RawBar
        From :func:`folkabc.validate._bars.segment`.

    Examples
    --------
    >>> from folkabc.validate._bars import segment
    >>> bars = segment("M:4/4 K:Cmaj G | c 8 | c 7 :|".split(), start=2).bars
    >>> verdicts, plans = analyse(bars)
    >>> [(v.number, v.kind) for v in verdicts], plans[0].repeated
    ([(0, 'pickup'), (1, 'ok'), (2, 'ok')], True)
    """
    verdicts = [BarVerdict(b, 0, 0, b.length) for b in bars]
    plans: list[PartPlan] = []
    for pi, idxs in enumerate(_split_parts(bars)):
        plan = PartPlan(pi, idxs)
        for j in idxs:
            verdicts[j].part = pi
            if bars[j].close is not None and bars[j].close.end_repeat:
                plan.repeated = True
        first = bars[idxs[0]]
        if (len(idxs) > 1 and first.ending == 0 and first.expected
                and 0 < first.length < first.expected):
            plan.pickup = idxs[0]
            verdicts[idxs[0]].kind = "pickup"
        seen: list[int] = []
        for j in idxs:
            e = bars[j].ending
            if e and e not in seen:
                seen.append(e)
        plan.endings = seen
        plans.append(plan)

    def pickup_len(plan: PartPlan | None) -> int:
        return bars[plan.pickup].length if plan is not None and plan.pickup is not None else 0

    completed_by: dict[int, list[int]] = {}  # pickup verdict index -> closing verdict indices
    first_plan = plans[0] if plans else None
    for pi, plan in enumerate(plans):
        idxs = plan.bars
        body = [j for j in idxs if bars[j].ending == 0 and j != plan.pickup]
        groups: dict[int, list[int]] = {}
        for j in idxs:
            if bars[j].ending:
                groups.setdefault(bars[j].ending, []).append(j)
        # a short bar just before the endings runs on into the first bar of each ending
        if groups and body and body[-1] < min(g[0] for g in groups.values()):
            pre = body[-1]
            pb = bars[pre]
            if pb.expected and pb.length < pb.expected:
                verdicts[pre].kind = "merged"
                for g in groups.values():
                    verdicts[g[0]].length += pb.length
        nxt = plans[pi + 1] if pi + 1 < len(plans) else None
        onward = nxt if nxt is not None else first_plan
        closing: dict[int, list[int]] = {}  # closing verdict index -> candidate pickup verdict indices
        own = [plan.pickup] if plan.pickup is not None else []
        after = [onward.pickup] if onward is not None and onward.pickup is not None else []
        # as played: a closing bar that repeats (`:|`) goes back into its own part's pickup, and
        # only that one completes it; one that does not (the last ending, a part played once) may
        # be completed by its own pickup (a printed last bar short by the pickup), the next part's
        # pickup, or for the last part, going round to the top, the first part's
        if groups:
            last_group = max(groups)
            for e, g in groups.items():
                last = g[-1]
                repeats = bars[last].close is not None and bars[last].close.end_repeat
                if repeats:
                    closing[last] = list(own)
                elif e == last_group:
                    closing[last] = list(dict.fromkeys(own + after))
        else:
            last = idxs[-1]
            if last != plan.pickup:
                repeats = bars[last].close is not None and bars[last].close.end_repeat
                closing[last] = list(own) if repeats else list(dict.fromkeys(own + after))
        for j in idxs:
            v = verdicts[j]
            if v.kind in ("pickup", "merged"):
                continue
            b = bars[j]
            if not b.expected:
                v.kind = "free"
                continue
            if v.length == b.expected:
                continue
            if v.length > b.expected:
                v.kind = "long"
                continue
            cands = closing.get(j)
            if cands is None:
                v.kind = "short"
                continue
            done = [c for c in cands if v.length + bars[c].length == b.expected]
            if done:
                v.completes = done
                for c in done:
                    completed_by.setdefault(c, []).append(j)
            else:
                v.kind = "short"
                v.sums = [v.length + bars[c].length for c in cands]
    # pickups: accepted when completed, or when leading straight into a repeat
    for plan in plans:
        if plan.pickup is None:
            continue
        v = verdicts[plan.pickup]
        closers = completed_by.get(plan.pickup)
        if closers:
            v.completes = closers  # here: the closing bars that complete it
            v.detail = "completed"
        elif bars[plan.pickup].close is not None and bars[plan.pickup].close.start_repeat:
            v.detail = "leads into a repeat"
        elif plan.index > 0:
            # a later part's short first bar that nothing completes is a short bar, not a pickup
            v.kind = "short"
            plan.pickup = None
        else:
            v.kind = "unmatched-pickup"
    _number(verdicts, plans)
    for plan in plans:
        nums = {verdicts[j].number for j in plan.bars
                if j != plan.pickup and (bars[j].ending == 0 or bars[j].ending == (plan.endings or [0])[0])}
        plan.n_bars = len(nums)
    return verdicts, plans


def _number(verdicts: list[BarVerdict], plans: list[PartPlan]) -> None:
    """Bar numbers as musicians count them: the opening pickup is bar 0."""
    n = 0
    first_pickup = plans[0].pickup if plans else None
    merged_pre = None
    for j, v in enumerate(verdicts):
        plan = plans[v.part]
        if j == plan.pickup:
            v.number = 0 if j == first_pickup else max(n, 1)
            continue
        if merged_pre is not None and v.bar.ending and (j == 0 or verdicts[j - 1].bar.ending != v.bar.ending):
            v.number = merged_pre
            continue
        if v.kind == "merged":
            n += 1
            v.number = n
            merged_pre = n
            continue
        if not v.bar.ending:
            merged_pre = None
        n += 1
        v.number = n
