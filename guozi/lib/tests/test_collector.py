import gc

import pytest

from guozi.lib.collector import collector_paused


def test_the_collector_is_paused_inside_and_back_after_an_error():
    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        assert not gc.isenabled()
        raise ValueError
    assert gc.isenabled()


def test_as_a_decorator_and_left_off_when_it_was_off():
    @collector_paused()
    def work():
        return gc.isenabled()

    assert work() is False and gc.isenabled()
    gc.disable()
    try:
        assert work() is False and not gc.isenabled()
    finally:
        gc.enable()
