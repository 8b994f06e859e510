"""Parallel evaluation on an existing engine: a process pool and a real Dask LocalCluster."""

import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from ase.calculators.emt import EMT

from ase_godiff import GODiffOptimizer, ScoreNetConfig

from systems import FAST, small_slab

NET = ScoreNetConfig(features=8, blocks=1, cutoff=4.0, radial_basis=6)


class KillsItsWorker(EMT):
    """Kills its worker process on one chosen structure (by its last x coordinate)."""

    def calculate(self, atoms=None, properties=("energy",), system_changes=()):
        marker = os.environ.get("ASE_GODIFF_TEST_MARKER")
        if marker and atoms.positions[-1, 0] == float(os.environ.get("ASE_GODIFF_TEST_KILL_X", "nan")):
            os._exit(1)
        super().calculate(atoms, properties, ["positions", "numbers", "cell", "pbc"])


def _run(**kwargs):
    opt = GODiffOptimizer(small_slab("Pt2"), kwargs.pop("calc", EMT()), settings=FAST,
                          network=NET, seed=2, **kwargs)
    opt.run()
    return opt


def test_process_pool_gives_the_serial_result():
    serial = _run()
    with ProcessPoolExecutor(2) as pool:
        parallel = _run(executor=pool)
    np.testing.assert_allclose(parallel.state.buffer.energies, serial.state.buffer.energies, rtol=0, atol=1e-10)


def test_a_lost_worker_is_recorded_and_the_search_goes_on():
    serial = _run()
    victim = serial.space.to_atoms(serial.state.buffer.positions[1]).positions[-1, 0]
    os.environ["ASE_GODIFF_TEST_MARKER"] = "1"
    os.environ["ASE_GODIFF_TEST_KILL_X"] = repr(float(victim))
    try:
        with ProcessPoolExecutor(1) as pool:
            opt = GODiffOptimizer(small_slab("Pt2"), KillsItsWorker(), settings=FAST,
                                  network=NET, seed=2, executor=pool, stages=1)
            opt.run()
    finally:
        del os.environ["ASE_GODIFF_TEST_MARKER"], os.environ["ASE_GODIFF_TEST_KILL_X"]
    assert any("BrokenProcessPool" in f["error"] for f in opt.state.failures)
    assert len(opt.state.buffer) >= 1 and opt.state.nevaluations == len(opt.state.buffer) + len(opt.state.failures)


@pytest.mark.slow
def test_dask_local_cluster_evaluates_a_search():
    distributed = pytest.importorskip("distributed")
    serial = _run()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            parallel = _run(executor=client.get_executor())
    np.testing.assert_allclose(parallel.state.buffer.energies, serial.state.buffer.energies, rtol=0, atol=1e-10)


def test_a_hanging_call_times_out_as_a_failure_and_the_search_goes_on():
    import threading
    from concurrent.futures import ThreadPoolExecutor

    release, lock = threading.Event(), threading.Lock()

    class HangsOnce(EMT):
        calls = 0

        def calculate(self, *args, **kwargs):
            with lock:
                HangsOnce.calls += 1
                call = HangsOnce.calls
            if call == 3:
                release.wait(30)  # a stuck SCF; released when the test ends
            with lock:  # EMT keeps state: one call at a time
                super().calculate(*args, **kwargs)

    with ThreadPoolExecutor(2) as pool:
        try:
            opt = GODiffOptimizer(small_slab("Pt2"), HangsOnce(), settings=FAST, network=NET,
                                  executor=pool, call_timeout=2.0)
            opt.run()
        finally:
            release.set()
    timed_out = [f for f in opt.state.failures if "call_timeout" in f["error"]]
    assert len(timed_out) == 1 and opt.state.stage == FAST.stages
    assert opt.state.nevaluations == len(opt.state.buffer) + len(opt.state.failures)


def test_call_timeout_without_an_executor_is_a_clear_error():
    with pytest.raises(ValueError, match="call_timeout needs an executor"):
        GODiffOptimizer(small_slab("Pt2"), EMT(), settings=FAST, network=NET, call_timeout=1.0)
