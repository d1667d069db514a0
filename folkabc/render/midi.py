"""Standard MIDI files: write a :class:`~folkabc.render.perform.Performance`, read notes back.

:func:`performance_to_midi` and :func:`read_midi` are inverses on the notes: reading a file
written by folkabc gives back the performance's ``(onset, pitch, duration)`` in quarter notes
and its tempo. :func:`read_midi` reads any format 0 or 1 file (abc2midi's too), so tests can
compare the two.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from fractions import Fraction

from ..errors import RenderError
from .perform import Note, Performance

__all__ = ["performance_to_midi", "read_midi", "MidiNotes", "TICKS_PER_QUARTER"]

#: Resolution of the files folkabc writes (abc2midi uses the same).
TICKS_PER_QUARTER = 480


#: The largest delta time a MIDI variable-length quantity holds (four bytes of seven bits).
_MAX_DELTA = 0x0FFFFFFF


def _varlen(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _meta(kind: int, data: bytes) -> bytes:
    return bytes([0xFF, kind]) + _varlen(len(data)) + data


def performance_to_midi(perf: Performance, *, program: int = 0, velocity: int = 80) -> bytes:
    """A format 0 MIDI file of the performance (one track, channel 1).

    Parameters
    ----------
    perf : Performance
        Notes in quarter notes and the tempo.
    program : int, 0..127
        General MIDI instrument (0 = acoustic grand piano).
    velocity : int, 1..127
        Loudness of every note.

    Returns
    -------
    bytes
        The ``.mid`` file; tempo meta event from ``perf.qpm``, 480 ticks per quarter.

    See Also
    --------
    read_midi : the inverse (notes and tempo back).

    Examples
    --------
    >>> from folkabc.render.perform import perform
    >>> data = performance_to_midi(perform("X:1\\nT:t\\nM:2/4\\nL:1/8\\nQ:1/4=90\\nK:D\\nDFAd|\\n"))
    >>> data[:4], read_midi(data).qpm
    (b'MThd', 90.0)
    """
    if not 0 <= program <= 127:
        raise RenderError(f"program must be in 0..127, not {program}")
    if not 1 <= velocity <= 127:
        raise RenderError(f"velocity must be in 1..127, not {velocity}")
    if not perf.qpm > 0:
        raise RenderError(f"tempo must be positive, not {perf.qpm} qpm")
    events: list[tuple[int, int, bytes]] = []  # (tick, order, bytes): note-offs before note-ons
    for n in perf.notes:
        on = round(n.onset * TICKS_PER_QUARTER)
        off = max(on + 1, round(n.end * TICKS_PER_QUARTER))
        pitch = min(max(n.pitch, 0), 127)
        events.append((on, 1, bytes([0x90, pitch, velocity])))
        events.append((off, 0, bytes([0x80, pitch, 0])))
    events.sort(key=lambda e: (e[0], e[1]))
    track = bytearray()
    if perf.title:
        track += _varlen(0) + _meta(0x03, perf.title.encode("utf-8")[:120])
    tempo = min(max(round(60_000_000 / perf.qpm), 1), 0xFFFFFF)  # what a MIDI tempo event holds
    track += _varlen(0) + _meta(0x51, tempo.to_bytes(3, "big"))
    track += _varlen(0) + bytes([0xC0, program])
    last = 0
    for tick, _, data in events:
        if tick - last > _MAX_DELTA:
            raise RenderError(f"a gap of {(tick - last) / TICKS_PER_QUARTER:,.0f} quarter notes between two MIDI "
                              f"events: a MIDI file holds at most {_MAX_DELTA:,} ticks "
                              f"({_MAX_DELTA // TICKS_PER_QUARTER:,} quarter notes) there")
        track += _varlen(tick - last) + data
        last = tick
    track += _varlen(0) + _meta(0x2F, b"")
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_QUARTER)
    return header + b"MTrk" + struct.pack(">I", len(track)) + bytes(track)


@dataclass
class MidiNotes:
    """Notes read from a MIDI file.

    Attributes
    ----------
    notes : list of tuple (Fraction, int, Fraction, int)
        ``(onset, pitch, duration, channel)``, onset and duration in quarter notes, sorted.
    qpm : float
        The first tempo (120 when the file sets none).
    ticks_per_quarter : int
    """

    notes: list[tuple[Fraction, int, Fraction, int]]
    qpm: float
    ticks_per_quarter: int

    def melody(self, channel: int | None = None) -> list[Note]:
        """The notes of one channel (default: the channel of the first note) as :class:`Note`.

        Examples
        --------
        >>> from fractions import Fraction as F
        >>> MidiNotes([(F(0), 60, F(1), 0), (F(0), 48, F(2), 1)], 120.0, 480).melody(1)
        [Note(onset=Fraction(0, 1), pitch=48, duration=Fraction(2, 1))]
        """
        if not self.notes:
            return []
        ch = self.notes[0][3] if channel is None else channel
        return [Note(on, p, d) for on, p, d, c in self.notes if c == ch]


def _read_varlen(data: bytes, p: int) -> tuple[int, int]:
    value = 0
    while True:
        if p >= len(data):
            raise RenderError("truncated MIDI file")
        b = data[p]
        p += 1
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            return value, p


def read_midi(data: bytes) -> MidiNotes:
    """Read the notes and first tempo of a standard MIDI file (format 0 or 1).

    Parameters
    ----------
    data : bytes
        The file's bytes.

    Returns
    -------
    MidiNotes

    Raises
    ------
    RenderError
        When ``data`` is not a standard MIDI file or is truncated.

    See Also
    --------
    performance_to_midi : writes what this reads.

    Examples
    --------
    >>> read_midi(b"MThd")
    Traceback (most recent call last):
    ...
    folkabc.errors.RenderError: not a standard MIDI file
    """
    if data[:4] != b"MThd" or len(data) < 14:
        raise RenderError("not a standard MIDI file")
    hlen, _fmt, ntracks, division = struct.unpack(">IHHH", data[4:14])
    if division & 0x8000 or division == 0:
        raise RenderError("SMPTE-timed MIDI files are not supported")
    try:
        notes, tempo = _read_tracks(data, 8 + hlen, ntracks, division)
    except (IndexError, struct.error) as exc:
        raise RenderError("truncated MIDI file") from exc
    qpm = 60_000_000 / tempo if tempo else 120.0
    return MidiNotes(notes, round(qpm, 2), division)


def _read_tracks(data: bytes, pos: int, ntracks: int, division: int):
    notes: list[tuple[Fraction, int, Fraction, int]] = []
    tempo: int | None = None
    for _ in range(ntracks):
        if data[pos : pos + 4] != b"MTrk":
            raise RenderError("truncated MIDI file")
        length = struct.unpack(">I", data[pos + 4 : pos + 8])[0]
        p, end = pos + 8, pos + 8 + length
        pos = end
        tick, status = 0, 0
        sounding: dict[tuple[int, int], list[int]] = {}
        while p < end:
            delta, p = _read_varlen(data, p)
            tick += delta
            if data[p] & 0x80:
                status = data[p]
                p += 1
            if status == 0xFF:
                kind = data[p]
                size, p = _read_varlen(data, p + 1)
                if kind == 0x51 and tempo is None:
                    tempo = int.from_bytes(data[p : p + 3], "big")
                p += size
                if kind == 0x2F:
                    break
            elif status in (0xF0, 0xF7):
                size, p = _read_varlen(data, p)
                p += size
            else:
                high, channel = status & 0xF0, status & 0x0F
                size = 1 if high in (0xC0, 0xD0) else 2
                args = data[p : p + size]
                p += size
                if high == 0x90 and args[1] > 0:
                    sounding.setdefault((channel, args[0]), []).append(tick)
                elif high == 0x80 or high == 0x90:
                    starts = sounding.get((channel, args[0]))
                    if starts:
                        start = starts.pop(0)
                        notes.append((Fraction(start, division), args[0], Fraction(tick - start, division), channel))
    notes.sort()
    return notes, tempo
