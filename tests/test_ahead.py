"""The read-ahead thread must behave like the generator it runs: same items, its errors, and no thread or open
file left behind when the consumer stops early."""

import threading

import pytest

from engine.ahead import ahead


def test_yields_every_item_in_order():
    assert list(ahead(range(100), depth=3)) == list(range(100))


def test_an_error_in_the_producer_reaches_the_consumer():
    def failing():
        yield 1
        raise ValueError("corrupt frame")

    items = ahead(failing())
    assert next(items) == 1
    with pytest.raises(ValueError, match="corrupt frame"):
        next(items)


def test_stopping_early_closes_the_producer_and_ends_its_thread():
    closed = threading.Event()

    def endless():
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    items = ahead(endless(), depth=2)
    assert [next(items) for _ in range(5)] == [0, 1, 2, 3, 4]
    items.close()
    assert closed.is_set()
    assert not any(t.name == "ahead" for t in threading.enumerate())
