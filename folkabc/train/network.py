"""The PyTorch folk-rnn network and the conversions between it and folkabc's numpy model.

The network is the folk-rnn one: a one-hot token input, a stack of LSTM layers
(no peepholes, learnable initial states), dropout after each LSTM layer and a
dense softmax layer over the vocabulary.

Exported weights follow ``docs/design.md`` (Model): ``torch.nn.LSTM`` keeps
its gates in the order i, f, g, o, which is folk-rnn's i, f, c, o; its input
weights ``(4H, n_in)`` are transposed to ``W_x (n_in, 4H)``, and its two
biases ``b_ih + b_hh`` are summed into ``b``.

PyTorch is an optional extra: it is imported by :func:`require_torch`, inside the
functions that build or convert a network, so this module imports without it.

Examples
--------
>>> from folkabc.model import Model, Params
>>> m = Model(VOCAB.tokens, Params.random(n_vocab=len(VOCAB), layers=[8], rng=0))
>>> net = network_from_model(m)  # doctest: +SKIP
>>> bool(np.allclose(network_weights(net)["softmax.W"], m.params.to_arrays()["softmax.W"]))  # doctest: +SKIP
True
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import FolkabcError, ParameterError
from ..model import Model, Params, load_model
from ..vocab import VOCAB
from .data import END
from .settings import TrainSettings

__all__ = [
    "require_torch",
    "build_network",
    "network_weights",
    "network_from_model",
    "numpy_model",
    "export_model",
    "pad_batch",
]


def require_torch():
    """Import and return :mod:`torch`, or raise a :class:`FolkabcError` saying how to get it.

    Raises
    ------
    FolkabcError
        When PyTorch is not installed.
    """
    try:
        import torch
    except ImportError as exc:
        raise FolkabcError(
            "training needs PyTorch, an optional extra: pip install 'folkabc[train]'"
        ) from exc
    return torch


@functools.cache
def _network_class():
    torch = require_torch()
    nn = torch.nn

    class FolkRNN(nn.Module):
        """One-hot input → LSTM layers (dropout after each) → linear softmax layer."""

        def __init__(self, layers: tuple[int, ...], vocab_size: int, dropout: float) -> None:
            super().__init__()
            self.sizes = tuple(layers)
            self.vocab_size = vocab_size
            self.lstms = nn.ModuleList()
            n_in = vocab_size
            for h in layers:
                lstm = nn.LSTM(n_in, h, batch_first=True)
                with torch.no_grad():  # forget-gate bias 1 (gate order i, f, g, o)
                    lstm.bias_ih_l0[h:2 * h].fill_(1.0)
                    lstm.bias_hh_l0[h:2 * h].zero_()
                self.lstms.append(lstm)
                n_in = h
            self.h0 = nn.ParameterList([nn.Parameter(torch.zeros(h)) for h in layers])
            self.c0 = nn.ParameterList([nn.Parameter(torch.zeros(h)) for h in layers])
            self.drop = nn.Dropout(dropout)
            self.out = nn.Linear(n_in, vocab_size)

        def forward(self, ids):
            """Logits ``(batch, steps, vocab)`` for input ids ``(batch, steps)``."""
            x = torch.nn.functional.one_hot(ids, self.vocab_size).to(self.out.weight.dtype)
            b = ids.shape[0]
            for lstm, h0, c0 in zip(self.lstms, self.h0, self.c0):
                state = (h0.expand(1, b, -1).contiguous(), c0.expand(1, b, -1).contiguous())
                x, _ = lstm(x, state)
                x = self.drop(x)
            return self.out(x)

    return FolkRNN


def build_network(layers: Sequence[int], *, vocab_size: int = len(VOCAB), dropout: float = 0.5, seed: int = 0):
    """A fresh, seeded PyTorch folk-rnn network (needs torch).

    Parameters
    ----------
    layers : sequence of int > 0
        LSTM sizes.
    vocab_size : int > 0
    dropout : float in [0, 1)
    seed : int

    Returns
    -------
    torch.nn.Module
        ``net(ids)`` maps ``(batch, steps)`` int64 ids to logits ``(batch, steps, vocab)``.
    """
    torch = require_torch()
    settings = TrainSettings(layers=tuple(layers), dropout=dropout)
    torch.manual_seed(seed)
    return _network_class()(settings.layers, int(vocab_size), float(dropout))


def network_weights(net) -> dict[str, np.ndarray]:
    """The network's weights under the own-format names (float32).

    Returns
    -------
    dict of str to numpy.ndarray
        ``layer{l}.W_x (n_in, 4H)``, ``layer{l}.W_h (H, 4H)``, ``layer{l}.b (4H,)``,
        ``layer{l}.h0``/``c0 (H,)``, ``softmax.W (H_last, V)``, ``softmax.b (V,)``;
        gates i, f, c, o along the 4H axis.
    """
    def arr(t) -> np.ndarray:
        return t.detach().cpu().double().numpy()

    out: dict[str, np.ndarray] = {}
    for l, (lstm, h0, c0) in enumerate(zip(net.lstms, net.h0, net.c0)):
        out[f"layer{l}.W_x"] = arr(lstm.weight_ih_l0).T
        out[f"layer{l}.W_h"] = arr(lstm.weight_hh_l0).T
        out[f"layer{l}.b"] = arr(lstm.bias_ih_l0) + arr(lstm.bias_hh_l0)
        out[f"layer{l}.h0"] = arr(h0)
        out[f"layer{l}.c0"] = arr(c0)
    out["softmax.W"] = arr(net.out.weight).T
    out["softmax.b"] = arr(net.out.bias)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def network_from_model(model: Any, *, dropout: float = 0.0, layers: Sequence[int] | None = None):
    """A PyTorch network holding a folkabc model's weights (the inverse of :func:`network_weights`).

    Parameters
    ----------
    model : folkabc.model.Model or str or Path
        A loaded model or a model directory.
    dropout : float in [0, 1)
        The new network's dropout (training only).
    layers : sequence of int, optional
        The sizes the caller expects; a model of other sizes is a :class:`ParameterError`.

    Returns
    -------
    torch.nn.Module
        Same outputs as the model (to float32 rounding).

    Examples
    --------
    >>> from folkabc.model import Model, Params
    >>> m = Model(VOCAB.tokens, Params.random(n_vocab=len(VOCAB), layers=[8], rng=0))
    >>> net = network_from_model(m)  # doctest: +SKIP
    >>> bool(np.allclose(network_weights(net)["layer0.W_x"], m.params.to_arrays()["layer0.W_x"]))  # doctest: +SKIP
    True
    """
    torch = require_torch()
    if isinstance(model, (str, Path)):
        model = load_model(model)
    sizes = tuple(int(h) for h in model.params.sizes)
    if layers is not None and tuple(layers) != sizes:
        raise ParameterError(f"the model has layers {list(sizes)}; the settings say {list(layers)}")
    if list(model.vocab.tokens) != list(VOCAB.tokens):
        raise ParameterError("the model's vocabulary is not folk-rnn v2's; folkabc trains on that one")
    arrays = model.params.to_arrays()
    net = _network_class()(sizes, len(VOCAB), float(dropout))

    def t(a):
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))

    with torch.no_grad():
        for l, (lstm, h0, c0) in enumerate(zip(net.lstms, net.h0, net.c0)):
            lstm.weight_ih_l0.copy_(t(arrays[f"layer{l}.W_x"].T))
            lstm.weight_hh_l0.copy_(t(arrays[f"layer{l}.W_h"].T))
            lstm.bias_ih_l0.copy_(t(arrays[f"layer{l}.b"]))
            lstm.bias_hh_l0.zero_()
            h0.copy_(t(arrays[f"layer{l}.h0"]))
            c0.copy_(t(arrays[f"layer{l}.c0"]))
        net.out.weight.copy_(t(arrays["softmax.W"].T))
        net.out.bias.copy_(t(arrays["softmax.b"]))
    return net


def numpy_model(net):
    """The network as a numpy :class:`~folkabc.model.Model` (in memory; needs torch).

    Examples
    --------
    >>> numpy_model(build_network([8], seed=0)).layers  # doctest: +SKIP
    [8]
    """
    return Model(list(VOCAB.tokens), Params.from_arrays(network_weights(net), n_vocab=net.vocab_size))


def export_model(net, path: str | Path, *, vocabulary: Sequence[str] = VOCAB.tokens,
                 provenance: dict[str, Any] | None = None, weights_dtype: str = "float32") -> Path:
    """Write a trained network in folkabc's own model format.

    Parameters
    ----------
    net : torch.nn.Module
        From :func:`build_network` / :func:`train`.
    path : str or Path
        Directory to write ``model.json`` and ``weights.npz`` into (created).
    vocabulary : sequence of str
        Tokens in id order (the network's input/output size).
    provenance : dict or None
        Stored under ``"provenance"`` in ``model.json``.
    weights_dtype : {'float32', 'float16'}
        How the weights are stored (float16: half the size; read back as float32).

    Returns
    -------
    Path
        The directory; :func:`folkabc.load_model` reads it back.

    See Also
    --------
    folkabc.load_model : the inverse.
    """
    if len(vocabulary) != net.vocab_size:
        raise ParameterError(f"vocabulary has {len(vocabulary)} tokens; the network has {net.vocab_size}")
    model = Model(list(vocabulary), Params.from_arrays(network_weights(net), n_vocab=len(vocabulary)),
                  provenance=provenance or {})
    return model.save(path, weights_dtype=weights_dtype)


def pad_batch(torch, seqs: list[np.ndarray], idx: np.ndarray, device: str = "cpu"):
    """Inputs, targets (-100 where padded) as int64 tensors ``(batch, max_len - 1)`` on ``device``.

    Examples
    --------
    >>> torch = require_torch()  # doctest: +SKIP
    >>> x, y = pad_batch(torch, [np.array([0, 5, 1]), np.array([0, 1])], np.array([0, 1]))  # doctest: +SKIP
    >>> y.tolist()  # doctest: +SKIP
    [[5, 1], [1, -100]]
    """
    n = max(seqs[i].size for i in idx) - 1
    x = np.full((idx.size, n), END, dtype=np.int64)
    y = np.full((idx.size, n), -100, dtype=np.int64)
    for r, i in enumerate(idx):
        s = seqs[i]
        x[r, :s.size - 1] = s[:-1]
        y[r, :s.size - 1] = s[1:]
    return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)  # (on the CPU: the same tensors)
