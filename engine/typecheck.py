"""Checks a value read from JSON against a dataclass field's annotation, so a hand-edited project with a box of
three numbers or a frame written as a string is reported as damaged, naming the field, instead of failing
somewhere deep in an export with a traceback.

A project holds four numbers per face per frame and 128 per face descriptor, hundreds of thousands of values in a
long video, and it is checked on every opening, on the GUI's thread: lists of numbers and of boxes are checked in
one pass, each annotation is taken apart once, and a field's name is only spelled out once something is wrong."""

import functools
import itertools
import math
import types
import typing

_EXPECTED = {float: "a number", int: "a whole number", str: "text", bool: "true or false"}


class Mismatch(ValueError):
    def __init__(self, name: str, expected: str, value):
        text = repr(value)
        super().__init__(f"{name} should be {expected}, not {text if len(text) <= 40 else text[:37] + '...'}")


class _Wrong(Exception):
    """Raised where a value is wrong; each container it passes through on its way out adds its index."""

    def __init__(self, expected: str, value):
        self.expected, self.value = expected, value
        self.path: list[str] = []


def check(value, hint, name: str) -> None:
    try:
        _check(value, hint)
    except _Wrong as wrong:
        raise Mismatch(name + "".join(reversed(wrong.path)), wrong.expected, wrong.value) from None


@functools.cache
def _parts(hint) -> tuple[typing.Any, tuple, bool]:
    """(origin or the plain type, arguments, whether None is allowed)."""
    optional = False
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        optional = type(None) in args
        hint = next(a for a in args if a is not type(None))
    return typing.get_origin(hint) or hint, typing.get_args(hint), optional


def _number(x) -> bool:
    return isinstance(x, (int, float)) and x is not True and x is not False and math.isfinite(x)


def _all_fine(items: list, hint) -> bool:
    """True when every item is a plain number (`hint` float) or a box of them (`hint` a tuple of floats), found
    by loops that run in C; False also means "not sure", which the item-by-item check then settles."""
    kind, args, _ = _parts(hint)
    if kind is tuple and args and all(a is float for a in args):
        if not set(map(type, items)) <= {list, tuple} or not set(map(len, items)) <= {len(args)}:
            return False
        items = list(itertools.chain.from_iterable(items))
    elif kind is not float:
        return False
    return set(map(type, items)) <= {int, float} and all(map(math.isfinite, items))


def _check(value, hint) -> None:
    kind, args, optional = _parts(hint)
    if value is None and optional:
        return
    if kind is list:
        if not isinstance(value, list):
            raise _Wrong("a list", value)
        if _all_fine(value, args[0]):
            return
        members: typing.Iterable = ((i, item, args[0]) for i, item in enumerate(value))
    elif kind is tuple:
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            raise _Wrong(f"{len(args)} values", value)
        members = ((i, item, inner) for i, (item, inner) in enumerate(zip(value, args)))
    elif kind is dict:
        if not isinstance(value, dict):
            raise _Wrong("an object", value)
        members = ((key, item, args[1]) for key, item in value.items())
    else:
        if kind is float:
            fine = _number(value)
        else:
            fine = kind not in _EXPECTED or (isinstance(value, kind) and not (kind is int and isinstance(value, bool)))
        if not fine:
            raise _Wrong(_EXPECTED[kind], value)
        return
    for key, item, inner in members:
        try:
            _check(item, inner)
        except _Wrong as wrong:
            wrong.path.append(f"[{key!r}]")
            raise
