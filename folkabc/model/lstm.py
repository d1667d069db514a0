"""The folk-rnn LSTM network in numpy: parameters, batched steps, whole sequences.

For layer *l* with input ``x`` and previous state ``(h, c)`` (``folkrnn-facts.md``)::

    i = σ(x·W_xi + h·W_hi + b_i)      f = σ(x·W_xf + h·W_hf + b_f)
    c' = f⊙c + i⊙tanh(x·W_xc + h·W_hc + b_c)
    o = σ(x·W_xo + h·W_ho + b_o)      h' = o⊙tanh(c')
    logits = h_last·W_out + b_out

:class:`Params` holds the weights in the file layout (gate order i, f, c, o along
the 4H axis). :class:`Network` rearranges them once for speed (gate order i, f, o, c so
the three sigmoids are one slice; ``[W_x; W_h]`` stacked so layers above the first need
one matrix product per step; the first layer's bias folded into its input rows, so a
one-hot input costs a row lookup). :class:`Stepper` advances a batch of sequences one
token at a time (generation); :meth:`Network.forward` runs whole known sequences layer
by layer (recording, :meth:`~folkabc.model.Model.run`) and :meth:`Network.logprobs` scores
them (packed rows, all gates from one ``exp``).

Examples
--------
>>> import numpy as np
>>> p = Params.random(n_vocab=5, layers=[4, 3], rng=0)
>>> net = Network(p)
>>> logits, _ = net.forward(np.array([[0, 1, 2]]))
>>> logits.shape
(1, 3, 5)
>>> st = Stepper(net, batch=1)
>>> bool(np.allclose(st.step(np.array([0])), logits[:, 0], atol=1e-6))
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from ..errors import ModelFileError, ParameterError

try:  # the compiled cell, where setup.py could build it (folkabc._compiled.KERNELS)
    from ._cell import lstm_cell as _compiled_cell
except ImportError:
    _compiled_cell = None

__all__ = ["LayerParams", "Params", "Network", "Stepper", "GATE_NAMES"]

#: Keys of a recorded layer's gates (see :class:`folkabc.model.Trace`).
GATE_NAMES: tuple[str, ...] = ("input", "forget", "output", "candidate", "candidate_tanh")


@dataclass
class LayerParams:
    """One LSTM layer's parameters in the file layout (gate order i, f, c, o).

    Attributes
    ----------
    W_x : np.ndarray [shape=(n_in, 4H)]
    W_h : np.ndarray [shape=(H, 4H)]
    b : np.ndarray [shape=(4H,)]
    h0, c0 : np.ndarray [shape=(H,)]
        Initial hidden and cell state.

    Examples
    --------
    >>> Params.random(n_vocab=5, layers=[4], rng=0).layers[0].size
    4
    """

    W_x: np.ndarray
    W_h: np.ndarray
    b: np.ndarray
    h0: np.ndarray
    c0: np.ndarray

    @property
    def size(self) -> int:
        """Number of units H."""
        return int(self.W_h.shape[0])

    @property
    def n_in(self) -> int:
        """Width of the layer's input."""
        return int(self.W_x.shape[0])


@dataclass
class Params:
    """All parameters of a model: LSTM layers plus the softmax layer.

    Indexing with the own-format array names also works:
    ``params["layer0.W_x"]``, ``params["softmax.W"]``.

    Attributes
    ----------
    layers : list of LayerParams
    W_out : np.ndarray [shape=(H_last, V)]
    b_out : np.ndarray [shape=(V,)]

    Examples
    --------
    >>> p = Params.random(n_vocab=5, layers=[4, 3], rng=0)
    >>> p["softmax.W"].shape, p.n_params
    ((3, 5), 276)
    """

    layers: list[LayerParams]
    W_out: np.ndarray
    b_out: np.ndarray

    @property
    def sizes(self) -> list[int]:
        """Units per layer."""
        return [lp.size for lp in self.layers]

    @property
    def n_vocab(self) -> int:
        """Vocabulary size V."""
        return int(self.b_out.shape[0])

    @property
    def n_params(self) -> int:
        """Number of trainable parameters (initial states excluded)."""
        n = sum(lp.W_x.size + lp.W_h.size + lp.b.size for lp in self.layers)
        return int(n + self.W_out.size + self.b_out.size)

    @property
    def dtype(self) -> np.dtype:
        """The arrays' floating dtype."""
        return self.W_out.dtype

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The arrays under their own-format names (``layer{l}.W_x`` … ``softmax.b``).

        See Also
        --------
        Params.from_arrays : the inverse.

        Examples
        --------
        >>> sorted(Params.random(n_vocab=3, layers=[2], rng=0).to_arrays())[:2]
        ['layer0.W_h', 'layer0.W_x']
        """
        out: dict[str, np.ndarray] = {}
        for i, lp in enumerate(self.layers):
            for name in ("W_x", "W_h", "b", "h0", "c0"):
                out[f"layer{i}.{name}"] = getattr(lp, name)
        out["softmax.W"] = self.W_out
        out["softmax.b"] = self.b_out
        return out

    def __getitem__(self, key: str) -> np.ndarray:
        return self.to_arrays()[key]

    def astype(self, dtype) -> "Params":
        """A copy with every array in ``dtype``.

        Examples
        --------
        >>> Params.random(n_vocab=3, layers=[2], rng=0).astype("float64").dtype
        dtype('float64')
        """
        dt = np.dtype(dtype)
        layers = [LayerParams(*(np.ascontiguousarray(getattr(lp, k), dtype=dt)
                                for k in ("W_x", "W_h", "b", "h0", "c0"))) for lp in self.layers]
        return Params(layers, np.ascontiguousarray(self.W_out, dtype=dt),
                      np.ascontiguousarray(self.b_out, dtype=dt))

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], *, n_vocab: int | None = None,
                    path: str | None = None) -> "Params":
        """Build and check parameters from own-format array names.

        Parameters
        ----------
        arrays : mapping of str to np.ndarray
            ``layer{l}.W_x``, ``layer{l}.W_h``, ``layer{l}.b``, ``layer{l}.h0``,
            ``layer{l}.c0`` for l = 0, 1, …, then ``softmax.W``, ``softmax.b``.
        n_vocab : int, optional
            Expected vocabulary size (checked against layer 0 and the softmax layer).
        path : str, optional
            File named in errors.

        Raises
        ------
        ModelFileError
            A missing array, a wrong shape, a non-float or non-finite array.

        Examples
        --------
        >>> p = Params.random(n_vocab=3, layers=[2], rng=0)
        >>> Params.from_arrays(p.to_arrays()).sizes
        [2]
        """
        def get(name: str) -> np.ndarray:
            if name not in arrays:
                raise ModelFileError(f"missing array {name!r}", path=path)
            a = np.asarray(arrays[name])
            if a.dtype.kind != "f":
                raise ModelFileError(f"array {name!r} has dtype {a.dtype}, expected floats", path=path)
            if not np.all(np.isfinite(a)):
                raise ModelFileError(f"array {name!r} holds NaN or infinite values", path=path)
            return a

        def shaped(name: str, shape: tuple) -> np.ndarray:
            a = get(name)
            if a.shape != shape:
                raise ModelFileError(f"array {name!r} has shape {a.shape}, expected {shape}", path=path)
            return a

        n_layers = 0
        while f"layer{n_layers}.W_h" in arrays:
            n_layers += 1
        if n_layers == 0:
            raise ModelFileError("no LSTM layer (missing array 'layer0.W_h')", path=path)
        layers = []
        n_in = None
        for i in range(n_layers):
            W_h = get(f"layer{i}.W_h")
            if W_h.ndim != 2 or W_h.shape[1] != 4 * W_h.shape[0]:
                raise ModelFileError(f"array 'layer{i}.W_h' has shape {W_h.shape}, expected (H, 4H)",
                                     path=path)
            H = W_h.shape[0]
            W_x = get(f"layer{i}.W_x")
            if W_x.ndim != 2 or W_x.shape[1] != 4 * H or (n_in is not None and W_x.shape[0] != n_in):
                want = f"({n_in if n_in is not None else 'n_in'}, {4 * H})"
                raise ModelFileError(f"array 'layer{i}.W_x' has shape {W_x.shape}, expected {want}", path=path)
            layers.append(LayerParams(W_x, W_h, shaped(f"layer{i}.b", (4 * H,)),
                                      shaped(f"layer{i}.h0", (H,)), shaped(f"layer{i}.c0", (H,))))
            n_in = H
        W_out = get("softmax.W")
        if W_out.ndim != 2 or W_out.shape[0] != n_in:
            raise ModelFileError(f"array 'softmax.W' has shape {W_out.shape}, expected ({n_in}, V)", path=path)
        V = W_out.shape[1] if n_vocab is None else n_vocab
        W_out = shaped("softmax.W", (n_in, V))
        b_out = shaped("softmax.b", (V,))
        if layers[0].n_in != V:
            raise ModelFileError(f"array 'layer0.W_x' has {layers[0].n_in} input rows, expected one per "
                                 f"vocabulary token ({V})", path=path)
        return cls(layers, W_out, b_out)

    @classmethod
    def random(cls, *, n_vocab: int, layers: Sequence[int], rng=None, scale: float = 0.1,
               dtype="float32") -> "Params":
        """Random parameters (uniform in ±scale), e.g. for tests and benchmarks.

        Parameters
        ----------
        n_vocab : int > 0
        layers : sequence of int > 0
            Units per LSTM layer.
        rng : None, int or np.random.Generator
        scale : float
        dtype : dtype

        Examples
        --------
        >>> Params.random(n_vocab=7, layers=[8, 8], rng=1).sizes
        [8, 8]
        """
        if n_vocab < 2 or not layers or any(int(h) < 1 for h in layers):
            raise ParameterError(f"need n_vocab >= 2 and layer sizes >= 1, got {n_vocab}, {list(layers)}")
        g = np.random.default_rng(rng)
        dt = np.dtype(dtype)

        def u(*shape):
            return g.uniform(-scale, scale, size=shape).astype(dt)

        out, n_in = [], n_vocab
        for h in layers:
            h = int(h)
            out.append(LayerParams(u(n_in, 4 * h), u(h, 4 * h), u(4 * h), u(h), u(h)))
            n_in = h
        return cls(out, u(n_in, n_vocab), u(n_vocab))


def _sigmoid_of_half(x: np.ndarray) -> np.ndarray:
    """In place: ``x`` holding ½·a becomes σ(a) = ½·tanh(½a) + ½ (numpy's tanh is SIMD: ~4× scipy's expit).

    :class:`Network` stores the sigmoid gates' weights and biases halved (exact in
    binary floating point), so the pre-activations arrive halved and the
    sigmoid is one pass fewer.
    """
    np.tanh(x, out=x)
    x *= 0.5
    x += 0.5
    return x


def _gate_perm(H: int) -> np.ndarray:
    """Column permutation from file order (i, f, c, o) to internal order (i, f, o, c)."""
    r = np.arange(H)
    return np.concatenate([r, r + H, r + 3 * H, r + 2 * H])


class Network:
    """A model's weights rearranged for fast steps, with optional ablation.

    Parameters
    ----------
    params : Params
    ablate : dict of int to array-like of int, optional
        ``{layer: units}``; the listed units' outgoing connections (to their own layer's
        next step, to the next layer or the softmax) are cut. Layers are 0-based;
        negative numbers count from the last layer.

    Raises
    ------
    ParameterError
        A layer or unit out of range.

    Examples
    --------
    >>> p = Params.random(n_vocab=5, layers=[4], rng=0)
    >>> logits, _ = Network(p, ablate={0: range(4)}).forward(np.array([[0, 1]]))
    >>> bool(np.allclose(logits[0], p.b_out))
    True
    """

    def __init__(self, params: Params, *, ablate: Mapping[int, Sequence[int]] | None = None) -> None:
        self.params = params
        self.dtype = params.dtype
        self.sizes = params.sizes
        self.n_vocab = params.n_vocab
        cut = _resolve_ablation(ablate, self.sizes)
        L = len(params.layers)
        self.Wx: list[np.ndarray] = []
        self.Wh: list[np.ndarray] = []
        self.Wxh: list[np.ndarray | None] = []
        self.b: list[np.ndarray] = []
        self.h0: list[np.ndarray] = []
        self.c0: list[np.ndarray] = []
        for i, lp in enumerate(params.layers):
            perm = _gate_perm(lp.size)
            Wx = lp.W_x[:, perm]  # fancy indexing: copies, halved in place below
            Wh = lp.W_h[:, perm]
            sig = slice(0, 3 * lp.size)  # i, f, o: sigmoid gates, stored halved (exact)
            Wx[:, sig] *= 0.5
            Wh[:, sig] *= 0.5
            if i > 0 and i - 1 in cut:
                Wx = Wx.copy()
                Wx[cut[i - 1]] = 0
            if i in cut:
                Wh = Wh.copy()
                Wh[cut[i]] = 0
            b = np.ascontiguousarray(lp.b[perm])
            b[sig] *= 0.5
            if i == 0:
                self.Wxh.append(None)
                self.Wx.append(np.ascontiguousarray(Wx))
                self.Wh.append(np.ascontiguousarray(Wh))
            else:
                stacked = np.ascontiguousarray(np.vstack([Wx, Wh]))
                self.Wxh.append(stacked)
                self.Wx.append(stacked[: lp.n_in])  # contiguous row blocks: views, no copy
                self.Wh.append(stacked[lp.n_in:])
            self.b.append(b)
            self.h0.append(lp.h0)
            self.c0.append(lp.c0)
        self.Wx0b = np.ascontiguousarray(self.Wx[0] + self.b[0])  # one-hot input: a row lookup
        W_out = params.W_out
        if L - 1 in cut:
            W_out = W_out.copy()
            W_out[cut[L - 1]] = 0
        self.W_out = np.ascontiguousarray(W_out)
        self.b_out = params.b_out
        self._scoring: _ScoringTables | None = None

    # -- whole sequences --------------------------------------------------------------------
    def forward(self, ids: np.ndarray | None = None, *, inputs: np.ndarray | None = None,
                lengths: np.ndarray | None = None, record: bool = False):
        """Run whole sequences, layer by layer.

        Parameters
        ----------
        ids : np.ndarray [shape=(B, T)], optional
            Input token ids (one-hot inputs).
        inputs : np.ndarray [shape=(B, T, V)], optional
            Input vectors instead of one-hot ids (forced or mixed inputs).
        lengths : np.ndarray [shape=(B,)], optional
            True lengths when rows are padded; **rows must be sorted by decreasing
            length**. Steps past a row's length are left as zeros.
        record : bool
            Also return hidden, cell and gate arrays.

        Returns
        -------
        logits : np.ndarray [shape=(B, T, V)]
        recorded : None or dict
            ``{"hidden": [(B, T, H_l)], "cell": [...], "gates": [{name: (B, T, H_l)}]}``.

        Examples
        --------
        >>> net = Network(Params.random(n_vocab=4, layers=[3], rng=0))
        >>> _, rec = net.forward(np.array([[0, 1]]), record=True)
        >>> rec["gates"][0]["forget"].shape
        (1, 2, 3)
        """
        if inputs is not None:
            B, T = inputs.shape[:2]
        else:
            B, T = ids.shape
        if lengths is None:
            active = np.full(T, B, dtype=np.int64)
        else:
            lengths = np.asarray(lengths)
            active = (lengths[None, :] > np.arange(T)[:, None]).sum(axis=1)
        dt = self.dtype
        rec = {"hidden": [], "cell": [], "gates": []} if record else None
        # time-major inside ((T, B, ...)): each step reads and writes contiguous rows
        X = None
        for li, H in enumerate(self.sizes):
            if li == 0:
                if inputs is not None:
                    proj = np.matmul(inputs.astype(dt, copy=False).transpose(1, 0, 2), self.Wx[0])
                    proj += self.b[0]
                else:
                    proj = self.Wx0b[np.asarray(ids).T]
            else:
                proj = np.matmul(X, self.Wx[li])
                proj += self.b[li]
            Hs = np.zeros((T, B, H), dtype=dt)
            Cs = np.zeros((T, B, H), dtype=dt) if record else None
            G = {k: np.zeros((T, B, H), dtype=dt) for k in GATE_NAMES} if record else None
            h = np.repeat(self.h0[li][None, :], B, axis=0).astype(dt)
            c = np.repeat(self.c0[li][None, :], B, axis=0).astype(dt)
            z = np.empty((B, 4 * H), dtype=dt)
            th = np.empty((B, H), dtype=dt)
            Wh = self.Wh[li]
            for t in range(T):
                n = int(active[t])
                if n == 0:
                    break
                zz = z[:n]
                np.dot(h[:n], Wh, out=zz)
                zz += proj[t, :n]
                if record:
                    G["candidate"][t, :n] = zz[:, 3 * H:]
                _lstm_cell(zz, c[:n], h[:n], th[:n], H)
                Hs[t, :n] = h[:n]
                if record:
                    Cs[t, :n] = c[:n]
                    G["input"][t, :n] = zz[:, :H]
                    G["forget"][t, :n] = zz[:, H:2 * H]
                    G["output"][t, :n] = zz[:, 2 * H:3 * H]
                    G["candidate_tanh"][t, :n] = zz[:, 3 * H:]
            del proj
            if record:
                rec["hidden"].append(_batch_major(Hs))
                rec["cell"].append(_batch_major(Cs))
                rec["gates"].append({k: _batch_major(v) for k, v in G.items()})
            X = Hs
        logits = np.matmul(X.transpose(1, 0, 2), self.W_out)
        logits += self.b_out
        return logits, rec

    # -- scoring ------------------------------------------------------------------------------
    def logprobs(self, ids: np.ndarray, targets: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
        """Log-probability of each target token, for whole known sequences (scoring).

        The fast path behind :meth:`folkabc.model.Model.score_many`. It computes the
        same network as :meth:`forward` but (1) runs only the rows still active at each
        step, stored packed (step by step, like a packed sequence), (2) takes the input
        projections of many steps of a layer in one matrix product, (3) gets every
        gate from one ``exp`` (σ(a) = 1/(1+e⁻ᵃ), tanh(a) = 2σ(2a) − 1: numpy's float32
        ``exp`` costs half its ``tanh``) on states kept scaled by −2 (exact), and (4)
        normalises the logits (log-sum-exp summed in float64) without a full
        log-softmax array. The activations round differently from :meth:`forward` and
        :class:`Stepper` (which generation uses, unchanged): the results agree to
        float32 rounding, not bit for bit.

        Parameters
        ----------
        ids : np.ndarray [shape=(B, T)]
            Input token ids (one-hot inputs), padded.
        targets : np.ndarray [shape=(B, T)]
            The token whose log-probability is wanted after each input.
        lengths : np.ndarray [shape=(B,)], optional
            True lengths, **sorted in decreasing order** (default: all ``T``).

        Returns
        -------
        np.ndarray [shape=(B, T)], float64
            Zero past each row's length.

        Raises
        ------
        ParameterError
            Lengths out of ``0..T`` or not in decreasing order.

        Examples
        --------
        >>> net = Network(Params.random(n_vocab=4, layers=[3, 3], rng=0))
        >>> ids = np.array([[0, 1, 2], [0, 3, 0]])
        >>> lp = net.logprobs(ids, np.array([[1, 2, 3], [3, 1, 0]]), lengths=np.array([3, 2]))
        >>> logits, _ = net.forward(ids)
        >>> ref = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        >>> bool(np.allclose(lp[0], ref[0, [0, 1, 2], [1, 2, 3]], atol=1e-6)), float(lp[1, 2])
        (True, 0.0)
        """
        ids = np.asarray(ids)
        targets = np.asarray(targets)
        if ids.ndim != 2 or targets.shape != ids.shape:
            raise ParameterError(f"ids and targets must be (B, T) arrays of one shape, got {ids.shape} "
                                 f"and {targets.shape}")
        B, T = ids.shape
        lengths = np.full(B, T, dtype=np.int64) if lengths is None else np.asarray(lengths, dtype=np.int64)
        if lengths.shape != (B,) or (B and (lengths.min() < 0 or lengths.max() > T)):
            raise ParameterError(f"lengths must be {B} numbers in 0..{T}")
        if np.any(np.diff(lengths) > 0):
            raise ParameterError("lengths must be in decreasing order (sort the rows longest first)")
        mask = np.arange(T)[:, None] < lengths[None, :]  # (T, B): time-major, active rows first
        active = mask.sum(axis=1)
        offs = np.concatenate([[0], np.cumsum(active)])
        out = np.zeros((T, B), dtype=np.float64)
        if offs[-1] == 0:
            return out.T
        tab = self._scoring_tables()
        X = ids.T[mask]  # packed first-layer input ids
        with np.errstate(over="ignore"):  # exp overflows to inf: the gate is then exactly 0 or 1
            for li in range(len(self.sizes)):
                X = self._score_layer(li, X, active, offs, tab)
        logits = np.matmul(X, tab.W_out)
        logits += self.b_out
        out[mask] = _target_logprobs(logits, targets.T[mask])
        return out.T

    def _scoring_tables(self) -> "_ScoringTables":
        if self._scoring is None:
            self._scoring = _ScoringTables(
                x0=self.Wx0b * np.asarray(-2, self.dtype),
                b=[bi * np.asarray(-2, self.dtype) for bi in self.b],
                h0=[hi.astype(self.dtype) * np.asarray(-2, self.dtype) for hi in self.h0],
                c0=[ci.astype(self.dtype) * np.asarray(-2, self.dtype) for ci in self.c0],
                W_out=self.W_out * np.asarray(-0.5, self.dtype))
        return self._scoring

    def _score_layer(self, li: int, X: np.ndarray, active: np.ndarray, offs: np.ndarray,
                     tab: "_ScoringTables") -> np.ndarray:
        """One layer over packed rows: input ``X`` (N, n_in) scaled by −2 (ids (N,) for the first layer),
        output (N, H) scaled by −2.

        Row block ``offs[t]:offs[t+1]`` holds step t's ``active[t]`` rows; a sequence keeps
        its row number within each block, so step t reads its previous hidden state from
        the first ``active[t]`` rows of block t − 1.
        """
        H = self.sizes[li]
        dt = self.dtype
        N = int(offs[-1])
        B = int(active[0])
        Y = np.empty((N, H), dtype=dt)
        Wh = self.Wh[li]
        z = np.empty((B, 4 * H), dtype=dt)
        th = np.empty((B, H), dtype=dt)
        C = np.repeat(tab.c0[li][None, :], B, axis=0)
        h_prev = np.repeat(tab.h0[li][None, :], B, axis=0)
        proj = np.empty((max(_CHUNK_ROWS, B), 4 * H), dtype=dt)
        act, off = active.tolist(), offs.tolist()
        fused = _compiled_cell is not None and dt == np.float32
        T = int(np.count_nonzero(active))
        n_cur, zz, Cn, thn = B, z, C, th
        t = 0
        while t < T:
            # the inputs of steps t..t1-1 (whole steps, at most max(_CHUNK_ROWS, B) rows) in one go:
            # a row lookup for the first layer's one-hot inputs, one matrix product above it
            t1 = min(T, max(t + 1, int(np.searchsorted(offs, off[t] + _CHUNK_ROWS, side="right")) - 1))
            p0, p1 = off[t], off[t1]
            pj = proj[:p1 - p0]
            if li == 0:
                np.take(tab.x0, X[p0:p1], axis=0, out=pj)
            else:
                np.matmul(X[p0:p1], self.Wx[li], out=pj)
                pj += tab.b[li]
            for t in range(t, t1):
                n, r0 = act[t], off[t]
                if n != n_cur:  # rows that ended leave the batch (they are the last ones)
                    n_cur, zz, Cn, thn, h_prev = n, z[:n], C[:n], th[:n], h_prev[:n]
                np.matmul(h_prev, Wh, out=zz)
                h_prev = Y[r0:r0 + n]
                if fused:  # the compiled cell (folkabc/model/_cell.h): the same, in one pass
                    _compiled_cell(zz, pj[r0 - p0:r0 - p0 + n], Cn, h_prev)
                else:
                    zz += pj[r0 - p0:r0 - p0 + n]
                    _lstm_cell_scaled(zz, Cn, h_prev, thn, H)
            t = t1
        return Y


#: Rows of a layer's input projected by one matrix product in :meth:`Network.logprobs`
#: (a few MB: stays in cache while the steps use it).
_CHUNK_ROWS = 512


@dataclass
class _ScoringTables:
    """The arrays :meth:`Network.logprobs` scales by −2 (exact): states, biases, first-layer rows."""

    x0: np.ndarray
    b: list[np.ndarray]
    h0: list[np.ndarray]
    c0: list[np.ndarray]
    W_out: np.ndarray  # scaled by −½ to undo the hidden state's −2


def _lstm_cell_scaled(z: np.ndarray, C: np.ndarray, h: np.ndarray, th: np.ndarray, H: int) -> None:
    """In place, the cell on states scaled by −2, all gates from one ``exp``.

    The reference for the compiled cell (``folkabc/model/_cell.h``, which :meth:`Network.logprobs`
    uses for float32 where it is built: numpy's float32 ``exp`` is scalar without AVX-512, ~2 ns an
    element) and what runs without it.

    ``z`` arrives as −2 × :func:`_lstm_cell`'s pre-activations (i, f, o: −a, candidate:
    −2a); ``C`` holds −2c and becomes −2c'; ``h`` receives −2h'. With
    σ(a) = 1/(1 + e⁻ᵃ) and tanh(a) = 2σ(2a) − 1:
    −2 tanh(a) = 2 − 4σ(2a) and −2 σ(o) tanh(c') = 4σ(o) · (½ − σ(2c')).
    """
    np.exp(z, out=z)
    z += 1
    np.divide(1, z[:, :2 * H], out=z[:, :2 * H])  # σ(i), σ(f)
    np.divide(4, z[:, 2 * H:], out=z[:, 2 * H:])  # 4σ(o), 4σ(2 a_c)
    g = z[:, 3 * H:]
    np.subtract(2, g, out=g)  # −2 tanh(a_c)
    C *= z[:, H:2 * H]
    np.multiply(z[:, :H], g, out=th)
    C += th  # −2c' = σ(f)(−2c) + σ(i)(−2 tanh(a_c))
    np.exp(C, out=th)
    th += 1
    np.divide(1, th, out=th)  # σ(2c')
    np.subtract(0.5, th, out=th)  # −tanh(c')/2
    np.multiply(z[:, 2 * H:3 * H], th, out=h)


def _target_logprobs(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """``log_softmax(logits)[k, targets[k]]`` for each row k, as float64, without the full array.

    The exponentials are taken in the logits' dtype (after subtracting the row's
    maximum: all ≤ 1) and summed in float64.
    """
    m = logits.max(axis=1)
    picked = logits[np.arange(len(logits)), targets].astype(np.float64) - m
    z = logits - m[:, None]
    np.exp(z, out=z)
    return picked - np.log(z.sum(axis=1, dtype=np.float64))


def _batch_major(a: np.ndarray) -> np.ndarray:
    """(T, B, ...) → a contiguous (B, T, ...) copy."""
    return np.ascontiguousarray(a.transpose(1, 0, 2))


def _lstm_cell(z: np.ndarray, c: np.ndarray, h: np.ndarray, th: np.ndarray, H: int) -> None:
    """In place: gates from pre-activations ``z`` (i, f, o, c order), new ``c`` and ``h``.

    The i, f, o pre-activations arrive halved (see :func:`_sigmoid_of_half`). On
    return ``z`` holds the activated gates i, f, o and tanh of the candidate.
    """
    s = z[:, : 3 * H]
    _sigmoid_of_half(s)
    g = z[:, 3 * H:]
    np.tanh(g, out=g)
    c *= z[:, H:2 * H]
    np.multiply(z[:, :H], g, out=th)
    c += th
    np.tanh(c, out=th)
    np.multiply(z[:, 2 * H:3 * H], th, out=h)


def _resolve_ablation(ablate, sizes: list[int]) -> dict[int, np.ndarray]:
    if not ablate:
        return {}
    L = len(sizes)
    out: dict[int, np.ndarray] = {}
    for layer, units in dict(ablate).items():
        try:
            li = int(layer)
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"ablate: layer {layer!r} is not an integer") from exc
        if not -L <= li < L:
            raise ParameterError(f"ablate: layer {li} out of range (model has {L} layers, 0-based)")
        li %= L
        try:
            u = np.asarray(list(units) if not isinstance(units, np.ndarray) else units)
        except TypeError:
            raise ParameterError(f"ablate: units of layer {li} must be a sequence of integers") from None
        if u.dtype != bool and u.size and u.dtype.kind not in "iu":
            raise ParameterError(f"ablate: units of layer {li} must be integers or a boolean mask, "
                                 f"got dtype {u.dtype}")
        if u.dtype == bool:
            if u.shape != (sizes[li],):
                raise ParameterError(f"ablate: boolean mask for layer {li} has shape {u.shape}, "
                                     f"expected ({sizes[li]},)")
            u = np.flatnonzero(u)
        u = u.astype(np.int64).ravel()
        if u.size and (u.min() < 0 or u.max() >= sizes[li]):
            bad = int(u[(u < 0) | (u >= sizes[li])][0])
            raise ParameterError(f"ablate: unit {bad} out of range for layer {li} ({sizes[li]} units)")
        out[li] = np.union1d(out.get(li, np.empty(0, np.int64)), u)
    return out


class Stepper:
    """Advance a batch of sequences one token at a time (incremental state).

    Parameters
    ----------
    net : Network
    batch : int > 0

    Examples
    --------
    >>> net = Network(Params.random(n_vocab=4, layers=[3, 3], rng=0))
    >>> st = Stepper(net, batch=2)
    >>> st.step(np.array([0, 1])).shape
    (2, 4)
    >>> st.keep(np.array([1])); st.batch
    1
    """

    def __init__(self, net: Network, batch: int) -> None:
        self.net = net
        self.batch = B = int(batch)
        dt = net.dtype
        sizes = net.sizes
        self.sizes = sizes
        # xh[l] = [input of layer l | h of layer l]; xh[0] holds only h of layer 0.
        self.xh: list[np.ndarray] = []
        n_in = 0
        for li, H in enumerate(sizes):
            buf = np.empty((B, n_in + H), dtype=dt)
            buf[:, n_in:] = net.h0[li]
            self.xh.append(buf)
            n_in = H
        self.h_last = np.empty((B, sizes[-1]), dtype=dt)
        self.h_last[:] = net.h0[-1]
        self.c = [np.repeat(net.c0[li][None, :], B, axis=0).astype(dt) for li in range(len(sizes))]
        self.z = [np.empty((B, 4 * H), dtype=dt) for H in sizes]
        self.th = [np.empty((B, H), dtype=dt) for H in sizes]
        self.logits = np.empty((B, net.n_vocab), dtype=dt)

    def keep(self, rows: np.ndarray) -> None:
        """Keep only ``rows`` of the batch (in that order; repeats allowed), e.g. drop finished tunes.

        Examples
        --------
        >>> st = Stepper(Network(Params.random(n_vocab=4, layers=[3], rng=0)), batch=3)
        >>> st.keep(np.array([2, 2, 0, 1])); st.batch
        4
        """
        rows = np.asarray(rows, dtype=np.int64)
        self.xh = [np.ascontiguousarray(a[rows]) for a in self.xh]
        self.c = [np.ascontiguousarray(a[rows]) for a in self.c]
        self.h_last = np.ascontiguousarray(self.h_last[rows])
        B = self.batch = len(rows)
        self.z = [np.empty((B, 4 * H), dtype=self.net.dtype) for H in self.sizes]
        self.th = [np.empty((B, H), dtype=self.net.dtype) for H in self.sizes]
        self.logits = np.empty((B, self.net.n_vocab), dtype=self.net.dtype)

    def step(self, ids: np.ndarray | None = None, *, inputs: np.ndarray | None = None,
             record: list | None = None) -> np.ndarray:
        """Feed one input per row; return the logits (B, V) for the next token.

        Parameters
        ----------
        ids : np.ndarray [shape=(B,)], optional
            One-hot inputs as token ids.
        inputs : np.ndarray [shape=(B, V)], optional
            Input vectors (mixed inputs) instead of ``ids``.
        record : list, optional
            If given, one ``(hidden, cell, gates)`` tuple per layer is appended (copies).

        Returns
        -------
        np.ndarray [shape=(B, V)]
            A buffer reused by the next call: copy it to keep it.

        Examples
        --------
        >>> st = Stepper(Network(Params.random(n_vocab=4, layers=[3], rng=0)), batch=2)
        >>> rec = []
        >>> st.step(inputs=np.full((2, 4), 0.25)).shape, rec == []
        ((2, 4), True)
        >>> _ = st.step(np.array([1, 2]), record=rec); len(rec), rec[0][2]["forget"].shape
        (1, (2, 3))
        """
        net = self.net
        L = len(self.sizes)
        for li, H in enumerate(self.sizes):
            z = self.z[li]
            xh = self.xh[li]
            if li == 0:
                h_prev = xh  # holds only layer 0's h
                np.dot(h_prev, net.Wh[0], out=z)
                if inputs is not None:
                    z += inputs.astype(net.dtype, copy=False) @ net.Wx[0]
                    z += net.b[0]
                else:
                    z += net.Wx0b[ids]
            else:
                np.dot(xh, net.Wxh[li], out=z)
                z += net.b[li]
            if record is not None:
                cand = z[:, 3 * H:].copy()
            n_in = xh.shape[1] - H
            h_out = xh[:, n_in:]
            _lstm_cell(z, self.c[li], h_out, self.th[li], H)
            if li + 1 < L:
                self.xh[li + 1][:, :H] = h_out
            else:
                self.h_last[:] = h_out
            if record is not None:
                record.append((h_out.copy(), self.c[li].copy(), {
                    "input": z[:, :H].copy(), "forget": z[:, H:2 * H].copy(),
                    "output": z[:, 2 * H:3 * H].copy(), "candidate": cand,
                    "candidate_tanh": z[:, 3 * H:].copy()}))
        np.dot(self.h_last, net.W_out, out=self.logits)
        self.logits += net.b_out
        return self.logits

