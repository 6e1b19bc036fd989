"""Which CAD format a file is: the extension must name it and the first bytes must show it."""

from __future__ import annotations

import re
import struct

from custos.kernel.errors import ValidationFailed

EXTENSIONS = {".step": "STEP", ".stp": "STEP", ".iges": "IGES", ".igs": "IGES", ".stl": "STL", ".obj": "OBJ"}
SNIFF_BYTES = 64 * 1024
_OBJ_LINE = re.compile(rb"^(v|vt|vn|vp|f|l|p|o|g|s|mtllib|usemtl|#)(\s|$)")


class InvalidFileFormat(ValidationFailed):
    code = "INVALID_FILE_FORMAT"
    default_message = "Unsupported file format"


def _refuse(message: str) -> InvalidFileFormat:
    return InvalidFileFormat(message, field_errors={"file": [message]})


def extension_format(filename: str) -> str:
    """The format the file name's extension names (400 for any other)."""
    lowered = (filename or "").lower()
    dot = lowered.rfind(".")
    fmt = EXTENSIONS.get(lowered[dot:]) if dot >= 0 else None
    if fmt is None:
        allowed = ", ".join(sorted(EXTENSIONS))
        raise _refuse(f"Unsupported file type '{filename}'. Allowed: {allowed}.")
    return fmt


def _is_step(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"ISO-10303-21")


def _is_iges(head: bytes) -> bool:
    lines = head.splitlines()
    if not lines:
        return False
    first = lines[0].rstrip(b"\r\n")
    # Fixed 80-column records: column 73 names the section (S start, G global), 74-80 the sequence.
    return len(first) >= 80 and first[72:73] in (b"S", b"G") and first[73:80].strip().isdigit()


def _is_binary_stl(head: bytes, size: int) -> bool:
    if size < 84 or len(head) < 84:
        return False
    (count,) = struct.unpack_from("<I", head, 80)
    return count > 0 and size == 84 + 50 * count


def _is_ascii_stl(head: bytes) -> bool:
    text = head.lstrip()
    return text[:5].lower() == b"solid" and (b"facet" in text or b"endsolid" in text)


def _is_obj(head: bytes) -> bool:
    lines = [line.strip() for line in head.splitlines()[:-1] or head.splitlines() if line.strip()]
    if not lines:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # a cut in the middle of a multi-byte character at the end of the sample is fine
        try:
            head[:-4].decode("utf-8")
        except UnicodeDecodeError:
            return False
    if not all(_OBJ_LINE.match(line) for line in lines):
        return False
    return any(line.startswith(b"v ") for line in lines)


def sniff(filename: str, head: bytes, size: int) -> str:
    """The format of a file named ``filename`` whose first bytes are ``head`` and length ``size``;
    400 ``INVALID_FILE_FORMAT`` when the content is not what the extension says."""
    fmt = extension_format(filename)
    if size == 0:
        raise _refuse("The file is empty.")
    matches = {
        "STEP": lambda: _is_step(head),
        "IGES": lambda: _is_iges(head),
        "STL": lambda: _is_binary_stl(head, size) or _is_ascii_stl(head),
        "OBJ": lambda: _is_obj(head),
    }[fmt]()
    if not matches:
        raise _refuse(f"The content of '{filename}' is not a valid {fmt} file.")
    return fmt
