"""The folk-rnn LSTM model in numpy: load, score, generate, and look inside.

Modules
    ``lstm``      parameters (:class:`Params`), the rearranged :class:`~folkabc.model.lstm.Network`,
                  batched incremental :class:`~folkabc.model.lstm.Stepper`
    ``core``      :class:`Model` (``score``, ``score_many``, ``run``, ``generate``, ``beam_search``),
                  :class:`Trace`, :class:`Score`
    ``sampling``  batched sampling and beam search, :class:`Generated`
    ``hooks``     logit bias as δ or target ratio α (:class:`LogitBias`, :func:`delta_to_alpha`,
                  :func:`alpha_to_delta`), mixed inputs (:class:`Mix`)
    ``io``        :func:`load_model` (own format or folk-rnn pickle, read safely), ``Model.save``

Examples
--------
>>> from folkabc.model import Model
>>> m = Model.random(layers=[16, 16], rng=0)
>>> g = m.generate(n=2, meter="6/8", mode="Cdor", seed=42, max_length=30)
>>> [x.tokens[:2] for x in g]
[['M:6/8', 'K:Cdor'], ['M:6/8', 'K:Cdor']]
>>> s = m.score(g[0].tokens)
>>> bool(s.nll > 0)
True
"""

from __future__ import annotations

from .core import Model, Score, Trace, log_softmax
from .hooks import LogitBias, Mix, alpha_to_delta, delta_to_alpha
from .io import load_folkrnn_pickle, load_model, save_model
from .lstm import LayerParams, Params
from .sampling import Generated

__all__ = [
    "Model",
    "Trace",
    "Score",
    "Generated",
    "Params",
    "LayerParams",
    "LogitBias",
    "Mix",
    "load_model",
    "load_folkrnn_pickle",
    "save_model",
    "delta_to_alpha",
    "alpha_to_delta",
    "log_softmax",
]
