"""hwgen compress on tiny models: pruning reaches its sparsity and the export holds the zeros, channel
slimming and low-rank change the layers and still convert bit-exactly (graph vs C-sim), low-rank error
falls with rank, the distillation losses reduce to what they should, and bad options are one-line errors."""

import json
import re

import numpy as np
import pytest

pytest.importorskip("tensorflow")
from hwgen import models  # noqa: E402
from hwgen.compress import CompressConfig, compress_run, lowrank, surgery  # noqa: E402
from hwgen.compress import distill as kd  # noqa: E402
from hwgen.graph import cost  # noqa: E402
from hwgen.models.export import to_graph  # noqa: E402
from hwgen.train import TrainConfig, train_model  # noqa: E402

TINY = dict(n=24, time=32, depth=16, epochs=1, float_epochs=1, batch_size=8, qat_from_float=True, progress=False,
            model_cfg={"kernel": 3, "width": 0.5})
QUICK = dict(epochs=2, slim_epochs=1, progress=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("compress")
    made = {name: train_model(TrainConfig(out=str(root / name), task=task, model=model, **TINY))
            for name, task, model in (("cnn", "lung", "cnn"), ("shift", "lung", "shiftcnn"),
                                      ("heart", "cardiac", "cnn"))}
    made["root"] = root
    return made


def _metrics(run):
    return json.loads((run / "metrics.json").read_text())


def test_pruning_reaches_its_sparsity_and_the_exported_graph_holds_the_zeros(runs):
    out = compress_run(CompressConfig(run=str(runs["cnn"]), out=str(runs["root"] / "pruned"), prune=0.6, **QUICK))
    metrics = _metrics(out)
    record = metrics["compression"]["prune"]
    assert record["achieved"] >= 0.6 - 0.01 and set(record["layers"]) == {"b1", "b2", "b3", "logits"}
    model = models.load(out)
    assert not any("Prune" in type(layer).__name__ for layer in model.layers)  # stripped before saving
    graph = to_graph(model)
    for row in cost.graph_cost(graph)["layers"]:
        if row["weights"]:
            assert row["zero_weights"] >= int(0.6 * row["weights"]) - 1, row["name"]
    assert metrics["after"]["nonzero_macs"] < 0.5 * metrics["before"]["nonzero_macs"]
    # the generated hls4ml project declares each layer's zeros: multiplier_limit = ceil(n / reuse) - n_zeros / reuse
    from hwgen.builder import BuildConfig, run_build

    records = run_build(BuildConfig(out=str(runs["root"] / "build-pruned"), source=str(out)), stop="convert_hls")
    parameters = (runs["root"] / "build-pruned" / "hls" / "hls4ml_prj" / "firmware" / "parameters.h").read_text()
    declared = {int(v) for v in re.findall(r"n_zeros = (\d+);", parameters)}
    node_zeros = {r["name"]: r["zero_weights"] for r in cost.graph_cost(graph)["layers"] if r["weights"]}
    assert all(z in declared for z in node_zeros.values()), (node_zeros, declared)
    report = json.loads((runs["root"] / "build-pruned" / "hls" / "report.json").read_text())
    assert records["step_convert_hls"]["macs"] == metrics["after"]["macs"]
    reuse = report["reuse"]
    for row in report["layers"]:  # the estimate counts non-zero multipliers only
        if row["layer"] in node_zeros and row["est_dsp"]:
            weights = next(r["weights"] for r in cost.graph_cost(graph)["layers"] if r["name"] == row["layer"])
            assert row["est_dsp"] == -(-(weights - node_zeros[row["layer"]]) // reuse)
    assert metrics["after"]["macs"] == metrics["before"]["macs"]  # the dense arithmetic is still all there
    assert set(metrics["before"]) >= {"accuracy", "params", "macs", "weight_bits", "zero_weights"}
    for name in ("model.h5", "config.json", "preprocess.json", "split.json", "test.npz", "calib.npz",
                 "confusion.png", "history.png"):
        assert (out / name).is_file(), name


def test_channel_slimming_and_low_rank_change_the_layers_and_match_golden_in_csim(runs):
    from hwgen.builder import BuildConfig, run_build

    out = compress_run(CompressConfig(run=str(runs["cnn"]), out=str(runs["root"] / "slim"), prune_channels=0.5,
                                      rank=2, rank_layers=["b3"], **QUICK))
    record = _metrics(out)["compression"]
    slim = record["slim"]["layers"]
    assert record["slim"]["channels_after"] < record["slim"]["channels_before"]
    model = models.load(out)
    types = {layer.name: type(layer).__name__ for layer in model.layers}
    assert "BatchNormalization" not in types.values()
    assert model.get_layer("b1").filters == slim["b1"]["after"] and model.get_layer("b2").filters == slim["b2"]["after"]
    assert model.get_layer("b3_lr").filters == 2 and model.get_layer("b3").kernel_size == (1,)  # b3 = 1x1 after rank 2
    assert model.get_layer("b3").filters == slim["b3"]["after"]
    assert model.get_layer("logits").kernel.shape[0] == slim["b3"]["after"]  # the consumer was sliced to match
    records = run_build(BuildConfig(out=str(runs["root"] / "build-slim"), source=str(out)), stop="csim")
    assert records["step_csim"]["golden_vs_csim_mismatches"] == 0 and records["step_csim"]["n_samples"] > 0
    assert records["step_export"]["cost"]["macs"] == _metrics(out)["after"]["macs"]


def test_slimming_folds_exactly_and_a_removed_channel_leaves_its_mean_in_the_next_bias():
    from hwgen.compress import prune

    model = models.build("cnn", (32, 16), 3, bits=None, kernel=3, width=0.5)  # float: no rounding in the way
    x = np.random.default_rng(2).random((16, 32, 16)).astype(np.float32)
    slim = prune.insert_batch_norm(model, x, l1=0.01)
    np.testing.assert_allclose(slim.model.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)  # identity
    gate = slim.model.get_layer("b3" + prune.GATE_SUFFIX)
    h = gate.h.numpy()
    h[[1, 4, 5]] = 0.0  # three b3 channels become constants (relu(beta)), then gap, then the logits
    gate.h.assign(h)
    full = {n: np.arange(slim.model.get_layer(n).output_shape[-1]) for n in slim.layers}
    keep = full | {"b3": np.setdiff1d(full["b3"], [1, 4, 5])}
    small = prune.fold_and_remove(slim, keep)
    assert small.get_layer("b3").filters == len(full["b3"]) - 3 and small.get_layer("logits").kernel.shape[0] == len(full["b3"]) - 3
    assert not any(type(layer).__name__ == "BatchNormalization" for layer in small.layers)
    np.testing.assert_allclose(small.predict(x, verbose=0), slim.model.predict(x, verbose=0), atol=1e-5)
    importance = {"a": np.array([0.9, 0.1, 0.5, 0.7]), "b": np.array([0.2, 0.05, 0.3, 0.8, 0.01, 0.02, 0.6, 0.4])}
    chosen, threshold = prune.select_channels(importance, 0.5, min_keep=0.25)
    assert {k: v.tolist() for k, v in chosen.items()} == {"a": [0, 2, 3], "b": [3, 6, 7]}  # the 6 smallest of 12 go
    assert threshold == 0.3
    chosen, _ = prune.select_channels(importance, 0.75, min_keep=0.5)  # the floors allow only 6 of the 9
    assert {k: v.tolist() for k, v in chosen.items()} == {"a": [0, 3], "b": [2, 3, 6, 7]}


@pytest.mark.parametrize("name", ["dscnn", "mobilenet", "ghostnet", "firenet"])
def test_slimming_and_low_rank_handle_every_zoo_block(name):
    """Separable, inverted residual (Add), ghost and fire (Concatenate) blocks: folding is exact, removal slices
    every consumer consistently, and both results export to the integer graph."""
    from hwgen.compress import prune

    model = models.build(name, (32, 16), 3, bits=None, kernel=3, width=0.5)
    x = np.random.default_rng(3).random((8, 32, 16)).astype(np.float32)
    slim = prune.insert_batch_norm(model, x, l1=0.01)
    full = {n: np.arange(slim.model.get_layer(n).output_shape[-1]) for n in slim.layers}
    np.testing.assert_allclose(prune.fold_and_remove(slim, full).predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-5)
    if name == "mobilenet":  # the stem and b1's projection meet b1's residual Add: never pruned
        assert "stem" not in slim.layers and "b1_proj" not in slim.layers and "b2_proj" in slim.layers
    quantized = models.build(name, (32, 16), 3, bits=8, kernel=3, width=0.5)
    slim = prune.insert_batch_norm(quantized, x, l1=0.01)
    keep, _ = prune.select_channels({n: np.random.default_rng(4).random(len(v)) for n, v in full.items()}, 0.5)
    for variant in (prune.fold_and_remove(slim, keep), lowrank.factorise(quantized, lowrank.RankRule(rank=2))[0]):
        assert cost.graph_cost(to_graph(variant))["totals"]["params"] < quantized.count_params()


def test_low_rank_reconstruction_error_falls_with_rank(runs):
    layer = models.load(runs["cnn"]).get_layer("b3")
    for matrix in (lowrank.layer_matrix(layer), np.random.default_rng(0).normal(size=(24, 10))):
        errors = [lowrank.relative_error(matrix, r) for r in range(1, min(matrix.shape) + 1)]
        assert all(b <= a + 1e-12 for a, b in zip(errors, errors[1:], strict=False)) and errors[0] > errors[-1]
        assert errors[-1] < 1e-9  # full rank reconstructs exactly
        a, b = lowrank.factor(matrix, 3)
        np.testing.assert_allclose(np.abs(a).max(0), np.abs(b).max(1))  # balanced for the fixed-point grid
    sigma = np.array([4.0, 2.0, 1.0, 1.0])  # energies 16, 4, 1, 1 of 22
    assert lowrank.RankRule(energy=0.9).choose(sigma, 8, 4) == 2 and lowrank.RankRule(energy=1.0).choose(sigma, 8, 4) == 4
    assert lowrank.RankRule(budget=0.5).choose(sigma, 8, 4) == 1 and lowrank.RankRule(rank=9).choose(sigma, 8, 4) == 4


def test_a_factorised_model_computes_the_product_of_its_factors():
    float_model = models.build("dscnn", (32, 16), 3, bits=None, kernel=3, width=1.0)
    new, records = lowrank.factorise(float_model, lowrank.RankRule(rank=3), ["b2", "b3"])
    assert {"b2_lr", "b3_lr", "b2_dw", "b3_dw"} <= {layer.name for layer in new.layers}
    reference = surgery.rewrite(float_model)  # the same model with each pointwise kernel at its rank-3 product
    for name in ("b2", "b3"):
        layer = reference.get_layer(name)
        a, b = lowrank.factor(lowrank.layer_matrix(layer), 3)
        pointwise = layer.pointwise_kernel
        pointwise.assign((a @ b).reshape(pointwise.shape).astype(np.float32))
    x = np.random.default_rng(1).random((4, 32, 16)).astype(np.float32)
    np.testing.assert_allclose(new.predict(x, verbose=0), reference.predict(x, verbose=0), atol=1e-5)
    assert records["b3"]["weights_after"] < records["b3"]["weights_before"]


def test_distillation_losses_reduce_to_what_they_should():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    s, t = rng.normal(size=(16, 4)).astype(np.float32), rng.normal(size=(16, 4)).astype(np.float32)
    y = rng.integers(0, 4, 16)
    ce = tf.keras.losses.sparse_categorical_crossentropy(y, tf.nn.softmax(s)).numpy()
    for term in ("kd", "dkd"):
        at_zero = kd.distill_loss(kd.DistillConfig((term,), alpha=0.0), y, s, teacher_logits=t).numpy()
        np.testing.assert_allclose(at_zero, ce, rtol=1e-5)
    temp = 3.0

    def softmax(v):
        e = np.exp(v - v.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    ps, pt = softmax(s / temp), softmax(t / temp)
    kl = np.sum(pt * np.log(pt / ps), axis=1)
    np.testing.assert_allclose(kd.kd_term(s, t, temp).numpy(), temp ** 2 * kl, rtol=1e-4)
    # DKD's decomposition (Zhao et al., eq. 4): KD = TCKD + (1 - p_t(target)) * NCKD
    tckd = kd.dkd_term(s, t, y, temp, 1.0, 0.0).numpy()
    nckd = kd.dkd_term(s, t, y, temp, 0.0, 1.0).numpy()
    np.testing.assert_allclose(tckd + (1 - pt[np.arange(16), y]) * nckd, temp ** 2 * kl, rtol=1e-3)
    np.testing.assert_allclose(kd.dkd_term(s, s, y, temp, 1.0, 8.0).numpy(), 0.0, atol=1e-5)
    features = rng.random((16, 8, 5)).astype(np.float32)
    maps = kd.attention_map(tf.constant(features)).numpy()
    np.testing.assert_allclose(np.linalg.norm(maps, axis=1), 1.0, rtol=1e-5)
    assert np.allclose(kd.at_term([features], [maps], 1000.0).numpy(), 0.0, atol=1e-6)
    assert np.all(kd.at_term([features[::-1]], [maps], 1000.0).numpy() >= 0)


def test_distillation_across_architectures_and_prediction_from_the_new_run(runs):
    from hwgen.train import predict, prepared_from_run

    out = compress_run(CompressConfig(run=str(runs["shift"]), out=str(runs["root"] / "kd"), teacher=str(runs["cnn"]),
                                      distill="dkd,at", reinit=True, float_epochs=1, **QUICK))
    metrics = _metrics(out)
    record = metrics["compression"]
    assert metrics["epochs_run"]["float"] == 1  # a fresh student: float under distillation, then QAT
    assert record["teacher"]["model"] == "cnn" and record["distill"]["terms"] == ["dkd", "at"]
    assert metrics["model"] == "shiftcnn" and metrics["after"]["shift_macs"] == metrics["after"]["macs"] > 0
    test = np.load(out / "test.npz")
    raw = prepared_from_run(out).dataset.x[test["index"]]  # predict takes raw windows and preprocesses them
    probs = predict(out, raw)
    np.testing.assert_allclose(probs, models.load(out).predict(test["x"], verbose=0), atol=1e-6)


def _cli(args, capsys):
    from hwgen.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["compress", *map(str, args)])
    err = capsys.readouterr().err.strip()
    return exit_info.value.code, err


@pytest.mark.parametrize("options, message", [
    (["--prune", "1.2"], "--prune 1.2: expected a fraction in [0, 1)"),
    (["--rank", "0"], "--rank 0: expected a whole number >= 1"),
    (["--low-rank", "0.9", "--rank", "2"], "exactly one of --low-rank"),
    (["--distill", "kd"], "distillation needs a teacher"),
    (["--reinit"], "needs --distill-from"),
    ([], "nothing to do"),
])
def test_bad_options_are_one_line_errors(runs, capsys, options, message):
    code, err = _cli([runs["cnn"], "--out", runs["root"] / "bad", *options], capsys)
    assert code == 2 and message in err and len(err.splitlines()) == 1
    assert not (runs["root"] / "bad").exists()


def test_bad_teachers_and_targets_are_one_line_errors(runs, capsys):
    code, err = _cli([runs["cnn"], "--out", runs["root"] / "bad", "--distill-from", runs["heart"]], capsys)
    assert code == 2 and "classes" in err and "brady" in err and len(err.splitlines()) == 1
    code, err = _cli([runs["shift"], "--out", runs["root"] / "bad", "--prune", "0.5"], capsys)
    assert code == 2 and "power-of-two weights have no zero" in err
    code, err = _cli([runs["cnn"], "--out", runs["cnn"], "--prune", "0.5"], capsys)
    assert code == 2 and "is the source run" in err
    code, err = _cli([runs["cnn"], "--out", runs["shift"], "--prune", "0.5"], capsys)  # an existing run
    assert code == 2 and "not empty" in err and (runs["shift"] / "model.h5").is_file()


def test_a_run_trained_without_class_weights_compresses(runs):
    """--balance none/resample leave the run without class weights; compress trains it unweighted."""
    run = train_model(TrainConfig(out=str(runs["root"] / "unweighted"), task="lung", model="cnn", balance="none",
                                  **TINY))
    out = compress_run(CompressConfig(run=str(run), out=str(runs["root"] / "unweighted-pruned"), prune=0.5, **QUICK))
    assert _metrics(out)["compression"]["prune"]["achieved"] >= 0.5 - 0.01
