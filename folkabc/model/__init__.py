"""The folk-rnn LSTM model in numpy: load, score, generate, and look inside.

Modules
    ``lstm``      parameters (:class:`Params`), the rearranged :class:`~folkabc.model.lstm.Network`,
                  batched incremental :class:`~folkabc.model.lstm.Stepper`
    ``core``      :class:`Model` (``score``, ``score_many``, ``run``, ``generate``, ``beam_search``),
                  :class:`Trace`, :class:`Score`
    ``sampling``  batched sampling and beam search, :class:`Generated`
    ``hooks``     logit bias as δ or target ratio α (:class:`LogitBias`, :func:`delta_to_alpha`,
                  :func:`alpha_to_delta`), mixed inputs (:class:`Mix`)
    ``io``        model files as plain records (:class:`~folkabc.model.io.ModelParts`; folk-rnn
                  pickles read safely), ``save_model``; ``core`` wraps them (:func:`load_model`)
    ``records``   what core and sampling share: :class:`Trace`, :class:`Score`, ``log_softmax``

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

from .core import Model, Score, Trace, load_folkrnn_pickle, load_model, log_softmax
from .hooks import LogitBias, Mix, alpha_to_delta, delta_to_alpha
from .io import save_model
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
