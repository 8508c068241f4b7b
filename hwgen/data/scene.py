"""Building one example's phasor scene: the acquisition grid, tissue layers, moving patterns, slow-time helpers.

Every task generator (lung, cardiac, aline) builds its scene here and renders it through the shared
receive chain in `physics.display`. Amplitudes of specular echoes are in dB over the tissue speckle RMS.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from hwgen.data import physics as ph

CM = 1e-2
MM = 1e-3


# -- slow-time helpers ----------------------------------------------------------------------------

def smooth_noise(rng: np.random.Generator, t: np.ndarray, fmax: float, n: int = 6) -> np.ndarray:
    """A smooth random wiggle with unit RMS: a sum of n random sinusoids below fmax (probe jitter)."""
    freqs = rng.uniform(0.2, fmax, n)
    phases = rng.uniform(0, 2 * np.pi, n)
    w = np.sin(2 * np.pi * freqs[:, None] * t[None, :] + phases[:, None]).sum(0)
    return w / np.sqrt(n / 2.0)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


def window(t: np.ndarray, start: float, length: float, edge: float) -> np.ndarray:
    """A soft 0..1 pulse over [start, start + length] with logistic edges `edge` wide."""
    return sigmoid((t - start) / edge) * sigmoid((start + length - t) / edge)


# -- the scene ------------------------------------------------------------------------------------------

class Scene:
    """One example's acquisition: probe settings, depth grid, and the phasor scene being built."""

    def __init__(self, fc: float, depth_cm: float, n_lines: int, line_rate: float,
                 bandwidth: float = ph.FRACTIONAL_BANDWIDTH):
        self.fc = fc
        self.fs = 4.0 * fc
        self.bw = bandwidth
        self.depth_m = depth_cm * CM
        self.n = ph.n_samples(self.depth_m, self.fs)
        self.z = ph.sample_depths(self.n, self.fs)
        self.t = np.arange(n_lines) / line_rate if line_rate > 0 else np.zeros(n_lines)
        self.n_lines = n_lines
        self.scene = np.zeros((n_lines, self.n), dtype=np.complex64)

    def samples(self, depth_m) -> np.ndarray:
        """Sample position (float) of a depth (m)."""
        return np.asarray(depth_m) * 2.0 * self.fs / ph.SPEED_OF_SOUND

    @property
    def cell(self) -> float:
        """Axial resolution cell in samples."""
        return ph.resolution_cell_samples(self.fc, self.fs, self.bw)

    def mask(self, top_m, bottom_m, edge_m: float = 0.3 * MM) -> np.ndarray:
        """Soft 0..1 window over depth between top and bottom, with linear edges edge_m wide.

        top/bottom are scalars or per-line arrays (then the mask is (lines, samples))."""
        top = np.asarray(top_m, dtype=np.float32)[..., None] if np.ndim(top_m) else np.float32(top_m)
        bot = np.asarray(bottom_m, dtype=np.float32)[..., None] if np.ndim(bottom_m) else np.float32(bottom_m)
        z = self.z.astype(np.float32)
        inv = np.float32(1.0 / edge_m)
        up = np.clip((z - top) * inv + 0.5, 0, 1)
        up *= np.clip((bot - z) * inv + 0.5, 0, 1)
        return up

    def speckle(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        """A diffuse Gaussian speckle field of tissue power (physics.gaussian_speckle at this probe)."""
        return ph.gaussian_speckle(rng, shape, self.fc, self.fs, self.bw)

    def scatterers(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return ph.scatterers(rng, shape, self.fc, self.fs, bandwidth=self.bw)

    def shift(self, field: np.ndarray, shift_samples: np.ndarray) -> np.ndarray:
        return ph.shift_lines(field, shift_samples, self.fc, self.fs)

    def add_reflectors(self, depth_m: np.ndarray, db: np.ndarray) -> None:
        """Specular echoes at per-line depths (lines, k) with levels in dB over speckle (scalar, (k,) or (lines, k))."""
        depth_m = np.atleast_2d(np.asarray(depth_m, dtype=np.float64))
        if depth_m.shape[0] != self.n_lines:
            depth_m = np.broadcast_to(depth_m.reshape(1, -1), (self.n_lines, depth_m.size))
        amp = np.broadcast_to(ph.specular_amplitude(db, self.fc, self.fs, self.bw), depth_m.shape)
        ph.add_point_reflectors(self.scene, self.samples(depth_m), amp, self.fc, self.fs)

    def render(self, rng: np.random.Generator, *, bins: int, gain_db: float, dynamic_range_db: float,
               noise_db: float, attenuation: np.ndarray, tgc_db_cm_mhz: float = ph.TGC_DB_CM_MHZ) -> np.ndarray:
        """Attenuate, add receiver noise (noise_db relative to tissue speckle), run the receive chain."""
        self.scene *= ph.attenuation_gain(attenuation, self.fc, self.fs)
        noise_std = ph.speckle_rms(self.fc, self.fs, self.bw) * 10 ** (noise_db / 20) / np.sqrt(2.0)
        noise = rng.standard_normal(self.scene.shape, dtype=np.float32) * np.float32(noise_std)
        return ph.display(self.scene, fc=self.fc, fs=self.fs, depth_m=self.depth_m, bins=bins,
                          gain_db=gain_db, dynamic_range_db=dynamic_range_db, noise=noise,
                          bandwidth=self.bw, tgc_db_cm_mhz=tgc_db_cm_mhz)


def layered_tissue(rng: np.random.Generator, sc: Scene, layers: list[tuple[float, float, float]]) -> np.ndarray:
    """Static 1-D scatterer field with an echogenicity per layer: [(top_m, bottom_m, amplitude), ...]."""
    field = sc.scatterers(rng, (sc.n,))
    gain = np.zeros(sc.n, dtype=np.float32)
    for top, bottom, amp in layers:
        gain += amp * sc.mask(top, bottom)
    return field * gain


def coarsen(field: np.ndarray, sigma: float) -> np.ndarray:
    """Low-pass a white phasor field along depth (last axis) by a Gaussian of sigma samples, same power.

    A coarser grain than the pulse alone gives (sub-pleural reverberation 'sand' of a few cells)."""
    if sigma < 0.3:
        return field
    out = gaussian_filter1d(field.real, sigma, axis=-1) + 1j * gaussian_filter1d(field.imag, sigma, axis=-1)
    return (out * np.sqrt(2 * np.sqrt(np.pi) * sigma)).astype(np.complex64)


def moving_pattern(rng: np.random.Generator, sc: Scene, cols: np.ndarray, profile: np.ndarray, *,
                   grain: float = 0.0, slant: float = 0.0) -> np.ndarray:
    """Lines through a diffuse field that moves past the beam.

    cols is the distance travelled at each line in half correlation lengths (the beam width). The
    field's columns are smoothed over one column, so linear interpolation between them stays smooth.
    grain coarsens it along depth (samples, see `coarsen`); slant (columns per sample of depth) samples
    it along a line tilted from the beam axis, as an anatomical M-mode's scan line may be. Only depths
    where profile > 0 are simulated.
    """
    first = int(np.argmax(profile > 1e-4))
    depth_cols = slant * np.arange(sc.n - first)
    n_cols = int(np.ceil(cols[-1] + (depth_cols[-1] if len(depth_cols) else 0))) + 6
    field = coarsen(sc.speckle(rng, (n_cols, sc.n - first)), grain) * profile[first:]
    field = gaussian_filter1d(field.real, 1.0, axis=0) + 1j * gaussian_filter1d(field.imag, 1.0, axis=0)
    field = (field * np.sqrt(2 * np.sqrt(np.pi) * 1.0)).astype(np.complex64)   # restore unit power
    out = np.zeros((len(cols), sc.n), dtype=np.complex64)
    if slant == 0.0:
        i0 = np.floor(cols).astype(int) + 3
        w = (cols - np.floor(cols)).astype(np.float32)[:, None]
        out[:, first:] = field[i0] * (1 - w)
        out[:, first:] += field[i0 + 1] * w
        return out
    pos = cols[:, None] + depth_cols[None, :]
    i0 = np.floor(pos).astype(int) + 3
    w = (pos - np.floor(pos)).astype(np.float32)
    d = np.arange(sc.n - first)[None, :]
    out[:, first:] = field[i0, d] * (1 - w) + field[i0 + 1, d] * w
    return out


def moving_slab(rng: np.random.Generator, sc: Scene, top: np.ndarray, bottom: np.ndarray, amp: float,
                thickness_ed: float) -> None:
    """Add a tissue slab whose scatterers follow its moving top/bottom boundaries (per line, m)."""
    count = rng.poisson(ph.SCATTERERS_PER_CELL * sc.samples(thickness_ed) / sc.cell)
    u = rng.random(count)                       # material coordinate in the slab
    a = rng.rayleigh(1.0, count) * amp
    depth = top[:, None] + u[None, :] * (bottom - top)[:, None]
    ph.add_point_reflectors(sc.scene, sc.samples(depth), np.broadcast_to(a, depth.shape), sc.fc, sc.fs)
