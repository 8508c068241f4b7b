"""The deployment folder (`deploy/`) and `make deploy`: everything a board needs, nothing it does not.

    deploy/<name>.bit, <name>.hwh   the overlay (same base name: PYNQ finds the .hwh by the extension)
    deploy/hwgen/runtime/           the board-side code (hwgen/runtime/: protocol, driver; hwgen/errors.py), numpy + pynq only
    deploy/<name>.ipynb             the notebook, when hwgen ships one
    deploy/metadata.json            input shape, classes, preprocessing, stream format, identification hash,
                                    register offsets of this backend, tool versions, resources, timing
    deploy/test_vectors.npz         frames, the golden model's outputs for them (bit-exact reference), labels
    deploy/README.md                how to copy, load and check it on the board

`deploy_command` forms the copy to a board over ssh (`make deploy BOARD=... HOST=...`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

import hwgen
from hwgen.boards import Board
from hwgen.errors import HwgenError
from hwgen.paths import REPO_ROOT
from hwgen.runtime import protocol
from hwgen.runtime.protocol import StreamFormat

RUNTIME_DIR = Path(__file__).resolve().parents[1] / "runtime"
DEFAULT_USER = "xilinx"
DEFAULT_DEST = "/home/xilinx/jupyter_notebooks/hwgen"


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def copy_runtime(dest: Path) -> list[Path]:
    """hwgen/runtime/ (Python files and notebooks, no caches) as the package `hwgen.runtime` in dest, with
    hwgen/errors.py (the driver's errors subclass hwgen's)."""
    written = []
    (dest / "hwgen").mkdir(parents=True, exist_ok=True)
    init = dest / "hwgen" / "__init__.py"
    init.write_text(f'"""hwgen {hwgen.__version__}: the board-side subset (hwgen.runtime), numpy and pynq only.\n\n'
                    "A full hwgen later on sys.path adds its other subpackages (the simulated board runs this\n"
                    'folder as it is), while hwgen.runtime still comes from here."""\n\n'
                    "__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n"
                    f'__version__ = "{hwgen.__version__}"\n')
    written.append(init)
    errors = dest / "hwgen" / "errors.py"
    shutil.copyfile(RUNTIME_DIR.parent / "errors.py", errors)
    written.append(errors)
    for path in sorted(RUNTIME_DIR.rglob("*")):
        if "__pycache__" in path.parts or path.is_dir() or path.suffix not in (".py", ".ipynb", ".json"):
            continue
        target = dest / "hwgen" / "runtime" / path.relative_to(RUNTIME_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        written.append(target)
    return written


def find_notebook(cfg: dict) -> Path | None:
    """The notebook to ship: cfg["notebook"], else the first *.ipynb in hwgen/runtime/ or notebooks/."""
    if cfg.get("notebook"):
        path = Path(cfg["notebook"])
        if not path.is_file():
            raise HwgenError(f"notebook {path}: no such file")
        return path
    for folder in (RUNTIME_DIR, REPO_ROOT / "notebooks"):
        found = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
        if found:
            return found[0]
    return None


def graph_meta(build_dir: Path) -> dict:
    """Classes, task, source and preprocessing of the saved graph: graph/meta.json when a build wrote one,
    else the `classes` and `meta` of graph/graph.json."""
    meta_path, graph_path = Path(build_dir) / "graph" / "meta.json", Path(build_dir) / "graph" / "graph.json"
    if meta_path.is_file():
        return json.loads(meta_path.read_text())
    if graph_path.is_file():
        doc = json.loads(graph_path.read_text())
        return {"classes": doc.get("classes"), **(doc.get("meta") or {})}
    return {}


def test_vectors(build_dir: Path, fmt: StreamFormat, dest: Path) -> Path:
    """Frames, their input integers and the golden outputs: what a board run must reproduce bit for bit."""
    x = np.load(Path(build_dir) / "verify" / "input.npy")
    logits = np.load(Path(build_dir) / "verify" / "expected.npy").astype(np.int64)
    words = fmt.output_words(logits)
    labels = Path(build_dir) / "verify" / "labels.npy"
    extra = {"labels": np.load(labels).astype(np.int64)} if labels.is_file() else {}   # true classes, when known
    path = dest / "test_vectors.npz"
    np.savez_compressed(path, x=x.astype(np.float32), q=fmt.quantize(x), expected_logits=logits,
                        expected_class=words[:, 0].astype(np.int64), expected_words=words, **extra)
    return path


def write_folder(build_dir: Path, board: Board, cfg: dict, fmt: StreamFormat, registers: dict,
                 tools: dict, implementation: dict, overlay: tuple[Path, Path] | None = None,
                 dest: Path | None = None, extra: dict | None = None) -> dict:
    """Fill deploy/ from a finished build; returns the metadata written to deploy/metadata.json.

    `overlay` (.bit, .hwh) defaults to Vivado's output; `dest` to build_dir/deploy; `extra` is merged
    into the metadata (a simulated deployment says so there).
    """
    build_dir = Path(build_dir)
    name = cfg["name"]
    out_dir = build_dir / "vivado" / "output"
    bit, hwh = overlay or (out_dir / f"{name}.bit", out_dir / f"{name}.hwh")
    for path in (bit, hwh):
        if not path.is_file():
            raise HwgenError(f"{path}: no overlay to deploy (the bitstream step writes it)")
    dest = Path(dest) if dest is not None else build_dir / "deploy"
    dest.mkdir(parents=True, exist_ok=True)
    for path, suffix in ((bit, ".bit"), (hwh, ".hwh")):
        if path.resolve() != (dest / f"{name}{suffix}").resolve():
            shutil.copyfile(path, dest / f"{name}{suffix}")
    bit, hwh = dest / f"{name}.bit", dest / f"{name}.hwh"
    copy_runtime(dest)
    notebook = find_notebook(cfg)
    if notebook is not None:
        shutil.copyfile(notebook, dest / f"{name}.ipynb")
    meta = graph_meta(build_dir)
    test_vectors(build_dir, fmt, dest)
    metadata = {
        "hwgen_version": hwgen.__version__, "name": name, "board": board.name, "part": board.part,
        "backend": cfg["backend"], "pynq_version": board.pynq_version, "clock_mhz": board.clock_mhz,
        "overlay": {"bit": bit.name, "hwh": hwh.name, "bit_sha256": sha256(bit), "hwh_sha256": sha256(hwh)},
        "input_shape": [fmt.time, fmt.depth], "classes": meta.get("classes"), "preprocess": meta.get("preprocess"),
        "task": meta.get("task"), "source": meta.get("source"),
        "graph_id": f"{fmt.graph_id:#018x}", "stream": fmt.to_json(), "registers": registers,
        "addresses": {"dma": board.address.dma, "accel": board.address.accel, "range": board.address.range},
        "accelerator_vlnv": "hwgen.org:hwgen:hwgen_accel:1.0", "tools": tools, "implementation": implementation,
        "test_vectors": "test_vectors.npz", "notebook": f"{name}.ipynb" if notebook else None,
        **(extra or {}),
    }
    (dest / "metadata.json").write_text(json.dumps(metadata, indent=1))
    (dest / "README.md").write_text(readme(metadata, fmt))
    return metadata


def readme(meta: dict, fmt: StreamFormat) -> str:
    classes = ", ".join(meta["classes"] or []) or f"{fmt.n_classes} classes"
    offsets = protocol.register_offsets(meta["registers"])
    table = "\n".join(f"| {name} | {offset:#04x} | {protocol.REGISTERS[name][2]} |" for name, offset in offsets.items())
    notes = meta["registers"].get("notes") or {}
    note_lines = "\n".join(f"- {name}: {text}" for name, text in notes.items())
    missing = meta["registers"].get("missing") or []
    timing = (meta.get("implementation") or {}).get("timing", {})
    return f"""\
# {meta['name']}: hwgen overlay for the {meta['board']} ({meta['backend']} backend)

Generated by hwgen {meta['hwgen_version']}. Part `{meta['part']}`, fabric clock {meta['clock_mhz']:g} MHz,
PYNQ {meta['pynq_version']} image. Model: {meta.get('task') or 'classifier'} on frames of
{fmt.time} lines x {fmt.depth} depth values -> {classes}. Graph id `{meta['graph_id']}`.
{f"Timing: WNS {timing['wns_ns']} ns, WHS {timing['whs_ns']} ns." if timing else ""}

## Copy it to the board

    make deploy BOARD={meta['board']} HOST=<board address>        # from the hwgen checkout
    # or: rsync -av deploy/ xilinx@<board>:{DEFAULT_DEST}/

## Check it on the board (in the PYNQ Python, `sudo -E python3` or a notebook)

```python
import numpy as np
from pynq import Overlay
ov = Overlay("{meta['overlay']['bit']}")          # loads {meta['overlay']['hwh']} beside it
print(ov.ip_dict.keys())                          # axi_dma_0, hwgen_accel_0, ...
accel = ov.hwgen_accel_0
print(hex(accel.read({offsets.get('ID_HI', 0):#x})), hex(accel.read({offsets.get('ID_LO', 0):#x})))   # graph id
vectors = np.load("test_vectors.npz")             # x, q, expected_logits, expected_class, expected_words
```

The driver in `hwgen/runtime/` packs `vectors["q"]` into DMA buffers, runs them and must return
`expected_words` exactly (class index, then the logits as 32-bit two's complement, TLAST on the last).

## Stream format

Input: {fmt.beats_per_frame} beats of {fmt.data_width} bits per frame ({fmt.lanes} values of {fmt.in_bits} bits in
{fmt.lane_bits}-bit lanes, time-major), {fmt.in_bytes_per_frame} bytes; TLAST on the frame's last beat.
Output: {fmt.out_beats_per_frame} beats of 32 bits ({fmt.out_bytes_per_frame} bytes): class index, then {fmt.n_classes}
logits (real value = q * 2^-{fmt.logit_frac}).

## Registers (`hwgen_accel_0`, {meta['backend']} backend)

| register | offset | meaning |
|---|---|---|
{table}

{('Not implemented by this backend: ' + ', '.join(missing) + '.') if missing else ''}
{note_lines}
"""


def deploy_command(build_dir: Path, host: str, user: str = DEFAULT_USER, dest: str = DEFAULT_DEST,
                   rsync: bool | None = None) -> list[str]:
    """The command that copies deploy/ to a board over ssh (rsync when available, else scp)."""
    if not host or any(c in host for c in " /;'\""):
        raise HwgenError(f"HOST={host!r}: give the board's address, e.g. HOST=192.168.2.99 or HOST=pynq")
    folder = Path(build_dir) / "deploy"
    if not (folder / "metadata.json").is_file():
        raise HwgenError(f"{folder}: no deployment folder (run `make bitstream` first)")
    target = f"{user}@{host}:{dest}" if user else f"{host}:{dest}"
    use_rsync = shutil.which("rsync") is not None if rsync is None else rsync
    if use_rsync:
        return ["rsync", "-av", "--mkpath", f"{folder}/", f"{target}/"]
    return ["scp", "-r", str(folder), target]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hwgen.boards.deploy", description="Copy deploy/ to a board over ssh.")
    parser.add_argument("build", type=Path, help="build folder holding deploy/")
    parser.add_argument("--host", required=True, help="board address (ssh)")
    parser.add_argument("--user", default=DEFAULT_USER)
    parser.add_argument("--dest", default=DEFAULT_DEST)
    parser.add_argument("--dry-run", action="store_true", help="print the command only")
    args = parser.parse_args(argv)
    try:
        cmd = deploy_command(args.build, args.host, args.user, args.dest)
    except HwgenError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(shlex.join(cmd))
    if args.dry_run:
        return 0
    return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main())
