"""PyTango's ``EncodedAttribute``: images packed into a ``DevEncoded`` value, and unpacked.

A device returns one from a ``DevEncoded`` attribute's read method (or gives it to
``attr.set_value``); a client decodes what it read with ``extract_as=ExtractAs.Nothing``.  The
formats are cppTango's: ``GRAY8``, ``GRAY16`` and ``RGB24`` start with the width and the height
(16-bit big-endian each), then the pixels row by row (16-bit pixels big-endian).  JPEG
encoding and decoding are not available (they need an image codec); they raise DevFailed.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from ..idl.enums import ErrSeverity, ExtractAs
from ..idl.errors import DevError, DevFailed

__all__ = ["EncodedAttribute"]

_SIZE = struct.Struct(">HH")
_DECODE_MODES = (ExtractAs.Numpy, ExtractAs.String, ExtractAs.Tuple, ExtractAs.List)


def _refused(what: str, origin: str) -> DevFailed:
    return DevFailed(DevError("API_NotSupportedFeature", what, origin, ErrSeverity.ERR))


def _image(data: Any, width: int, height: int, channels: int, dtype: np.dtype, what: str) -> np.ndarray:
    """``data`` as a (height, width[, channels]) array of ``dtype``: a 2-D (or 3-D) sequence, or
    flat bytes with ``width`` and ``height`` given."""
    if isinstance(data, (bytes, bytearray, memoryview, str)):
        raw = data.encode("latin-1") if isinstance(data, str) else bytes(data)
        if not width or not height:
            raise TypeError(f"{what}: width and height are needed with flat data")
        pixels = np.frombuffer(raw, dtype=dtype.newbyteorder("<") if dtype.itemsize > 1 else dtype)
        shape = (height, width, channels) if channels > 1 else (height, width)
        if pixels.size != int(np.prod(shape)):
            raise ValueError(f"{what}: {pixels.size} values for a {width}x{height} image")
        return pixels.reshape(shape)
    array = np.asarray(data)
    wanted = 3 if channels > 1 else 2
    if array.ndim != wanted or (channels > 1 and array.shape[2] != channels) or array.size == 0:
        raise IndexError(f"{what}: expected a non-empty {'(height, width, 3)' if channels > 1 else '2-D'} image")
    return array


class EncodedAttribute:
    """Encodes images into a DevEncoded value (``encode_*``) and decodes them (``decode_*``)."""

    def __init__(self) -> None:
        self.format = ""
        self.data = b""

    @property
    def encoded_pair(self) -> tuple[str, bytes]:
        """The DevEncoded value: (format, data)."""
        return self.format, self.data

    def _set(self, fmt: str, array: np.ndarray, dtype: str) -> None:
        height, width = array.shape[:2]
        if width > 0xFFFF or height > 0xFFFF:
            raise ValueError(f"{fmt}: images are at most 65535 x 65535 pixels")
        self.format = fmt
        self.data = _SIZE.pack(width, height) + np.ascontiguousarray(array, dtype=dtype).tobytes()

    # -- encoding -------------------------------------------------------------------------------------
    def encode_gray8(self, gray8: Any, width: int = 0, height: int = 0) -> None:
        """An 8-bit grayscale image (2-D, or flat bytes with ``width`` and ``height``): GRAY8."""
        self._set("GRAY8", _image(gray8, width, height, 1, np.dtype(np.uint8), "encode_gray8"), "u1")

    def encode_gray16(self, gray16: Any, width: int = 0, height: int = 0) -> None:
        """A 16-bit grayscale image: GRAY16 (pixels big-endian)."""
        self._set("GRAY16", _image(gray16, width, height, 1, np.dtype(np.uint16), "encode_gray16"), ">u2")

    def encode_rgb24(self, rgb24: Any, width: int = 0, height: int = 0) -> None:
        """A colour image, (height, width, 3) bytes red, green, blue: RGB24."""
        self._set("RGB24", _image(rgb24, width, height, 3, np.dtype(np.uint8), "encode_rgb24"), "u1")

    def encode_jpeg_gray8(self, gray8: Any, width: int = 0, height: int = 0, quality: float = 100.0) -> None:
        raise _refused("JPEG encoding is not available in tango_core (no image codec)",
                       "EncodedAttribute::encode_jpeg_gray8()")

    def encode_jpeg_rgb24(self, rgb24: Any, width: int = 0, height: int = 0, quality: float = 100.0) -> None:
        raise _refused("JPEG encoding is not available in tango_core (no image codec)",
                       "EncodedAttribute::encode_jpeg_rgb24()")

    def encode_jpeg_rgb32(self, rgb32: Any, width: int = 0, height: int = 0, quality: float = 100.0) -> None:
        raise _refused("JPEG encoding is not available in tango_core (no image codec)",
                       "EncodedAttribute::encode_jpeg_rgb32()")

    # -- decoding -------------------------------------------------------------------------------------
    @staticmethod
    def _pair(da: Any, name: str) -> tuple[str, bytes]:
        if hasattr(da, "value"):
            raise TypeError("DeviceAttribute argument must have been obtained from a call which doesn't extract "
                            "the contents")
        pair = getattr(da, "_encoded", None)
        if pair is None:
            raise _refused("the DeviceAttribute holds no DevEncoded value", f"EncodedAttribute::{name}()")
        return pair

    @staticmethod
    def _decoded(pair: tuple[str, bytes], wanted: str, dtype: str, channels: int, extract_as: Any, name: str):
        if extract_as not in _DECODE_MODES:
            raise TypeError("extract_as must be one of Numpy, String, Tuple, List")
        fmt, data = pair
        if fmt != wanted:
            why = "JPEG decoding is not available in tango_core (no image codec)" if fmt.startswith("JPEG") \
                else f"the image is {fmt}, not {wanted}"
            raise _refused(why, f"EncodedAttribute::{name}()")
        width, height = _SIZE.unpack_from(data)
        pixels = data[4:]
        if extract_as == ExtractAs.String:
            return width, height, pixels
        shape = (height, width, channels) if channels > 1 else (height, width)
        array = np.frombuffer(pixels, dtype=dtype, count=int(np.prod(shape))).reshape(shape)
        array = array.astype(np.dtype(dtype).newbyteorder("="))  # native order, a copy of its own
        if extract_as == ExtractAs.Numpy:
            return array
        rows = array.tolist()
        return rows if extract_as == ExtractAs.List else tuple(tuple(r) for r in rows)

    def decode_gray8(self, da: Any, extract_as: Any = ExtractAs.Numpy):
        """The GRAY8 image of a DeviceAttribute read with ``ExtractAs.Nothing``: (height, width) uint8."""
        return self._decoded(self._pair(da, "decode_gray8"), "GRAY8", "u1", 1, extract_as, "decode_gray8")

    def decode_gray16(self, da: Any, extract_as: Any = ExtractAs.Numpy):
        """The GRAY16 image of a DeviceAttribute read with ``ExtractAs.Nothing``: (height, width) uint16."""
        return self._decoded(self._pair(da, "decode_gray16"), "GRAY16", ">u2", 1, extract_as, "decode_gray16")

    def decode_rgb32(self, da: Any, extract_as: Any = ExtractAs.Numpy):
        raise _refused("RGB32 decoding (of JPEG images) is not available in tango_core (no image codec)",
                       "EncodedAttribute::decode_rgb32()")
