"""The bases of folkabc's records: named fields without :mod:`dataclasses` or :mod:`typing`.

A record that never changes is a :class:`NamedTuple` from here: :class:`typing.NamedTuple`'s class
syntax and the same class (a :func:`collections.namedtuple` with the class body's methods and
docstring), made without importing :mod:`typing` (~5 ms) or compiling each field's annotation into
a ``ForwardRef`` (~0.15 ms a class), which ``folkabc check``'s start-up cannot afford. Type checkers
see :class:`typing.NamedTuple` itself. One that is filled in after it is made
(a tune being read, a bar being judged) subclasses :class:`Record`: it lists its fields in
``__slots__``, sets them in an explicit ``__init__``, and gets from here what a dataclass would write
for it — ``repr`` as ``Name(field=value, ...)``, ``==`` field by field between records of the same
class (so, as a dataclass, it is unhashable), and :meth:`Record._replace`, the :class:`NamedTuple`
spelling, so that every record of the package is copied with a change the same way. ``_fields`` names
the fields in order, as a NamedTuple's does: ``cli._common.to_jsonable`` writes either as an object.

Why not :mod:`dataclasses`: importing it imports :mod:`inspect` (~10 ms), and decorating a class costs
~1 ms; ``folkabc check one-tune.abc`` is held to 3× ``python -c pass`` and imports none of it.
"""

from __future__ import annotations

import sys
from collections import _tuplegetter
from keyword import iskeyword
from types import FunctionType

TYPE_CHECKING = False
if TYPE_CHECKING:  # type checkers read typing's NamedTuple; at run time it is the one below
    from typing import Any, NamedTuple

__all__ = ["NamedTuple", "Record"]

#: Names a NamedTuple's class body may not define (:mod:`typing` refuses them too).
_PROHIBITED = frozenset({"__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults",
                         "_make", "_replace", "_asdict", "_source"})
#: Names of the class body that :func:`collections.namedtuple` has already set.
_SPECIAL = frozenset({"__module__", "__name__", "__annotations__"})


#: The code of ``__new__`` by number of fields, compiled with this module (its bytecode) rather than at
#: each class (``collections.namedtuple`` compiles one from text per class: ~50 µs); a class with more
#: fields compiles its own as ``collections.namedtuple`` does. (Each runs in its class's namespace,
#: whose ``_tuple_new`` is this one.)
_tuple_new = tuple.__new__
_NEW_CODE: dict[int, Any] = {len(f.__code__.co_varnames) - 1: f.__code__ for f in (
    lambda _cls: _tuple_new(_cls, ()),
    lambda _cls, _0: _tuple_new(_cls, (_0,)),
    lambda _cls, _0, _1: _tuple_new(_cls, (_0, _1)),
    lambda _cls, _0, _1, _2: _tuple_new(_cls, (_0, _1, _2)),
    lambda _cls, _0, _1, _2, _3: _tuple_new(_cls, (_0, _1, _2, _3)),
    lambda _cls, _0, _1, _2, _3, _4: _tuple_new(_cls, (_0, _1, _2, _3, _4)),
    lambda _cls, _0, _1, _2, _3, _4, _5: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5)),
    lambda _cls, _0, _1, _2, _3, _4, _5, _6: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6)),
    lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7)),
    lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8)),
    lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8, _9: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8, _9)),
    lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10)),
    lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11)),
    lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12)),
    lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13)),
    lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14)),
    lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15)),
)}


def namedtuple(typename: str, field_names: list[str], *, defaults: list | None = None,
               module: str | None = None) -> type:
    """:func:`collections.namedtuple` ``(typename, field_names, defaults=, module=)``, the same class made
    without compiling its ``__new__``.

    :func:`collections.namedtuple` compiles each class's ``__new__`` from text (``eval``, ~50 µs, half
    of making the class; ``folkabc check`` loads 30 of them); here the code compiled once for a number
    of fields is renamed to the class's field names (``code.replace``) — the same code, names,
    signature, defaults and messages. Everything else is :func:`collections.namedtuple`'s, line for line;
    ``tests/test_record.py`` holds the two equal.

    Examples
    --------
    >>> Span = namedtuple("Span", ["start", "end"], defaults=[0])
    >>> Span(1), Span(1, end=4)._replace(start=2), Span._make([5, 6])._asdict()
    (Span(start=1, end=0), Span(start=2, end=4), {'start': 5, 'end': 6})
    """
    field_names = list(field_names)
    typename = sys.intern(str(typename))
    for name in [typename] + field_names:
        if type(name) is not str:
            raise TypeError("Type names and field names must be strings")
        if not name.isidentifier():
            raise ValueError(f"Type names and field names must be valid identifiers: {name!r}")
        if iskeyword(name):
            raise ValueError(f"Type names and field names cannot be a keyword: {name!r}")
    seen: set[str] = set()
    for name in field_names:
        if name.startswith("_"):
            raise ValueError(f"Field names cannot start with an underscore: {name!r}")
        if name in seen:
            raise ValueError(f"Encountered duplicate field name: {name!r}")
        seen.add(name)
    field_defaults = {}
    if defaults is not None:
        defaults = tuple(defaults)
        if len(defaults) > len(field_names):
            raise TypeError("Got more default values than field names")
        field_defaults = dict(reversed(list(zip(reversed(field_names), reversed(defaults)))))

    field_names = tuple(map(sys.intern, field_names))
    num_fields = len(field_names)
    arg_list = ", ".join(field_names)
    if num_fields == 1:
        arg_list += ","
    repr_fmt = "(" + ", ".join(f"{name}=%r" for name in field_names) + ")"
    tuple_new = tuple.__new__
    _dict, _tuple, _len, _map, _zip = dict, tuple, len, map, zip

    namespace = {"_tuple_new": tuple_new, "__builtins__": {}, "__name__": f"namedtuple_{typename}"}
    code = _NEW_CODE.get(num_fields)
    if code is None:
        code = eval(f"lambda _cls, {arg_list}: _tuple_new(_cls, ({arg_list}))", namespace).__code__
    __new__ = FunctionType(code.replace(co_varnames=("_cls", *field_names)), namespace, "__new__")
    __new__.__doc__ = f"Create new instance of {typename}({arg_list})"
    if defaults is not None:
        __new__.__defaults__ = defaults

    @classmethod
    def _make(cls, iterable):
        result = tuple_new(cls, iterable)
        if _len(result) != num_fields:
            raise TypeError(f"Expected {num_fields} arguments, got {len(result)}")
        return result

    _make.__func__.__doc__ = f"Make a new {typename} object from a sequence or iterable"

    def _replace(self, /, **kwds):
        result = self._make(_map(kwds.pop, field_names, self))
        if kwds:
            raise ValueError(f"Got unexpected field names: {list(kwds)!r}")
        return result

    _replace.__doc__ = f"Return a new {typename} object replacing specified fields with new values"

    def __repr__(self):
        "Return a nicely formatted representation string"
        return self.__class__.__name__ + repr_fmt % self

    def _asdict(self):
        "Return a new dict which maps field names to their values."
        return _dict(_zip(self._fields, self))

    def __getnewargs__(self):
        "Return self as a plain tuple.  Used by copy and pickle."
        return _tuple(self)

    for method in (__new__, _make.__func__, _replace, __repr__, _asdict, __getnewargs__):
        method.__qualname__ = f"{typename}.{method.__name__}"

    class_namespace = {
        "__doc__": f"{typename}({arg_list})",
        "__slots__": (),
        "_fields": field_names,
        "_field_defaults": field_defaults,
        "__new__": __new__,
        "_make": _make,
        "_replace": _replace,
        "__repr__": __repr__,
        "_asdict": _asdict,
        "__getnewargs__": __getnewargs__,
        "__match_args__": field_names,
    }
    for index, name in enumerate(field_names):
        doc = sys.intern(f"Alias for field number {index}")
        class_namespace[name] = _tuplegetter(index, doc)
    result = type(typename, (tuple,), class_namespace)
    if module is None:
        try:
            module = sys._getframe(1).f_globals.get("__name__", "__main__")
        except (AttributeError, ValueError):
            pass
    if module is not None:
        result.__module__ = module
    return result


class _NamedTupleMeta(type):
    """Makes ``class Name(NamedTuple): field: type = default …`` a :func:`collections.namedtuple`."""

    def __new__(mcls, typename: str, bases: tuple, ns: dict) -> Any:
        if not bases:  # NamedTuple itself
            return super().__new__(mcls, typename, bases, ns)
        if bases != (NamedTuple,):
            raise TypeError("a NamedTuple class can only inherit from NamedTuple")
        fields = ns.get("__annotations__", {})
        defaults: list[str] = []
        for name in fields:
            if name in ns:
                defaults.append(name)
            elif defaults:
                raise TypeError(f"Non-default namedtuple field {name} cannot follow default field"
                                f"{'s' if len(defaults) > 1 else ''} {', '.join(defaults)}")
        cls = namedtuple(typename, list(fields), defaults=[ns[n] for n in defaults], module=ns["__module__"])
        cls.__annotations__ = cls.__new__.__annotations__ = dict(fields)  # as written (strings)
        for key, value in ns.items():
            if key in _PROHIBITED:
                raise AttributeError("Cannot overwrite NamedTuple attribute " + key)
            if key not in _SPECIAL and key not in cls._fields:
                setattr(cls, key, value)
        return cls


if not TYPE_CHECKING:
    class NamedTuple(metaclass=_NamedTupleMeta):
        """A record that never changes: :class:`typing.NamedTuple`'s class syntax, without :mod:`typing`.

        Examples
        --------
        >>> class Span(NamedTuple):
        ...     "Two positions."
        ...     start: int
        ...     end: int = 0
        ...     @property
        ...     def width(self) -> int:
        ...         return self.end - self.start
        >>> s = Span(1, 4)
        >>> s, s.width, s == (1, 4), s._replace(end=5), Span(2), Span._fields, Span.__doc__
        (Span(start=1, end=4), 3, True, Span(start=1, end=5), Span(start=2, end=0), ('start', 'end'), 'Two positions.')
        """


class Record:
    """A record with named fields: ``__slots__`` are the fields, in order.

    Examples
    --------
    >>> class Span(Record):
    ...     __slots__ = ("start", "end")
    ...     def __init__(self, start: int, end: int = 0) -> None:
    ...         self.start, self.end = start, end
    >>> s = Span(1, 4)
    >>> s, s == Span(1, 4), s._replace(end=5), s._fields
    (Span(start=1, end=4), True, Span(start=1, end=5), ('start', 'end'))
    """

    __slots__ = ()

    #: The field names in order (a subclass's ``__slots__``; set by ``__init_subclass__``).
    _fields: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_fields" not in cls.__dict__:  # a class may name its fields itself (slots that are caches)
            slots = cls.__dict__.get("__slots__", ())
            cls._fields = cls._fields + ((slots,) if isinstance(slots, str) else tuple(slots))
        cls.__match_args__ = cls._fields  # ``case Span(start, end):`` as for a dataclass

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__qualname__}({inner})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return tuple(getattr(self, n) for n in self._fields) == tuple(getattr(other, n) for n in self._fields)

    __hash__ = None  # type: ignore[assignment]  # a record that changes is not a dict key (as a dataclass)

    def _replace(self, **changes: Any) -> Any:
        """A new record of the same class with ``changes`` (field name → value), as ``NamedTuple._replace``.

        Examples
        --------
        >>> class Pair(Record):
        ...     __slots__ = ("a", "b")
        ...     def __init__(self, a, b):
        ...         self.a, self.b = a, b
        >>> Pair(1, 2)._replace(b=3)
        Pair(a=1, b=3)
        >>> Pair(1, 2)._replace(c=3)
        Traceback (most recent call last):
        ...
        TypeError: Pair has no field 'c'
        """
        unknown = [name for name in changes if name not in self._fields]
        if unknown:
            raise TypeError(f"{type(self).__qualname__} has no field {unknown[0]!r}")
        return type(self)(**{name: changes.get(name, getattr(self, name)) for name in self._fields})
