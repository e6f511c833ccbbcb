import gc

import pytest

from canonical.gc_pause import paused_gc


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_inside_and_restored_after(enabled):
    (gc.enable if enabled else gc.disable)()
    try:
        with paused_gc():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_the_collector_is_restored_when_the_block_raises():
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("the bulk step failed")
    assert gc.isenabled()
