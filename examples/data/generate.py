#!/usr/bin/python3
"""Writes the generated sample images of this folder (Python standard library only).

gradient.png  64x48 RGB: red rises left to right, green top to bottom, blue along the diagonal
constant.png  32x32 RGB, every pixel (200, 120, 40): per-image modes must give 0 (no NaN)
pixel.png     1x1 RGBA (12, 34, 56, alpha 200): the smallest image, with an alpha channel to drop
"""
import os
import struct
import zlib


def write_png(path, width, height, channels, pixel):
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = b"".join(b"\0" + bytes(v for x in range(width) for v in pixel(x, y)) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows, 9)) +
                chunk(b"IEND", b""))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    write_png(os.path.join(here, "gradient.png"), 64, 48, 3,
              lambda x, y: (round(255 * x / 63), round(255 * y / 47), round(255 * (x + y) / 110)))
    write_png(os.path.join(here, "constant.png"), 32, 32, 3, lambda x, y: (200, 120, 40))
    write_png(os.path.join(here, "pixel.png"), 1, 1, 4, lambda x, y: (12, 34, 56, 200))


if __name__ == "__main__":
    main()
