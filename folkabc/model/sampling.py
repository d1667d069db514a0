"""Generation: batched sampling with incremental state, and beam search.

Every tune advances one token per step; the ``n`` tunes of a call advance together
(one matrix product per layer per step) and leave the batch when they end. Tune k is
sampled with its own generator seeded ``base_seed + k`` (one uniform number per sampled
token, inverse-CDF sampling), so a tune is the same whether generated alone or in a
batch. Nothing ever reruns a prefix (contrast: the folk-rnn sampler's approach, measured
in ``bench/model.py``).

Examples
--------
>>> from folkabc.model import Model
>>> m = Model.random(layers=[8], rng=0)
>>> g = m.generate(seed=7, meter="4/4", mode="Cmaj", max_length=10)[0]
>>> g.tokens[:2], g.seed, len(g.tokens) <= 10
(['M:4/4', 'K:Cmaj'], 7, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..limits import check_limit
from ..tokens import write_folkrnn
from ..vocab import meter_token, mode_token
from .constraints import Constraint, Cost, make_constraint
from .hooks import Mix, resolve_bias, unknown_token
from .lstm import Stepper
from .records import END, START, Trace, check_temperature, log_softmax

__all__ = ["Generated", "generate", "beam_search", "sample_ids"]

_UBLOCK = 256  # uniforms drawn per tune at a time


@dataclass
class Generated:
    """One generated tune.

    Attributes
    ----------
    tokens : list of str
        Meter, mode and body (no ``<s>``/``</s>``).
    ended : bool
        True when the model produced ``</s>`` (False: stopped at ``max_length``).
    logprob : float
        Natural log-probability of the tokens (and of ``</s>`` when ended) under the
        distribution sampled from, before top-k/top-p/banning (temperature, bias,
        ablation and mixing applied). At temperature 1 with no hooks it equals
        ``-model.score(tokens).nll`` for an ended tune.
    seed : int or None
        This tune's own seed (None for beam search).
    trace : Trace or None
        With ``record=True``: the run over ``<s>`` and every token.
    cost : Cost or None
        With a constraint: the probability mass it removed (:class:`folkabc.model.constraints.Cost`).

    Examples
    --------
    >>> g = Generated(["M:4/4", "K:Cmaj", "C", "|"], True, -3.2, 1)
    >>> print(g.to_folkrnn())
    M:4/4
    K:Cmaj
    C |
    """

    tokens: list[str]
    ended: bool
    logprob: float
    seed: int | None
    trace: Trace | None = None
    cost: Cost | None = None

    @property
    def meter(self) -> str | None:
        """The first token (the meter)."""
        return self.tokens[0] if self.tokens else None

    @property
    def mode(self) -> str | None:
        """The second token (the mode)."""
        return self.tokens[1] if len(self.tokens) > 1 else None

    @property
    def body(self) -> list[str]:
        """The tokens after meter and mode."""
        return self.tokens[2:]

    def to_folkrnn(self) -> str:
        """The tune as a folk-rnn block: meter line, mode line, body line (see ``tokens.write_folkrnn``)."""
        return write_folkrnn([self.tokens]).rstrip("\n")

    def to_dict(self) -> dict[str, Any]:
        """JSON form (without the trace).

        Examples
        --------
        >>> Generated(["M:4/4", "K:Cmaj", "C"], False, -9.5, 3).to_dict()
        {'tokens': 'M:4/4 K:Cmaj C', 'ended': False, 'logprob': -9.5, 'seed': 3}
        """
        out = {"tokens": " ".join(self.tokens), "ended": self.ended, "logprob": self.logprob,
               "seed": self.seed}
        if self.cost is not None:
            out["cost"] = self.cost.to_dict()
        return out


def _base_seed(seed) -> int:
    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**32))
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**32))
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and int(seed) >= 0:
        return int(seed)
    raise ParameterError(f"seed={seed!r} must be None, an integer >= 0 or a numpy Generator")


def _prefix_ids(model: "Model", meter, mode, prime) -> list[int]:  # noqa: F821
    out: list[int] = []
    if meter is not None:
        tok = meter_token(meter)
        if tok not in model.vocab.index:
            raise unknown_token(tok, None, "meter")
        out.append(model.vocab.index[tok])
    if mode is not None:
        tok = mode_token(mode, strict=False)
        if tok not in model.vocab.index:
            raise unknown_token(tok, None, "mode")
        out.append(model.vocab.index[tok])
    if prime is not None:
        ids = model.encode(prime, what="prime")
        bad = np.flatnonzero((ids == model.start_id) | (ids == model.end_id))
        if bad.size:
            raise ParameterError(f"prime: token {int(bad[0])} is {model.vocab.token(int(ids[bad[0]]))!r}, "
                                 "which cannot be primed")
        out.extend(int(i) for i in ids)
    return out


def _forced_ids(model: "Model", force, n_prefix: int) -> dict[int, int]:  # noqa: F821
    """``{position: token}`` → ``{position: id}``; positions count the tune's tokens from 0 (the meter)."""
    if not force:
        return {}
    out = {}
    for pos, tok in dict(force).items():
        if not isinstance(pos, (int, np.integer)) or isinstance(pos, bool) or pos < 0:
            raise ParameterError(f"force: position {pos!r} must be an integer >= 0")
        if pos < n_prefix:
            raise ParameterError(f"force: position {pos} is already given by meter/mode/prime "
                                 f"({n_prefix} tokens)")
        i = int(model.encode([tok], what="force", offset=int(pos))[0])
        if i == model.start_id:
            raise ParameterError(f"force: position {pos} cannot be '<s>'")
        out[int(pos)] = i
    return out


def _positive_int(name: str, value) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ParameterError(f"{name}={value!r} must be an integer >= 1")
    return int(value)


def sample_ids(logp: np.ndarray, u: np.ndarray, *, top_k: int | None = None, top_p: float | None = None,
               banned: np.ndarray | None = None, allowed: np.ndarray | None = None) -> np.ndarray:
    """Draw one token per row by inverse CDF, after banning and top-k / top-p filtering.

    Parameters
    ----------
    logp : np.ndarray [shape=(B, V)]
        Log-probabilities.
    u : np.ndarray [shape=(B,)]
        Uniform numbers in [0, 1), one per row.
    top_k : int, optional
    top_p : float, optional
    banned : np.ndarray of int, optional
        Ids never drawn.
    allowed : np.ndarray of bool [shape=(B, V)], optional
        Per row, the ids that may be drawn (a constraint's masks); applied before top-k/top-p.

    Returns
    -------
    np.ndarray [shape=(B,)], int64

    Examples
    --------
    >>> lp = np.log(np.array([[0.5, 0.3, 0.2]]))
    >>> sample_ids(lp, np.array([0.6])).tolist(), sample_ids(lp, np.array([0.6]), top_k=1).tolist()
    ([1], [0])
    """
    p = np.exp(logp)
    if banned is not None and banned.size:
        p[:, banned] = 0.0
    if allowed is not None:
        p[~allowed] = 0.0
    if top_k is not None or top_p is not None:
        order = np.argsort(-p, axis=1, kind="stable")
        ps = np.take_along_axis(p, order, axis=1)
        keep = np.ones_like(ps, dtype=bool)
        if top_k is not None:
            keep[:, top_k:] = False
        if top_p is not None:
            before = np.cumsum(ps, axis=1) - ps  # mass of the more likely tokens
            keep &= before < top_p * ps.sum(axis=1, keepdims=True)
        keep[:, 0] = True
        ps[~keep] = 0.0
        p = np.zeros_like(p)
        np.put_along_axis(p, order, ps, axis=1)
    cdf = np.cumsum(p, axis=1)
    thr = u * cdf[:, -1]
    return np.minimum((cdf <= thr[:, None]).sum(axis=1), p.shape[1] - 1).astype(np.int64)


def generate(model: "Model", *, n: int = 1, meter=None, mode=None, prime=None, temperature: float = 1.0,  # noqa: F821
             seed=None, top_k=None, top_p=None, max_length: int = 1000, banned=None, ablate=None,
             logit_bias=None, mix: Mix | None = None, record: bool = False, beam=None,
             force=None, constrain=None, form: str | None = None, part_bars: int = 8) -> list[Generated]:
    """Generate ``n`` tunes; see :meth:`folkabc.model.Model.generate` for the parameters.

    Examples
    --------
    >>> from folkabc.model import Model
    >>> m = Model.random(layers=[8], rng=0)
    >>> [len(g.tokens) <= 5 for g in generate(m, n=2, seed=0, max_length=5)]
    [True, True]
    """
    n = _positive_int("n", n)
    max_length = _positive_int("max_length", max_length)
    check_limit("max_batch", n, where=f"n={n}")
    check_limit("max_generated_tokens", max_length, where=f"max_length={max_length}")
    check_temperature(temperature)
    if temperature != 1.0 and np.float32(temperature) == 0:  # would divide the logits by zero
        raise ParameterError(f"temperature={temperature!r} is below float32's smallest positive number "
                             f"({float(np.finfo(np.float32).smallest_subnormal):.1e}); for the most likely "
                             "token at every step use top_k=1")
    if top_k is not None:
        top_k = _positive_int("top_k", top_k)
    if top_p is not None and not (isinstance(top_p, (int, float, np.floating)) and 0 < float(top_p) <= 1):
        raise ParameterError(f"top_p={top_p!r} must be a number in (0, 1]")
    prefix = _prefix_ids(model, meter, mode, prime)
    if len(prefix) > max_length:
        raise ParameterError(f"max_length={max_length} is shorter than the {len(prefix)} forced tokens")
    forced = _forced_ids(model, force, len(prefix))
    con = make_constraint(model.vocab, constrain, form=form, part_bars=part_bars,
                          start_id=model.start_id, end_id=model.end_id, max_length=max_length)
    if con is not None and forced:
        raise ParameterError("force cannot be combined with a constraint (a forced token may break it)")
    if con is not None:
        _check_prefix(con, prefix, model)
    if beam is not None:
        if forced:
            raise ParameterError("force cannot be combined with beam search")
        if mix is not None:  # a random input: there is no one most likely tune to search for
            raise ParameterError("mix cannot be combined with beam search (it draws random inputs)")
        width = _positive_int("beam", beam)
        check_limit("max_beam", max(width, n), where=f"beam={max(width, n)}")
        found = _beam(model, prefix=prefix, width=max(width, n), max_length=max_length,
                      ablate=ablate, logit_bias=logit_bias, con=con)
        return [Generated(t[:-1] if ended else t, ended, lp, None, cost=cost)
                for t, lp, cost in found[:n] for ended in [bool(t) and t[-1] == END]]
    V = len(model.vocab)
    ban = [model.start_id]
    if banned is not None:
        ban.extend(int(i) for i in model.encode(banned, what="banned"))
    ban_ids = np.unique(np.array(ban, dtype=np.int64))
    if ban_ids.size >= V:
        raise ParameterError("banned: every token is banned")
    bias = resolve_bias(logit_bias, model.vocab)
    mix_ids = mix.ids(model.vocab) if mix is not None else None
    net = model.network(ablate)
    base = _base_seed(seed)
    seeds = [base + k for k in range(n)]
    rngs = [np.random.default_rng(s) for s in seeds]
    mix_rngs = [np.random.default_rng([s, 1]) for s in seeds] if mix is not None else None
    ubuf = np.empty((n, _UBLOCK))
    upos = _UBLOCK
    st = Stepper(net, n)
    rows = np.arange(n)  # tune index of each active row
    tokens: list[list[int]] = [[] for _ in range(n)]
    logprob = np.zeros(n)
    ended = np.zeros(n, dtype=bool)
    recs: list[list] = [[] for _ in range(n)] if record else []
    temp = np.float32(temperature) if temperature != 1.0 else None
    inp = np.full(n, model.start_id, dtype=np.int64)
    x = None
    pos = 0
    states = [con.start() for _ in range(n)] if con is not None else None
    cost = np.zeros((n, 4))  # total, steps, masked, forced
    not_banned = np.ones(V, dtype=bool)
    not_banned[ban_ids] = False
    while rows.size:
        rec = [] if record else None
        raw = st.step(inp if x is None else None, inputs=x, record=rec)
        with np.errstate(over="ignore"):
            logits = raw / temp if temp is not None else raw.copy()
            if temp is not None and not np.isfinite(logits).all():  # a tiny temperature overflowed: shift first
                logits = (raw - raw.max(axis=1, keepdims=True)) / temp
        if bias is not None:
            bias.apply(logits)
        logp = log_softmax(logits)
        if np.isnan(logp).any():
            raise ParameterError("the sampling distribution is not a number at step "
                                 f"{pos} (an infinite or overflowing logit bias or alpha?)")
        if record:
            post = np.exp(logp).astype(logits.dtype)
            for r, k in enumerate(rows):
                recs[k].append((logits[r].copy(), post[r], [(h[r], c[r], {g: a[r] for g, a in gd.items()})
                                                          for h, c, gd in rec]))
        if pos >= max_length:
            break
        if pos < len(prefix):
            chosen = np.full(rows.size, prefix[pos], dtype=np.int64)
        else:
            if upos >= _UBLOCK:
                for k in rows:
                    ubuf[k] = rngs[k].random(_UBLOCK)
                upos = 0
            if pos in forced:  # uses up its random number: forcing the token the model would draw changes nothing
                chosen = np.full(rows.size, forced[pos], dtype=np.int64)
            else:
                allowed = None
                if con is not None:
                    allowed = con.allowed_many([states[k] for k in rows]) & not_banned
                    _add_cost(cost, rows, logp, allowed, not_banned)
                chosen = sample_ids(logp, ubuf[rows, upos], top_k=top_k, top_p=top_p, banned=ban_ids,
                                    allowed=allowed)
            upos += 1
        if con is not None:
            for r, k in enumerate(rows):
                states[k] = con._step(states[k], int(chosen[r]))
        logprob[rows] += logp[np.arange(rows.size), chosen]
        done = chosen == model.end_id
        for r, k in enumerate(rows):
            if done[r]:
                ended[k] = True
            else:
                tokens[k].append(int(chosen[r]))
        pos += 1
        if done.any():
            keep = np.flatnonzero(~done)
            rows = rows[keep]
            chosen = chosen[keep]
            if rows.size:
                st.keep(keep)
        inp = chosen
        x = None
        if (mix is not None and rows.size and pos - 1 >= len(prefix) and pos - 1 not in forced
                and pos - 3 >= mix.start):
            w = np.float32(mix.weight)
            x = np.zeros((rows.size, V), dtype=net.dtype)
            x[np.arange(rows.size), chosen] = 1 - w
            other = np.array([mix_ids[mix_rngs[k].integers(mix_ids.size)] for k in rows])
            x[np.arange(rows.size), other] += w
    out = []
    for k in range(n):
        trace = _stack_trace(model, tokens[k], recs[k]) if record else None
        c = None if con is None else Cost(float(cost[k, 0]), int(cost[k, 1]), float(cost[k, 2]), int(cost[k, 3]))
        out.append(Generated(model.vocab.decode(tokens[k]), bool(ended[k]), float(logprob[k]), seeds[k], trace,
                             cost=c))
    return out


def _check_prefix(con: Constraint, prefix: list[int], model) -> None:
    s = con.start()
    for i in prefix:
        s = con.advance(s, i)
    if not con.allowed(s).any():  # pragma: no cover - the automata have no dead end
        raise ParameterError(f"the prime leaves the {con.kind} constraint no token")


def _add_cost(cost: np.ndarray, rows: np.ndarray, logp: np.ndarray, allowed: np.ndarray,
              not_banned: np.ndarray) -> None:
    """Add one step's masked mass to each row's :class:`Cost` accumulators."""
    p = np.exp(logp.astype(np.float64)) * not_banned
    total = p.sum(axis=1)
    kept = (p * allowed).sum(axis=1)
    if (kept <= 0).any():
        r = int(np.flatnonzero(kept <= 0)[0])
        if not allowed[r].any():
            raise ParameterError("the banned tokens leave the constraint no token to draw")
    m = np.clip(1.0 - kept / np.maximum(total, 1e-300), 0.0, 1.0)
    cost[rows, 0] += -np.log(np.maximum(1.0 - m, 1e-300))
    cost[rows, 1] += 1
    cost[rows, 2] += m
    cost[rows, 3] += allowed.sum(axis=1) == 1


def _stack_trace(model: "Model", ids: list[int], steps: list) -> Trace:  # noqa: F821
    L = len(model.layers)
    tr = Trace([START] + model.vocab.decode(ids), np.stack([s[0] for s in steps]),
               np.stack([s[1] for s in steps]))
    tr.hidden = [np.stack([s[2][li][0] for s in steps]) for li in range(L)]
    tr.cell = [np.stack([s[2][li][1] for s in steps]) for li in range(L)]
    tr.gates = [{g: np.stack([s[2][li][2][g] for s in steps]) for g in steps[0][2][li][2]} for li in range(L)]
    return tr


def beam_search(model: "Model", *, prefix=None, width: int = 5, max_length: int = 200, ablate=None,  # noqa: F821
                logit_bias=None, constrain=None, form: str | None = None,
                part_bars: int = 8) -> list[tuple[list[str], float]]:
    """Beam search; see :meth:`folkabc.model.Model.beam_search`.

    Examples
    --------
    >>> from folkabc.model import Model
    >>> m = Model.random(layers=[8], rng=0)
    >>> len(beam_search(m, width=2, max_length=3))
    2
    >>> toks, _ = beam_search(m, width=2, max_length=6, constrain="grammar")[0]
    >>> toks[0].startswith("M:"), toks[1].startswith("K:")
    (True, True)
    """
    con = make_constraint(model.vocab, constrain, form=form, part_bars=part_bars,
                          start_id=model.start_id, end_id=model.end_id, max_length=max_length)
    return [(t, sc) for t, sc, _ in _beam(model, prefix=prefix, width=width, max_length=max_length,
                                          ablate=ablate, logit_bias=logit_bias, con=con)]


def _beam(model: "Model", *, prefix=None, width: int = 5, max_length: int = 200, ablate=None,  # noqa: F821
          logit_bias=None, con: Constraint | None = None) -> list[tuple[list[str], float, Cost | None]]:
    width = _positive_int("width", width)
    max_length = _positive_int("max_length", max_length)
    check_limit("max_beam", width, where=f"width={width}")
    check_limit("max_generated_tokens", max_length, where=f"max_length={max_length}")
    if prefix is None:
        pre: list[int] = []
    elif isinstance(prefix, list) and all(isinstance(i, int) for i in prefix):
        pre = list(prefix)
    else:
        pre = [int(i) for i in model.encode(prefix, what="prefix")]
    if len(pre) > max_length:
        raise ParameterError(f"max_length={max_length} is shorter than the {len(pre)}-token prefix")
    st = Stepper(model.network(ablate), 1)
    bias = resolve_bias(logit_bias, model.vocab)

    def step(ids) -> np.ndarray:
        logits = st.step(ids)
        if bias is not None:
            logits = logits.copy()
            bias.apply(logits)
        return log_softmax(logits)

    V = len(model.vocab)
    not_banned = np.ones(V, dtype=bool)
    not_banned[model.start_id] = False
    logp = step(np.array([model.start_id]))
    score = 0.0
    state = con.start() if con is not None else None
    for tok in pre:
        score += logp[0, tok]
        if con is not None:
            state = con.advance(state, tok)
        logp = step(np.array([tok]))
    seqs: list[list[int]] = [list(pre)]
    scores = np.array([score])
    states = [state]
    costs = np.zeros((1, 4))
    finished: list[tuple[list[int], float, np.ndarray]] = []
    while seqs:
        if len(seqs[0]) >= max_length:
            finished.extend((s, float(sc), c) for s, sc, c in zip(seqs, scores, costs))
            break
        cand = scores[:, None] + logp
        cand[:, model.start_id] = -np.inf
        step_cost = np.zeros((len(seqs), 4))
        if con is not None:
            allowed = con.allowed_many(states) & not_banned
            _add_cost(step_cost, np.arange(len(seqs)), logp, allowed, not_banned)
            cand[~allowed] = -np.inf
        flat = np.argsort(-cand.ravel(), kind="stable")[:width]
        flat = flat[np.isfinite(cand.ravel()[flat])]
        parent, tok = np.divmod(flat, V)
        new_seqs, new_scores, keep, feed, new_states, new_costs = [], [], [], [], [], []
        for p, t, f in zip(parent, tok, flat):
            sc = float(cand.ravel()[f])
            c = costs[p] + step_cost[p]
            if t == model.end_id:
                finished.append((seqs[p] + [int(t)], sc, c))
            else:
                new_seqs.append(seqs[p] + [int(t)])
                new_scores.append(sc)
                keep.append(p)
                feed.append(t)
                new_costs.append(c)
                new_states.append(con._step(states[p], int(t)) if con is not None else None)
        if len(finished) >= width and new_scores:
            worst_kept = sorted((sc for _, sc, _ in finished), reverse=True)[width - 1]
            if max(new_scores) <= worst_kept:
                break
        seqs, scores, states = new_seqs, np.array(new_scores), new_states
        costs = np.array(new_costs).reshape(-1, 4)
        if not seqs:
            break
        st.keep(np.array(keep))
        logp = step(np.array(feed, dtype=np.int64))
    finished.sort(key=lambda f: -f[1])
    return [(model.vocab.decode(s), sc,
             None if con is None else Cost(float(c[0]), int(c[1]), float(c[2]), int(c[3])))
            for s, sc, c in finished[:width]]
