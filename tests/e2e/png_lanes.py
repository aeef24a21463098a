"""png_lanes: what a screenshot of a qmprace report shows, measured in its pixels (Python's standard
library only: zlib for the image data, PNG's row filters undone by hand).

  png_lanes.py FILE.png
prints "lanes N window_height H window_width W": N lane headers drawn (runs of their fill colour across
one row), and the height and width in pixels of the shaded race window (the window's fill colour).
"""
import struct
import sys
import zlib

LANE_HEAD = (0xE8, 0xEE, 0xF5)  # .lane-head fill in diagram.c
WINDOW = (0xFF, 0xD6, 0xD6)  # .window fill in diagram.c


def read_png(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError("only 8-bit RGB/RGBA, not interlaced")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def runs(row, width, bpp, colour, min_len):
    """Runs of at least min_len pixels of colour in one row: (start, length)."""
    out, start = [], None
    for x in range(width + 1):
        hit = x < width and tuple(row[x * bpp:x * bpp + 3]) == colour
        if hit and start is None:
            start = x
        elif not hit and start is not None:
            if x - start >= min_len:
                out.append((start, x - start))
            start = None
    return out


def main(path):
    width, height, bpp, rows = read_png(path)
    # a lane header's top edge, above its text, is one run of its fill per lane
    lanes = max((len(runs(r, width, bpp, LANE_HEAD, 120)) for r in rows), default=0)
    # the window's rows: lifelines and marks cross it, so count its pixels, not one run
    window_rows = [y for y, r in enumerate(rows) if sum(n for _, n in runs(r, width, bpp, WINDOW, 1)) >= 400]
    window_height = window_rows[-1] - window_rows[0] + 1 if window_rows else 0
    window_width = 0
    if window_rows:
        mid = rows[window_rows[len(window_rows) // 2]]
        window_width = sum(n for _, n in runs(mid, width, bpp, WINDOW, 1))
    print("lanes %d window_height %d window_width %d" % (lanes, window_height, window_width))


if __name__ == "__main__":
    main(sys.argv[1])
