"""Standard MIDI files through mido: write a :class:`~folkabc.render.perform.Performance`, read notes back.

:func:`performance_to_midi` and :func:`read_midi` are inverses on the notes: reading a file
written by folkabc gives back the performance's ``(onset, pitch, duration)`` in quarter notes
and its tempo. :func:`read_midi` reads any format 0 or 1 file (abc2midi's too), so tests can
compare the two.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from fractions import Fraction

import mido

from ..errors import RenderError
from .perform import Note, Performance

__all__ = ["performance_to_midi", "read_midi", "MidiNotes", "TICKS_PER_QUARTER"]

#: Resolution of the files folkabc writes (abc2midi uses the same).
TICKS_PER_QUARTER = 480


#: The largest delta time a MIDI variable-length quantity holds (four bytes of seven bits).
_MAX_DELTA = 0x0FFFFFFF


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
    events: list[tuple[int, int, int, int]] = []  # (tick, order, pitch, on): note-offs before note-ons
    for n in perf.notes:
        on = round(n.onset * TICKS_PER_QUARTER)
        off = max(on + 1, round(n.end * TICKS_PER_QUARTER))
        pitch = min(max(n.pitch, 0), 127)
        events.append((on, 1, pitch, 1))
        events.append((off, 0, pitch, 0))
    events.sort(key=lambda e: (e[0], e[1]))
    track = mido.MidiTrack()
    if perf.title:  # the title's UTF-8 bytes, cut to 120 (mido writes meta text as latin-1)
        track.append(mido.MetaMessage("track_name", name=perf.title.encode("utf-8")[:120].decode("latin-1")))
    tempo = min(max(round(60_000_000 / perf.qpm), 1), 0xFFFFFF)  # what a MIDI tempo event holds
    track.append(mido.MetaMessage("set_tempo", tempo=tempo))
    track.append(mido.Message("program_change", program=program))
    last = 0
    for tick, _, pitch, sounding in events:
        if tick - last > _MAX_DELTA:
            raise RenderError(f"a gap of {(tick - last) / TICKS_PER_QUARTER:,.0f} quarter notes between two MIDI "
                              f"events: a MIDI file holds at most {_MAX_DELTA:,} ticks "
                              f"({_MAX_DELTA // TICKS_PER_QUARTER:,} quarter notes) there")
        if sounding:
            track.append(mido.Message("note_on", note=pitch, velocity=velocity, time=tick - last))
        else:
            track.append(mido.Message("note_off", note=pitch, velocity=0, time=tick - last))
        last = tick
    track.append(mido.MetaMessage("end_of_track"))
    out = io.BytesIO()
    mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_QUARTER, tracks=[track]).save(file=out)
    return out.getvalue()


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
    division = struct.unpack(">H", data[12:14])[0]
    if division & 0x8000 or division == 0:
        raise RenderError("SMPTE-timed MIDI files are not supported")
    try:
        midi = mido.MidiFile(file=io.BytesIO(data), clip=True)
    except EOFError as exc:
        raise RenderError("truncated MIDI file") from exc
    except (OSError, ValueError, KeyError, IndexError) as exc:
        raise RenderError(f"unreadable MIDI file: {exc}") from exc
    notes: list[tuple[Fraction, int, Fraction, int]] = []
    tempo: int | None = None
    for track in midi.tracks:
        tick = 0
        sounding: dict[tuple[int, int], list[int]] = {}
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo" and tempo is None:
                tempo = msg.tempo
            elif msg.type == "note_on" and msg.velocity > 0:
                sounding.setdefault((msg.channel, msg.note), []).append(tick)
            elif msg.type == "note_off" or msg.type == "note_on":
                starts = sounding.get((msg.channel, msg.note))
                if starts:
                    start = starts.pop(0)
                    notes.append((Fraction(start, division), msg.note, Fraction(tick - start, division), msg.channel))
    notes.sort()
    qpm = 60_000_000 / tempo if tempo else 120.0
    return MidiNotes(notes, round(qpm, 2), division)
