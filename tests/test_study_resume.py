"""A study that survives interruption: stored runs, the manifest, signals, resuming."""

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skrnn.cli import main
from skrnn.study import Progress, StudyConfig, StudyError, StudyInterrupted, run_study
from skrnn.study._store import (InterruptGuard, RunStore, check_resumable, dumps, loads, run_key,
                                write_atomic)

#: Columns that measure time: they differ between two runs and are not compared.
TIMING = {"train_time_s", "fit_s", "time_s"}


def _no_timing(frame):
    return frame.drop(columns=[c for c in frame.columns if c in TIMING])


def _csv_tables(folder):
    """Every CSV of a report folder (the runs folder aside), without its timing columns."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): _no_timing(pd.read_csv(p))
            for p in sorted(folder.rglob("*.csv")) if "runs" not in p.parts}


def assert_same_tables(a, b):
    tables_a, tables_b = _csv_tables(a), _csv_tables(b)
    assert tables_a and set(tables_a) == set(tables_b)
    for name, table in tables_a.items():
        pd.testing.assert_frame_equal(table, tables_b[name], check_exact=True, obj=name)


def _leftovers(folder):
    return [p.name for p in Path(folder).rglob("*.tmp")]


# --------------------------------------------------------------------------- #
# the store: plain JSON, atomic files, keys, the manifest
# --------------------------------------------------------------------------- #
def test_records_are_plain_json_and_round_trip_exactly():
    frame = pd.DataFrame({
        "model": ["LSTM", "naive (last value)", "GRU"], "rank": [1, 2, 3],
        "mse": [0.1 + 0.2, float("nan"), 1e-300], "ok": [True, False, True],
        "note": ["a", None, float("nan")],
        "date": pd.to_datetime(["2021-01-01", "2021-01-02", "2021-01-03"]),
    })
    value = {"predicted": np.array([1.5, np.nan, np.inf, -np.inf]), "epochs": np.int64(7),
             "history": {"loss": [0.25, 0.125]}, "table": frame, "shape": np.zeros((2, 3), int),
             "when": pd.Timestamp("2021-05-11")}
    text = dumps(value)

    def refuse(name):
        raise AssertionError(f"non-standard JSON constant {name}")

    json.loads(text, parse_constant=refuse)  # standard JSON: no NaN / Infinity tokens
    back = loads(text)
    np.testing.assert_array_equal(back["predicted"], value["predicted"])
    assert back["epochs"] == 7 and back["history"] == {"loss": [0.25, 0.125]}
    assert back["shape"].shape == (2, 3) and back["shape"].dtype == np.dtype(int)
    assert back["when"] == value["when"]
    pd.testing.assert_frame_equal(back["table"], frame, check_exact=True)
    assert back["table"]["mse"].iloc[0] == 0.1 + 0.2  # every bit of a float survives
    for bad in (lambda: 1, object(), {1: "not a string key"}, np.array(["text"])):
        with pytest.raises(TypeError):
            dumps(bad)


def test_write_atomic_leaves_the_old_file_or_the_new_one(tmp_path, monkeypatch):
    path = tmp_path / "run.json"
    write_atomic(path, "old")
    write_atomic(path, "new")
    assert path.read_text() == "new" and _leftovers(tmp_path) == []

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "half")
    assert path.read_text() == "new" and _leftovers(tmp_path) == []


def test_run_key_is_stable_and_follows_every_input():
    w = np.arange(12, dtype=float).reshape(2, 3, 2)
    key = run_key("ETH lstm seed0", {"units": 4, "dropout": 0.2}, (w,))
    assert key == run_key("ETH lstm seed0", {"dropout": 0.2, "units": 4}, (w.copy(),))
    assert key.startswith("eth_lstm_seed0-") and len(key.split("-")[-1]) == 16
    w2 = w.copy()
    w2[1, 2, 1] += 1e-12
    others = {run_key("ETH lstm seed0", {"units": 5, "dropout": 0.2}, (w,)),
              run_key("ETH lstm seed0", {"units": 4, "dropout": 0.2}, (w2,)),
              run_key("ETH lstm seed0", {"units": 4, "dropout": 0.2}, (w.astype(np.float32),)),
              run_key("ETH lstm seed0", {"units": 4, "dropout": 0.2})}
    assert key not in others and len(others) == 4


def test_manifest_refuses_another_configuration_or_version(tmp_path, monkeypatch):
    config = StudyConfig.quick_config(epochs=3)
    store = RunStore.open(tmp_path, config)
    key = run_key("eth-lstm-seed0", {"units": 16})
    assert store.save(key, {"predicted": np.ones(3)})
    assert not store.save(run_key("eth-gru-seed0", {}), {"estimator": object()})  # not plain data
    (tmp_path / "runs" / "notes.json").write_text("{}")  # not the study's: never touched
    assert check_resumable(tmp_path, config) == 1
    assert store.load(key)["predicted"].tolist() == [1.0, 1.0, 1.0]
    assert store.load(run_key("eth-lstm-seed1", {"units": 16})) is None

    with pytest.raises(StudyError) as err:
        check_resumable(tmp_path, StudyConfig.quick_config(epochs=5))
    message = str(err.value)
    assert "another configuration (epochs 3 -> 5)" in message and "--fresh" in message
    assert "\n" not in message

    from skrnn.study import _store

    newer = dict(_store.current_versions(), skrnn="99.0")
    monkeypatch.setattr(_store, "current_versions", lambda: newer)
    with pytest.raises(StudyError, match=r"other package versions \(skrnn '.*' -> '99.0'\).*--fresh"):
        RunStore.open(tmp_path, config)
    assert store.path(key).exists()  # refused: nothing touched
    fresh = RunStore.open(tmp_path, config, fresh=True)
    assert fresh.n_runs == 0 and not store.path(key).exists()
    assert (tmp_path / "runs" / "notes.json").exists()
    assert check_resumable(tmp_path, config) == 0  # the new manifest: the versions of now


def test_cli_refuses_a_folder_of_another_configuration(tmp_path, capsys):
    out = tmp_path / "rep"
    RunStore.open(out, StudyConfig.from_options(quick=True, epochs=1, seed=0))
    before = sorted(p.name for p in out.rglob("*"))
    code = main(["study", "--quick", "--epochs", "2", "--parts", "btc", "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "another configuration (epochs 1 -> 2" in err[0] and "--fresh" in err[0]
    assert sorted(p.name for p in out.rglob("*")) == before  # nothing written
    assert main(["study", "--help"]) == 0
    assert "--fresh" in capsys.readouterr().out


def test_interrupt_guard_turns_signals_into_study_interrupted():
    previous = signal.getsignal(signal.SIGTERM)
    with pytest.raises(StudyInterrupted) as err:
        with InterruptGuard():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises at once
    assert err.value.signum == signal.SIGTERM and err.value.exit_code == 143
    assert isinstance(err.value, KeyboardInterrupt)
    assert signal.getsignal(signal.SIGTERM) is previous  # handlers restored

    written = []
    with pytest.raises(StudyInterrupted) as err:
        with InterruptGuard() as guard:
            with guard.deferred():  # held back until the file is written
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.1)
                written.append("file")
            written.append("after")
    assert written == ["file"] and err.value.exit_code == 130


class _RaisesOnCollect:
    """Runs ``action`` from ``__del__``, where Python cannot propagate an exception."""

    def __init__(self, action):
        self.action = action

    def __del__(self):
        self.action()


def test_a_signal_caught_where_python_cannot_raise_is_quiet_and_raised_by_check(monkeypatch):
    # JAX runs a callback from the garbage collector; a signal arriving there
    # raised StudyInterrupted into a place that prints "Exception ignored ...
    # Traceback" and drops it. The guard keeps it quiet and check() raises it.
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(type(u.exc_value)))
    with InterruptGuard() as guard:
        obj = _RaisesOnCollect(lambda: guard._handle(signal.SIGTERM, None))
        del obj
        assert seen == []  # kept quiet
        obj = _RaisesOnCollect(lambda: 1 / 0)
        del obj
        assert seen == [ZeroDivisionError]  # anything else is still reported
        with pytest.raises(StudyInterrupted) as err:
            guard.check()
    assert err.value.exit_code == 143
    hook = sys.unraisablehook
    obj = _RaisesOnCollect(lambda: guard._handle(signal.SIGTERM, None))
    del obj
    assert sys.unraisablehook is hook and seen == [ZeroDivisionError, StudyInterrupted]  # restored


# --------------------------------------------------------------------------- #
# in process: interrupt a study with a signal, resume it
# --------------------------------------------------------------------------- #
START, END = "2020-09-01", "2021-05-11"


class _KillOn(io.StringIO):
    """A progress stream that sends ``signum`` to this process when ``text`` is written."""

    def __init__(self, text, signum):
        super().__init__()
        self.text, self.signum = text, signum

    def write(self, s):
        if self.text in s:
            os.kill(os.getpid(), self.signum)
        return super().write(s)


@pytest.mark.slow
def test_interrupted_study_resumes_to_the_uninterrupted_report(tmp_path):
    # the btc part with two seeds: two networks, the second one interrupted mid-training
    config = StudyConfig.quick_config(units=4, epochs=2, n_samples=10, n_seeds=2,
                                      seed_parts=("btc",))
    kwargs = dict(config=config, start=START, end=END, raise_errors=True)
    whole = run_study(["btc"], out_dir=tmp_path / "whole", **kwargs)

    out = tmp_path / "stopped"
    stream = _KillOn("seed 1] epoch 1/2", signal.SIGINT)
    with pytest.raises(StudyInterrupted) as err:
        run_study(["btc"], out_dir=out, progress=Progress(stream), **kwargs)
    assert err.value.signum == signal.SIGINT and err.value.n_runs == 1
    assert "seed 1] epoch 2/2" not in stream.getvalue()  # stopped within the epoch
    assert not (out / "results.csv").exists() and not (out / "report.md").exists()
    assert _leftovers(out) == []
    assert len(list((out / "runs").glob("btc-lstm-seed*.json"))) == 1

    log = io.StringIO()
    resumed = run_study(["btc"], out_dir=out, progress=Progress(log), **kwargs)
    assert "[btc: historical] reused the finished run runs/btc-lstm-seed0-" in log.getvalue()
    assert "[btc: historical seed 1] training" in log.getvalue()
    assert f"reused 1 finished run from {out / 'runs'}" in log.getvalue()
    pd.testing.assert_frame_equal(_no_timing(resumed.results), _no_timing(whole.results),
                                  check_exact=True)
    assert_same_tables(out, tmp_path / "whole")

    # a finished part is loaded whole: the same rows, timings included, nothing trained
    log = io.StringIO()
    again = run_study(["btc"], out_dir=tmp_path / "whole", progress=Progress(log), **kwargs)
    assert "== part btc: loaded, finished earlier" in log.getvalue()
    assert "training" not in log.getvalue()
    pd.testing.assert_frame_equal(again.results, whole.results, check_exact=True)


# --------------------------------------------------------------------------- #
# the command line in a subprocess: Ctrl-C / SIGTERM, the resume hint, resuming
# --------------------------------------------------------------------------- #
CLI = ["study", "--quick", "--parts", "features", "--epochs", "1", "--units", "4",
       "--window", "5"]


def _skrnn(args, cwd, **kw):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "skrnn", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _interrupt_after_first_run(signum, cwd):
    """``skrnn study ... --out rep`` in ``cwd``, sent ``signum`` once its first run is kept."""
    out = cwd / "rep"
    proc = _skrnn([*CLI, "--out", "rep"], cwd)
    deadline = time.monotonic() + 300
    while not list((out / "runs").glob("eth-*.json")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no finished run after 300 s"
        time.sleep(0.2)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=300)
    return proc.returncode, stdout, stderr


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    proc = _skrnn([*CLI, "--out", "whole"], folder)
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    return folder / "whole"


@pytest.mark.slow
def test_cli_ctrl_c_then_resume_gives_the_same_tables(uninterrupted, tmp_path):
    code, _, stderr = _interrupt_after_first_run(signal.SIGINT, tmp_path)
    assert code == 130, stderr
    hint = [line for line in stderr.splitlines() if "resume with:" in line]
    assert len(hint) == 1 and "Traceback" not in stderr
    assert hint[0].startswith("skrnn: interrupted (SIGINT): ")
    command = hint[0].split("resume with: ")[1]
    assert command == "skrnn " + " ".join([*CLI, "--out", "rep"])
    assert not (tmp_path / "rep" / "results.csv").exists() and _leftovers(tmp_path / "rep") == []
    kept = int(hint[0].split(": ")[2].split()[0])
    assert kept == len(list((tmp_path / "rep" / "runs").glob("eth-*.json"))) >= 1

    proc = _skrnn(command.split()[1:], tmp_path)  # the printed command, as given
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    assert f"reused {kept} finished run{'s' if kept > 1 else ''} from rep/runs" in stderr
    assert_same_tables(tmp_path / "rep", uninterrupted)


@pytest.mark.slow
def test_cli_sigterm_keeps_finished_runs_and_says_how_to_resume(tmp_path):
    code, _, stderr = _interrupt_after_first_run(signal.SIGTERM, tmp_path)
    assert code == 143, stderr
    hint = [line for line in stderr.splitlines() if "resume with:" in line]
    assert len(hint) == 1 and hint[0].startswith("skrnn: interrupted (SIGTERM): ")
    assert "Traceback" not in stderr
    runs = tmp_path / "rep" / "runs"
    assert list(runs.glob("eth-*.json")) and (runs / "manifest.json").exists()
    assert not (tmp_path / "rep" / "report.md").exists() and _leftovers(tmp_path / "rep") == []
