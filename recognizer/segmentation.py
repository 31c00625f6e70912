"""The marks of a drawing: each digit of a number found, cut out and normalised on its own.

`find_marks(ink, predict=..., scale=...)` answers the marks left to right, each with its box in the sent
image's pixels, its 28×28 model input and the model's raw outputs for it:

1. the ink's connected parts (8-connected, at preprocessing.INK_THRESHOLD), found row run by row run;
2. specks, tiny beside the largest part, are dropped;
3. parts that overlap horizontally are one mark (a 5 with its top bar detached, a 7 with a separate
   crossbar, a 4 in two strokes, a 1 with its base): people write numbers left to right, so two digits
   never share much of a column;
4. a mark much wider than a digit is tall may be touching digits: cuts are tried at the columns where
   the ink is thinnest, and the split the model reads with the highest joint probability wins against
   reading the mark whole (all candidates of a drawing in one batched call);
5. every mark normalised MNIST-style on its own (preprocessing.normalise_ink) and read in one batched
   call.

A drawing of one part (most single digits) costs what it always did: one normalisation, one reading.
Django-free.
"""

from dataclasses import dataclass

import numpy as np

from recognizer import limits
from recognizer.contract import NUM_DIGITS, scaled
from recognizer.errors import EmptyDrawing, TooManyMarks
from recognizer.preprocessing import INK_THRESHOLD, normalise_ink

# Sizes relative to the drawing's digit height (the tallest mark's).
SPECK_AREA = 0.02  # a part with less ink than this share of the largest part's...
SPECK_SIDE = 0.25  # ...and no side longer than this share of the digit height is a speck
SAME_MARK_OVERLAP = 0.5  # parts sharing this share of the narrower one's columns are one mark
SPLIT_FROM_WIDTH = 0.9  # a mark at least this wide (× digit height) may be touching digits
NARROWEST_DIGIT = 0.12  # a cut never leaves a piece narrower than this (× digit height): a thin 1
WIDEST_DIGIT = 1.3  # no piece of a split is wider than this (× digit height)
CUTS_PER_DIGIT = 4  # at most this many candidate cuts per digit the mark's width could hold
# Each extra digit must earn its place: the split's joint probability must beat reading the mark whole
# by this factor per cut (a single digit is never worth cutting in two for a little more confidence:
# a model reads half a 0 as a 1 just as confidently as the 0).
SPLIT_PRIOR = 0.05
# A digit is seldom wider than it is tall (99% of single digits are under 1.3 × their height): a piece
# wider than WIDE_DIGIT is less and less likely to be one digit, by exp(-((excess) / WIDTH_SPREAD)²).
WIDE_DIGIT = 1.0
WIDTH_SPREAD = 0.25


@dataclass(frozen=True)
class Mark:
    """One mark of a drawing as the model read it."""

    box: tuple  # (x, y, width, height) in the sent image's pixels
    model_input: np.ndarray  # (28, 28) uint8, white on black
    outputs: np.ndarray  # (C,) float32, the model's raw outputs (C = 10 or 11)


@dataclass
class Part:
    """A connected part of the ink: its runs' component id(s) and bounding box (ink pixels)."""

    ids: list
    left: int
    top: int
    right: int  # exclusive
    bottom: int  # exclusive
    area: int

    @property
    def width(self):
        return self.right - self.left

    @property
    def height(self):
        return self.bottom - self.top

    def absorb(self, other):
        self.ids += other.ids
        self.left, self.top = min(self.left, other.left), min(self.top, other.top)
        self.right, self.bottom = max(self.right, other.right), max(self.bottom, other.bottom)
        self.area += other.area


# Connected parts ---------------------------------------------------------------------------------------


def row_runs(mask):
    """The mask's runs of ink along each row: (row, start, end) arrays, end exclusive, row-major order."""
    height, width = mask.shape
    padded = np.zeros((height, width + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    steps = np.diff(padded, axis=1)
    rows, starts = np.nonzero(steps == 1)
    _, ends = np.nonzero(steps == -1)
    return rows, starts, ends


def touching_runs(rows, starts, ends, width):
    """Pairs (a, b) of runs on consecutive rows that touch, diagonals included."""
    stride = width + 2
    start_keys = rows * stride + starts
    end_keys = rows * stride + ends
    above = (rows - 1) * stride
    # The runs of the row above touching run b are contiguous: from the first ending at or after b's
    # start to the last starting at or before b's end.
    first = np.searchsorted(end_keys, above + starts, side="left")
    last = np.searchsorted(start_keys, above + ends, side="right")
    counts = np.maximum(last - first, 0)
    total = int(counts.sum())
    b = np.repeat(np.arange(len(rows)), counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    a = np.repeat(first, counts) + offsets
    return a, b


def connected(count, a, b):
    """Component ids 0..k-1 of `count` nodes joined by edges (a, b): hooking roots, jumping pointers."""
    parent = np.arange(count)
    while True:
        roots_a, roots_b = parent[a], parent[b]
        differ = roots_a != roots_b
        if not differ.any():
            break
        low = np.minimum(roots_a[differ], roots_b[differ])
        high = np.maximum(roots_a[differ], roots_b[differ])
        np.minimum.at(parent, high, low)
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
    _, ids = np.unique(parent, return_inverse=True)
    return ids


def label_parts(mask):
    """The mask's 8-connected parts: (list of Part, runs (rows, starts, ends, ids))."""
    rows, starts, ends = row_runs(mask)
    if rows.size == 0:
        return [], None
    a, b = touching_runs(rows, starts, ends, mask.shape[1])
    ids = connected(len(rows), a, b)
    count = int(ids.max()) + 1
    lengths = ends - starts
    area = np.bincount(ids, weights=lengths, minlength=count)
    left = np.full(count, mask.shape[1])
    np.minimum.at(left, ids, starts)
    right = np.zeros(count, dtype=np.int64)
    np.maximum.at(right, ids, ends)
    top = np.full(count, mask.shape[0])
    np.minimum.at(top, ids, rows)
    bottom = np.zeros(count, dtype=np.int64)
    np.maximum.at(bottom, ids, rows + 1)
    parts = [
        Part([i], int(left[i]), int(top[i]), int(right[i]), int(bottom[i]), int(area[i]))
        for i in range(count)
    ]
    return parts, (rows, starts, ends, ids)


def label_image(shape, runs):
    """An int32 image of each ink pixel's part id + 1 (0 where there is no ink)."""
    rows, starts, ends, ids = runs
    marks = np.zeros((shape[0], shape[1] + 1), dtype=np.int32)
    marks[rows, starts] = ids + 1
    marks[rows, ends] -= ids + 1
    return np.cumsum(marks, axis=1, dtype=np.int32)[:, : shape[1]]


# Parts into marks ------------------------------------------------------------------------------------


def without_specks(parts):
    """The parts that are not specks: tiny beside the largest part, both in ink and in size."""
    largest = max(part.area for part in parts)
    tallest = max(part.height for part in parts)
    return [
        part
        for part in parts
        if part.area >= SPECK_AREA * largest or max(part.width, part.height) >= SPECK_SIDE * tallest
    ]


def grouped(parts):
    """Parts sharing much of their columns merged into one (transitively), left to right."""
    marks = []
    for part in sorted(parts, key=lambda part: part.left):
        part = Part(list(part.ids), part.left, part.top, part.right, part.bottom, part.area)
        merged = True
        while merged:
            merged = False
            for other in marks:
                overlap = min(part.right, other.right) - max(part.left, other.left)
                if overlap >= SAME_MARK_OVERLAP * min(part.width, other.width):
                    marks.remove(other)
                    part.absorb(other)
                    merged = True
                    break
        marks.append(part)
    return sorted(marks, key=lambda part: part.left)


def digit_height(marks):
    """The drawing's digit height: the tallest mark's (bars and dots are lower, digits about equal)."""
    return max(mark.height for mark in marks)


# Ink of one mark ---------------------------------------------------------------------------------------


def mark_ink(ink, labels, mark):
    """The ink of `mark` alone, cropped to its box plus a pixel for the anti-aliased edge; other marks'
    ink in that box is left out."""
    top, left = max(mark.top - 1, 0), max(mark.left - 1, 0)
    bottom, right = min(mark.bottom + 1, ink.shape[0]), min(mark.right + 1, ink.shape[1])
    crop = ink[top:bottom, left:right]
    if labels is None:
        return crop, (left, top)
    own_labels = labels[top:bottom, left:right]
    own = np.isin(own_labels, np.asarray(mark.ids) + 1)
    near = own.copy()  # the faint edge around its own ink (no part's ink, below the threshold)
    near[1:] |= own[:-1]
    near[:-1] |= own[1:]
    near[:, 1:] |= own[:, :-1]
    near[:, :-1] |= own[:, 1:]
    keep = own | (near & (own_labels == 0))
    return np.where(keep, crop, np.float32(0)), (left, top)


def ink_box(ink, origin):
    """The box (x, y, width, height) of the ink above the threshold, `origin` added."""
    inked = ink > INK_THRESHOLD
    rows, columns = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    return (
        origin[0] + int(columns[0]),
        origin[1] + int(rows[0]),
        int(columns[-1] + 1 - columns[0]),
        int(rows[-1] + 1 - rows[0]),
    )


def sent_box(box, scale):
    x, y, width, height = box
    return tuple(round(value * scale) for value in (x, y, width, height))


# Splitting touching digits -----------------------------------------------------------------------------


def candidate_cuts(ink, height):
    """Columns where a cut may part touching digits: minima of the column ink profile, thinnest first,
    at least a narrow digit away from either end and from each other."""
    profile = (ink > INK_THRESHOLD).sum(axis=0).astype(np.float32)
    width = profile.size
    margin = max(1, round(NARROWEST_DIGIT * height))
    if width <= 2 * margin:
        return []
    window = max(1, round(0.04 * height)) | 1
    smooth = np.convolve(profile, np.ones(window, np.float32) / window, mode="same")
    inner = np.arange(margin, width - margin)
    values = smooth[inner]
    left = smooth[inner - 1]
    right = smooth[inner + 1]
    minima = inner[(values <= left) & (values <= right)]
    order = minima[np.argsort(smooth[minima], kind="stable")]
    limit = CUTS_PER_DIGIT * max(2, int(np.ceil(width / (NARROWEST_DIGIT * 4 * height))))
    chosen = []
    for column in order:
        if all(abs(int(column) - other) >= margin for other in chosen):
            chosen.append(int(column))
            if len(chosen) >= limit:
                break
    return sorted(chosen)


def segments_of(width, cuts, height):
    """Pieces (start, end) between candidate cut positions, no wider than a digit; the whole always."""
    positions = [0, *cuts, width]
    widest = WIDEST_DIGIT * height
    pieces = [(0, width)]
    for i, start in enumerate(positions):
        for end in positions[i + 1 :]:
            if end - start > widest:
                break
            if (start, end) != (0, width):
                pieces.append((start, end))
    return positions, pieces


def width_score(width, height):
    """log of how likely a piece this wide is one digit (see WIDE_DIGIT)."""
    excess = max(0.0, width / height - WIDE_DIGIT)
    return -((excess / WIDTH_SPREAD) ** 2)


def best_split(positions, scores):
    """The pieces (start, end) covering the mark with the highest joint score (log scores of the pieces,
    SPLIT_PRIOR paid per cut)."""
    penalty = float(np.log(SPLIT_PRIOR))
    best = {0: (0.0, [])}
    for end in positions[1:]:
        options = [
            (best[start][0] + score + (penalty if start else 0.0), best[start][1] + [(start, end)])
            for (start, piece_end), score in scores.items()
            if piece_end == end and start in best
        ]
        if options:
            best[end] = max(options, key=lambda option: option[0])
    return best[positions[-1]][1]


# The marks ---------------------------------------------------------------------------------------------


def digit_score(outputs):
    """log P(the best digit) from raw outputs, whether the model has ten outputs or eleven."""
    return float(np.log(max(float(np.max(outputs[:NUM_DIGITS])), 1e-12)))


def find_marks(ink, *, predict, scale=1.0):
    """The drawing's marks, left to right (see the module's doc).

    `ink`: float32 (H, W) in [0, 1] (preprocessing.ink_of); `predict`: (n, 28, 28) float32 in [0, 1] →
    (n, C) raw outputs; `scale`: the sent image's pixels per ink pixel. Raises EmptyDrawing when there is
    no ink, TooManyMarks when more than limits.MAX_DIGITS marks are found."""
    mask = ink > INK_THRESHOLD
    parts, runs = label_parts(mask)
    if not parts:
        raise EmptyDrawing()
    if len(parts) == 1 and parts[0].width < SPLIT_FROM_WIDTH * parts[0].height:
        # One part no wider than a digit: read whole, as a single digit always was.
        model_input = normalise_ink(ink)
        outputs = predict(scaled(model_input[None]))[0]
        return [Mark(sent_box(ink_box(ink, (0, 0)), scale), model_input, outputs)]

    labels = label_image(mask.shape, runs) if len(parts) > 1 else None
    marks = grouped(without_specks(parts))
    if len(marks) > limits.MAX_DIGITS:
        raise TooManyMarks(len(marks))
    height = digit_height(marks)
    pieces = []  # (ink, origin) of each piece to read, left to right
    to_split = []  # (index in pieces, ink, origin, positions, candidate pieces)
    for mark in marks:
        own_ink, origin = mark_ink(ink, labels, mark)
        if mark.width >= SPLIT_FROM_WIDTH * height:
            cuts = candidate_cuts(own_ink, height)
            if cuts:
                positions, candidates = segments_of(own_ink.shape[1], cuts, height)
                to_split.append((len(pieces), own_ink, origin, positions, candidates))
        pieces.append([(own_ink, origin)])

    if to_split:
        split_marks(pieces, to_split, predict, height)
    pieces = [piece for group in pieces for piece in group]
    if len(pieces) > limits.MAX_DIGITS:
        raise TooManyMarks(len(pieces))
    model_inputs = np.stack([normalise_ink(piece_ink) for piece_ink, _ in pieces])
    outputs = predict(scaled(model_inputs))
    return [
        Mark(sent_box(ink_box(piece_ink, origin), scale), model_input, output)
        for (piece_ink, origin), model_input, output in zip(pieces, model_inputs, outputs, strict=True)
    ]


def split_marks(pieces, to_split, predict, height):
    """Replace each wide mark in `pieces` by its best split (maybe itself), every candidate piece of the
    drawing read in one batched call."""
    inputs, keys = [], []
    for index, own_ink, _, _, candidates in to_split:
        for start, end in candidates:
            piece = own_ink[:, start:end]
            if not (piece > INK_THRESHOLD).any():
                continue
            inputs.append(normalise_ink(piece))
            keys.append((index, start, end))
    outputs = predict(scaled(np.stack(inputs)))
    scores = {}
    for (index, start, end), output in zip(keys, outputs, strict=True):
        score = digit_score(output) + width_score(end - start, height)
        scores.setdefault(index, {})[(start, end)] = score
    for index, own_ink, origin, positions, _ in to_split:
        split = best_split(positions, scores.get(index, {}))
        if len(split) > 1:
            pieces[index] = [(own_ink[:, start:end], (origin[0] + start, origin[1])) for start, end in split]
