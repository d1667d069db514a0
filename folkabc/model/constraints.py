"""Constrained decoding: automata that allow only tokens continuing a valid tune.

Each constraint kind is an automaton over the model's vocabulary, with one immutable
state per stream: :meth:`Constraint.start` gives the state before the meter token,
:meth:`Constraint.allowed` a boolean mask over the vocabulary ids, and
:meth:`Constraint.advance` the state after one id. Token kinds and lengths come from the
one token grammar (:mod:`folkabc.grammar`): nothing here reads a token's text.

Kinds (each includes the one before):

``grammar``
    Only tokens that keep the sequence readable: a meter, then a mode, then a body where a
    duration follows only a note, rest or chord (``>`` and other broken marks only between
    two notes), a tuplet is followed by its notes, a chord holds at least one pitch and is
    closed, no bar line inside a chord or tuplet, and ``</s>`` only where the tune can end.
``bars``
    Every bar has its meter's length: a bar line only when the bar is full (or closes the
    tune's or a part's opening pickup), no duration that overflows the bar, the bar closing a
    part (``:|``, the last bar) completes that part's pickup, a first ending ``|1`` is closed by
    ``:|`` and followed by ``|2`` with as many bars. Inside a tuplet notes take no duration.
    Lengths stay on a grid of a quarter of the unit note (between tuplets), so some note always
    fits: the automaton has no dead end.
``form``
    Bars, plus a dance form such as ``AABB``: parts of ``part_bars`` bars (no pickup), a part
    played twice written ``|: … :|``, and ``</s>`` right after the last part.

The cost of a constraint is measured by :mod:`folkabc.model.sampling`: at each step the mass
``m`` of the masked tokens under the sampling distribution; a tune's cost is
``sum(-log(1 - m))`` (see :class:`Cost`).

Examples
--------
>>> from folkabc.vocab import Vocabulary
>>> from folkabc.model import Model
>>> m = Model.random(layers=[8], rng=0)
>>> c = make_constraint(m.vocab, ["bars"])
>>> s = c.start()
>>> [m.vocab.token(i) for i in np.flatnonzero(c.allowed(s))][:3]
['M:4/4', 'M:6/8', 'M:3/2']
>>> for t in ["M:2/4", "K:Cmaj", "c", "4"]:
...     s = c.advance(s, m.vocab.index[t])
>>> ok = c.allowed(s)
>>> bool(ok[m.vocab.index["|"]]), bool(ok[m.vocab.index["c"]]), bool(ok[m.vocab.index["2"]])
(True, False, False)
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import math
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Sequence

import numpy as np

from ..errors import ParameterError
from ..grammar import BROKEN, meter_of, token_info, tuplet_ratio

__all__ = ["KINDS", "MAX_ENDING_BARS", "WIND_DOWN", "Cost", "State", "Constraint", "GrammarConstraint",
           "BarsConstraint", "FormConstraint", "make_constraint", "parse_form"]

#: Constraint kinds, weakest first (each includes the ones before).
KINDS = ("grammar", "bars", "form")

#: Tokens before ``max_length`` at which the bars automaton starts closing the tune.
WIND_DOWN = 120

#: Most bars a first ending ``|1`` may hold (real tunes' endings hold 1-2 bars); the second
#: ending has as many, so a long first ending once kept a tune from ending before ``max_length``.
MAX_ENDING_BARS = 2

#: Most pitches in a chord (an unbounded chord once ran past the wind-down to ``max_length``).
MAX_CHORD = 4

#: Lengths (between tuplets) stay multiples of this many unit notes.
GRID = Fraction(1, 4)


@dataclass(frozen=True)
class Cost:
    """What a constraint removed from one tune's sampling distribution.

    At step t let ``m_t`` be the probability (under the distribution sampled from: after
    temperature, bias and banning, before top-k/top-p) of the tokens the constraint masked.
    ``total = sum_t -log(1 - m_t)`` in nats: how much less likely, as a log-probability,
    the unconstrained sampler was to stay inside the constraint along this tune; ``mean`` is
    ``total / steps``; ``masked`` is ``sum_t m_t`` and ``forced`` the steps where the
    constraint left one token.

    Examples
    --------
    >>> Cost(0.5, 10, 0.4, 2).mean, Cost(0.5, 10, 0.4, 2).to_dict()["total"]
    (0.05, 0.5)
    """

    total: float
    steps: int
    masked: float
    forced: int

    @property
    def mean(self) -> float:
        """``total / steps`` (0 for no steps)."""
        return self.total / self.steps if self.steps else 0.0

    def to_dict(self) -> dict:
        """JSON form."""
        return {"total": self.total, "mean": self.mean, "steps": self.steps, "masked": self.masked,
                "forced": self.forced}


@dataclass(frozen=True, slots=True)
class State:
    """One stream's automaton state (immutable; :meth:`Constraint.advance` returns a new one).

    Lengths are integers in ticks of ``1/Constraint.scale`` unit notes.
    """

    pos: int = 0               # tokens read (0: the meter comes next)
    expected: int = 0          # bar length in ticks (0: free meter)
    meter_num: int = 0
    pending: bool = False      # a note/rest/chord that may still take a duration
    pending_tup: bool = False  # ... and it is a tuplet note (no duration: bars)
    cur: int = 0               # ticks of the pending note
    in_chord: int = 0          # 0: not in a chord; else 1 + pitches read
    tup_left: int = 0
    tup_num: int = 1
    tup_den: int = 1
    next_factor: tuple[int, int] | None = None  # broken rhythm's second half, for the next note
    notes: int = 0             # notes in the body
    filled: int = 0            # ticks in the current bar, pending note excluded
    bar_empty: bool = True     # no note since the last bar line
    bars: int = 0              # bars closed
    first_bar: bool = True     # this bar opens a part (may be a pickup)
    pickup: int = 0            # ticks of the current part's pickup
    repeat_open: bool = False
    ending: int = 0            # 0 none, 1 in |1, 2 |2 must follow, 3 in |2
    end1_bars: int = 0
    end2_left: int = 0
    must_end: bool = False
    part: int = 0              # form: part index
    part_bar: int = 0          # form: bars closed in this part
    done: bool = False         # form: complete

    @property
    def committed(self) -> int:
        """Ticks in the current bar with the pending note at its length so far."""
        return self.filled + (self.cur if self.pending else 0)


def _lcm(*xs: int) -> int:
    out = 1
    for x in xs:
        out = out * x // math.gcd(out, x)
    return out


class Constraint(ABC):
    """Base automaton: reads the vocabulary once through :func:`folkabc.grammar.token_info`.

    Parameters
    ----------
    vocab : folkabc.vocab.Vocabulary
    start_id, end_id : int
        Ids of ``<s>`` and ``</s>``.
    """

    kind = "none"

    def __init__(self, vocab, start_id: int, end_id: int):
        self.vocab = vocab
        self.V = V = len(vocab)
        self.start_id, self.end_id = start_id, end_id
        infos = [token_info(vocab.token(i)) for i in range(V)]
        self.info = infos
        kinds = np.array([("none" if t is None else t.kind) for t in infos])

        def mask(*ks: str) -> np.ndarray:
            return np.isin(kinds, ks)

        self.m_meter = mask("meter") & np.array([t is not None and t.meter is not None and t.meter[0] is not None
                                                for t in infos])
        self.m_mode = mask("mode")
        self.m_pitch = mask("pitch")
        self.m_rest = np.array([t is not None and t.kind == "rest" for t in infos])
        self.m_note = self.m_pitch | self.m_rest
        self.m_chord_open = mask("chord-open")
        self.m_chord_close = mask("chord-close")
        self.m_tuplet = mask("tuplet")
        self.m_dur = mask("duration", "broken")
        self.m_bar = mask("bar", "ending")
        self.m_ending = np.array([t is not None and t.sign is not None and t.sign.ending > 0 for t in infos])
        self.m_end = np.zeros(V, dtype=bool)
        self.m_end[end_id] = True
        self.m_none = np.zeros(V, dtype=bool)
        self.broken_ids = np.array([t is not None and t.kind in ("duration", "broken") and bool(t.broken)
                                    for t in infos])
        # lengths as exact ratios (from the grammar) and the tick scale they need
        self.dur_ids = np.flatnonzero(self.m_dur)
        dens = [infos[i].length.denominator for i in self.dur_ids] or [1]
        bden = [f.denominator for pair in BROKEN.values() for f in pair]
        tden = list(range(2, 10))
        self.scale = _lcm(*dens, *bden, *tden, GRID.denominator) * 4
        self.dur_num = np.array([infos[i].length.numerator * BROKEN[infos[i].broken][0].numerator
                                 for i in self.dur_ids], dtype=np.int64)
        self.dur_den = np.array([infos[i].length.denominator * BROKEN[infos[i].broken][0].denominator
                                 for i in self.dur_ids], dtype=np.int64)
        self.grid = self.scale * GRID.numerator // GRID.denominator
        self._cache: dict = {}
        self._need_memo: dict = {}
        #: Tokens the tune may hold (``max_length``); None: no limit. The bars automaton
        #: winds down :data:`WIND_DOWN` tokens before it (no new tuplet, chord or broken
        #: rhythm; end after the next bar line), so a tune never stops mid-bar.
        self.end_by: int | None = None

    # -- interface --------------------------------------------------------------------------
    def start(self) -> State:
        """The state before the first token (the meter)."""
        return State()

    @abstractmethod
    def allowed(self, s: State) -> np.ndarray:
        """Boolean mask over the vocabulary: the ids that may follow state ``s``."""

    def advance(self, s: State, i: int) -> State:
        """The state after id ``i`` (which :meth:`allowed` must allow).

        Raises
        ------
        ParameterError
            When ``i`` is not allowed in ``s`` (a primed token that breaks the constraint).
        """
        if not self.allowed(s)[i]:
            raise ParameterError(f"token {self.vocab.token(int(i))!r} at position {s.pos} breaks the "
                                 f"{self.kind} constraint")
        return self._step(s, int(i))

    def allowed_many(self, states: Sequence[State]) -> np.ndarray:
        """``(len(states), V)`` masks, one row per stream."""
        return np.stack([self.allowed(s) for s in states]) if states else np.zeros((0, self.V), dtype=bool)

    # -- the grammar --------------------------------------------------------------------------
    def _grammar(self, s: State) -> np.ndarray:
        if s.pos == 0:
            return self.m_meter.copy()
        if s.pos == 1:
            return self.m_mode.copy()
        if s.in_chord:
            out = self.m_pitch.copy() if s.in_chord <= MAX_CHORD else np.zeros(self.V, dtype=bool)
            if s.in_chord > 1:
                out |= self.m_chord_close
            return out
        out = self.m_note | self.m_chord_open
        if s.next_factor is not None:  # the second note of a broken rhythm must come now
            return out
        if s.pending:
            out = out | self.m_dur
            if s.tup_left:  # no broken rhythm across a tuplet's notes
                out &= ~self.broken_ids
        if not s.tup_left:
            out |= self.m_tuplet | self.m_bar
            if s.notes:
                out |= self.m_end
        return out

    def _step(self, s: State, i: int) -> State:
        info = self.info[i]
        if s.pos == 0:
            bar, num = meter_of(info.text)
            exp = 0 if bar is None else int(bar * self.scale)
            return replace(s, pos=1, expected=exp, meter_num=num)
        if s.pos == 1 or i == self.end_id:
            return replace(s, pos=s.pos + 1)
        k = info.kind
        pos = s.pos + 1
        if k in ("pitch", "rest"):
            if s.in_chord:
                return replace(s, pos=pos, in_chord=s.in_chord + 1)
            return self._note(s, pos)
        if k == "chord-open":
            return replace(s, pos=pos, filled=s.committed, pending=False, in_chord=1)
        if k == "chord-close":
            return self._note(replace(s, in_chord=0), pos)
        if k in ("duration", "broken"):
            f0, f1 = BROKEN[info.broken]
            ln = info.length * f0
            cur = s.cur * ln.numerator // ln.denominator
            return replace(s, pos=pos, filled=s.filled + cur, pending=False, cur=0,
                           next_factor=(f1.numerator, f1.denominator) if info.broken else None)
        if k == "tuplet":
            p, q, r = tuplet_ratio(info.text, s.meter_num)
            return replace(s, pos=pos, filled=s.committed, pending=False, cur=0, tup_left=r, tup_num=q,
                           tup_den=p)
        if k in ("bar", "ending"):
            return self._bar(replace(s, pos=pos), info.sign)
        return replace(s, pos=pos)

    def _note(self, s: State, pos: int) -> State:
        cur = self.scale
        if s.next_factor is not None:
            cur = cur * s.next_factor[0] // s.next_factor[1]
        tup = bool(s.tup_left)
        if tup:
            cur = cur * s.tup_num // s.tup_den
        return replace(s, pos=pos, filled=s.committed, pending=True, pending_tup=tup, cur=cur,
                       next_factor=None, tup_left=max(0, s.tup_left - 1), notes=s.notes + 1, bar_empty=False)

    def _bar(self, s: State, sign) -> State:
        return replace(s, filled=0, pending=False, cur=0, bar_empty=True,
                       bars=s.bars + (0 if s.bar_empty else 1))


class GrammarConstraint(Constraint):
    """Only tokens that continue a readable sequence (see the module docstring).

    Examples
    --------
    >>> from folkabc.model import Model
    >>> m = Model.random(layers=[8], rng=0)
    >>> g = GrammarConstraint(m.vocab, m.start_id, m.end_id)
    >>> s = g.start()
    >>> for t in ["M:4/4", "K:Cmaj"]:
    ...     s = g.advance(s, m.vocab.index[t])
    >>> bool(g.allowed(s)[m.vocab.index["2"]]), bool(g.allowed(s)[m.end_id])
    (False, False)
    """

    kind = "grammar"

    def allowed(self, s: State) -> np.ndarray:
        return self._grammar(s)


class BarsConstraint(Constraint):
    """Every bar counts: the grammar plus bar lengths, pickups and endings (module docstring).

    Examples
    --------
    >>> from folkabc.model import Model
    >>> m = Model.random(layers=[8], rng=0)
    >>> b = BarsConstraint(m.vocab, m.start_id, m.end_id)
    >>> s = b.start()
    >>> for t in "M:4/4 K:Cmaj c 2 c".split():
    ...     s = b.advance(s, m.vocab.index[t])
    >>> bool(b.allowed(s)[m.vocab.index["|"]]), bool(b.allowed(s)[m.vocab.index["8"]]), bool(b.allowed(s)[m.vocab.index["6"]])
    (False, False, True)
    """

    kind = "bars"
    #: Whether a part may open with a pickup. Off: the last bar would have to complete it,
    #: and a model that fills its bars rarely writes that short bar, so tunes ran on to
    #: ``max_length`` (measured: 26 of 64 tunes did not end).
    pickups = False

    def _target(self, s: State) -> int:
        """Most ticks the current bar may reach."""
        if s.ending == 3 and s.end2_left <= 1:
            return s.expected - s.pickup
        return s.expected

    def _note_len(self, s: State) -> int:
        cur = self.scale
        if s.next_factor is not None:
            cur = cur * s.next_factor[0] // s.next_factor[1]
        if s.tup_left:
            cur = cur * s.tup_num // s.tup_den
        return cur

    def _winding_down(self, s: State) -> bool:
        return self.end_by is not None and s.pos >= self.end_by - WIND_DOWN

    def _note_fits(self, s: State, c: int, t: int) -> bool:
        """Whether a note starting now can end at or before ``t`` on the grid (with a duration)."""
        nl = self._note_len(s)
        if s.tup_left:
            return c + nl <= t
        if c + nl <= t and (c + nl) % self.grid == 0:
            return True
        num = nl * self.dur_num
        ln = num // self.dur_den
        ok = (num % self.dur_den == 0) & ~self.broken_ids[self.dur_ids] & (c + ln <= t) & ((c + ln) % self.grid == 0)
        return bool(ok.any())

    def _room_after_broken(self, f: tuple[int, int]) -> int:
        """Smallest on-grid length of a note scaled by ``f`` (with or without a duration)."""
        got = self._cache.get(("broken", f))
        if got is None:
            got = self._cache[("broken", f)] = self._room_after_broken_(f)
        return got

    def _room_after_broken_(self, f: tuple[int, int]) -> int:
        best = None
        for i in self.dur_ids.tolist() + [None]:
            ln = Fraction(1) if i is None else self.info[i].length * BROKEN[self.info[i].broken][0]
            if i is not None and self.info[i].broken:
                continue
            t = self.scale * ln * Fraction(*f)
            if t.denominator == 1 and int(t) % self.grid == 0 and (best is None or t < best):
                best = int(t)
        return best if best is not None else self.scale

    def _bar_lines(self, s: State) -> np.ndarray:
        """The bar-line ids allowed to close the current bar (committed ticks ``c``)."""
        c, e, p = s.committed, s.expected, s.pickup
        key = ("bars", c, e, p, s.first_bar, s.bars == 0, s.bar_empty, s.ending, s.end2_left <= 1,
               s.repeat_open, s.ending == 1 and s.end1_bars + 1 >= MAX_ENDING_BARS)
        got = self._cache.get(key)
        if got is not None:
            return got
        out = np.zeros(self.V, dtype=bool)
        if len(self._cache) < 100000:
            self._cache[key] = out
        for i in np.flatnonzero(self.m_bar):
            if self._bar_ok(s, self.info[i].sign, c, e, p):
                out[i] = True
        return out

    def _bar_ok(self, s: State, g, c: int, e: int, p: int) -> bool:
        if not g.closes:
            return False
        if s.ending == 2:
            return bool(s.bar_empty and g.ending == 2 and not g.end_repeat and not g.start_repeat)
        if s.bar_empty:  # right after a bar line: only a repeat opening a part
            return bool(s.first_bar and s.bars == 0 and g.start_repeat and not g.end_repeat
                        and not g.ending and s.pickup == 0 and not s.repeat_open) or \
                bool(s.first_bar and s.bars > 0 and g.start_repeat and not g.end_repeat and not g.ending
                     and not s.repeat_open)
        if g.ending:
            if g.ending != 1 or g.end_repeat or g.start_repeat or s.ending or s.first_bar:
                return False
            return c == e
        if g.end_repeat and g.start_repeat:
            return False
        if g.end_repeat:
            return c == e - p and not s.first_bar and s.ending in (0, 1)
        if g.start_repeat:
            if s.repeat_open or s.ending:
                return False
            return c == e or (self.pickups and s.first_bar and 0 < c < e)
        # plain bar line
        if s.ending == 1 and s.end1_bars + 1 >= MAX_ENDING_BARS:
            return False  # the first ending's last bar closes with :|
        if s.ending == 3 and s.end2_left <= 1:
            return c == e - p
        if c == e:
            return True
        if self.pickups and s.first_bar and 0 < c < e and s.ending == 0:
            return True  # a pickup
        return p > 0 and c == e - p and s.ending == 0 and not s.first_bar  # the last bar

    def allowed(self, s: State) -> np.ndarray:
        out = self._bars_allowed(s)
        if not self._winding_down(s) or s.pos < 2 or s.expected == 0:
            return out
        # the budget: only tokens after which the closing path still reaches </s> in time
        left = self.end_by - s.pos - 1  # tokens after this one
        keep = out.copy()
        for i in np.flatnonzero(out):
            if i != self.end_id and self._need(self._step(s, int(i))) > left:
                keep[i] = False
        return keep if keep.any() else out  # empty only after a prime that left too little room

    def _need(self, s: State) -> int:
        """Tokens (``</s>`` included) the closing path takes from ``s``; a large number if over WIND_DOWN.

        The closing path is :meth:`_closing_token` taken at each step, so ``_need(s) == 1 +
        _need(_step(s, _closing_token(s)))``: a token leaving ``_need <= left`` always exists while
        ``_need(s) <= left + 1``.
        """
        memo = self._need_memo
        path = []
        cur = replace(s, pos=self.end_by)
        n = None
        for _ in range(WIND_DOWN + 1):
            if cur in memo:
                n = memo[cur]
                break
            i = self._closing_token(cur)
            if i == self.end_id:
                n = 0
                path.append(cur)
                break
            path.append(cur)
            cur = replace(self._step(cur, i), pos=self.end_by)
        if n is None:
            return WIND_DOWN + 1
        for st in reversed(path):
            n += 1
            if len(memo) < 200000:
                memo[st] = n
        return n

    def _closing_token(self, s: State) -> int:
        """The token the closing path takes from ``s`` (winding down): end, close the bar, fill it."""
        m = self._bars_allowed(s)
        if m[self.end_id]:
            return self.end_id
        bars = np.flatnonzero(m & self.m_bar)
        if bars.size:
            def rank(i):
                g = self.info[i].sign
                plain = not (g.start_repeat or g.end_repeat or g.ending)
                return (not (g.end_repeat and s.ending == 1), not plain, i)
            return int(min(bars.tolist(), key=rank))
        if m[self.m_chord_close].any():
            return int(np.flatnonzero(m & self.m_chord_close)[0])
        durs = [i for i in np.flatnonzero(m & self.m_dur & ~self.broken_ids).tolist()]
        best = max(durs, key=lambda i: (self._step(s, i).filled, -i)) if durs else None
        notes = np.flatnonzero(m & self.m_note)
        if best is not None and (self._step(s, best).filled > s.committed or not notes.size):
            return best
        if notes.size:
            return int(notes[0])
        return int(np.flatnonzero(m)[0])

    def _bars_allowed(self, s: State) -> np.ndarray:
        out = self._grammar(s)
        if s.pos < 2 or s.expected == 0:
            return out
        if s.must_end:
            return self.m_end.copy()
        if s.ending == 2:
            return self._bar_lines(s)
        t = self._target(s)
        c = s.committed
        if s.in_chord:
            if self._winding_down(s) and s.in_chord > 1:
                return self.m_chord_close.copy()
            return out
        if self._winding_down(s):  # close the bar and end before max_length
            out &= self.m_note | (self.m_dur & ~self.broken_ids) | self.m_bar | self.m_end
            if s.ending == 0:  # no new first ending
                out &= ~self.m_ending
            if s.bar_empty and s.bars >= 1 and s.pickup == 0 and s.ending == 0:
                return self.m_end.copy()
        # a new note
        if not self._note_fits(s, c, t):
            out &= ~(self.m_note | self.m_chord_open)
        # durations of the pending note
        if s.pending:
            if s.pending_tup:
                out &= ~self.m_dur
            else:
                cur = s.cur
                base = s.filled
                num = cur * self.dur_num
                okd = (num % self.dur_den == 0)
                ln = np.where(okd, num // self.dur_den, 0)
                new = base + ln
                okd &= (new <= t) & (new % self.grid == 0)
                if self._winding_down(s):  # no note shorter than a unit unless it completes the bar
                    big = okd & ((ln >= self.scale) | (new == t))
                    bare = base + cur <= t and (base + cur) % self.grid == 0
                    if big.any() or bare:
                        okd = big
                for j, i in enumerate(self.dur_ids):
                    if okd[j] and self.broken_ids[i]:
                        f1 = BROKEN[self.info[i].broken][1]
                        if t - new[j] < self._room_after_broken((f1.numerator, f1.denominator)):
                            okd[j] = False
                dm = np.zeros(self.V, dtype=bool)
                dm[self.dur_ids[okd]] = True
                out &= ~self.m_dur | dm
        # tuplets: their notes (no durations) must fit
        if out[self.m_tuplet].any():
            for i in np.flatnonzero(self.m_tuplet & out):
                p, q, r = tuplet_ratio(self.info[i].text, s.meter_num)
                total = self.scale * q * r // p
                if not (c + total <= t and (c + total) % self.grid == 0 and (self.scale * q) % p == 0):
                    out[i] = False
        out &= ~self.m_bar | self._bar_lines(s)
        if out[self.end_id]:
            full = s.bar_empty and s.bars >= 1 or not s.bar_empty and c == s.expected
            if not (full and s.ending == 0 and (s.pickup == 0 or s.first_bar)):
                out[self.end_id] = False
        return out

    def _bar(self, s: State, g) -> State:
        c, e, p = s.committed, s.expected, s.pickup
        was_empty = s.bar_empty
        s = Constraint._bar(self, s, g)
        if e == 0 or not g.closes:
            return s
        if s.ending == 2:
            return replace(s, ending=3, end2_left=s.end1_bars)
        if was_empty:
            return replace(s, first_bar=False, pickup=0, repeat_open=True)
        if g.ending:
            return replace(s, ending=1, end1_bars=0)
        if g.end_repeat:
            if s.ending == 1:
                return replace(s, ending=2, end1_bars=s.end1_bars + 1, repeat_open=False)
            return replace(s, first_bar=True, pickup=0, repeat_open=False)
        if s.ending == 1:
            s = replace(s, end1_bars=s.end1_bars + 1)
        if s.ending == 3:
            if s.end2_left <= 1:
                return replace(s, ending=0, end2_left=0, first_bar=True, pickup=0)
            return replace(s, end2_left=s.end2_left - 1)
        if s.first_bar:
            return replace(s, first_bar=False, pickup=c if c < e else 0,
                           repeat_open=s.repeat_open or g.start_repeat)
        if g.start_repeat:
            return replace(s, pickup=0, repeat_open=True)
        if p > 0 and c == e - p:
            return replace(s, must_end=True)
        return s


def parse_form(form: str) -> tuple[bool, ...]:
    """A form such as ``"AABB"`` → one flag per part: played twice (``True``) or once.

    Parts are letters in order (A, B, C …), each written once or twice in a row.

    Raises
    ------
    ParameterError
        Any other spelling.

    Examples
    --------
    >>> parse_form("AABB"), parse_form("AB"), parse_form("AABBCC"), parse_form("AAB")
    ((True, True), (False, False), (True, True, True), (True, False))
    """
    if not isinstance(form, str) or not form:
        raise ParameterError(f"form={form!r}: give the parts as letters, e.g. AABB, AB, AABBCC")
    f = form.strip().upper()
    parts: list[bool] = []
    i = 0
    letter = ord("A")
    while i < len(f):
        if f[i] != chr(letter):
            raise ParameterError(f"form={form!r}: parts are letters in order (A, B, C …), each once or "
                                 "twice in a row, e.g. AABB, AB, AABBCC, AAB")
        twice = i + 1 < len(f) and f[i + 1] == f[i]
        parts.append(twice)
        i += 2 if twice else 1
        letter += 1
    if len(parts) > 8:
        raise ParameterError(f"form={form!r}: at most 8 parts")
    return tuple(parts)


class FormConstraint(BarsConstraint):
    """Bars plus a dance form: parts of ``part_bars`` full bars, repeated ones as ``|: … :|``.

    Examples
    --------
    >>> from folkabc.model import Model
    >>> m = Model.random(layers=[8], rng=0)
    >>> f = FormConstraint(m.vocab, m.start_id, m.end_id, form="AABB", part_bars=2)
    >>> s = f.start()
    >>> for t in ["M:2/4", "K:Cmaj"]:
    ...     s = f.advance(s, m.vocab.index[t])
    >>> [m.vocab.token(i) for i in np.flatnonzero(f.allowed(s))]
    ['|:']
    """

    kind = "form"

    def __init__(self, vocab, start_id: int, end_id: int, *, form: str = "AABB", part_bars: int = 8):
        super().__init__(vocab, start_id, end_id)
        self.parts = parse_form(form)
        if not isinstance(part_bars, int) or isinstance(part_bars, bool) or not 1 <= part_bars <= 64:
            raise ParameterError(f"part_bars={part_bars!r} must be an integer in 1-64")
        self.part_bars = part_bars
        self.form = form

    def allowed(self, s: State) -> np.ndarray:
        out = self._grammar(s)
        if s.pos < 2 or s.expected == 0:
            return out
        if s.done:
            return self.m_end.copy()
        rep = self.parts[s.part]
        if s.bar_empty and s.part_bar == 0 and rep and not s.repeat_open:
            out = np.zeros(self.V, dtype=bool)
            for i in np.flatnonzero(self.m_bar):
                g = self.info[i].sign
                if g.start_repeat and not g.end_repeat and not g.ending:
                    out[i] = True
            return out
        out &= ~self.m_end
        if s.in_chord:
            return out
        # reuse the bar-length logic with no pickups and no endings
        full = BarsConstraint.allowed(self, replace(s, first_bar=False, ending=0, must_end=False))
        out &= full | self.m_bar
        out &= ~self.m_end
        bars = np.zeros(self.V, dtype=bool)
        if not s.bar_empty and s.committed == s.expected:
            last = s.part_bar + 1 == self.part_bars
            for i in np.flatnonzero(self.m_bar):
                g = self.info[i].sign
                if not g.closes or g.ending or g.start_repeat:
                    continue
                if (last and rep) == g.end_repeat:
                    bars[i] = True
        return (out & ~self.m_bar) | bars

    def _bar(self, s: State, g) -> State:
        was_empty = s.bar_empty
        s = Constraint._bar(self, s, g)
        if s.expected == 0:
            return s
        if was_empty:
            return replace(s, repeat_open=True, first_bar=False)
        pb = s.part_bar + 1
        if pb == self.part_bars:
            part = s.part + 1
            return replace(s, part=part, part_bar=0, repeat_open=False, first_bar=True,
                           done=part == len(self.parts))
        return replace(s, part_bar=pb, first_bar=False)


def make_constraint(vocab, constrain=None, *, form: str | None = None, part_bars: int = 8,
                    start_id: int | None = None, end_id: int | None = None,
                    max_length: int | None = None) -> Constraint | None:
    """The automaton for ``constrain`` (a kind, a list of kinds, or None) and ``form``.

    The strongest kind asked wins (``form`` includes ``bars`` includes ``grammar``).

    Examples
    --------
    >>> from folkabc.model import Model
    >>> v = Model.random(layers=[8], rng=0).vocab
    >>> make_constraint(v, ["grammar", "bars"]).kind, make_constraint(v, None, form="AABB").kind
    ('bars', 'form')
    >>> make_constraint(v, None) is None
    True
    """
    if constrain is None:
        kinds: list[str] = []
    elif isinstance(constrain, str):
        kinds = [k for k in constrain.replace(",", " ").split() if k]
    else:
        kinds = list(constrain)
    for k in kinds:
        if k not in KINDS:
            raise ParameterError(f"constrain={k!r}: the constraints are {', '.join(KINDS[:2])} "
                                 "(and form=..., e.g. form='AABB')")
    if "form" in kinds and form is None:
        form = "AABB"
    s_id = vocab.index["<s>"] if start_id is None else start_id
    e_id = vocab.index["</s>"] if end_id is None else end_id
    if form is not None:
        return FormConstraint(vocab, s_id, e_id, form=form, part_bars=part_bars)
    if "bars" in kinds:
        out = BarsConstraint(vocab, s_id, e_id)
        out.end_by = max_length
        return out
    if "grammar" in kinds:
        return GrammarConstraint(vocab, s_id, e_id)
    return None
