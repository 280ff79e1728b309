#!/usr/bin/python3
"""Writes the generated seeds of tests/fuzz/corpus/image (Python standard library only).

Tiny valid files in every variant of every format the CLI reads, so that fuzzing starts deep
inside each decoder: PNG of every color type, bit depth and interlacing; baseline JPEG (gray,
4:4:4, 4:2:0, restart markers) and progressive JPEG (spectral selection, DC successive
approximation); BMP 1/4/8/24/32-bit and RLE8; TGA raw, RLE, gray and color-mapped; GIF plain,
interlaced, transparent, two frames; PGM/PPM 8- and 16-bit. The JPEG encoder writes random
quantized coefficients directly (no DCT): any coefficients make a valid image.
Deterministic: running it again writes the same bytes.
"""
import os
import random
import struct
import zlib

rng = random.Random(1)


def noise(n):
    return bytes(rng.randrange(256) for _ in range(n))


# ---------------------------------------------------------------- PNG
def png(width, height, color_type, depth, interlace=False, palette=None, trns=None, extra=b""):
    """extra: bytes compressed after the image data (a stream longer than the image needs)."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    bits_per_pixel = channels * depth

    def raw(w, h):
        if w == 0 or h == 0:
            return b""
        row = (w * bits_per_pixel + 7) // 8
        # Every filter type in turn: the decoder's unfiltering is part of what is fuzzed.
        return b"".join(bytes([y % 5]) + noise(row) for y in range(h))

    if interlace:
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        data = b"".join(raw((width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy) for x0, y0, dx, dy in passes)
    else:
        data = raw(width, height)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0,
                                                             int(interlace)))
    if palette:
        out += chunk(b"PLTE", palette)
    if trns:
        out += chunk(b"tRNS", trns)
    z = zlib.compress(data + extra, 9)
    return out + chunk(b"IDAT", z[: len(z) // 2]) + chunk(b"IDAT", z[len(z) // 2:]) + chunk(b"IEND", b"")


# ---------------------------------------------------------------- JPEG
ZIGZAG_AC_SYMBOLS = [0x00, 0xF0] + [(r << 4) | s for r in range(16) for s in range(1, 11)] + \
                    [r << 4 for r in range(1, 15)]  # EOB, ZRL, run/size, EOBRUN (progressive)


def canonical(symbols_by_length):
    """{length: [symbols]} -> (bits[16], values, {symbol: (code, length)})."""
    bits, values, codes, code = [0] * 16, [], {}, 0
    for length in range(1, 17):
        for s in symbols_by_length.get(length, []):
            bits[length - 1] += 1
            values.append(s)
            codes[s] = (code, length)
            code += 1
        code <<= 1
    return bits, values, codes


DC = canonical({4: list(range(12))})
AC = canonical({2: ZIGZAG_AC_SYMBOLS[:2], 9: ZIGZAG_AC_SYMBOLS[2:]})


class Bits:
    def __init__(self):
        self.out, self.acc, self.n = bytearray(), 0, 0

    def put(self, value, length):
        for i in range(length - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)  # byte stuffing
                self.acc, self.n = 0, 0

    def flush(self):
        if self.n:
            self.put((1 << (8 - self.n)) - 1, 8 - self.n)  # pad with ones
        data, self.out = bytes(self.out), bytearray()
        return data


def magnitude(v):
    size = abs(v).bit_length()
    return size, (v if v >= 0 else v + (1 << size) - 1)


def put_symbol(bits, table, symbol):
    code, length = table[2][symbol]
    bits.put(code, length)


def put_ac(bits, coefs, start, end):
    run = 0
    for k in range(start, end + 1):
        if coefs[k] == 0:
            run += 1
            continue
        while run > 15:
            put_symbol(bits, AC, 0xF0)
            run -= 16
        size, v = magnitude(coefs[k])
        put_symbol(bits, AC, (run << 4) | size)
        bits.put(v, size)
        run = 0
    if run:
        put_symbol(bits, AC, 0x00)


def ceil_div(a, b):
    return -(-a // b)


def segment(marker, body):
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def exif(orientation, little_endian):
    """APP1 EXIF data of one IFD holding the orientation tag."""
    e = "<" if little_endian else ">"
    tiff = (b"II*\0" if little_endian else b"MM\0*") + struct.pack(e + "I", 8)
    tiff += struct.pack(e + "H", 1) + struct.pack(e + "HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(e + "I", 0)
    return b"Exif\0\0" + tiff


def jpeg(width, height, sampling, progressive=False, restart=0, adobe=None, app1=None):
    """sampling: [(h, v)] per component. Blocks hold random small quantized coefficients.
    adobe: the colour transform of an Adobe APP14 marker (0 none, 1 YCbCr, 2 YCCK), or None."""
    hmax, vmax = max(h for h, v in sampling), max(v for h, v in sampling)
    mcux, mcuy = ceil_div(width, 8 * hmax), ceil_div(height, 8 * vmax)
    # Blocks per component, covering whole MCUs (the non-interleaved scans use fewer of them).
    blocks = []
    for h, v in sampling:
        grid = [[[0] * 64 for _ in range(mcux * h)] for _ in range(mcuy * v)]
        for row in grid:
            for b in row:
                b[0] = rng.randrange(-60, 60)
                for k in range(1, 64):
                    b[k] = rng.choice([0, 0, 0, 0, 0, 1, -1, 2, -3, 7]) if k < 20 else 0
        blocks.append(grid)
    out = b"\xFF\xD8"
    if app1 is not None:
        out += segment(0xE1, app1)
    if adobe is not None:
        out += segment(0xEE, b"Adobe" + struct.pack(">HHHB", 100, 0, 0, adobe))
    out += segment(0xDB, b"\x00" + bytes([2] * 64))
    comps = b"".join(bytes([i + 1, (h << 4) | v, 0]) for i, (h, v) in enumerate(sampling))
    out += segment(0xC2 if progressive else 0xC0, struct.pack(">BHHB", 8, height, width, len(sampling)) + comps)
    out += segment(0xC4, b"\x00" + bytes(DC[0]) + bytes(DC[1]) + b"\x10" + bytes(AC[0]) + bytes(AC[1]))
    if restart:
        out += segment(0xDD, struct.pack(">H", restart))

    def scan(components, ss, se, ah, al, encode_block):
        """One scan; interleaved over MCUs when it has several components."""
        header = bytes([len(components)]) + b"".join(bytes([c + 1, 0x00]) for c in components)
        data = segment(0xDA, header + bytes([ss, se, (ah << 4) | al]))
        bits, pred, count, rst = Bits(), [0] * len(sampling), 0, 0
        if len(components) > 1:
            units = [[(c, my * sampling[c][1] + y, mx * sampling[c][0] + x) for c in components
                      for y in range(sampling[c][1]) for x in range(sampling[c][0])]
                     for my in range(mcuy) for mx in range(mcux)]
        else:
            c = components[0]
            cw = ceil_div(ceil_div(width * sampling[c][0], hmax), 8)
            ch = ceil_div(ceil_div(height * sampling[c][1], vmax), 8)
            units = [[(c, y, x)] for y in range(ch) for x in range(cw)]
        for unit in units:
            if restart and count == restart:
                data += bits.flush() + bytes([0xFF, 0xD0 + rst])
                rst, count, pred = (rst + 1) % 8, 0, [0] * len(sampling)
            for c, y, x in unit:
                pred[c] = encode_block(bits, blocks[c][y][x], pred[c])
            count += 1
        return data + bits.flush()

    def baseline(bits, b, pred):
        size, v = magnitude(b[0] - pred)
        put_symbol(bits, DC, size)
        bits.put(v, size)
        put_ac(bits, b, 1, 63)
        return b[0]

    def dc_first(al):
        def enc(bits, b, pred):
            dc = b[0] >> al
            size, v = magnitude(dc - pred)
            put_symbol(bits, DC, size)
            bits.put(v, size)
            return dc
        return enc

    def dc_refine(bits, b, pred):
        bits.put(b[0] & 1, 1)
        return pred

    def ac_first(ss, se):
        def enc(bits, b, pred):
            put_ac(bits, b, ss, se)
            return pred
        return enc

    everything = list(range(len(sampling)))
    if not progressive:
        out += scan(everything, 0, 63, 0, 0, baseline)
    else:
        out += scan(everything, 0, 0, 0, 1, dc_first(1))
        for c in everything:
            out += scan([c], 1, 5, 0, 0, ac_first(1, 5))
        out += scan(everything, 0, 0, 1, 0, dc_refine)
        for c in everything:
            out += scan([c], 6, 63, 0, 0, ac_first(6, 63))
    return out + b"\xFF\xD9"


# ---------------------------------------------------------------- BMP
def bmp(width, height, bpp, rle=False, top_down=False):
    palette = noise(4 * (1 << bpp)) if bpp <= 8 else b""
    if rle:  # 8-bit RLE: per row one run, one literal, end of line; then end of bitmap
        rows = b""
        for _ in range(height):
            lit = noise(3)
            rows += bytes([max(width - 3, 1), rng.randrange(256), 0, 3]) + lit + b"\x00" + b"\x00\x00"
        pixels = rows + b"\x00\x01"
    else:
        stride = (width * bpp + 31) // 32 * 4
        pixels = b"".join(noise(stride) for _ in range(height))
    header = struct.pack("<IiiHHIIiiII", 40, width, -height if top_down else height, 1, bpp, 1 if rle else 0,
                         len(pixels), 2835, 2835, 0, 0)
    offset = 14 + len(header) + len(palette)
    return b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset) + header + palette + pixels


# ---------------------------------------------------------------- TGA
def tga(width, height, kind):
    if kind == "mapped":
        head = struct.pack("<BBBHHBHHHHBB", 0, 1, 1, 0, 16, 24, 0, 0, width, height, 8, 0x20)
        return head + noise(16 * 3) + bytes(rng.randrange(16) for _ in range(width * height))
    if kind == "gray":
        return struct.pack("<BBBHHBHHHHBB", 0, 0, 3, 0, 0, 0, 0, 0, width, height, 8, 0) + noise(width * height)
    if kind == "rle":
        body, left = b"", width * height
        while left:
            n = min(left, rng.randrange(1, 6))
            body += bytes([0x80 | (n - 1)]) + noise(4) if rng.random() < 0.5 else bytes([n - 1]) + noise(4 * n)
            left -= n
        return struct.pack("<BBBHHBHHHHBB", 0, 0, 10, 0, 0, 0, 0, 0, width, height, 32, 8) + body
    return struct.pack("<BBBHHBHHHHBB", 0, 0, 2, 0, 0, 0, 0, 0, width, height, 24, 0) + noise(3 * width * height)


# ---------------------------------------------------------------- GIF
def lzw(indices, min_size):
    clear, end = 1 << min_size, (1 << min_size) + 1
    out, acc, n = bytearray(), 0, 0

    def put(code, size):
        nonlocal acc, n
        acc |= code << n
        n += size
        while n >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            n -= 8

    # Clear codes often enough that the code size never grows past min_size + 1.
    size = min_size + 1
    for i, v in enumerate(indices):
        if i % ((1 << min_size) - 2) == 0:
            put(clear, size)
        put(v, size)
    put(end, size)
    if n:
        out.append(acc & 0xFF)
    return bytes(out)


def gif(width, height, frames=1, interlace=False, transparent=False):
    out = b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF3, 0, 0) + noise(16 * 3)
    for f in range(frames):
        if transparent or frames > 1:
            out += b"\x21\xF9\x04" + bytes([(2 << 2) | int(transparent), 10, 0, 3, 0])
        w, h = (width, height) if f == 0 else (max(width // 2, 1), max(height // 2, 1))
        out += b"\x2C" + struct.pack("<HHHHB", f, f, w, h, 0x40 if interlace else 0)
        data = lzw([rng.randrange(16) for _ in range(w * h)], 4)
        out += b"\x04" + b"".join(bytes([len(data[i:i + 255])]) + data[i:i + 255] for i in range(0, len(data), 255))
        out += b"\x00"
    return out + b"\x3B"


# ---------------------------------------------------------------- PNM
def pnm(width, height, channels, maxval=255):
    head = b"P6" if channels == 3 else b"P5"
    size = width * height * channels * (2 if maxval > 255 else 1)
    return head + b"\n# seed\n%d %d\n%d\n" % (width, height, maxval) + noise(size)


SEEDS = {
    "png-gray1.png": lambda: png(7, 5, 0, 1),
    "png-gray4-interlaced.png": lambda: png(9, 9, 0, 4, interlace=True),
    "png-gray16.png": lambda: png(3, 4, 0, 16),
    "png-gray-alpha.png": lambda: png(5, 3, 4, 8),
    "png-rgb8-interlaced.png": lambda: png(11, 10, 2, 8, interlace=True),
    "png-rgb16.png": lambda: png(3, 3, 2, 16),
    "png-rgba8.png": lambda: png(4, 5, 6, 8),
    "png-palette2-trns.png": lambda: png(6, 4, 3, 2, palette=noise(12), trns=b"\x00\x80"),
    "png-palette8.png": lambda: png(5, 5, 3, 8, palette=noise(3 * 256)),
    "jpeg-gray.jpg": lambda: jpeg(9, 7, [(1, 1)]),
    "jpeg-444.jpg": lambda: jpeg(8, 8, [(1, 1)] * 3),
    "jpeg-420-restart.jpg": lambda: jpeg(17, 9, [(2, 2), (1, 1), (1, 1)], restart=1),
    "jpeg-422.jpg": lambda: jpeg(19, 8, [(2, 1), (1, 1), (1, 1)]),
    "jpeg-progressive-gray.jpg": lambda: jpeg(8, 16, [(1, 1)], progressive=True),
    "jpeg-progressive-420.jpg": lambda: jpeg(13, 11, [(2, 2), (1, 1), (1, 1)], progressive=True),
    "bmp-1.bmp": lambda: bmp(9, 3, 1),
    "bmp-4.bmp": lambda: bmp(5, 4, 4),
    "bmp-8-topdown.bmp": lambda: bmp(6, 3, 8, top_down=True),
    "bad-bmp-rle8-unsupported.bmp": lambda: bmp(7, 3, 8, rle=True),
    "bmp-24.bmp": lambda: bmp(5, 2, 24),
    "bmp-32.bmp": lambda: bmp(3, 3, 32),
    "tga-rgb.tga": lambda: tga(4, 3, "rgb"),
    "tga-rle.tga": lambda: tga(5, 4, "rle"),
    "tga-gray.tga": lambda: tga(3, 3, "gray"),
    "tga-mapped.tga": lambda: tga(4, 4, "mapped"),
    "gif-plain.gif": lambda: gif(5, 4),
    "gif-interlaced.gif": lambda: gif(6, 9, interlace=True),
    "gif-transparent-2frames.gif": lambda: gif(4, 4, frames=2, transparent=True),
    "pgm.pgm": lambda: pnm(5, 3, 1),
    "pgm16.pgm": lambda: pnm(3, 2, 1, maxval=65535),
    "ppm.ppm": lambda: pnm(4, 3, 3),
    # 4-component JPEGs, which Pillow reads as inverted CMYK: plain, Adobe CMYK and Adobe YCCK.
    "jpeg-cmyk.jpg": lambda: jpeg(9, 8, [(1, 1)] * 4),
    "jpeg-adobe-cmyk.jpg": lambda: jpeg(8, 9, [(1, 1)] * 4, adobe=0),
    "jpeg-adobe-ycck-420.jpg": lambda: jpeg(17, 10, [(2, 2), (1, 1), (1, 1), (2, 2)], adobe=2),
    "jpeg-adobe-rgb.jpg": lambda: jpeg(8, 8, [(1, 1)] * 3, adobe=0),
    "png-gray2.png": lambda: png(7, 3, 0, 2),
    "png-la16.png": lambda: png(3, 2, 4, 16),
    "png-rgba16-interlaced.png": lambda: png(9, 9, 6, 16, interlace=True),
    # Damaged copies of valid files, which libpng and the JPEG truncation check refuse (stb_image
    # checks neither CRCs nor the zlib checksum, and pads a truncated JPEG with zeros).
    "bad-png-idat-bit-flip.png": lambda: flip_bit(png(8, 8, 2, 8), b"IDAT", 9),
    "bad-png-adler32.png": lambda: damage_adler32(png(6, 5, 0, 8)),
    "bad-png-text-crc.png": lambda: bad_text_crc(png(4, 4, 2, 8)),
    "bad-png-no-iend.png": lambda: png(4, 3, 0, 8)[:-12],
    "bad-png-extra-image-data.png": lambda: png(3, 3, 0, 8, extra=bytes(4000)),
    "bad-jpeg-truncated.jpg": lambda: jpeg(16, 16, [(2, 2), (1, 1), (1, 1)])[:-40],
    "bad-jpeg-no-eoi.jpg": lambda: jpeg(16, 8, [(1, 1)] * 3)[:-2],
    "jpeg-exif-orientation6.jpg": lambda: jpeg(16, 8, [(2, 1), (1, 1), (1, 1)], app1=exif(6, False)),
    "jpeg-exif-orientation8-le.jpg": lambda: jpeg(9, 5, [(1, 1)], app1=exif(8, True)),
}


def chunk_at(data, kind, last=False):
    """The offset of the first (or last) chunk of `kind` in a PNG, and its data length."""
    pos, found = 8, None
    while pos < len(data) and (last or found is None):
        if data[pos + 4:pos + 8] == kind:
            found = pos
        pos += 12 + struct.unpack(">I", data[pos:pos + 4])[0]
    return found, struct.unpack(">I", data[found:found + 4])[0]


def flip_bit(data, kind, offset):
    """One bit flipped inside a chunk's data, its CRC left as it was."""
    pos, _ = chunk_at(data, kind)
    out = bytearray(data)
    out[pos + 8 + offset] ^= 0x10
    return bytes(out)


def damage_adler32(data):
    """The zlib stream's checksum changed, the chunk's CRC recomputed to match: only the
    Adler-32 check finds it."""
    pos, n = chunk_at(data, b"IDAT", last=True)
    body = bytearray(data[pos + 8:pos + 8 + n])
    body[-1] ^= 1
    crc = struct.pack(">I", zlib.crc32(b"IDAT" + bytes(body)) & 0xFFFFFFFF)
    return data[:pos + 8] + bytes(body) + crc + data[pos + 12 + n:]


def bad_text_crc(data):
    """An ancillary tEXt chunk with a wrong CRC before IDAT."""
    pos, _ = chunk_at(data, b"IDAT")
    body = b"tEXtComment\0seed"
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", (zlib.crc32(body) ^ 1) & 0xFFFFFFFF)
    return data[:pos] + chunk + data[pos:]


def main():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "image")
    os.makedirs(here, exist_ok=True)
    for name, make in SEEDS.items():
        with open(os.path.join(here, name), "wb") as f:
            f.write(make())


if __name__ == "__main__":
    main()
