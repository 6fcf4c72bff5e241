"""The test processes reuse Python's frame-stack chunks instead of unmapping and mapping one on every
call at a chunk's edge (devtools/frame-stack-cache): without it the suite spends a sixth of its CPU
time in the kernel, and every process of the environment would quietly be back to that."""

import subprocess
import sys
import threading

import frame_stack_cache

# Deep enough that each call crosses into a chunk of its own (16 KiB hold about a hundred frames).
DEPTH = 400


def _down(depth: int) -> int:
    return _down(depth - 1) + 1 if depth else 0


def test_calls_across_a_chunks_edge_reuse_the_chunk_they_left():
    before = frame_stack_cache.statistics()
    assert before["installed"], "the cache is not in place: was devtools/frame-stack-cache built (make install-dev)?"
    for _ in range(200):
        assert _down(DEPTH) == DEPTH
    after = frame_stack_cache.statistics()
    # each descent after the first takes the chunks the one before it left
    assert after["reused"] - before["reused"] >= 199


def test_a_thread_ending_gives_its_chunks_back_safely():
    # a thread's chunks are freed with its state; the cache takes them and hands them out again
    threads = [threading.Thread(target=_down, args=(DEPTH,)) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    before = frame_stack_cache.statistics()
    _down(DEPTH)
    assert frame_stack_cache.statistics()["reused"] > before["reused"]


def test_every_python_process_of_the_environment_starts_with_it_and_it_can_be_left_out():
    # the servers and workers the tests start (drills, the embedded default) are processes of their own
    program = "import frame_stack_cache; print(frame_stack_cache.statistics()['installed'])"
    started = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert started.stdout.strip() == "True"
    left_out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, env={"FRAME_STACK_CACHE": "0"}
    )
    assert left_out.stdout.strip() == "False"
