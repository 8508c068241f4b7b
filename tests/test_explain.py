"""hwgen explain: occlusion saliency maps of the window's shape, and where a lung model looks."""

import json

import numpy as np
import pytest

pytest.importorskip("tensorflow")
from hwgen.data import save, synthesize  # noqa: E402
from hwgen.explain import explain_file, occlusion_saliency, share_below  # noqa: E402
from hwgen.train import TrainConfig, train_model  # noqa: E402

SHAPE = dict(time=64, depth=32)


@pytest.fixture(scope="module")
def explained(tmp_path_factory):
    """A small model trained for lung sliding on generator 1.0's settings (quick to learn), explained
    on 15 windows of another seed."""
    root = tmp_path_factory.mktemp("explain")
    data = root / "lung.npz"
    save(synthesize("lung", 120, seed=2, family="v1", **SHAPE), data)
    run = train_model(TrainConfig(task="lung", model="dscnn", data=str(data), out=str(root / "run"), float_epochs=12,
                                  epochs=4, qat_from_float=True, progress=False, augment=False,
                                  model_cfg={"kernel": 5, "pools": (2, 2, 2)}))
    probe = root / "probe.npz"
    save(synthesize("lung", 18, seed=40, family="v1", **SHAPE), probe)
    summary = explain_file(run, probe, root / "ex", max_windows=15, patch=(16, 4))
    return run, probe, root, summary


def test_explain_writes_a_map_per_window_of_its_shape(explained):
    run, probe, root, summary = explained
    saved = np.load(root / "ex" / "saliency.npz")
    assert saved["maps"].shape == (15, SHAPE["time"], SHAPE["depth"]) == saved["x"].shape
    assert np.all(saved["maps"] >= 0) and saved["maps"].max() > 0
    assert len(summary["windows"]) == 15 and (root / "ex" / "saliency.png").stat().st_size > 1000
    assert all((root / "ex" / f"window_{k:03d}.png").is_file() for k in range(15))
    written = json.loads((root / "ex" / "explain.json").read_text())
    assert [w["true"] for w in written["windows"]].count("lung_point") == 5     # a class-balanced pick


def test_a_lung_model_looks_at_and_below_the_pleural_line(explained):
    shares = [w["share_below"] for w in explained[3]["windows"] if w.get("share_below") is not None]
    assert len(shares) >= 12
    assert np.mean(shares) > 0.5                                  # more saliency at/below the pleura than above


def test_occlusion_finds_the_evidence_a_toy_model_uses():
    """A 'model' that reads only rows 20-23 gets all its saliency there."""
    class RowModel:
        def predict(self, x, verbose=0, batch_size=None):
            score = x[:, :, 20:24].std(axis=(1, 2)) * 10
            p = 1 / (1 + np.exp(-score))
            return np.stack([p, 1 - p], 1)

    x = np.random.default_rng(0).random((2, 32, 32)).astype(np.float32)
    maps, _ = occlusion_saliency(RowModel(), x, patch=(8, 4))
    assert maps.shape == x.shape
    rows = maps.sum(axis=(0, 1))
    assert rows[18:26].sum() > 0.95 * rows.sum()
    assert share_below(maps[0], 16)["share_below"] > 0.95


def test_cli_explain_refuses_a_bad_patch(explained, capsys):
    from hwgen.cli import main

    run, probe, root, _ = explained
    with pytest.raises(SystemExit) as exit_info:
        main(["explain", str(run), "--data", str(probe), "--out", str(root / "bad"), "--patch", "16"])
    assert exit_info.value.code == 2 and "--patch" in capsys.readouterr().err
