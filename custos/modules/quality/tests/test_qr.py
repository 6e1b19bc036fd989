"""The certification QR code: byte for byte what segno draws with its own mask choice, only faster."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest
import segno

from custos.modules.quality.analysis import qr_png_base64
from custos.modules.quality.analysis.qr import best_mask, penalties, qr_png


def _segno_png(text: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=4, border=2)
    return buffer.getvalue()


# SHA-256 digests (the certification hashes, version 5), short and long texts (other versions, version
# information from version 7 on).
# "xxxx3" and "SAMPLE-3" are symbols where segno picks masks 0 and 1 (never chosen for the hashes here).
TEXTS = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(120)] + [
    "A",
    "xxxx3",
    "SAMPLE-3",
    "x" * 120,
    "q" * 300,
]


@pytest.mark.parametrize("text", TEXTS)
def test_the_png_is_segnos(text):
    assert qr_png.__wrapped__(text) == _segno_png(text)


def test_every_mask_is_chosen_somewhere_and_matches_segno():
    chosen = {best_mask(text) for text in TEXTS}
    assert chosen == set(range(8))
    assert all(best_mask(text) == segno.make(text, error="m", micro=False).mask for text in TEXTS[:40])


def test_penalty_rules_on_known_symbols():
    import numpy as np

    # 21x21 all light: N1 = 42 lines x (21 - 2), N2 = 3 x 20 x 20, N3 = 0, N4 = 10 x int(50 / 5)
    blank = np.zeros((1, 21, 21), dtype=np.uint8)
    assert penalties(blank) == [42 * 19 + 3 * 400 + 0 + 100]
    # a checkerboard: no runs, no blocks, no finder-like pattern; 221 of 441 dark -> N4 0
    board = (np.indices((21, 21)).sum(axis=0) % 2 == 0).astype(np.uint8)[None]
    assert penalties(board) == [0]


def test_base64_and_cache():
    text = TEXTS[0]
    assert base64.b64decode(qr_png_base64(text)) == _segno_png(text)
    assert qr_png(text) is qr_png(text)
