"""How the suite's tests are shared between pytest-xdist's workers (tests/conftest.py): a run is as long
as its busiest worker, so the split must leave neither idle while the other has work queued."""

import heapq
from types import SimpleNamespace

from tests import conftest

QUICK, BROWSER = 0.05, 8.0  # seconds: a database test, a browser test


class Worker:
    """What xdist's scheduler sees of a worker: it is sent tests and told to stop."""

    def __init__(self, name: str):
        self.gateway = SimpleNamespace(id=name)
        self.shutting_down = False
        self.queue: list[int] = []
        self.received: list[int] = []

    def send_runtest_some(self, indices):
        self.queue.extend(indices)
        self.received.extend(indices)

    def shutdown(self):
        self.shutting_down = True


def run(collection: list[str]) -> tuple[dict[str, float], list[Worker]]:
    """When each of two workers finished, and what each was sent, the scheduler deciding as in a real run: a
    worker runs a test only once it holds the next one too (xdist keeps the last one back), or was
    told to stop."""
    options = {"dist": "load", "tx": ["2*popen"], "maxschedchunk": None}
    config = SimpleNamespace(getvalue=options.get, getoption=options.get)
    scheduler = conftest.pytest_xdist_make_scheduler(config, log=SimpleNamespace(loadsched=lambda *message: None))
    workers = [Worker("gw0"), Worker("gw1")]
    for worker in workers:
        scheduler.add_node(worker)
        scheduler.add_node_collection(worker, collection)
    scheduler.schedule()
    running: list[tuple[float, int, int]] = []  # (ends at, worker, test)
    finished: dict[str, float] = {}
    now = 0.0

    def took(test: int) -> float:
        return BROWSER if collection[test].startswith(conftest.BROWSER_TESTS) else QUICK

    def start(number: int) -> None:
        worker = workers[number]
        if worker.queue and (len(worker.queue) >= 2 or worker.shutting_down):
            test = worker.queue.pop(0)
            heapq.heappush(running, (now + took(test), number, test))
        elif worker.shutting_down and not worker.queue:
            finished.setdefault(worker.gateway.id, now)

    for number in range(len(workers)):
        start(number)
    while running:
        now, number, test = heapq.heappop(running)
        scheduler.mark_test_complete(workers[number], test, took(test))  # which may send it more
        for other in range(len(workers)):
            if not any(entry[1] == other for entry in running):
                start(other)
    for worker in workers:
        finished.setdefault(worker.gateway.id, now)
    assert sorted(test for worker in workers for test in worker.received) == list(range(len(collection)))
    return finished, workers


def node_ids(module: str, count: int) -> list[str]:
    return [f"tests/{module}::test_{number}" for number in range(count)]


def test_both_workers_share_the_browser_tests_to_the_end_of_the_run():
    # the suite's order (tests/conftest.py): database tests, transactional and browser tests, then the
    # quick tests without a database
    collection = (
        node_ids("surveys/test_a.py", 900) + node_ids("e2e/test_pages.py", 40) + node_ids("support/test_b.py", 300)
    )
    finished, _workers = run(collection)
    total = 900 * QUICK + 40 * BROWSER + 300 * QUICK
    # the busiest worker ends within one browser test of half the work; xdist's plain batches gave
    # one worker most of the browser tests (here 150 s after the other stopped)
    assert max(finished.values()) - total / 2 <= BROWSER, finished


def test_a_module_kept_whole_goes_to_one_worker():
    # its tests share what a module-scoped fixture set up once; split, each worker would set it up again
    collection = (
        node_ids("core/test_c.py", 400) + node_ids("sentiment/test_learning.py", 20) + node_ids("e2e/test_pages.py", 10)
    )
    _finished, workers = run(collection)
    holders = {worker.gateway.id for worker in workers for test in worker.received if "learning" in collection[test]}
    assert len(holders) == 1


def test_the_tests_run_with_the_objects_loaded_before_them_frozen_and_young_collections_spaced_out():
    import gc

    # what the run loaded before its first test (Django, the project, the test modules) is frozen
    assert gc.get_threshold() == conftest.GC_THRESHOLDS and gc.get_freeze_count() > 100_000
