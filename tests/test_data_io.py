"""hwgen.data loaders (npz, h5, npy, DICOM M-mode and B-mode cine), bad inputs, and the `hwgen data` CLI."""

import subprocess
import sys

import numpy as np
import pydicom
import pytest
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from hwgen.data import Dataset, load, save, synthesize
from hwgen.errors import DataError

US_IMAGE = "1.2.840.10008.5.1.4.1.1.6.1"
US_MULTIFRAME = "1.2.840.10008.5.1.4.1.1.3.1"


@pytest.fixture(scope="module")
def small():
    return synthesize("lung", 6, seed=2, time=32, depth=16)


def _dicom(path, pixels: np.ndarray, *, sop=US_IMAGE, region=None, frame_time_ms=None, modality="US",
           photometric="MONOCHROME2", pixel_spacing_mm=None, frame_time_vector=None):
    """A tiny uncompressed 8-bit ultrasound DICOM; region = (x0, y0, x1, y1, spatial_format)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = sop, meta.MediaStorageSOPInstanceUID, modality
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.Rows, ds.Columns = pixels.shape[-2:]
    if pixel_spacing_mm:
        ds.PixelSpacing = list(pixel_spacing_mm)
    if pixels.ndim == 3:
        ds.NumberOfFrames = pixels.shape[0]
        if frame_time_ms:
            ds.FrameTime = frame_time_ms
        if frame_time_vector:
            ds.FrameTimeVector = list(frame_time_vector)
    if region is not None:
        item = pydicom.Dataset()
        (item.RegionLocationMinX0, item.RegionLocationMinY0, item.RegionLocationMaxX1,
         item.RegionLocationMaxY1, item.RegionSpatialFormat) = region
        item.RegionDataType = 1
        item.PhysicalUnitsXDirection, item.PhysicalDeltaX = 4, 0.01      # seconds per column
        item.PhysicalUnitsYDirection, item.PhysicalDeltaY = 3, 0.1       # cm per row
        ds.SequenceOfUltrasoundRegions = Sequence([item])
    ds.PixelData = pixels.astype(np.uint8).tobytes()
    ds.save_as(str(path), enforce_file_format=True)
    return path


# -- round trips ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".npz", ".h5"])
def test_save_load_round_trip(tmp_path, small, suffix):
    path = save(small, tmp_path / f"lung{suffix}")
    back = load(path, task="lung")
    assert np.array_equal(back.x, small.x) and np.array_equal(back.y, small.y)
    assert np.array_equal(back.group, small.group)
    assert back.classes == small.classes and back.meta == small.meta and back.params == small.params


def test_npz_keys_are_the_documented_layout(tmp_path, small):
    path = save(small, tmp_path / "lung.npz")
    with np.load(path) as f:
        assert set(f.files) == {"x", "y", "classes", "group", "meta", "params"}
        assert f["x"].dtype == np.float32 and f["y"].dtype == np.int64


def test_unlabelled_data_round_trip(tmp_path, small):
    ds = Dataset(small.x, None, [], small.group)
    assert load(save(ds, tmp_path / "u.npz")).y is None


def test_npy_float_and_uint8(tmp_path):
    x = np.random.default_rng(0).random((3, 20, 8)).astype(np.float32)
    np.save(tmp_path / "f.npy", x)
    ds = load(tmp_path / "f.npy", task="lung")
    assert np.array_equal(ds.x, x) and ds.y is None and ds.classes == ["sliding", "absent", "lung_point"]
    np.save(tmp_path / "u.npy", (x * 255).astype(np.uint8))
    assert np.allclose(load(tmp_path / "u.npy").x, x, atol=1 / 255 + 1e-6)


def test_dicom_mmode_region(tmp_path):
    img = np.zeros((40, 60), dtype=np.uint8)               # rows = depth, columns = time
    img[5:35, 10:50] = np.arange(30)[:, None] * 8          # brightness grows with depth inside the region
    path = _dicom(tmp_path / "m.dcm", img, region=(10, 5, 49, 34, 2))
    ds = load(path)
    assert ds.x.shape == (1, 40, 30)                       # (N, time, depth)
    assert np.allclose(ds.x[0, 0], np.arange(30) * 8 / 255)
    assert ds.meta["line_rate_hz"] == pytest.approx(100.0) and ds.meta["depth_cm"] == pytest.approx(3.0)


def test_dicom_cine_anatomical_mmode(tmp_path):
    frames, rows, cols = 12, 32, 32
    cine = np.zeros((frames, rows, cols), dtype=np.uint8)
    for f in range(frames):                                # a bright dot moving down column 10
        cine[f, 4 + 2 * f, 10] = 255
    path = _dicom(tmp_path / "cine.dcm", cine, sop=US_MULTIFRAME, frame_time_ms=40)
    ds = load(path, line=(10, 0, 10, 31))
    assert ds.x.shape == (1, frames, 32)
    assert np.array_equal(np.argmax(ds.x[0], axis=1), 4 + 2 * np.arange(frames))
    assert ds.meta["line_rate_hz"] == pytest.approx(25.0)


def test_dicom_monochrome1_is_inverted(tmp_path):
    img = np.zeros((20, 30), dtype=np.uint8)
    img[:, :] = np.arange(20)[:, None] * 10                 # MONOCHROME1: 0 is white
    ds = load(_dicom(tmp_path / "m1.dcm", img, region=(0, 0, 29, 19, 2), photometric="MONOCHROME1"))
    assert np.allclose(ds.x[0, 0], 1 - np.arange(20) * 10 / 255)
    assert "MONOCHROME1" in ds.meta["x_scaling"]


def test_dicom_of_another_modality_is_refused_by_name():
    from pydicom.data import get_testdata_file

    path = get_testdata_file("CT_small.dcm")
    with pytest.raises(DataError, match=r"CT_small.dcm: modality 'CT' is not ultrasound \(US\)"):
        load(path)


def test_compressed_dicom_without_its_decoder_names_the_plugin(tmp_path):
    from pydicom.data import get_testdata_file
    from pydicom.pixels import get_decoder

    dcm = pydicom.dcmread(get_testdata_file("JPEGLSNearLossless_08.dcm"))
    if get_decoder(dcm.file_meta.TransferSyntaxUID).is_available:
        pytest.skip("a JPEG-LS decoder plugin is installed here")
    dcm.Modality = "US"
    dcm.save_as(tmp_path / "jls.dcm")
    with pytest.raises(DataError) as err:
        load(tmp_path / "jls.dcm")
    message = str(err.value)
    assert "jls.dcm" in message and "JPEG-LS" in message and "pip install" in message and "pylibjpeg" in message
    assert "corrupt" not in message and "\n" not in message


def test_cine_line_rate_and_depth_from_the_file(tmp_path):
    cine = np.zeros((10, 32, 32), dtype=np.uint8)
    path = _dicom(tmp_path / "cine.dcm", cine, sop=US_MULTIFRAME, pixel_spacing_mm=(0.5, 0.25),
                  frame_time_vector=[0, 20, 20, 20, 20, 20, 20, 20, 20, 20])
    ds = load(path, line=(0, 0, 24, 16))                  # 24 columns x 0.25 mm, 16 rows x 0.5 mm: 10 mm
    assert ds.meta["line_rate_hz"] == pytest.approx(50.0) and ds.meta["depth_cm"] == pytest.approx(1.0)
    from hwgen.data.plot import scales

    assert scales(ds) == (pytest.approx(0.2), pytest.approx(1.0))   # 10 frames at 50/s; 1 cm


def test_mmode_region_gallery_scales(tmp_path):
    img = np.zeros((40, 60), dtype=np.uint8)
    ds = load(_dicom(tmp_path / "m.dcm", img, region=(10, 5, 49, 34, 2)))
    from hwgen.data.plot import scales

    assert scales(ds) == (pytest.approx(0.4), pytest.approx(3.0))   # 40 columns x 10 ms, 30 rows x 1 mm


def test_cli_mmode_from_a_pydicom_cine_then_info(tmp_path):
    from pydicom.data import get_testdata_file

    cine = get_testdata_file("examples_ybr_color.dcm")     # 30-frame ultrasound cine, JPEG, 33.333 ms/frame
    out = tmp_path / "mm.npz"
    r = _hwgen("data", "mmode", cine, "--line", "160,20,160,220", "--out", str(out))
    assert r.returncode == 0, r.stderr
    ds = load(out)
    assert ds.x.shape == (1, 30, 201) and ds.meta["line_rate_hz"] == pytest.approx(30.0, rel=1e-3)
    assert ds.meta["scan_line"] == [160, 20, 160, 220] and ds.meta["modality"] == "US"
    r = _hwgen("data", "info", str(out))
    assert r.returncode == 0 and "line_rate_hz: 30" in r.stdout
    r = _hwgen("data", "mmode", cine, "--out", str(tmp_path / "x.npz"))
    assert r.returncode == 2 and "--line" in r.stderr and not (tmp_path / "x.npz").exists()


def test_float_labels_are_refused(tmp_path):
    x = np.zeros((3, 8, 4), np.float32)
    np.savez(tmp_path / "f.npz", x=x, y=np.array([0.0, 1.5, 2.0]), classes=np.array(["a", "b", "c"]))
    with pytest.raises(DataError, match=r"f.npz: y has dtype float64, expected integer class indices"):
        load(tmp_path / "f.npz")
    np.savez(tmp_path / "wide.npz", x=x, y=np.array([0, 1, 3]), classes=np.array(["a", "b", "c"]))
    with pytest.raises(DataError, match=r"wide.npz: labels span \[0, 3\], expected 0..2"):
        load(tmp_path / "wide.npz")
    np.savez(tmp_path / "s.npz", x=x, y=np.array(["a", "b", "c"]))
    with pytest.raises(DataError, match=r"s.npz: y has dtype <U1"):
        load(tmp_path / "s.npz")


def test_info_states_the_uint8_scaling(tmp_path):
    np.savez(tmp_path / "u8.npz", x=np.full((2, 8, 4), 255, np.uint8))
    r = _hwgen("data", "info", str(tmp_path / "u8.npz"))
    assert r.returncode == 0 and "uint8" in r.stdout and "/ 255" in r.stdout


# -- bad inputs -------------------------------------------------------------------------------------------

def _bad_files(tmp_path):
    np.save(tmp_path / "flat.npy", np.zeros((10, 64), dtype=np.float32))
    nan = np.zeros((2, 8, 8), dtype=np.float32)
    nan[1, 3, 3] = np.nan
    np.save(tmp_path / "nan.npy", nan)
    np.save(tmp_path / "big.npy", np.full((2, 8, 8), 7.0, dtype=np.float32))
    good = synthesize("lung", 3, seed=0, time=16, depth=8)
    raw = save(good, tmp_path / "good.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(raw[: len(raw) // 2])
    dcm = _dicom(tmp_path / "m.dcm", np.full((30, 30), 100, np.uint8), region=(0, 0, 29, 29, 2)).read_bytes()
    (tmp_path / "cut.dcm").write_bytes(dcm[: len(dcm) - 400])
    _dicom(tmp_path / "bmode.dcm", np.full((30, 30), 100, np.uint8), region=(0, 0, 29, 29, 1))
    _dicom(tmp_path / "cine.dcm", np.zeros((4, 16, 16), np.uint8), sop=US_MULTIFRAME)
    (tmp_path / "notes.txt").write_text("hello")
    return {
        "flat.npy": r"x has shape \(10, 64\), expected \(N, time, depth\)",
        "nan.npy": "NaN",
        "big.npy": r"expected \[0, 1\]",
        "cut.npz": "truncated",
        "cut.dcm": "truncated or corrupt DICOM",
        "bmode.dcm": "not an M-mode image",
        "cine.dcm": "give a scan line",
        "notes.txt": "unsupported file type",
    }


def test_bad_files_raise_data_error_naming_the_file(tmp_path):
    for name, problem in _bad_files(tmp_path).items():
        with pytest.raises(DataError, match=problem) as err:
            load(tmp_path / name)
        assert name in str(err.value)


def test_unknown_task_and_mismatched_task(tmp_path, small):
    path = save(small, tmp_path / "lung.npz")
    with pytest.raises(DataError, match="unknown task 'liver'"):
        load(path, task="liver")
    with pytest.raises(DataError, match="not 'cardiac'"):
        load(path, task="cardiac")


def test_cine_line_outside_image(tmp_path):
    path = _dicom(tmp_path / "cine.dcm", np.zeros((4, 16, 16), np.uint8), sop=US_MULTIFRAME)
    with pytest.raises(DataError, match="outside"):
        load(path, line=(0, 0, 40, 5))


# -- CLI ----------------------------------------------------------------------------------------------------

def _hwgen(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "hwgen", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_synth_info_show(tmp_path):
    out = tmp_path / "card.h5"
    r = _hwgen("data", "synth", "--task", "cardiac", "--n", "8", "--seed", "7", "--time", "64", "--out", str(out))
    assert r.returncode == 0, r.stderr
    ds = load(out, task="cardiac")
    assert ds.x.shape == (8, 64, 64) and ds.meta["seed"] == 7
    r = _hwgen("data", "info", str(out))
    assert r.returncode == 0 and "brady" in r.stdout and "line_rate_hz" in r.stdout
    png = tmp_path / "gallery.png"
    r = _hwgen("data", "show", str(out), "--out", str(png), "--per-class", "2")
    assert r.returncode == 0, r.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_cli_bad_inputs_one_line_no_traceback(tmp_path):
    cases = [(("data", "info", str(tmp_path / name)), name) for name in _bad_files(tmp_path)]
    cases += [(("data", "synth", "--task", "kidney", "--n", "2", "--out", str(tmp_path / "k.npz")), "kidney"),
              (("data", "show", str(tmp_path / "cine.dcm"), "--line", "1,2,3"), "--line")]
    for args, needle in cases:
        r = _hwgen(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and needle in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_uint8_npz_is_scaled_and_unlabelled_gallery(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (2, 24, 12)).astype(np.uint8)
    np.savez(tmp_path / "u8.npz", x=x)
    ds = load(tmp_path / "u8.npz")
    assert ds.x.dtype == np.float32 and np.allclose(ds.x, x / 255)
    from hwgen.data.plot import gallery

    png = gallery(ds, tmp_path / "g.png", per_class=2)
    assert png.read_bytes()[:4] == b"\x89PNG"
