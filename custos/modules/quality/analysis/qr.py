"""The certification QR code, byte for byte what ``segno.make(text, error="m", micro=False)`` draws, faster.

segno chooses the data mask by applying each of the eight masks and scoring the result (ISO/IEC 18004
7.8.3, penalties N1-N4) in pure Python, and writes the PNG module by module: about 15 ms a code, for every
stored sample (``sensor_update`` carries the QR code). Here segno's own functions build the message (data
and error correction codewords, the steps of its encoder before it draws a matrix); where its codeword
placement puts each message bit is learnt once per version from segno's ``add_codewords`` and kept, so the
unmasked symbol is one numpy assignment. The eight masked symbols are derived with numpy (masks differ
only by an XOR on the encoding region) and scored exactly as segno scores them (same rules, same quirks,
same tie-break: the first lowest; the 1:1:3:1:1 rule vectorised, segno's scan kept for the rare lines
where two such patterns overlap); the chosen symbol gets its format and version information from segno's
encoder and is written as segno writes a PNG (greyscale, 1 bit, filter 0 rows then "Up" rows for the
scale, zlib level 9) with numpy. About 1.5 ms on an idle core (3 ms before the placement map and the
vectorised rule). ``tests/test_qr.py`` checks the bytes are identical to ``segno.make(...).save(kind="png")``.

The layout of a symbol (which modules are function patterns, which were reserved for format and
version information while masks are evaluated) comes from segno's encoder, so both agree by construction.
"""

from __future__ import annotations

import struct
import zlib
from functools import cache, lru_cache
from typing import Any

import numpy as np
from segno import consts, encoder

ERROR = "m"
N3_PATTERN = bytes((1, 0, 1, 1, 1, 0, 1))
N3_CODE = int("".join(map(str, N3_PATTERN)), 2)


@cache
def _layout(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a ``size`` x ``size`` symbol: the encoding region, the modules blank while masks are evaluated
    (format, version and dark module: written after the choice) and the eight mask patterns."""
    function = encoder.make_matrix(size, size)
    encoder.add_finder_patterns(function, size, size)
    encoder.add_alignment_patterns(function, size, size)
    function[-8][8] = 0x1
    encoding = np.array([list(row) for row in function], dtype=np.uint8) > 1
    reserved = np.array([list(row) for row in encoder.make_matrix(size, size, add_timing=False)]) == 0
    reserved[6, :] = False  # the timing pattern is drawn over the reserved cells it crosses
    reserved[:, 6] = False
    i, j = np.indices((size, size))
    patterns = np.stack(
        [np.vectorize(mask, otypes=[bool])(i, j) for mask in encoder.get_data_mask_functions(is_micro=False)]
    ).astype(np.uint8)
    return encoding, reserved, patterns


def _n3(line: bytes, size: int) -> int:
    """segno's finder-like pattern penalty for one row or column (``encoder.mask_scores``)."""
    count = 0
    idx = line.find(N3_PATTERN)
    while idx != -1:
        offset = idx + 7
        if (
            idx in (0, size - 7)
            or not any(line[max(idx - 4, 0) : min(idx, size)])
            or not any(line[max(offset, 0) : min(offset + 4, size)])
        ):
            count += 40
        else:
            offset = idx + 4
        idx = line.find(N3_PATTERN, offset)
    return count


def penalties(symbols: np.ndarray) -> list[int]:
    """The penalty N1 + N2 + N3 + N4 of each of ``symbols`` (k x n x n of 0/1), as segno computes it."""
    count, size, _ = symbols.shape
    lines = np.concatenate([symbols, symbols.transpose(0, 2, 1)], axis=1)  # rows, then columns
    # N1: runs of five or more same-coloured modules in a line score (length - 2).
    separated = np.concatenate([lines, np.full((count, 2 * size, 1), 2, dtype=np.uint8)], axis=2).reshape(-1)
    change = np.empty(separated.size, dtype=bool)
    change[0] = True
    np.not_equal(separated[1:], separated[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    lengths = np.diff(np.append(starts, separated.size))
    long_runs = lengths >= 5
    owner = starts[long_runs] // (2 * size * (size + 1))
    n1 = np.bincount(owner, weights=lengths[long_runs] - 2, minlength=count)
    # N2: every 2x2 block of one colour scores 3.
    top_left = symbols[:, :-1, :-1]
    block = (top_left == symbols[:, :-1, 1:]) & (top_left == symbols[:, 1:, :-1]) & (top_left == symbols[:, 1:, 1:])
    n2 = 3 * block.sum(axis=(1, 2))
    # N3: 1:1:3:1:1 patterns, 40 each where segno's scan counts them: at either end of the line, or with
    # no dark module in the four before or the four after. segno resumes its search after a counted
    # pattern, skipping one overlapping it (4 or 6 modules on): lines with overlapping patterns get its scan.
    starts = size - 6
    code = np.zeros((count, 2 * size, starts), dtype=np.int16)
    for offset in range(7):
        code = (code << 1) | lines[:, :, offset : offset + starts]
    found = code == N3_CODE
    dark = np.zeros((count, 2 * size, size + 1), dtype=np.int16)
    np.cumsum(lines, axis=2, out=dark[:, :, 1:])
    at = np.arange(starts)
    before = dark[:, :, at] - dark[:, :, np.maximum(at - 4, 0)]
    after = dark[:, :, np.minimum(at + 11, size)] - dark[:, :, at + 7]
    counted = found & ((at == 0) | (at == size - 7) | (before == 0) | (after == 0))
    overlapping = (found[:, :, :-4] & found[:, :, 4:]).any(axis=2) | (found[:, :, :-6] & found[:, :, 6:]).any(axis=2)
    n3 = (40 * (counted & ~overlapping[:, :, None]).sum(axis=(1, 2))).tolist()
    for symbol, line in zip(*np.nonzero(overlapping), strict=True):
        n3[symbol] += _n3(lines[symbol, line].tobytes(), size)
    # N4: the share of dark modules, by steps of 5 % away from half.
    dark = symbols.sum(axis=(1, 2), dtype=np.int64)
    scores: list[int] = []
    for k in range(count):
        percent = float(dark[k]) / (size**2)
        n4 = 10 * int(abs(percent * 100 - 50) / 5)
        scores.append(int(n1[k]) + int(n2[k]) + n3[k] + n4)
    return scores


def _message(text: str) -> tuple[int, int, bytes]:
    """segno's version, error level (``error="m"``, boosted as segno boosts it) and final message bits (data
    and error correction codewords interleaved, remainder bits included) for ``text``: the steps of
    ``segno.encoder._encode`` before it draws the matrix, each one segno's own function."""
    segments = encoder.prepare_data(text, None, None)
    error = encoder.normalize_errorlevel(ERROR)
    version = encoder.find_version(segments, error, eci=False, micro=False)
    error = encoder.boost_error_level(version, error, segments, False)
    buff = encoder.Buffer()
    ver_range = encoder.version_range(version)
    for segment in segments:
        encoder.write_segment(buff, segment, None, ver_range, False)
    capacity: int = consts.SYMBOL_CAPACITY[version][error]  # type: ignore[index]
    encoder.write_terminator(buff, capacity, None, len(buff))
    encoder.write_padding_bits(buff, version, len(buff))
    encoder.write_pad_codewords(buff, version, capacity, len(buff))
    return version, error, bytes(encoder.make_final_message(version, error, buff).getbits())


def _drawn(version: int, bits: Any) -> np.ndarray:
    """The unmasked matrix segno draws for ``version`` with the message ``bits`` (0/1 sequence)."""
    size = encoder.calc_matrix_size(version)
    matrix = encoder.make_matrix(size, size)
    encoder.add_finder_patterns(matrix, size, size)
    encoder.add_alignment_patterns(matrix, size, size)
    encoder.add_codewords(matrix, bits, version)
    return np.frombuffer(b"".join(matrix), dtype=np.uint8).reshape(size, size)


@cache
def _placement(version: int, length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where segno's ``add_codewords`` puts each of the ``length`` message bits of a ``version`` symbol
    (flat module indices, in message order), found by placing the bit numbers one binary digit at a
    time; and the matrix with every message bit light and the reserved modules blank."""
    index = np.zeros(encoder.calc_matrix_size(version) ** 2, dtype=np.int64)
    for digit in range(max(1, length - 1).bit_length()):
        drawn = _drawn(version, bytes((k >> digit) & 1 for k in range(length))).reshape(-1)
        index |= (drawn == 1).astype(np.int64) << digit
    blank = _drawn(version, bytes(length))
    encoding, reserved, _ = _layout(len(blank))
    flat_encoding = np.flatnonzero(encoding)
    order = flat_encoding[np.argsort(index[flat_encoding], kind="stable")]
    template = blank.copy()
    template[reserved] = 0
    return order, template, encoding


def _choose(text: str) -> tuple[int, np.ndarray]:
    """The data mask segno's own evaluation chooses for ``text`` and the symbol with that mask."""
    version, error, bits = _message(text)
    order, template, encoding = _placement(version, len(bits))
    size = len(template)
    flat = template.copy().reshape(-1)
    flat[order] = np.frombuffer(bits, dtype=np.uint8)
    unmasked = flat.reshape(size, size)
    patterns = _layout(size)[2]
    symbols = unmasked[None, :, :] ^ (patterns & encoding[None, :, :])
    scores = penalties(symbols)
    mask = scores.index(min(scores))
    final = tuple(bytearray(row.tobytes()) for row in symbols[mask])
    encoder.add_format_info(final, version, error, mask)
    encoder.add_version_info(final, version)
    return mask, np.frombuffer(b"".join(final), dtype=np.uint8).reshape(size, size)


def best_mask(text: str) -> int:
    return _choose(text)[0]


def _chunk(name: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + name + data + struct.pack(">I", zlib.crc32(name + data))


def png(symbol: np.ndarray, *, scale: int, border: int) -> bytes:
    """``symbol`` (1 = dark) as segno's PNG writer writes it with its default colours: greyscale 1 bit
    (0 black), each module row as a filter-0 scanline followed by ``scale - 1`` "Up" scanlines, the quiet
    zone as plain light scanlines."""
    light = np.pad(1 - symbol, ((0, 0), (border, border)), constant_values=1)
    rows = np.packbits(np.repeat(light, scale, axis=1), axis=1)
    width = light.shape[1] * scale
    quiet = (b"\x00" + np.packbits(np.ones(width, dtype=np.uint8)).tobytes()) * (border * scale)
    up = (b"\x02" + bytes(rows.shape[1])) * (scale - 1)
    data = b"".join((quiet, *(b"\x00" + row.tobytes() + up for row in rows), quiet))
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", struct.pack(">2I5B", width, width, 1, 0, 0, 0, 0)),
            _chunk(b"IDAT", zlib.compress(data, 9)),
            _chunk(b"IEND", b""),
        )
    )


@lru_cache(maxsize=2048)
def qr_png(text: str, *, scale: int = 4) -> bytes:
    """A QR code (error correction M, segno's mask choice, border 2) of ``text`` as PNG bytes (cached: a
    sample's code is drawn for its ``sensor_update`` and again for its detail)."""
    return png(_choose(text)[1], scale=scale, border=2)
