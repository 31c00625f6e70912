"""MNIST digits traced into pen strokes, the way a person draws them on the site's canvas.

Used to measure the serving path on canvas-like input (`evaluate_model`), to make realistic request
bodies for tests and benchmarks, and to drive the mouse and finger in browser tests:

1. `zhang_suen_thin`: thin the digit (upscaled 4×, so curves stay smooth) to one-pixel-wide lines;
2. `trace_strokes`: follow those lines into strokes, each a list of (x, y) points in 28×28 units;
3. `draw_digit_on_canvas`: those strokes drawn at a random size, place and pen width (training.canvas).
"""

import numpy as np
from PIL import Image

from training.canvas import random_placement, render_strokes, strokes_on_canvas

UPSCALE = 4
SKELETON_THRESHOLDS = (0.3, 0.5, 0.7, 0.85, 0.95)  # ink levels at which centre lines are tried

# The eight neighbours in the order Zhang-Suen walks them: N, NE, E, SE, S, SW, W, NW.
NEIGHBOURS = [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)]


def upscale(digit, factor=UPSCALE):
    image = Image.fromarray(np.asarray(digit, dtype=np.uint8), mode="L")
    size = (digit.shape[1] * factor, digit.shape[0] * factor)
    return np.asarray(image.resize(size, Image.Resampling.BILINEAR), dtype=np.float32) / 255.0


def zhang_suen_thin(mask):
    """Thin a boolean mask to one-pixel-wide 8-connected lines (Zhang & Suen, 1984)."""
    image = np.pad(mask.astype(np.uint8), 1)
    while True:
        changed = False
        for step in (0, 1):
            rows, columns = image.shape
            p = [image[1 + dr : rows - 1 + dr, 1 + dc : columns - 1 + dc] for dr, dc in NEIGHBOURS]
            centre = image[1:-1, 1:-1]
            neighbours = sum(p)
            transitions = sum((p[i] == 0) & (p[(i + 1) % 8] == 1) for i in range(8))
            if step == 0:
                keep_free = (p[0] * p[2] * p[4] == 0) & (p[2] * p[4] * p[6] == 0)
            else:
                keep_free = (p[0] * p[2] * p[6] == 0) & (p[0] * p[4] * p[6] == 0)
            remove = (centre == 1) & (neighbours >= 2) & (neighbours <= 6) & (transitions == 1) & keep_free
            if remove.any():
                centre[remove] = 0
                changed = True
        if not changed:
            return image[1:-1, 1:-1].astype(bool)


def neighbour_map(mask):
    """Each skeleton pixel's neighbours: side by side always, diagonally only where no pixel beside
    both already joins them (otherwise every staircase step would be a tiny triangle of strokes)."""
    points = {(int(r), int(c)) for r, c in zip(*np.nonzero(mask))}

    def joined(point, dr, dc):
        if dr and dc:
            return (point[0] + dr, point[1]) not in points and (point[0], point[1] + dc) not in points
        return True

    return {
        point: [
            (point[0] + dr, point[1] + dc)
            for dr, dc in NEIGHBOURS
            if (point[0] + dr, point[1] + dc) in points and joined(point, dr, dc)
        ]
        for point in points
    }


def trace_strokes(digit, *, step=2):
    """The digit as strokes: lists of (x, y) points in the 28×28 digit's coordinates.

    Thinning at one ink threshold can fill the loop of a bold 9 or break a faint stroke, so the
    centre lines are taken at a few thresholds and the set whose redrawing best resembles the digit
    wins, as a person copying it would keep its shape.
    """
    candidates = [
        walk_skeleton(zhang_suen_thin(upscale(digit) > threshold), step=step)
        for threshold in SKELETON_THRESHOLDS
    ]
    candidates = [strokes for strokes in candidates if strokes] or [[[(13.5, 13.5), (14.5, 14.5)]]]
    return max(candidates, key=lambda strokes: resemblance(strokes, digit))


def resemblance(strokes, digit):
    """How closely strokes drawn with the digit's own average pen width match it (correlation)."""
    ink = np.asarray(digit, dtype=np.float64) / 255.0
    length = sum(np.hypot(*np.diff(np.asarray(stroke), axis=0).T).sum() for stroke in strokes)
    pen_width = float(np.clip(ink.sum() / max(length, 1.0), 1.0, 6.0))
    size = ink.shape[0]
    redrawn = render_strokes(
        strokes, pen_width=pen_width, background="black", canvas_size=size, supersample=4
    )
    redrawn = np.asarray(redrawn.convert("L"), dtype=np.float64)
    if redrawn.std() == 0:
        return -1.0
    return float(np.corrcoef(redrawn.ravel(), ink.ravel())[0, 1])


def walk_skeleton(mask, *, min_points=3, step=2):
    """Follow skeleton pixels into pen paths, from line ends first (then round any loops left),
    going as straight on as possible at junctions, so each stroke follows one pen movement."""
    graph = neighbour_map(mask)
    visited_edges = set()

    def unvisited(point):
        return [n for n in graph[point] if frozenset((point, n)) not in visited_edges]

    def walk(start):
        path, point, heading = [start], start, None
        while True:
            options = unvisited(point)
            if not options:
                return path
            if heading is None:
                nxt = options[0]
            else:
                nxt = max(
                    options, key=lambda n: (n[0] - point[0]) * heading[0] + (n[1] - point[1]) * heading[1]
                )
            visited_edges.add(frozenset((point, nxt)))
            heading = (nxt[0] - point[0], nxt[1] - point[1])
            path.append(nxt)
            point = nxt

    ends = sorted(p for p, ns in graph.items() if len(ns) == 1)
    others = sorted(p for p, ns in graph.items() if len(ns) != 1)
    strokes = []
    for start in ends + others:
        while unvisited(start):
            path = walk(start)
            if len(path) >= min_points:
                strokes.append(path)
    return [smooth_and_thin(path, step=step) for path in strokes]


def smooth_and_thin(path, *, step, window=5):
    """A pixel path as a smooth pen path: a moving average (pens don't staircase), every `step`-th point."""
    points = np.asarray([(c + 0.5, r + 0.5) for r, c in path], dtype=np.float64) / UPSCALE
    if len(points) > window:
        padded = np.concatenate(
            [points[:1].repeat(window // 2, 0), points, points[-1:].repeat(window // 2, 0)]
        )
        kernel = np.ones(window) / window
        points = np.stack([np.convolve(padded[:, axis], kernel, mode="valid") for axis in (0, 1)], axis=1)
    kept = list(range(0, len(points), step))
    if kept[-1] != len(points) - 1:
        kept.append(len(points) - 1)
    return [tuple(point) for point in points[kept].tolist()]


def draw_digit_on_canvas(digit, rng, *, background="white", canvas_size=280):
    """An MNIST digit redrawn as strokes at a random size, place and pen width."""
    strokes = trace_strokes(digit)
    placement = random_placement(rng, canvas_size=canvas_size, strokes=strokes)
    return render_strokes(
        strokes_on_canvas(strokes, placement),
        pen_width=placement.pen_width,
        background=background,
        canvas_size=canvas_size,
    )
