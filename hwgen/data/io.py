"""Reading and writing data sets: .npz, .h5 (hwgen layout), .npy (x only) and DICOM (M-mode or B-mode cine).

Every problem with a file raises DataError naming the file and what is wrong.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import numpy as np

from hwgen.data.dataset import Dataset, task_spec
from hwgen.errors import DataError

SUFFIXES = (".npz", ".h5", ".hdf5", ".npy", ".dcm", ".dicom")
M_MODE_SPATIAL_FORMAT = 2      # DICOM (0018,6012) Region Spatial Format: 0002 = M-mode
UNITS_SECONDS, UNITS_CM = 4, 3  # DICOM Physical Units X/Y Direction codes


def save(ds: Dataset, path) -> Path:
    """Write a Dataset to .npz (keys x, y, classes, group, meta, params as JSON strings) or .h5."""
    path = Path(path)
    _check(ds.x, ds.y, ds.classes, ds.group, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    y = ds.y if ds.y is not None else np.full(len(ds.x), -1, dtype=np.int64)
    meta, params = json.dumps(ds.meta), json.dumps(ds.params)
    if path.suffix in (".h5", ".hdf5"):
        import h5py

        with h5py.File(path, "w") as f:
            f.create_dataset("x", data=ds.x.astype(np.float32), compression="gzip", compression_opts=4,
                             chunks=(1,) + ds.x.shape[1:])
            f.create_dataset("y", data=y.astype(np.int64))
            f.create_dataset("group", data=ds.group.astype(np.int64))
            f.attrs["classes"] = json.dumps(list(ds.classes))
            f.attrs["meta"] = meta
            f.attrs["params"] = params
    elif path.suffix == ".npz":
        np.savez_compressed(path, x=ds.x.astype(np.float32), y=y.astype(np.int64), classes=np.array(ds.classes, dtype=str),
                            group=ds.group.astype(np.int64), meta=np.array(meta), params=np.array(params))
    else:
        raise DataError(f"{path}: cannot write {path.suffix or 'files without a suffix'}; use .npz or .h5")
    return path


def load(path, *, task: str | None = None, line: tuple[float, float, float, float] | None = None) -> Dataset:
    """Read a data set: .npz/.h5 in the hwgen layout, .npy holding x (N, time, depth), or a DICOM file.

    task: check the file against a task (its classes); also names the classes of unlabelled .npy data.
    line: for a B-mode cine DICOM, the scan line (x0, y0, x1, y1) in pixels along which the anatomical
    M-mode is taken (depth runs from (x0, y0) to (x1, y1)).
    """
    path = Path(path)
    src = str(path)
    spec = task_spec(task, src) if task is not None else None
    if not path.exists():
        raise DataError(f"{src}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        ds = _load_npz(path)
    elif suffix in (".h5", ".hdf5"):
        ds = _load_h5(path)
    elif suffix == ".npy":
        ds = _load_npy(path)
    elif suffix in (".dcm", ".dicom") or is_dicom(path):
        ds = _load_dicom(path, line)
    else:
        raise DataError(f"{src}: unsupported file type {suffix or '(none)'}; use one of {', '.join(SUFFIXES)}")
    if spec is not None:
        if ds.meta.get("task") not in (None, spec.name):
            raise DataError(f"{src}: holds task {ds.meta['task']!r}, not {spec.name!r}")
        if ds.y is not None and ds.classes and list(ds.classes) != list(spec.classes):
            raise DataError(f"{src}: classes {ds.classes} do not match task {spec.name!r} {spec.classes}")
        if not ds.classes:
            ds.classes = list(spec.classes)
        ds.meta.setdefault("task", spec.name)
    _check(ds.x, ds.y, ds.classes, ds.group, src)
    return ds


# -- checks ---------------------------------------------------------------------------------------

def _check(x, y, classes, group, src: str) -> None:
    """Layout checks shared by save and load."""
    if not isinstance(x, np.ndarray) or x.ndim != 3:
        shape = getattr(x, "shape", None)
        raise DataError(f"{src}: x has shape {shape}, expected (N, time, depth)")
    if x.shape[0] == 0 or x.shape[1] == 0 or x.shape[2] < 2:
        raise DataError(f"{src}: x has shape {x.shape}, expected (N, time, depth) with N, time >= 1 and depth >= 2")
    if not np.issubdtype(x.dtype, np.number):
        raise DataError(f"{src}: x has dtype {x.dtype}, expected float32")
    bad = ~np.isfinite(x)
    if bad.any():
        i = int(np.argwhere(bad)[0][0])
        raise DataError(f"{src}: x contains {int(bad.sum())} NaN/infinite values (first in example {i})")
    lo, hi = float(x.min()), float(x.max())
    if lo < -1e-6 or hi > 1 + 1e-6:
        raise DataError(f"{src}: x values span [{lo:.3g}, {hi:.3g}], expected [0, 1] (log-compressed display); "
                        "scale it or run hwgen.data.preprocess first")
    n = len(x)
    if y is not None:
        if np.shape(y) != (n,):
            raise DataError(f"{src}: y has shape {np.shape(y)}, expected ({n},) to match x")
        if len(y) and (y.min() < 0 or (classes and y.max() >= len(classes))):
            raise DataError(f"{src}: labels span [{y.min()}, {y.max()}], expected 0..{len(classes) - 1} "
                            f"for classes {list(classes)}")
    if np.shape(group) != (n,):
        raise DataError(f"{src}: group has shape {np.shape(group)}, expected ({n},) to match x")


def _labels_or_none(y, src: str) -> np.ndarray | None:
    """Integer class indices (all -1: unlabelled). Floats or names are refused, never rounded."""
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{src}: y has dtype {y.dtype}, expected integer class indices 0..K-1 "
                        "(the class names go in 'classes')")
    y = y.astype(np.int64)
    return None if (y.size and np.all(y == -1)) else y


def _json(text, src: str, key: str):
    try:
        return json.loads(str(text))
    except json.JSONDecodeError as err:
        raise DataError(f"{src}: {key} is not valid JSON ({err.msg})") from None


# -- numpy / HDF5 -------------------------------------------------------------------------------------

def _load_npz(path: Path) -> Dataset:
    src = str(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            if "x" not in f.files:
                raise DataError(f"{src}: no array 'x' (found {', '.join(f.files) or 'nothing'}); "
                                "expected keys x, y, classes, group, meta, params")
            arrays = {k: f[k] for k in f.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:
        raise DataError(f"{src}: unreadable or truncated .npz ({err})") from None
    x, scaling = _as_display(arrays["x"])
    n = len(x) if x.ndim else 0
    y = _labels_or_none(arrays["y"], src) if "y" in arrays else None
    classes = [str(c) for c in arrays["classes"]] if "classes" in arrays else []
    group = arrays["group"].astype(np.int64) if "group" in arrays else np.arange(n, dtype=np.int64)
    meta = _json(arrays["meta"], src, "meta") if "meta" in arrays else {}
    params = _json(arrays["params"], src, "params") if "params" in arrays else []
    return Dataset(x, y, classes, group, _with_scaling(meta, scaling), params)


def _load_h5(path: Path) -> Dataset:
    import h5py

    src = str(path)
    try:
        with h5py.File(path, "r") as f:
            if "x" not in f:
                raise DataError(f"{src}: no dataset 'x' (found {', '.join(f.keys()) or 'nothing'})")
            x = f["x"][()]
            y = _labels_or_none(f["y"][()], src) if "y" in f else None
            group = f["group"][()].astype(np.int64) if "group" in f else np.arange(len(x), dtype=np.int64)
            classes = _json(f.attrs["classes"], src, "classes") if "classes" in f.attrs else []
            meta = _json(f.attrs["meta"], src, "meta") if "meta" in f.attrs else {}
            params = _json(f.attrs["params"], src, "params") if "params" in f.attrs else []
    except OSError as err:
        raise DataError(f"{src}: unreadable or truncated HDF5 file ({err})") from None
    x, scaling = _as_display(np.asarray(x))
    return Dataset(x, y, list(classes), group, _with_scaling(meta, scaling), params)


def _load_npy(path: Path) -> Dataset:
    src = str(path)
    try:
        x = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise DataError(f"{src}: unreadable or truncated .npy ({err})") from None
    x, scaling = _as_display(x)
    n = len(x) if x.ndim else 0
    return Dataset(x, None, [], np.arange(n, dtype=np.int64), _with_scaling({"source": src}, scaling), [])


UINT8_SCALING = "uint8 display levels 0..255 / 255 -> [0, 1]"


def _as_display(x: np.ndarray) -> tuple[np.ndarray, str | None]:
    """(float32 x, how it was scaled or None); 8-bit display values (uint8) are scaled to [0, 1]."""
    if x.dtype == np.uint8:
        return _scale_integers(x, 255), UINT8_SCALING
    if not np.issubdtype(x.dtype, np.number):
        return x, None                            # _check names the bad dtype
    return (x if x.dtype == np.float32 else x.astype(np.float32)), None


def _with_scaling(meta: dict, scaling: str | None) -> dict:
    """meta plus `x_scaling`, stating how integer values were brought to [0, 1] (hwgen data info shows it)."""
    return meta | {"x_scaling": scaling} if scaling else meta


def _scale_integers(img: np.ndarray, top: int) -> np.ndarray:
    return (img.astype(np.float32) / float(top)).clip(0, 1)


# -- DICOM ------------------------------------------------------------------------------------------

def is_dicom(path: Path) -> bool:
    """Does the file carry the DICOM preamble and 'DICM' marker?"""
    with open(path, "rb") as f:
        head = f.read(132)
    return len(head) == 132 and head[128:132] == b"DICM"


def _load_dicom(path: Path, line) -> Dataset:
    """An M-mode (an ultrasound region with M-mode spatial format) or a B-mode cine plus a scan line."""
    import pydicom

    src = str(path)
    try:
        dcm = pydicom.dcmread(path)
    except Exception as err:   # pydicom raises many types for truncated/corrupt files
        raise DataError(f"{src}: truncated or corrupt DICOM ({type(err).__name__}: {err})") from None
    _check_modality(dcm, src)
    img, scaling = _grey(_pixels(dcm, src), dcm)
    frames = int(getattr(dcm, "NumberOfFrames", 1) or 1)
    meta = {"source": src, "modality": str(getattr(dcm, "Modality", "")), "x_scaling": scaling}
    region = _mmode_region(dcm)
    if frames > 1:
        if line is None:
            raise DataError(f"{src}: B-mode cine with {frames} frames; give a scan line "
                            "(line=(x0, y0, x1, y1), CLI --line x0,y0,x1,y1) to extract an anatomical M-mode")
        mmode = _along_line(img, line, src)
        meta["scan_line"] = [float(v) for v in line]
        meta.update(_frame_rate(dcm) | _line_length(dcm, line))
        meta["kind"] = "anatomical M-mode from B-mode cine"
    elif region is not None:
        if line is not None:
            raise DataError(f"{src}: an M-mode image already; a scan line (--line) applies to B-mode cines only")
        (x0, y0, x1, y1), units = region
        mmode = img[y0:y1 + 1, x0:x1 + 1].T          # rows = depth, columns = time -> (time, depth)
        meta.update(units)
        meta["kind"] = "M-mode"
    else:
        raise DataError(f"{src}: not an M-mode image (no ultrasound region with M-mode spatial format, "
                        "(0018,6012) = 2) and not a multi-frame B-mode cine")
    if mmode.shape[0] < 2 or mmode.shape[1] < 2:
        raise DataError(f"{src}: M-mode of shape {mmode.shape} is too small, expected (time, depth) >= (2, 2)")
    return Dataset(mmode[None].astype(np.float32), None, [], np.zeros(1, dtype=np.int64), meta, [])


def _check_modality(dcm, src: str) -> None:
    """Only ultrasound: Modality US, or (when the file omits it) an ultrasound SOP class."""
    modality = str(getattr(dcm, "Modality", "") or "")
    if modality == "US":
        return
    if modality:
        raise DataError(f"{src}: modality {modality!r} is not ultrasound (US); hwgen reads ultrasound M-mode "
                        "images and B-mode cines")
    sop = getattr(dcm, "SOPClassUID", None)
    if sop is None or "Ultrasound" not in getattr(sop, "name", ""):
        raise DataError(f"{src}: no modality and SOP class {getattr(sop, 'name', None) or 'missing'} is not an "
                        "ultrasound image; hwgen reads ultrasound M-mode images and B-mode cines")


# pip names of pydicom's decoder plugins' requirements where they differ from the plugin's name
PIP_NAMES = {"gdcm": "python-gdcm"}


def _pixels(dcm, src: str) -> np.ndarray:
    """The pixel data; a compressed file whose decoder plugin is missing says which one to install."""
    syntax = getattr(getattr(dcm, "file_meta", None), "TransferSyntaxUID", None)
    if syntax is not None and syntax.is_compressed:
        from pydicom.pixels import get_decoder

        try:
            decoder = get_decoder(syntax)
        except NotImplementedError:
            raise DataError(f"{src}: pixel data compressed as {syntax.name}, which pydicom cannot decode; "
                            "export the file uncompressed") from None
        if not decoder.is_available:
            raise DataError(f"{src}: pixel data compressed as {syntax.name} and no decoder plugin for it is "
                            f"installed; install one: {_install_hints(decoder.missing_dependencies)}")
    try:
        return dcm.pixel_array
    except Exception as err:   # pydicom raises many types for truncated/corrupt pixel data
        raise DataError(f"{src}: truncated or corrupt DICOM pixel data ({type(err).__name__}: {err})") from None


def _install_hints(missing: list[str]) -> str:
    """pydicom's 'plugin - requires a>=1 and b>=2' lines -> 'pip install "a>=1" "b>=2"' per plugin."""
    hints = []
    for item in missing:
        plugin, _, needs = item.partition(" - requires ")
        reqs = [_pip_name(r.strip()) for r in needs.split(" and ") if r.strip() not in ("", "numpy")]
        hints.append(f"{plugin.strip()} (pip install {' '.join(repr(r) for r in reqs)})")
    return "; or ".join(hints) if hints else "see pydicom's pixel data handler documentation"


def _pip_name(requirement: str) -> str:
    """'gdcm>=3.0.10' -> 'python-gdcm>=3.0.10' (the name pip knows it by)."""
    name = re.split(r"[<>=!~ ]", requirement, maxsplit=1)[0]
    return PIP_NAMES.get(name, name) + requirement[len(name):]


def _grey(pixels: np.ndarray, dcm) -> tuple[np.ndarray, str]:
    """Pixel data as grey levels in [0, 1] (RGB averaged, integers scaled by their bit depth, MONOCHROME1
    inverted so that echoes are bright) and a sentence saying how."""
    how = []
    if int(getattr(dcm, "SamplesPerPixel", 1)) == 3:
        pixels = pixels.mean(axis=-1)
        how.append("RGB averaged")
    if np.issubdtype(pixels.dtype, np.integer) or how:
        bits = int(getattr(dcm, "BitsStored", 8))
        grey = _scale_integers(pixels, 2 ** bits - 1)
        how.append(f"{bits}-bit levels / {2 ** bits - 1}")
    else:
        pixels = pixels.astype(np.float32)
        span = float(pixels.max() - pixels.min()) or 1.0
        grey = (pixels - pixels.min()) / span
        how.append("float pixels min-max scaled")
    if str(getattr(dcm, "PhotometricInterpretation", "")) == "MONOCHROME1":
        grey = 1.0 - grey
        how.append("inverted (MONOCHROME1: 0 is white)")
    return grey.astype(np.float32), ", ".join(how) + " -> [0, 1]"


def _frame_rate(dcm) -> dict:
    """The cine's frame rate (= the anatomical M-mode's line rate) from Frame Time, Frame Time Vector or
    Cine Rate, with where it came from; {} when the file gives none."""
    frame_time = getattr(dcm, "FrameTime", None)                                    # ms
    if frame_time:
        return {"line_rate_hz": 1000.0 / float(frame_time), "line_rate_from": "FrameTime (0018,1063)"}
    vector = [float(v) for v in (getattr(dcm, "FrameTimeVector", None) or [])][1:]  # first entry is 0
    if vector and min(vector) > 0:
        return {"line_rate_hz": 1000.0 / float(np.mean(vector)), "line_rate_from": "FrameTimeVector (0018,1065)"}
    cine_rate = getattr(dcm, "CineRate", None)                                      # frames/s
    if cine_rate:
        return {"line_rate_hz": float(cine_rate), "line_rate_from": "CineRate (0018,0040)"}
    return {}


def _line_length(dcm, line) -> dict:
    """depth_cm: the scan line's length from Pixel Spacing, or from the ultrasound region holding the line
    when its physical units are cm; {} when the file gives neither."""
    x0, y0, x1, y1 = (float(v) for v in line)
    spacing = getattr(dcm, "PixelSpacing", None)                                    # mm: row, column
    if spacing:
        dy, dx = (float(v) / 10 for v in spacing)
        return {"depth_cm": float(np.hypot((x1 - x0) * dx, (y1 - y0) * dy)), "depth_from": "PixelSpacing"}
    for reg in getattr(dcm, "SequenceOfUltrasoundRegions", []) or []:
        box = [int(getattr(reg, k, -1)) for k in ("RegionLocationMinX0", "RegionLocationMinY0",
                                                  "RegionLocationMaxX1", "RegionLocationMaxY1")]
        inside = all(box[0] <= x <= box[2] and box[1] <= y <= box[3] for x, y in ((x0, y0), (x1, y1)))
        cm = (int(getattr(reg, "PhysicalUnitsXDirection", 0)) == UNITS_CM
              and int(getattr(reg, "PhysicalUnitsYDirection", 0)) == UNITS_CM)
        if inside and cm:
            dx, dy = float(reg.PhysicalDeltaX), float(reg.PhysicalDeltaY)
            return {"depth_cm": float(np.hypot((x1 - x0) * dx, (y1 - y0) * dy)), "depth_from": "ultrasound region"}
    return {}


def _mmode_region(dcm):
    """Bounds (x0, y0, x1, y1) and physical units of the first M-mode ultrasound region, or None."""
    for reg in getattr(dcm, "SequenceOfUltrasoundRegions", []) or []:
        if int(getattr(reg, "RegionSpatialFormat", -1)) != M_MODE_SPATIAL_FORMAT:
            continue
        box = tuple(int(getattr(reg, k)) for k in ("RegionLocationMinX0", "RegionLocationMinY0",
                                                  "RegionLocationMaxX1", "RegionLocationMaxY1"))
        units = {}
        if int(getattr(reg, "PhysicalUnitsXDirection", 0)) == UNITS_SECONDS and getattr(reg, "PhysicalDeltaX", 0):
            units["line_rate_hz"] = 1.0 / float(reg.PhysicalDeltaX)
        if int(getattr(reg, "PhysicalUnitsYDirection", 0)) == UNITS_CM and getattr(reg, "PhysicalDeltaY", 0):
            units["depth_cm"] = float(reg.PhysicalDeltaY) * (box[3] - box[1] + 1)
        return box, units
    return None


def _along_line(cine: np.ndarray, line, src: str) -> np.ndarray:
    """Sample every frame along the scan line (bilinear): (frames, points), one point per pixel of length."""
    from scipy.ndimage import map_coordinates

    try:
        x0, y0, x1, y1 = (float(v) for v in line)
    except (TypeError, ValueError):
        raise DataError(f"{src}: scan line must be four numbers x0,y0,x1,y1, got {line!r}") from None
    frames, rows, cols = cine.shape[:3]
    for x, y in ((x0, y0), (x1, y1)):
        if not (0 <= x <= cols - 1 and 0 <= y <= rows - 1):
            raise DataError(f"{src}: scan line point ({x:g}, {y:g}) is outside the {cols}x{rows} image")
    points = int(np.hypot(x1 - x0, y1 - y0)) + 1
    if points < 2:
        raise DataError(f"{src}: scan line {line} is shorter than two pixels")
    ys, xs = np.linspace(y0, y1, points), np.linspace(x0, x1, points)
    coords = np.stack([np.repeat(np.arange(frames), points), np.tile(ys, frames), np.tile(xs, frames)])
    return map_coordinates(cine, coords, order=1).reshape(frames, points).astype(np.float32)
