"""Reading ABC: tunebooks, header fields, keys and modes, meters, and tune bodies.

This package is folkabc's only ABC reader. :func:`split_tunes` cuts a tunebook
into tunes, :func:`read_body` reads one tune's body into events with sounding
pitches resolved; :func:`parse_key`, :func:`parse_meter` and :func:`parse_length`
read ``K:``, ``M:`` and ``L:`` values. :mod:`folkabc.tokens` turns the events into
folk-rnn tokens.

Examples
--------
>>> from folkabc.abc import split_tunes, read_body
>>> tune = split_tunes("X:1\\nT:Scale\\nK:G\\nGABc|\\n")[0]
>>> tune.title, read_body(tune).key.signature
('Scale', (0, 0, 0, 1, 0, 0, 0))
"""

from __future__ import annotations

from .keys import Key, Meter, default_length, parse_key, parse_length, parse_meter, tuplet_q
from .reader import RawTune, Reading, duration_text, read_body, split_tunes

__all__ = [
    "Key",
    "Meter",
    "RawTune",
    "Reading",
    "default_length",
    "duration_text",
    "parse_key",
    "parse_length",
    "parse_meter",
    "read_body",
    "split_tunes",
    "tuplet_q",
]
