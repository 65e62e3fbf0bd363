"""A pull keeps the garbage collector off the objects the process held before it started."""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

import pytest

from connector.store import TenantStore
from connector.sync.frozen_heap import frozen_heap
from connector.sync.pull import pull
from tests.e2e.conftest import Customer


class Cycle:
    """An object in a reference cycle: only the collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_a_pull_freezes_the_heap_while_it_stores_pages_and_thaws_it_after(
    demo: Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert gc.get_freeze_count() == 0
    frozen_while_saving: list[int] = []
    save_page = TenantStore.save_page

    def watched(self: TenantStore, **kwargs: Any) -> Any:
        frozen_while_saving.append(gc.get_freeze_count())
        return save_page(self, **kwargs)

    monkeypatch.setattr(TenantStore, "save_page", watched)
    run = pull(demo.fm, demo.store, demo.crm())

    assert run.status == "succeeded"
    assert len(frozen_while_saving) > 1
    assert all(count > 0 for count in frozen_while_saving)
    assert gc.get_freeze_count() == 0


def test_a_pull_that_fails_thaws_the_heap(demo: Customer, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: TenantStore, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(TenantStore, "save_page", broken)
    with pytest.raises(RuntimeError):
        pull(demo.fm, demo.store, demo.crm())
    assert gc.get_freeze_count() == 0


def test_what_the_block_creates_is_collected_and_what_it_froze_is_collected_after() -> None:
    before = Cycle()
    was_before = weakref.ref(before)
    with frozen_heap():
        made_inside = Cycle()
        was_inside = weakref.ref(made_inside)
        del made_inside, before
        gc.collect()
        assert was_inside() is None
        assert was_before() is not None  # frozen: left for the collection after the block
    gc.collect()
    assert was_before() is None


def test_overlapping_syncs_share_one_freeze_undone_by_the_last() -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, int] = {}

    def second() -> None:
        first_in.wait()
        with frozen_heap():
            second_in.set()
            first_out.wait()
            seen["after the first left"] = gc.get_freeze_count()

    thread = threading.Thread(target=second)
    thread.start()
    with frozen_heap():
        first_in.set()
        second_in.wait()
    first_out.set()
    thread.join()
    assert seen["after the first left"] > 0
    assert gc.get_freeze_count() == 0


def test_a_process_that_froze_its_own_heap_is_left_as_it_was() -> None:
    gc.freeze()
    try:
        assert gc.get_freeze_count() > 0
        with frozen_heap():
            pass
        # still frozen (objects freed meanwhile leave the count, so it may be a little lower)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
