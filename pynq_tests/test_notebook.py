"""notebooks/lung_sliding_on_pynq.ipynb, as shipped in the deployment folder, executed with nbclient on the
simulated board: one injected cell makes the board pynq's active device, nothing else changes."""

from __future__ import annotations

import json

import pytest
from conftest import REPO, copy_folder

nbformat = pytest.importorskip("nbformat")


def test_the_notebook_runs_on_the_simulated_board_and_shows_its_figures(designs, tmp_path):
    from nbclient import NotebookClient

    folder = copy_folder(designs["lung"]["ok"], tmp_path / "deploy")
    shipped = folder / "hwgen.ipynb"
    assert shipped.read_bytes() == (REPO / "notebooks" / "lung_sliding_on_pynq.ipynb").read_bytes()
    nb = nbformat.read(shipped, as_version=4)
    setup = nbformat.v4.new_code_cell("from hwgen.pynqsim import SimulatedBoard\nboard = SimulatedBoard.activate()",
                                      metadata={"tags": ["injected-simulated-board"]})
    nb.cells.insert(0, setup)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    nbformat.write(nb, tmp_path / "executed.ipynb")
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    summary = json.loads(text.strip().splitlines()[-1])
    assert summary["frames_checked"] == 12 and summary["mismatched_frames"] == 0
    assert summary["frames_per_s"] > 0 and summary["accelerator_latency_cycles"] > 0
    assert summary["windows"] == 1 + (12 * 64 - 64) // 32        # hop: half a window
    assert 0 <= summary["accuracy"] <= 1
    images = [o for o in outputs if o.output_type == "display_data" and "image/png" in o.get("data", {})]
    assert len(images) == 2                                      # the gallery and the real-time strip
    assert "simulated board" in text and "hwgen.pynqsim.SimulatedBoard" in text
