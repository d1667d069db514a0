"""The :class:`Model`: a vocabulary plus LSTM parameters, with score, run (hooks) and generate.

Examples
--------
>>> from folkabc.model import Model
>>> m = Model.random(layers=[16], rng=0)
>>> s = m.score(["M:4/4", "K:Cmaj", "|:", "C", "D", "E", ":|"])
>>> s.token_logprobs.shape, s.tokens[-1]
((8,), '</s>')
>>> t = m.run(["M:4/4", "K:Cmaj"])
>>> t.tokens, t.posterior.shape, t.hidden[0].shape
(['<s>', 'M:4/4', 'K:Cmaj'], (3, 137), (3, 16))
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import ModelFileError, ParameterError, TokenSequenceError, UnknownTokenError
from ..vocab import VOCAB, Vocabulary
from . import sampling
from .hooks import resolve_bias
from .hooks import unknown_token as _unknown
from .io import ModelParts, read_folkrnn_pickle, read_model, save_model
from .lstm import Network, Params
from .records import END, START, Score, Trace, check_temperature, log_softmax

__all__ = ["Model", "Trace", "Score", "log_softmax", "load_model", "load_folkrnn_pickle"]


class Model:
    """A folk-rnn-style model: a vocabulary, an LSTM stack and a softmax layer (numpy).

    Parameters
    ----------
    vocab : Vocabulary or sequence of str
        The model's own token table, in id order (must hold ``<s>`` and ``</s>``).
    params : Params
    provenance : dict, optional
        Where the model came from (saved in ``model.json``).

    Attributes
    ----------
    vocab : Vocabulary
    params : Params
    layers : list of int
        Units per LSTM layer.
    provenance : dict

    See Also
    --------
    folkabc.model.load_model : read a model file; :meth:`save` writes one.

    Examples
    --------
    >>> m = Model.random(layers=[8, 8], rng=0)
    >>> m.layers, len(m.vocab)
    ([8, 8], 137)
    """

    def __init__(self, vocab: Vocabulary | Sequence[str], params: Params, *,
                 provenance: Mapping[str, Any] | None = None) -> None:
        if not isinstance(vocab, Vocabulary):
            vocab = Vocabulary.from_tokens(list(vocab))
        if len(vocab) != params.n_vocab:
            raise ParameterError(f"vocabulary has {len(vocab)} tokens but the parameters expect {params.n_vocab}")
        for tok in (START, END):
            if tok not in vocab.index:
                raise ParameterError(f"the vocabulary has no {tok!r} token")
        self.vocab = vocab
        self.params = params
        self.provenance = dict(provenance or {})
        self._nets: dict[Any, Network] = {}
        self.start_id = vocab.index[START]
        self.end_id = vocab.index[END]

    # -- construction, files ------------------------------------------------------------------
    @classmethod
    def random(cls, *, vocab: Vocabulary | Sequence[str] = VOCAB, layers: Sequence[int] = (512, 512, 512),
               rng=None, scale: float = 0.1, dtype="float32") -> "Model":
        """A model with random weights (uniform in ±scale), for tests and benchmarks.

        Parameters
        ----------
        vocab : Vocabulary or sequence of str
            Default: folkabc's 137-token :data:`folkabc.vocab.VOCAB`.
        layers : sequence of int
        rng : None, int or np.random.Generator
        scale : float
        dtype : dtype

        Examples
        --------
        >>> Model.random(layers=[4], rng=0).params.dtype
        dtype('float32')
        """
        n = len(vocab)
        return cls(vocab, Params.random(n_vocab=n, layers=layers, rng=rng, scale=scale, dtype=dtype),
                   provenance={"source": "random", "scale": scale})

    def save(self, path: str | Path, *, weights_dtype=None) -> Path:
        """Write the model in folkabc's own format (a directory: model.json + weights.npz).

        ``weights_dtype="float16"`` stores the weights at half size (they are read back
        into the computation dtype); None keeps the model's own dtype.

        See Also
        --------
        folkabc.model.load_model : the inverse.

        Examples
        --------
        >>> import tempfile, os
        >>> from folkabc.model import load_model
        >>> d = tempfile.mkdtemp()
        >>> m = Model.random(layers=[4], rng=0)
        >>> m2 = load_model(m.save(os.path.join(d, "tiny")))
        >>> m2.layers, bool(np.array_equal(m2.params.W_out, m.params.W_out))
        ([4], True)
        """
        return save_model(self, path, weights_dtype=weights_dtype)

    @property
    def layers(self) -> list[int]:
        """Units per LSTM layer."""
        return self.params.sizes

    def astype(self, dtype) -> "Model":
        """The same model computing in ``dtype`` (e.g. ``"float64"``).

        Examples
        --------
        >>> Model.random(layers=[4], rng=0).astype("float64").params.dtype
        dtype('float64')
        """
        return Model(self.vocab, self.params.astype(dtype), provenance=self.provenance)

    def __repr__(self) -> str:
        return (f"Model(layers={self.layers}, vocabulary={len(self.vocab)} tokens, "
                f"dtype={self.params.dtype}, source={self.provenance.get('source', self.provenance.get('trainer', '?'))!r})")

    def network(self, ablate: Mapping[int, Sequence[int]] | None = None) -> Network:
        """The rearranged network (cached when not ablated).

        Examples
        --------
        >>> Model.random(layers=[4], rng=0).network().sizes
        [4]
        """
        if ablate:
            return Network(self.params, ablate=ablate)
        net = self._nets.get(None)
        if net is None:
            net = self._nets[None] = Network(self.params)
        return net

    # -- tokens -----------------------------------------------------------------------------
    def encode(self, tokens, *, what: str = "tokens", offset: int = 0) -> np.ndarray:
        """Tokens (or ids) → ids of the model's own vocabulary (mapped by name).

        Parameters
        ----------
        tokens : str, sequence of str, array of int, or an object with ``.tokens``
            A string is split on whitespace. Integer arrays are taken as model ids.
        what : str
            Named in errors ("prime", "tokens", …).
        offset : int
            Added to positions named in errors.

        Raises
        ------
        UnknownTokenError
            A token the model does not know, with its position.

        Examples
        --------
        >>> m = Model.random(layers=[4], rng=0)
        >>> m.vocab.decode(m.encode("M:4/4 K:Cmaj C"))
        ['M:4/4', 'K:Cmaj', 'C']
        """
        if hasattr(tokens, "tokens") and not isinstance(tokens, (str, np.ndarray)):
            tokens = tokens.tokens
        if isinstance(tokens, str):
            tokens = tokens.split()
        if not isinstance(tokens, (list, tuple, np.ndarray)):
            try:
                tokens = list(tokens)
            except TypeError:
                raise ParameterError(f"{what}: expected tokens (a string or a sequence), got "
                                     f"{type(tokens).__name__}") from None
        if isinstance(tokens, np.ndarray) and tokens.dtype.kind in "iu":
            ids = tokens.astype(np.int64).ravel()
            bad = np.flatnonzero((ids < 0) | (ids >= len(self.vocab)))
            if bad.size:
                raise _unknown(f"#{ids[bad[0]]}", int(bad[0]) + offset, what)
            return ids
        index = self.vocab.index
        out = np.empty(len(tokens), dtype=np.int64)
        for pos, t in enumerate(tokens):
            if isinstance(t, (int, np.integer)):
                if not 0 <= int(t) < len(self.vocab):
                    raise _unknown(f"#{int(t)}", pos + offset, what)
                out[pos] = int(t)
                continue
            i = index.get(t)
            if i is None:
                raise _unknown(str(t), pos + offset, what)
            out[pos] = i
        return out

    def _sequence_ids(self, tokens) -> np.ndarray:
        """Ids of ``tokens`` without a leading ``<s>``; ``</s>`` only at the end."""
        ids = self.encode(tokens)
        if ids.size and ids[0] == self.start_id:
            ids = ids[1:]
        starts = np.flatnonzero(ids == self.start_id)
        if starts.size:
            raise TokenSequenceError("'<s>' may only open a sequence", position=int(starts[0]))
        ends = np.flatnonzero(ids == self.end_id)
        if ends.size and ends[0] != ids.size - 1:
            raise TokenSequenceError("'</s>' may only close a sequence", position=int(ends[0]))
        return ids

    # -- run (hooks) --------------------------------------------------------------------------
    def run(self, tokens=None, *, record: bool = True, ablate: Mapping[int, Sequence[int]] | None = None,
            logit_bias=None, inputs: np.ndarray | None = None, temperature: float = 1.0) -> Trace:
        """Run the network over ``<s>`` + ``tokens`` and return what it did.

        Parameters
        ----------
        tokens : str, sequence of str or array of ids, optional
            ``[meter, mode, body…]``, optionally ending with ``'</s>'`` (a leading
            ``'<s>'`` is accepted and not doubled). May be omitted when ``inputs`` is given
            (the labels are then each input row's largest entry).
        record : bool
            Record hidden states, cell states and gates (the posterior is always returned).
        ablate : dict of int to array-like of int, optional
            ``{layer: units}`` (0-based layers, negative from the top); the units'
            outgoing connections are cut.
        logit_bias : np.ndarray [shape=(V,)], dict of token to δ, or LogitBias, optional
            Added after the division by ``temperature``; see :class:`folkabc.model.hooks.LogitBias`
            for target ratios α.
        inputs : np.ndarray [shape=(T, V)], optional
            Replaces the one-hot inputs (forced or mixed "two-hot" inputs); row 0 is the
            input at ``<s>``. T must be ``len(tokens) + 1``.
        temperature : float > 0

        Returns
        -------
        Trace

        Raises
        ------
        UnknownTokenError, TokenSequenceError, ParameterError

        Examples
        --------
        >>> m = Model.random(layers=[8], rng=0)
        >>> tr = m.run(["M:4/4"], ablate={0: range(8)})
        >>> bool(np.allclose(tr.posterior[0], np.exp(log_softmax(m.params.b_out))))
        True
        """
        check_temperature(temperature)
        V = len(self.vocab)
        x = None
        if inputs is not None:
            try:
                x = np.asarray(inputs, dtype=np.float64)
            except (TypeError, ValueError):
                raise ParameterError("inputs must be a numeric array of shape (T, V)") from None
            if x.ndim != 2 or x.shape[0] == 0:
                raise ParameterError(f"inputs has shape {x.shape}, expected (T, {V}) with T >= 1")
        if tokens is None:
            if x is None:
                raise ParameterError("run needs tokens or inputs")
            ids = np.argmax(x, axis=1)[1:]
        else:
            ids = self._sequence_ids(tokens)
        T = ids.size + 1
        full = np.concatenate([[self.start_id], ids]).astype(np.int64)
        if x is not None:
            if x.shape != (T, V):
                raise ParameterError(f"inputs has shape {x.shape}, expected ({T}, {V}) "
                                     f"(one row per input step, '<s>' first)")
            if not np.all(np.isfinite(x)):
                raise ParameterError("inputs holds NaN or infinite values")
            x = x[None]
        bias = resolve_bias(logit_bias, self.vocab)
        net = self.network(ablate)
        logits, rec = net.forward(None if x is not None else full[None], inputs=x, record=record)
        logits = logits[0]
        if temperature != 1.0:
            logits = logits / np.asarray(temperature, dtype=logits.dtype)
        if bias is not None:
            logits = bias.apply(logits.copy())
        post = np.exp(log_softmax(logits)).astype(logits.dtype)
        trace = Trace(self.vocab.decode(full), logits, post)
        if record:
            trace.hidden = [a[0] for a in rec["hidden"]]
            trace.cell = [a[0] for a in rec["cell"]]
            trace.gates = [{k: v[0] for k, v in g.items()} for g in rec["gates"]]
        return trace

    # -- scoring ------------------------------------------------------------------------------
    def score(self, tokens, *, end: bool = True) -> Score:
        """Log-probability of each token of a tune.

        Parameters
        ----------
        tokens : str, sequence of str, array of ids, or TokenizedTune
            ``[meter, mode, body…]``; ``'</s>'`` is appended unless present or ``end=False``.
        end : bool
            Score the closing ``'</s>'`` (a complete tune). ``False`` scores a prefix.

        Returns
        -------
        Score

        Raises
        ------
        UnknownTokenError
            A token the model does not know (named, with its position).

        See Also
        --------
        score_many : many tunes in batches (faster, same numbers).

        Examples
        --------
        >>> m = Model.random(layers=[8], rng=0)
        >>> s = m.score("M:6/8 K:Cdor A B c")
        >>> s.tokens
        ['M:6/8', 'K:Cdor', 'A', 'B', 'c', '</s>']
        >>> bool(s.perplexity > 1)
        True
        """
        return self.score_many([tokens], end=end)[0]

    def score_many(self, tunes: Sequence, *, end: bool = True, batch_size: int = 64) -> list[Score]:
        """Score many tunes, advancing ``batch_size`` of them together.

        Parameters
        ----------
        tunes : sequence of token sequences (as for :meth:`score`)
        end : bool
        batch_size : int > 0

        Returns
        -------
        list of Score
            In the order of ``tunes``.

        Raises
        ------
        UnknownTokenError
            Naming the token, its position and (as ``tune``) the 1-based tune number.

        Examples
        --------
        >>> m = Model.random(layers=[8], rng=0)
        >>> a, b = m.score_many(["M:4/4 K:Cmaj C", "M:3/4 K:Cmin D E"])
        >>> len(a.tokens), len(b.tokens)
        (4, 5)
        """
        if int(batch_size) < 1:
            raise ParameterError(f"batch_size={batch_size!r} must be >= 1")
        seqs = []
        for n, tune in enumerate(tunes):
            try:
                ids = self._sequence_ids(tune)
            except (UnknownTokenError, TokenSequenceError) as exc:
                exc.tune = n + 1
                raise
            if end and (ids.size == 0 or ids[-1] != self.end_id):
                ids = np.append(ids, self.end_id)
            seqs.append(ids)
        out: list[Score | None] = [None] * len(seqs)
        order = sorted(range(len(seqs)), key=lambda k: -seqs[k].size)
        net = self.network()
        for start in range(0, len(order), int(batch_size)):
            chunk = order[start:start + int(batch_size)]
            lens = np.array([seqs[k].size for k in chunk])
            T = int(lens.max()) if lens.size else 0
            if T == 0:
                for k in chunk:
                    out[k] = Score([], np.zeros(0))
                continue
            inp = np.full((len(chunk), T), self.start_id, dtype=np.int64)
            tgt = np.zeros((len(chunk), T), dtype=np.int64)
            for r, k in enumerate(chunk):
                s = seqs[k]
                inp[r, 1:s.size] = s[:-1]
                tgt[r, :s.size] = s
            picked = net.logprobs(inp, tgt, lengths=lens)
            for r, k in enumerate(chunk):
                s = seqs[k]
                out[k] = Score(self.vocab.decode(s), picked[r, :s.size].copy())
        return out  # type: ignore[return-value]

    # -- generation ---------------------------------------------------------------------------
    def generate(self, *, n: int = 1, meter: str | None = None, mode: str | None = None, prime=None,
                 temperature: float = 1.0, seed=None, top_k: int | None = None, top_p: float | None = None,
                 max_length: int = 1000, banned=None, ablate=None, logit_bias=None, mix=None,
                 record: bool = False, beam: int | None = None, force: Mapping[int, str] | None = None,
                 constrain=None, form: str | None = None, part_bars: int = 8):
        """Generate tunes: ``<s>`` + optional meter, mode and prime tokens, then sampling.

        The ``n`` tunes advance together (one matrix product per layer per step). Tune k
        uses its own generator seeded with ``seed + k``, so a tune depends only on its
        seed: ``generate(n=10, seed=42)[3]`` equals ``generate(seed=45)[0]``.

        Parameters
        ----------
        n : int > 0
            Number of tunes.
        meter : str, optional
            ``"6/8"`` or ``"M:6/8"``: forced first token.
        mode : str, optional
            ``"Cdor"``, ``"dor"`` or ``"K:Cdor"``: forced second token.
        prime : str or sequence of str, optional
            Body tokens forced after meter and mode.
        temperature : float > 0
        seed : None, int >= 0 or np.random.Generator
            The base seed (None: fresh entropy; a Generator: draws the base seed).
        top_k : int > 0, optional
            Sample only among the k most likely tokens.
        top_p : float in (0, 1], optional
            Sample only among the most likely tokens whose mass reaches ``top_p``.
        max_length : int > 0
            Most tokens per tune (meter, mode and body; ``</s>`` not counted).
        banned : sequence of str, optional
            Tokens never sampled (``<s>`` is always banned).
        ablate, logit_bias : optional
            As for :meth:`run`.
        mix : folkabc.model.hooks.Mix, optional
            Mixed ("two-hot") inputs after each sampled body token.
        record : bool
            Attach a :class:`Trace` of each tune (its inputs: ``<s>`` and every token).
        beam : int, optional
            Beam width: return the ``n`` most likely tunes found by beam search
            (deterministic; sampling options are ignored; ``ablate``, ``logit_bias``,
            ``mix`` and ``force`` are refused).
        force : dict of int to str, optional
            Forced tokens at later positions, ``{position: token}`` (0-based over the tune's
            tokens, 0 = the meter), e.g. ``{20: "|"}``; forcing ``'</s>'`` ends the tune there.
            A forced position uses up its random number (so forcing the token the model
            would have drawn changes nothing) and gets no mixed input.
        constrain : str or list of str, optional
            ``"grammar"`` (every tune readable) or ``"bars"`` (every bar counts; includes the
            grammar): see :mod:`folkabc.model.constraints`. Each tune then carries a
            :class:`~folkabc.model.constraints.Cost` (``g.cost``): the probability mass removed.
            Not with ``force``.
        form : str, optional
            A dance form, e.g. ``"AABB"``, ``"AB"``, ``"AABBCC"``: parts of ``part_bars`` bars,
            a doubled letter a repeated part (``|: … :|``); includes ``"bars"``.
        part_bars : int
            Bars per part of ``form`` (8).

        Returns
        -------
        list of Generated

        Raises
        ------
        UnknownTokenError
            A prime, meter, mode or banned token the model does not know.
        ParameterError
            A bad option value.

        Examples
        --------
        >>> m = Model.random(layers=[16], rng=0)
        >>> a = m.generate(n=3, meter="6/8", mode="Cdor", seed=42, max_length=20)
        >>> [g.tokens[:2] for g in a][0], a[2].seed
        (['M:6/8', 'K:Cdor'], 44)
        >>> m.generate(seed=44, meter="6/8", mode="Cdor", max_length=20)[0].tokens == a[2].tokens
        True
        """
        return sampling.generate(self, n=n, meter=meter, mode=mode, prime=prime, temperature=temperature,
                                 seed=seed, top_k=top_k, top_p=top_p, max_length=max_length, banned=banned,
                                 ablate=ablate, logit_bias=logit_bias, mix=mix, record=record, beam=beam,
                                 force=force, constrain=constrain, form=form, part_bars=part_bars)

    def beam_search(self, *, prefix=None, width: int = 5, max_length: int = 200, ablate=None,
                    logit_bias=None, constrain=None, form: str | None = None,
                    part_bars: int = 8) -> list[tuple[list[str], float]]:
        """The most likely continuations of ``<s>`` + ``prefix`` found by beam search.

        Parameters
        ----------
        prefix : str or sequence of str, optional
            Forced tokens (e.g. ``"M:4/4 K:Cmaj"``).
        width : int > 0
            Hypotheses kept per step; also the number of results.
        max_length : int > 0
            Most tokens per sequence (``</s>`` not counted); hypotheses still open at that
            length are returned without ``'</s>'``.
        ablate, logit_bias : optional
            As for :meth:`generate`: the search runs in the changed model (its units cut,
            its logits shifted), and the log-probabilities are that model's.
        constrain, form, part_bars : optional
            As for :meth:`generate`: only hypotheses the constraint allows are kept (scores
            stay the model's log-probabilities).

        Returns
        -------
        list of (list of str, float)
            Tokens (prefix included, ``'</s>'`` last when finished) and total natural
            log-probability, in decreasing log-probability. Without hooks each equals
            ``score(tokens, end=False).token_logprobs.sum()``.

        Examples
        --------
        >>> m = Model.random(layers=[8], rng=0)
        >>> res = m.beam_search(prefix="M:4/4 K:Cmaj", width=3, max_length=6)
        >>> [round(lp, 4) for _, lp in res] == sorted((round(lp, 4) for _, lp in res), reverse=True)
        True
        """
        return sampling.beam_search(self, prefix=prefix, width=width, max_length=max_length, ablate=ablate,
                                    logit_bias=logit_bias, constrain=constrain, form=form, part_bars=part_bars)


def _model_of(parts: ModelParts) -> Model:
    """The :class:`Model` of what a file held; a vocabulary the model refuses is a ModelFileError."""
    try:
        return Model(parts.vocab, parts.params, provenance=parts.provenance)
    except ParameterError as exc:
        raise ModelFileError(exc.message, path=parts.path) from exc


def load_model(path: str | Path | None = None, *, dtype="float32") -> Model:
    """Load a model: folkabc's own format (a directory) or a folk-rnn pickle.

    Parameters
    ----------
    path : str, Path or None
        A model directory (or its ``model.json`` / ``weights.npz``), a folk-rnn pickle
        file, a shipped model's name (:mod:`folkabc.shipped`), or None for the default one.
    dtype : dtype
        Computation dtype (default float32).

    Returns
    -------
    Model

    Raises
    ------
    ModelFileError
        Missing, truncated, corrupt or hostile file; no default model installed.

    See Also
    --------
    Model.save : writes the own format.
    folkabc.model.io.read_model : the file reader underneath (arrays and records only).

    Examples
    --------
    >>> import tempfile, os
    >>> p = Model.random(layers=[5], rng=0).save(os.path.join(tempfile.mkdtemp(), "m"))
    >>> load_model(p / "model.json", dtype="float64").params.dtype
    dtype('float64')
    """
    return _model_of(read_model(path, dtype=dtype))


def load_folkrnn_pickle(path: str | Path, *, dtype="float32") -> Model:
    """Read a folk-rnn metadata pickle (``token2idx`` + Lasagne ``param_values``), safely.

    Parameters
    ----------
    path : str or Path
    dtype : dtype
        Computation dtype of the returned model.

    Returns
    -------
    Model
        Its vocabulary is the pickle's own ``token2idx`` table.

    Raises
    ------
    ModelFileError
        Hostile (refused global), truncated or corrupt pickle, or a wrong layout.

    Examples
    --------
    >>> import pickle, tempfile, os
    >>> toks = ["<s>", "</s>", "C"]
    >>> r = np.random.default_rng(0)
    >>> H = 2
    >>> layer = [r.normal(size=s).astype("f4") for s in [(3, H), (H, H), (H,)] * 4 + [(1, H), (1, H)]]
    >>> pv = [np.eye(3, dtype="f4")] + layer + [r.normal(size=(H, 3)).astype("f4"), np.zeros(3, "f4")]
    >>> f = os.path.join(tempfile.mkdtemp(), "m.pkl")
    >>> with open(f, "wb") as fh:
    ...     pickle.dump({"token2idx": {t: i for i, t in enumerate(toks)}, "param_values": pv}, fh, protocol=2)
    >>> load_folkrnn_pickle(f).layers
    [2]
    """
    return _model_of(read_folkrnn_pickle(path, dtype=dtype))
