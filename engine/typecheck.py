"""Checks a value read from JSON against a dataclass field's annotation, so a hand-edited project with a box of
three numbers or a frame written as a string is reported as damaged, naming the field, instead of failing
somewhere deep in an export with a traceback."""

import math
import types
import typing


class Mismatch(ValueError):
    def __init__(self, name: str, expected: str, value):
        text = repr(value)
        super().__init__(f"{name} should be {expected}, not {text if len(text) <= 40 else text[:37] + '...'}")


def check(value, hint, name: str) -> None:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return
        hint = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list:
        if not isinstance(value, list):
            raise Mismatch(name, "a list", value)
        for i, item in enumerate(value):
            check(item, args[0], f"{name}[{i}]")
    elif origin is tuple:
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            raise Mismatch(name, f"{len(args)} values", value)
        for i, (item, kind) in enumerate(zip(value, args)):
            check(item, kind, f"{name}[{i}]")
    elif origin is dict:
        if not isinstance(value, dict):
            raise Mismatch(name, "an object", value)
        for key, item in value.items():
            check(item, args[1], f"{name}[{key!r}]")
    elif hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise Mismatch(name, "a number", value)
    elif hint in (int, str, bool):
        if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
            raise Mismatch(name, {int: "a whole number", str: "text", bool: "true or false"}[hint], value)
