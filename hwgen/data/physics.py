"""The A-line physics shared by every task: scatterers -> RF -> envelope -> display.

Lines are processed in batches of shape (lines, samples); nothing loops over RF samples in Python.

Conventions
- Scene: a complex *phasor reflectivity* on the RF sample grid. A scatterer at round-trip delay tau with
  amplitude a adds ``a * exp(-2j*pi*fc*tau)`` to the sample nearest tau. The phase is exact; only the
  pulse envelope's position is rounded to one sample (the envelope spans ~10 samples at fs = 4 fc),
  so sub-wavelength motion changes the speckle smoothly, as it does on a scanner.
- RF: the scene convolved with a Gaussian-windowed pulse at fc (fractional bandwidth ~75 %), real part.
- Envelope: the magnitude of the analytic signal, computed with an FFT Hilbert transform.
- Display: time-gain compensation, decimation to depth bins, log compression to a dynamic range,
  scaled to [0, 1] (0 = -dynamic range dB, 1 = 0 dB).
"""

from __future__ import annotations

import numpy as np
from scipy import fft as sfft

SPEED_OF_SOUND = 1540.0  # m/s, soft tissue
# Attenuation at 1 MHz in dB/cm (scales ~linearly with frequency); PMC10001275 via domain-facts.md.
ATTENUATION_DB_CM_MHZ = {
    "liver": 0.50, "heart": 0.52, "skin": 0.35, "fat": 0.63, "muscle": 1.1, "blood": 0.18,
    "fluid": 0.0022, "bone": 15.0, "lung": 40.0, "soft_tissue": 0.5,
}
TGC_DB_CM_MHZ = 0.5        # the scanner's TGC assumes average soft tissue
TGC_MAX_DB = 50.0          # depth-gain range of the receiver
FRACTIONAL_BANDWIDTH = 0.75
SCATTERERS_PER_CELL = 10   # fully developed speckle
FULL_SCALE_DB = 24.0       # display full scale above the tissue speckle RMS (at 0 dB gain)


def envelope_sigma_s(fc: float, bandwidth: float = FRACTIONAL_BANDWIDTH) -> float:
    """Standard deviation (s) of the Gaussian pulse envelope whose -6 dB bandwidth is bandwidth*fc."""
    sigma_f = bandwidth * fc / (2.0 * np.sqrt(2.0 * np.log(2.0)))
    return 1.0 / (2.0 * np.pi * sigma_f)


def resolution_cell_samples(fc: float, fs: float, bandwidth: float = FRACTIONAL_BANDWIDTH) -> float:
    """Axial resolution cell in samples: the -6 dB (FWHM) duration of the pulse envelope."""
    return 2.0 * np.sqrt(2.0 * np.log(2.0)) * envelope_sigma_s(fc, bandwidth) * fs


def gaussian_pulse(fc: float, fs: float, bandwidth: float = FRACTIONAL_BANDWIDTH) -> np.ndarray:
    """The transmitted RF pulse sampled at fs (for plots and tests): a Gaussian-windowed cosine."""
    sigma = envelope_sigma_s(fc, bandwidth)
    t = np.arange(-4 * sigma, 4 * sigma + 0.5 / fs, 1.0 / fs)
    return np.exp(-0.5 * (t / sigma) ** 2) * np.cos(2 * np.pi * fc * t)


def n_samples(depth_m: float, fs: float) -> int:
    """RF samples needed to image down to depth_m."""
    return int(np.ceil(2.0 * depth_m / SPEED_OF_SOUND * fs))


def sample_depths(n: int, fs: float) -> np.ndarray:
    """Depth (m) of each RF sample."""
    return np.arange(n) * SPEED_OF_SOUND / (2.0 * fs)


def scatterers(rng: np.random.Generator, shape: tuple[int, ...], fc: float, fs: float,
               per_cell: float = SCATTERERS_PER_CELL, bandwidth: float = FRACTIONAL_BANDWIDTH) -> np.ndarray:
    """Phasor reflectivity of randomly placed scatterers with Rayleigh amplitudes (unit scale).

    shape is (..., samples); the last axis is depth. Each independent line gets a Poisson number of
    scatterers at uniformly random continuous delays, per_cell of them per resolution cell on average.
    """
    *lead, n = shape
    n_lines = int(np.prod(lead)) if lead else 1
    density = per_cell / resolution_cell_samples(fc, fs, bandwidth)
    count = rng.poisson(density * n * n_lines)
    pos = rng.random(count) * n                       # continuous sample position
    line = rng.integers(0, n_lines, count)
    amp = rng.rayleigh(1.0, count)
    phase = -2.0 * np.pi * (fc / fs) * pos            # exp(-2j pi fc tau), tau = pos / fs
    flat = line * n + np.minimum(np.rint(pos).astype(np.int64), n - 1)
    re = np.bincount(flat, amp * np.cos(phase), minlength=n_lines * n)
    im = np.bincount(flat, amp * np.sin(phase), minlength=n_lines * n)
    return (re + 1j * im).astype(np.complex64).reshape(shape)


def tissue_power(fc: float, fs: float, per_cell: float = SCATTERERS_PER_CELL,
                 bandwidth: float = FRACTIONAL_BANDWIDTH) -> float:
    """Mean |reflectivity|^2 per sample of the default scatterer field (Rayleigh scale 1: E[a^2] = 2)."""
    return 2.0 * per_cell / resolution_cell_samples(fc, fs, bandwidth)


def gaussian_speckle(rng: np.random.Generator, shape: tuple[int, ...], fc: float, fs: float,
                     bandwidth: float = FRACTIONAL_BANDWIDTH) -> np.ndarray:
    """A circular complex Gaussian field with the same power as `scatterers`: the many-scatterer limit.

    Used for diffuse fields that are redrawn often (blood, sub-pleural reverberation); its envelope is
    exactly Rayleigh, and it costs one normal draw per sample instead of several per scatterer.
    """
    scale = np.sqrt(tissue_power(fc, fs, bandwidth=bandwidth) / 2.0)
    z = rng.standard_normal(shape + (2,), dtype=np.float32) * np.float32(scale)
    return z.view(np.complex64)[..., 0]


def specular_amplitude(db_over_speckle, fc: float, fs: float, bandwidth: float = FRACTIONAL_BANDWIDTH):
    """Point-reflector amplitude whose echo peak is db_over_speckle above the tissue speckle RMS envelope."""
    sigma_n = envelope_sigma_s(fc, bandwidth) * fs
    g_peak = 1.0 / (np.sqrt(2 * np.pi) * sigma_n)
    return speckle_rms(fc, fs, bandwidth) / g_peak * 10.0 ** (np.asarray(db_over_speckle, dtype=np.float64) / 20.0)


def speckle_rms(fc: float, fs: float, bandwidth: float = FRACTIONAL_BANDWIDTH) -> float:
    """RMS envelope of tissue speckle (before attenuation/TGC): the 0 dB of specular_amplitude."""
    sigma_n = envelope_sigma_s(fc, bandwidth) * fs
    return float(np.sqrt(tissue_power(fc, fs, bandwidth=bandwidth) / (2 * np.sqrt(np.pi) * sigma_n)))


def add_point_reflectors(scene: np.ndarray, pos: np.ndarray, amp: np.ndarray, fc: float, fs: float) -> None:
    """Add specular reflectors in place: per-line sample positions pos (lines, k), amplitudes amp (lines, k)."""
    n_lines, n = scene.shape
    pos = np.asarray(pos, dtype=np.float64)
    amp = np.broadcast_to(np.asarray(amp, dtype=np.float64), pos.shape)
    keep = (pos >= 0) & (pos < n - 0.5)
    line = np.broadcast_to(np.arange(n_lines)[:, None], pos.shape)[keep]
    p = pos[keep]
    phasor = amp[keep] * np.exp(-2j * np.pi * (fc / fs) * p)
    flat = line * n + np.rint(p).astype(np.int64)
    if len(flat) * 8 < scene.size:      # few reflectors: scatter-add in place
        np.add.at(scene.reshape(-1), flat, phasor.astype(np.complex64))
    else:                                # many (moving tissue): one pass of bincount is much faster
        re = np.bincount(flat, phasor.real, minlength=scene.size)
        im = np.bincount(flat, phasor.imag, minlength=scene.size)
        scene += (re + 1j * im).astype(np.complex64).reshape(scene.shape)


def point_reflectors(n_lines: int, n: int, pos: np.ndarray, amp: np.ndarray, fc: float, fs: float) -> np.ndarray:
    """Phasor reflectivity (lines, samples) of specular reflectors at per-line positions pos (lines, k)."""
    scene = np.zeros((n_lines, n), dtype=np.complex64)
    add_point_reflectors(scene, pos, amp, fc, fs)
    return scene


def shift_lines(field: np.ndarray, shift: np.ndarray, fc: float, fs: float) -> np.ndarray:
    """Move a phasor field deeper by shift (samples, one per line; float): rigid axial motion.

    field is (samples,) (the same for every line) or (lines, samples). The integer part moves the
    samples, the full shift sets the phase, so sub-sample motion is exact in phase. Lines are grouped
    by integer shift (motion is small, so there are few groups).
    """
    shift = np.asarray(shift, dtype=np.float64)
    n = field.shape[-1]
    k_all = np.rint(shift).astype(np.int64)
    out = np.zeros((len(shift), n), dtype=np.complex64)
    for k in np.unique(k_all):
        rows = np.flatnonzero(k_all == k)
        src = field if field.ndim == 1 else field[rows]
        if abs(k) >= n:
            continue
        if k >= 0:
            out[rows, k:] = src[..., :n - k]
        else:
            out[rows, :n + k] = src[..., -k:]
    out *= np.exp(-2j * np.pi * (fc / fs) * shift).astype(np.complex64)[:, None]
    return out


def _fft_len(n: int, fc: float, fs: float) -> int:
    pad = int(np.ceil(6 * envelope_sigma_s(fc) * fs)) + 1   # no circular wrap of the pulse tails
    return sfft.next_fast_len(n + pad)


def echo_rf(scene: np.ndarray, fc: float, fs: float, bandwidth: float = FRACTIONAL_BANDWIDTH) -> np.ndarray:
    """RF lines: the phasor scene convolved with the Gaussian-windowed pulse at fc (real, float32).

    The convolution runs in the frequency domain on the complex baseband, then the carrier is applied.
    """
    n = scene.shape[-1]
    m = _fft_len(n, fc, fs)
    freqs = sfft.fftfreq(m, d=1.0 / fs)
    sigma = envelope_sigma_s(fc, bandwidth)
    # Spectrum of the sampled Gaussian envelope, centred (non-causal pulse: echoes peak at their delay).
    g_spec = np.exp(-0.5 * (2 * np.pi * freqs * sigma) ** 2).astype(np.complex64)
    spec = sfft.fft(scene, n=m, axis=-1)
    spec *= g_spec
    base = sfft.ifft(spec, axis=-1, overwrite_x=True)[..., :n]
    carrier = np.exp(2j * np.pi * fc * np.arange(n) / fs).astype(np.complex64)
    return (base * carrier).real.astype(np.float32)


def envelope(rf: np.ndarray) -> np.ndarray:
    """Envelope of RF lines: magnitude of the analytic signal (FFT Hilbert transform along the last axis).

    The transform is zero-padded to twice the line: an FFT Hilbert transform is circular, and without
    padding the bright near field (skin, pleura) leaks into the last samples at about -64 dB, which the
    TGC then lifts by 30 dB or more - a bright band at the bottom of every image, even under a bone
    shadow. Padded, the leak is below -115 dB.
    """
    n = rf.shape[-1]
    m = sfft.next_fast_len(2 * n)
    spec = sfft.rfft(rf, n=m, axis=-1)
    # Analytic signal spectrum: positive frequencies doubled, negative ones zero.
    weights = np.zeros(m, dtype=np.float32)
    weights[0] = 1.0
    half = spec.shape[-1]
    weights[1:half] = 2.0
    if m % 2 == 0:
        weights[half - 1] = 1.0
    spec *= weights[:half]
    return np.abs(sfft.ifft(spec, n=m, axis=-1, overwrite_x=True)[..., :n]).astype(np.float32)


def attenuation_gain(alpha_db_cm_mhz: np.ndarray, fc: float, fs: float) -> np.ndarray:
    """Round-trip amplitude factor at each sample for a per-sample attenuation (dB/cm/MHz) at fc."""
    dz_cm = SPEED_OF_SOUND / (2.0 * fs) * 100.0
    one_way_db = np.cumsum(alpha_db_cm_mhz, axis=-1) * dz_cm * (fc / 1e6)
    return (10.0 ** (-2.0 * one_way_db / 20.0)).astype(np.float32)


def tgc_gain(n: int, fc: float, fs: float, db_cm_mhz: float = TGC_DB_CM_MHZ) -> np.ndarray:
    """Time-gain compensation: the scanner undoes the round-trip loss of average soft tissue, up to
    the receiver's depth-gain range (TGC_MAX_DB); deeper, receiver noise is not lifted any further."""
    depth_cm = sample_depths(n, fs) * 100.0
    db = np.minimum(2.0 * db_cm_mhz * (fc / 1e6) * depth_cm, TGC_MAX_DB)
    return (10.0 ** (db / 20.0)).astype(np.float32)


def decimate(env: np.ndarray, fs: float, depth_m: float, bins: int) -> np.ndarray:
    """Average the envelope into `bins` equal depth bins covering [0, depth_m] (anti-aliased decimation)."""
    n = env.shape[-1]
    edges = np.clip(np.rint(np.linspace(0, n_samples(depth_m, fs), bins + 1)).astype(np.int64), 0, n)
    starts = np.minimum(edges[:-1], n - 1)
    sums = np.add.reduceat(env, starts, axis=-1)
    counts = np.maximum(np.diff(edges), 1)    # the last bin ends at n: it sums exactly `counts` samples
    return (sums / counts).astype(np.float32)


def log_compress(env: np.ndarray, reference: float, dynamic_range_db: float) -> np.ndarray:
    """20 log10(env / reference), clipped to [-dynamic range, 0] dB and scaled to [0, 1]."""
    db = 20.0 * np.log10(np.maximum(env, 1e-12) / reference)
    return ((np.clip(db, -dynamic_range_db, 0.0) + dynamic_range_db) / dynamic_range_db).astype(np.float32)


def display(scene: np.ndarray, *, fc: float, fs: float, depth_m: float, bins: int, gain_db: float,
            dynamic_range_db: float, noise: np.ndarray | None = None, bandwidth: float = FRACTIONAL_BANDWIDTH,
            tgc_db_cm_mhz: float = TGC_DB_CM_MHZ) -> np.ndarray:
    """The scanner's receive chain: RF, (+ electronic noise), Hilbert envelope, TGC, decimation, log.

    0 dB is the receiver's full scale, FULL_SCALE_DB above the tissue speckle RMS; gain_db (the gain
    knob) lifts everything towards it, so high gain saturates the brightest echoes as on a scanner.
    """
    rf = echo_rf(scene, fc, fs, bandwidth)
    if noise is not None:
        rf += noise
    env = envelope(rf)
    env *= tgc_gain(rf.shape[-1], fc, fs, tgc_db_cm_mhz)
    dec = decimate(env, fs, depth_m, bins)
    reference = speckle_rms(fc, fs, bandwidth) * 10.0 ** ((FULL_SCALE_DB - gain_db) / 20.0)
    return log_compress(dec, reference, dynamic_range_db)
