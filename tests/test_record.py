"""folkabc._record.NamedTuple and namedtuple make the classes typing.NamedTuple and collections.namedtuple
make: the same attributes, methods, signatures, messages and behaviour (copy, pickle, match)."""

from __future__ import annotations

import collections
import copy
import inspect
import pickle
import typing

import pytest

from folkabc._record import NamedTuple, namedtuple
from folkabc.abc import events, keys
from folkabc.validate import CheckResult, Finding

SPECS = [("One", ["a"], None), ("Two", ["a", "b"], [2]), ("Six", ["u", "v", "w", "x", "y", "z"], [None, 1]),
         ("Zero", [], None), ("Again", ["p", "q"], None), ("Many", [f"f{i}" for i in range(20)], [0])]


def methods(cls) -> dict:
    """What describes a namedtuple class: its attributes, their docs and names, __new__'s signature."""
    out = {"dict": set(vars(cls)), "doc": cls.__doc__, "fields": cls._fields, "defaults": cls._field_defaults,
           "match": cls.__match_args__, "module": cls.__module__, "name": (cls.__name__, cls.__qualname__),
           "signature": [(p.name, p.kind, p.default) for p in inspect.signature(cls.__new__).parameters.values()], "new_defaults": cls.__new__.__defaults__,
           "new_module": cls.__new__.__module__}
    for name in ("__new__", "_replace", "__repr__", "_asdict", "__getnewargs__"):
        f = getattr(cls, name)
        out[name] = (f.__name__, f.__qualname__, f.__doc__)
    out["_make"] = (cls._make.__name__, cls._make.__qualname__, cls._make.__doc__)
    out["getters"] = [(getattr(cls, f).__doc__, type(getattr(cls, f))) for f in cls._fields]
    return out


@pytest.mark.parametrize("name, fields, defaults", SPECS)
def test_namedtuple_is_collections_namedtuple(monkeypatch, name, fields, defaults):
    ours = namedtuple(name, fields, defaults=defaults, module=__name__)
    monkeypatch.setitem(globals(), name, ours)  # where pickle looks for it
    theirs = collections.namedtuple(name, fields, defaults=defaults, module=__name__)
    assert methods(ours) == methods(theirs)
    n = len(fields)
    values = list(range(n))
    a, b = ours(*values), theirs(*values)
    assert a == b and repr(a) == repr(b) and a._asdict() == b._asdict() and hash(a) == hash(b)
    assert ours._make(values) == theirs._make(values)
    assert pickle.loads(pickle.dumps(a)) == a and copy.copy(a) == a and copy.deepcopy(a) == a
    if n:
        assert a._replace(**{fields[0]: 9}) == b._replace(**{fields[0]: 9})
        assert ours(**dict(zip(fields, values))) == a
    for call in (lambda c: c(*values, 1), lambda c: c(), lambda c: c._make(values + [1]),
                 lambda c: c(*values)._replace(nope=1), lambda c: c(*values, nope=1)):
        errors = []
        for cls in (ours, theirs):
            try:
                call(cls)
                errors.append(None)
            except (TypeError, ValueError) as exc:
                errors.append((type(exc), str(exc)))
        assert errors[0] == errors[1]


@pytest.mark.parametrize("args, error", [(("x", ["_a"]), ValueError), (("x", ["a", "a"]), ValueError),
                                         (("x", ["class"]), ValueError), (("x y", ["a"]), ValueError),
                                         (("x", ["a"], [1, 2]), TypeError)])
def test_namedtuple_refuses_what_collections_refuses(args, error):
    name, fields, *defaults = args
    for make in (namedtuple, collections.namedtuple):
        with pytest.raises(error):
            make(name, fields, defaults=defaults[0] if defaults else None)


def record(base):
    class Rec(base):
        """A record."""

        a: int
        b: str = "x"

        def both(self) -> str:
            return f"{self.a}{self.b}"

    return Rec


def test_the_class_syntax_makes_typing_namedtuples_class():
    ours, theirs = record(NamedTuple), record(typing.NamedTuple)
    want = methods(theirs)
    want["dict"].discard("__orig_bases__")  # (typing.NamedTuple,): typing's NamedTuple is a function
    assert methods(ours) == want
    assert ours.__qualname__ == "record.<locals>.Rec" and ours(1).both() == theirs(1).both() == "1x"
    assert ours.__annotations__ == {"a": "int", "b": "str"}  # as written (typing: ForwardRefs of them)
    match ours(3, "y"):
        case ours(a, b):
            assert (a, b) == (3, "y")
    with pytest.raises(TypeError, match="cannot follow default field"):
        class Bad(NamedTuple):
            a: int = 0
            b: int
    with pytest.raises(AttributeError, match="Cannot overwrite NamedTuple attribute _replace"):
        class Worse(NamedTuple):
            a: int

            def _replace(self):
                pass


@pytest.mark.parametrize("cls", [events.Note, events.Bar, keys.Key, keys.Meter, Finding, CheckResult])
def test_folkabcs_records_are_the_classes_typing_would_make(cls):
    """Each record class, made again by typing.NamedTuple from its fields and defaults, is the same class."""
    fields = list(cls._fields)
    ref = collections.namedtuple(cls.__name__, fields, defaults=list(cls._field_defaults.values()),
                                 module=cls.__module__)  # as typing.NamedTuple calls it
    ours, theirs = methods(cls), methods(ref)
    assert ours.pop("doc") and ours.pop("dict") >= theirs.pop("dict")  # + the class body's own
    theirs.pop("doc")
    assert ours == theirs
    assert cls.__mro__ == (cls, tuple, object)
