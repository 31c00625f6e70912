"""The marks of a drawing: each digit of a number found, cut out and normalised on its own.

`find_marks(ink, predict=..., scale=...)` answers the marks left to right, each with its box in the sent
image's pixels, its 28×28 model input and the model's raw outputs for it (ten or eleven):

1. the ink's connected parts (8-connected, at preprocessing.INK_THRESHOLD), found run by run along the
   rows (NumPy only); specks, tiny beside the largest part, are dropped;
2. parts that are one digit are grouped: parts sharing most of their columns (people write numbers
   left to right), a low part (a 5's detached bar, a 7's crossbar, a 1's base, a dot) with the mark
   whose columns it shares, close parts at clearly different heights (a 4 as an L and a lower upright);
3. every mark, normalised MNIST-style on its own (preprocessing.normalise_ink), and every pair of
   neighbours that may be one digit are read in ONE batched call;
4. the model decides the doubtful cases:
   - a mark at least as wide as a digit is tall may be touching digits: cuts are tried where the
     column ink profile is thinnest (among other marks, from SPLIT_AMONG_MARKS_FROM_WIDTH, beside an
     upright: a 1 leaning on its neighbour), and the pieces the model reads with the highest joint
     probability win against reading the mark whole. Scores are log probabilities plus priors: wide or
     low pieces are unlikely digits; a cut through one pen-thin stroke (where digits touch) is likelier
     than one through a loop; a drawing of one mark favours no cut. Only the pieces of a split that
     could still beat the whole, were the model sure of every piece, are read: in ONE more batched call;
   - a lower, off-line or overlapping part close to its neighbour: one digit, or two each read at its
     best (cut where that wins);
5. each mark's reading is the one its piece got in those calls: no piece is read twice.

A drawing of one part no wider than tall (most single digits) is read whole, as before: one
normalisation, one reading. Noise and textures too busy to take apart are read whole too; more than
limits.MAX_DIGITS digit-high marks raise TooManyMarks. Django-free.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from recognizer import limits
from recognizer.contract import NUM_DIGITS, scaled, split_outputs
from recognizer.errors import EmptyDrawing, TooManyMarks
from recognizer.preprocessing import INK_THRESHOLD, crop_to_ink, normalise_cropped_ink, normalise_ink

# Hostile drawings: beyond these, the ink is read whole (too many runs to label: noise, a texture), or
# refused (too many parts that are not specks: no digit is drawn in more than four).
MAX_RUNS = 50_000  # a canvas digit has ~300 runs of ink along its rows; a 15-digit number on 1024 px ~10,000
MAX_PARTS = 4 * limits.MAX_DIGITS

# Sizes relative to the drawing's digit height (the tallest mark's).
SPECK_AREA = 0.02  # a part with less ink than this share of the largest part's...
SPECK_SIDE = 0.25  # ...and no side longer than this share of the digit height is a speck
SAME_MARK_OVERLAP = 0.5  # parts sharing this share of the narrower one's columns are one mark...
SAME_DIGIT_OVERLAP = 0.8  # ...this share when both are digit-high
SMALL_PART = 0.5  # a part lower than this (a bar, a dot) joins the mark whose columns it shares
MERGE_GAP = 0.12  # neighbours closer than this may be one digit in two strokes: the model decides...
LOW_PART_MERGE_GAP = 0.4  # ...and a low part this close (a 5's top bar drawn well off its body)...
WIDEST_LOW_MERGE = 1.5  # ...unless together they are wider than this (the shape score weighs the width)
WIDEST_MERGE = 1.2  # ...unless together they are wider than this...
MERGE_HEIGHT = 0.8  # ...or both are at least this high
# Digit-high neighbours sharing this share of the narrower one's columns may be one digit in two strokes
# (a 0 drawn as two arcs): the model decides
SHARED_COLUMNS_MERGE = 0.25
STAGGER = 0.2  # close parts whose tops and bottoms differ by this share of their height are one mark
SPLIT_FROM_WIDTH = 0.9  # a mark at least this wide may be touching digits: cuts are tried...
# ...and among other marks, one this wide, beside its uprights only (a digit touching a thin 1 is
# hardly wider than one digit)
SPLIT_AMONG_MARKS_FROM_WIDTH = 0.55
ALL_CUTS_FROM_WIDTH = 0.9  # narrower marks are cut beside their uprights only
NARROWEST_DIGIT = 0.12  # a cut never leaves a piece narrower than this: a thin 1
WIDEST_DIGIT = 1.3  # no piece of a split is wider than this
# Beside an upright (columns inked over this share of the mark's height, no wider than UPRIGHT_WIDTH
# pens: a 1, a 4's or a 9's stem) a cut may part a 1 from the digit it touches, however narrow it is.
UPRIGHT_HEIGHT, UPRIGHT_WIDTH = 0.6, 2.0
CUTS_PER_DIGIT = 2  # at most this many candidate cuts per digit the mark could hold...
TYPICAL_DIGIT = 0.6  # ...digits being about this wide
MAX_CANDIDATES = (
    240  # pieces read to choose splits and merges (besides each mark whole), whatever the drawing
)
BOUND_SLACK = 1e-9  # rounding room when a split's best possible score is weighed against the whole's

# The scores weighed are log probabilities: the model's for the piece's best digit, plus how likely a
# piece of that shape is one digit.
# A split must beat reading the mark whole by this factor per cut: a model reads half a 0 as a 1 just
# as confidently as the whole 0, so a single digit is never worth cutting for a little more confidence.
SPLIT_PRIOR = 0.05
# ...but a cut crossing a single stroke no thicker than CLEAN_CUT_WIDTH pens is where digits often touch.
CLEAN_CUT_PRIOR = 0.6
CLEAN_CUT_WIDTH = 1.5
UPRIGHT_CUT_PRIOR = 1.5  # ...and beside an upright (see UPRIGHT_HEIGHT) it most often parts a 1 off
LONE_MARK_CUT_PRIOR = 0.05  # ...except in a drawing of one mark (one digit, far more often than two)
MAX_CUT_INK = 2.5  # no cut crosses more ink than this many pens' width (the middle of a 3 or an 8)...
MAX_CUT_SHARE = 0.5  # ...or than this share of the mark's height (a blot)
# A piece cut off lower than CUT_PIECE_HEIGHT × its mark's height is a stroke, not a digit (same form).
CUT_PIECE_HEIGHT, CUT_PIECE_SPREAD = 0.9, 0.1
# Two strokes close together that make one digit-shaped mark are one digit unless the model reads them
# apart much better (a 4 in two strokes reads as a 1 and a 6 quite confidently too).
MERGE_PRIOR = 2.0
# A digit is seldom wider than it is tall (99% of single digits are under 1.3 × their height): wider
# pieces are less and less likely one digit, by exp(-(excess / spread)²).
WIDE_DIGIT, WIDTH_SPREAD = 1.0, 0.3
# ...but a drawing of one mark is one digit up to this wide before its width counts against it: some
# people draw a digit wide (of MNIST's test digits sent as they are, 14 wide 5s, 2s and 0s were read as
# two digits with WIDE_DIGIT there, at a cost of 2 of 1,000 touching numbers read a digit short).
LONE_WIDE_DIGIT = 1.4
# A piece much lower than the drawing's digits is a stroke of one, rarely a digit (by the same form).
LOW_DIGIT, HEIGHT_SPREAD = 0.65, 0.15


BUSY = ["the ink is too busy to take apart"]  # parts_of's answer for noise and textures


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
    padded = np.zeros((height, width + 2), dtype=bool)
    padded[:, 1:-1] = mask
    # With a blank column either side, each row's changes alternate: a run's start, then its end.
    # (Found in the flattened changes: a third of the time of np.nonzero's two index arrays.)
    rows, columns = np.divmod(np.flatnonzero(padded[:, 1:] != padded[:, :-1]), width + 1)
    return rows[0::2], columns[0::2], columns[1::2]


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
            if (jumped == parent).all():  # np.array_equal's checks cost more than the comparison
                break
            parent = jumped
    if (parent == 0).all():  # one part (most drawings of a digit): no renumbering needed
        return parent
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
    if count == 1:
        part = Part(
            [0], int(starts.min()), int(rows[0]), int(ends.max()), int(rows[-1]) + 1, int(lengths.sum())
        )
        return [part], (rows, starts, ends, ids)
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


def parts_of(mask):
    """The mask's parts and their runs (rows, starts, ends, part ids), in the mask's pixels, labelled
    within the ink's bounding box only (the blank margins of a canvas cost nothing)."""
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return [], None
    top, left = int(rows[0]), int(columns[0])
    inked = mask[top : rows[-1] + 1, left : columns[-1] + 1]
    if np.count_nonzero(inked[:, 1:] != inked[:, :-1]) > 2 * MAX_RUNS:
        return BUSY, None
    parts, runs = label_parts(inked)
    for part in parts:
        part.left, part.right = part.left + left, part.right + left
        part.top, part.bottom = part.top + top, part.bottom + top
    run_rows, starts, ends, ids = runs
    return parts, (run_rows + top, starts + left, ends + left, ids)


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


def copy(part):
    return Part(list(part.ids), part.left, part.top, part.right, part.bottom, part.area)


def overlap(one, other):
    """How many columns two parts share (negative: the gap between them)."""
    return min(one.right, other.right) - max(one.left, other.left)


def grouped(parts):
    """Parts sharing much of their columns merged into one (transitively), left to right. Two parts as
    high as the drawing's digits must share nearly all the narrower one's columns: a thin 1 leaning on
    its neighbour is a digit of its own."""
    tallest = max(part.height for part in parts)
    marks = []
    for part in sorted(parts, key=lambda part: part.left):
        part = copy(part)
        merged = True
        while merged:
            merged = False
            for other in marks:
                both_tall = min(part.height, other.height) >= MERGE_HEIGHT * tallest
                share = SAME_DIGIT_OVERLAP if both_tall else SAME_MARK_OVERLAP
                if overlap(part, other) >= share * min(part.width, other.width):
                    marks.remove(other)
                    part.absorb(other)
                    merged = True
                    break
        marks.append(part)
    return sorted(marks, key=lambda part: part.left)


def with_small_parts_joined(marks, height):
    """Each low part (a detached bar, a dot) that shares columns with a digit-high mark joined to the
    one it shares most with."""
    tall = [mark for mark in marks if mark.height >= SMALL_PART * height]
    joined = []
    for mark in marks:
        if mark.height >= SMALL_PART * height or not tall:
            joined.append(mark)
            continue
        best = max(tall, key=lambda other: overlap(mark, other))
        if overlap(mark, best) > 0:
            best.absorb(mark)
        else:
            joined.append(mark)
    return sorted(joined, key=lambda part: part.left)


def staggered(one, other):
    """Whether two parts sit at clearly different heights (top and bottom both offset): strokes of one
    digit, not neighbours on a line of writing."""
    offset = STAGGER * max(one.height, other.height)
    return abs(one.top - other.top) > offset and abs(one.bottom - other.bottom) > offset


def off_line(one, other):
    """Whether two parts' tops or bottoms differ by more than STAGGER of their height: not two digits
    written on one line, or one of them much smaller."""
    offset = STAGGER * max(one.height, other.height)
    return abs(one.top - other.top) > offset or abs(one.bottom - other.bottom) > offset


def with_staggered_neighbours_joined(marks, height):
    """Close neighbours at clearly different heights joined: a 4 written as an L and a lower stroke."""
    joined = []
    for mark in marks:
        last = joined[-1] if joined else None
        if last is not None and -overlap(last, mark) < MERGE_GAP * height and staggered(last, mark):
            last.absorb(mark)
        else:
            joined.append(mark)
    return joined


def digit_height(marks):
    """The drawing's digit height: the tallest mark's (bars and dots are lower, digits about equal)."""
    return max(mark.height for mark in marks)


# Ink of one mark ---------------------------------------------------------------------------------------


def mark_ink(ink, runs, mark):
    """The ink of `mark` alone, cropped to its box plus a pixel for the anti-aliased edge: its own parts'
    ink and the faint edge around it, not other marks' ink in that box (`runs`: parts_of's runs and
    parts, None when the drawing is one part)."""
    top, left = max(mark.top - 1, 0), max(mark.left - 1, 0)
    bottom, right = min(mark.bottom + 1, ink.shape[0]), min(mark.right + 1, ink.shape[1])
    crop = ink[top:bottom, left:right]
    if runs is None:
        return crop, (left, top)
    rows, starts, ends, ids, parts = runs
    alone = all(
        part.ids[0] in mark.ids
        or part.right <= left
        or part.left >= right
        or part.bottom <= top
        or part.top >= bottom
        for part in parts
    )
    if alone:  # no other part's ink in its box
        return crop, (left, top)
    mine = np.isin(ids, mark.ids)
    own = (
        label_image(crop.shape, (rows[mine] - top, starts[mine] - left, ends[mine] - left, ids[mine] * 0)) > 0
    )
    near = own.copy()  # the faint edge around its own ink (below the threshold: no part's ink)
    near[1:] |= own[:-1]
    near[:-1] |= own[1:]
    near[:, 1:] |= own[:, :-1]
    near[:, :-1] |= own[:, 1:]
    keep = own | (near & (crop <= INK_THRESHOLD))
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


class MarkMask:
    """A mark's ink mask and what the cuts read off it, each computed once: its column profile (ink
    pixels per column), the strokes each column crosses, and the pen's width (the median length of its
    runs of ink along rows; `run_lengths`, when the drawing's labelling has them already)."""

    def __init__(self, ink, run_lengths=None):
        self.inked = ink > INK_THRESHOLD
        self.height = ink.shape[0]
        self.profile = self.inked.sum(axis=0)
        if run_lengths is None:
            _, starts, ends = row_runs(self.inked)
            run_lengths = ends - starts
        self.pen = float(np.median(run_lengths)) if run_lengths.size else 1.0

    @cached_property
    def strokes(self):
        return strokes_crossed(self.inked)

    @cached_property
    def uprights(self):
        return beside_uprights(self.profile, self.height, self.pen)


def run_lengths_by_mark(runs, marks):
    """Each mark's lengths of row runs of ink, from the drawing's labelling (`runs`: parts_of's runs and
    parts); None for each when the drawing is one part (MarkMask then finds its runs itself)."""
    if runs is None:
        return [None] * len(marks)
    _, starts, ends, ids, _ = runs
    owner = np.full(int(ids.max()) + 1, -1)  # part id → its mark's index (-1: a speck, in no mark)
    for index, mark in enumerate(marks):
        owner[mark.ids] = index
    run_marks = owner[ids]
    return [(ends - starts)[run_marks == index] for index in range(len(marks))]


def candidate_cuts(mask, height, *, uprights_only=False):
    """Columns where a cut may part touching digits (`mask`: a MarkMask): minima of the column ink
    profile crossing no more ink than MAX_CUT_INK pens, thinnest first, at least a narrow digit away from
    either end and from each other; and beside uprights (only there if `uprights_only`: a mark hardly
    wider than a digit)."""
    pen = mask.pen
    if uprights_only:  # and only across one stroke: through a loop it seldom wins (see cut_priors)
        return [column for column in mask.uprights if mask.strokes[column] == 1]
    profile = mask.profile.astype(np.float32)
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
    thin = (values <= MAX_CUT_INK * pen) & (values <= MAX_CUT_SHARE * mask.height)
    minima = inner[(values <= left) & (values <= right) & thin]
    order = minima[np.argsort(smooth[minima], kind="stable")]
    limit = CUTS_PER_DIGIT * max(2, int(np.ceil(width / (TYPICAL_DIGIT * height))))
    chosen = []
    for column in order:
        if all(abs(int(column) - other) >= margin for other in chosen):
            chosen.append(int(column))
            if len(chosen) >= limit:
                break
    for column in mask.uprights:
        if all(abs(column - other) >= pen for other in chosen):
            chosen.append(column)
    return sorted(chosen)


def beside_uprights(profile, height, pen):
    """The first columns either side of each upright in a column ink profile (see UPRIGHT_HEIGHT), within
    a pen of it, that cross no more ink than MAX_CUT_INK pens and leave a piece at least a pen wide."""
    tall = np.concatenate([[False], profile >= UPRIGHT_HEIGHT * height, [False]])
    changes = np.flatnonzero(tall[1:] != tall[:-1])
    thin = profile <= MAX_CUT_INK * pen
    reach = max(1, round(pen))
    columns = []
    for start, end in zip(changes[0::2], changes[1::2], strict=True):
        if end - start > UPRIGHT_WIDTH * pen:
            continue
        left = [c for c in range(start - 1, max(start - 1 - reach, -1), -1) if thin[c]]
        right = [c for c in range(end, min(end + reach, profile.size)) if thin[c]]
        columns += left[:1] + right[:1]
    return [column for column in columns if pen <= column <= profile.size - pen]


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


def shape_score(width, height, digit_height, *, wide_digit=WIDE_DIGIT):
    """log of how likely a piece of this size is one digit (see WIDE_DIGIT and LOW_DIGIT)."""
    wide = max(0.0, width / digit_height - wide_digit) / WIDTH_SPREAD
    low = max(0.0, LOW_DIGIT - height / digit_height) / HEIGHT_SPREAD
    return -(wide**2) - low**2


def merged_shape_score(together, digit_height):
    """log of how likely two neighbouring parts are one digit by their shape together (MERGE_PRIOR
    included). Staggered parts may together stand taller than the drawing's digit height."""
    return shape_score(together.width, together.height, max(digit_height, together.height)) + float(
        np.log(MERGE_PRIOR)
    )


def strokes_crossed(inked):
    """For each column of an ink mask: how many runs of ink it crosses."""
    padded = np.zeros((inked.shape[0] + 2, inked.shape[1]), dtype=bool)
    padded[1:-1] = inked
    return np.count_nonzero(padded[1:] != padded[:-1], axis=0) // 2


def cut_priors(mask, cuts, *, clean_prior, upright_prior):
    """log of the prior of cutting at each column of a MarkMask: SPLIT_PRIOR, or `clean_prior` where the
    cut crosses one stroke no thicker than CLEAN_CUT_WIDTH pens (where two digits touch, rather than a
    digit's loop), `upright_prior` where that clean cut is beside an upright (a 1 touching its
    neighbour)."""
    uprights = set(mask.uprights)

    def clean(cut):
        return mask.strokes[cut] == 1 and mask.profile[cut] <= CLEAN_CUT_WIDTH * mask.pen

    def prior(cut):
        if not clean(cut):
            return SPLIT_PRIOR
        return upright_prior if cut in uprights else clean_prior

    return {cut: float(np.log(prior(cut))) for cut in cuts}


def best_split(positions, scores, priors):
    """(joint score, pieces (start, end)) covering the mark with the highest joint score (the pieces'
    scores and the prior of each cut, `priors`); None when a piece of every covering went unread."""
    best = {0: (0.0, [])}
    for end in positions[1:]:
        options = [
            (best[start][0] + score + (priors[start] if start else 0.0), best[start][1] + [(start, end)])
            for (start, piece_end), score in scores.items()
            if piece_end == end and start in best
        ]
        if options:
            best[end] = max(options, key=lambda option: option[0])
    return best.get(positions[-1])  # None: candidates capped (MAX_CANDIDATES) before this mark's


# The marks ---------------------------------------------------------------------------------------------


def log_probability(probabilities):
    """log of float32 probabilities, in float64, none below log(1e-12)."""
    return np.log(np.maximum(np.asarray(probabilities, dtype=np.float64), 1e-12))


def digit_scores(outputs):
    """log P(the best digit) of each row of raw (n, C) outputs, whether the model has ten outputs or
    eleven."""
    return log_probability(np.max(outputs[:, :NUM_DIGITS], axis=1))


def refusal_scores(outputs):
    """log P(not a digit) of each row of raw (n, C) outputs (a ten-output model never says so)."""
    return log_probability(split_outputs(outputs)[1])


class Readings:
    """Pieces of ink the model has read, by key: their model inputs, raw outputs and scores. Each `read`
    is one batched call; the final reading takes its answers from here, no piece being read twice."""

    def __init__(self):
        self.model_inputs, self.outputs = {}, {}
        self.scores = {}  # key: log P(the piece's best digit)
        self.refusals = {}  # key: log P(not a digit)

    def read(self, pieces, predict):
        """Read `pieces` ((key, ink cropped to its ink) each) in one call."""
        if not pieces:
            return
        inputs = np.stack([normalise_cropped_ink(piece_ink) for _, piece_ink in pieces])
        outputs = predict(scaled(inputs))
        scores, refusals = digit_scores(outputs).tolist(), refusal_scores(outputs).tolist()
        for (key, _), model_input, output, score, refusal in zip(
            pieces, inputs, outputs, scores, refusals, strict=True
        ):
            self.model_inputs[key], self.outputs[key] = model_input, output
            self.scores[key], self.refusals[key] = score, refusal


def find_marks(ink, *, predict, scale=1.0):
    """The drawing's marks, left to right (see the module's doc).

    `ink`: float32 (H, W) in [0, 1] (preprocessing.ink_of); `predict`: (n, 28, 28) float32 in [0, 1] →
    (n, C) raw outputs; `scale`: the sent image's pixels per ink pixel. Raises EmptyDrawing when there is
    no ink, TooManyMarks when more than limits.MAX_DIGITS digit-high marks are found."""
    parts, runs = parts_of(ink > INK_THRESHOLD)
    if not parts:
        raise EmptyDrawing()
    if parts is BUSY or (len(parts) == 1 and parts[0].width < SPLIT_FROM_WIDTH * parts[0].height):
        # One part no wider than a digit (or ink too busy to take apart): read whole, as a single
        # digit always was.
        if parts is BUSY:
            box = ink_box(ink, (0, 0))
        else:  # the part's box is the ink's: normalising its crop gives the very same model input
            part = parts[0]
            box = (part.left, part.top, part.width, part.height)
            ink = ink[part.top : part.bottom, part.left : part.right]
        model_input = normalise_ink(ink) if parts is BUSY else normalise_cropped_ink(ink)
        outputs = predict(scaled(model_input[None]))[0]
        return [Mark(sent_box(box, scale), model_input, outputs)]

    runs = (*runs, parts) if len(parts) > 1 else None
    parts = without_specks(parts)
    if len(parts) > MAX_PARTS:  # dust, noise, a texture: no number, and not worth grouping
        raise TooManyMarks(len(parts))
    marks = grouped(parts)
    height = digit_height(marks)
    marks = with_staggered_neighbours_joined(with_small_parts_joined(marks, height), height)
    height = digit_height(marks)  # staggered strokes joined may stand taller than any part
    check_count(marks, height)
    pieces, readings = decided(ink, runs, marks, height, predict)
    check_count([_Box(width, piece_height) for (_, _, width, piece_height), _ in pieces], height)
    return [
        Mark(sent_box(box, scale), readings.model_inputs[key], readings.outputs[key]) for box, key in pieces
    ]


@dataclass
class _Box:
    width: int
    height: int


def check_count(marks, height):
    digit_high = sum(mark.height >= SMALL_PART * height for mark in marks)
    if digit_high > limits.MAX_DIGITS:
        raise TooManyMarks(digit_high)


def column_extents(ink):
    """For each column of `ink`: whether it holds ink above the threshold, and its first and last ink
    rows (the last exclusive), so that any run of columns' ink extent costs no pass over the pixels."""
    inked = ink > INK_THRESHOLD
    return inked.any(axis=0), np.argmax(inked, axis=0), inked.shape[0] - np.argmax(inked[::-1], axis=0)


def piece_box(columns, start, end):
    """The box (x, y, width, height) of the ink in columns start:end (from column_extents), x counted
    from column 0; None when there is none."""
    has_ink, first_rows, last_rows = (values[start:end] for values in columns)
    inked = np.flatnonzero(has_ink)
    if inked.size == 0:
        return None
    top = int(first_rows[inked].min())
    return start + int(inked[0]), top, int(inked[-1] + 1 - inked[0]), int(last_rows[inked].max()) - top


def pieces_worth_reading(positions, bounds, priors, whole_score):
    """The pieces (start, end) worth reading: those of some split that could still beat reading the
    mark whole (`whole_score`, read already). A split scores its pieces' log P(digit) (at most 0) plus
    their shape scores (`bounds`: all but the model's part of each piece's score) and its cuts'
    `priors`: a piece whose best split scores below the whole's even were the model certain of every
    digit can never be chosen, so leaving it unread changes no choice."""

    def prior(start):
        return priors[start] if start else 0.0

    best_to = {0: 0.0}  # position: the best bound of splitting the columns before it
    for end in positions[1:]:
        options = [
            best_to[s] + prior(s) + score for (s, e), score in bounds.items() if e == end and s in best_to
        ]
        if options:
            best_to[end] = max(options)
    best_from = {positions[-1]: 0.0}  # position: the best bound of splitting the columns after it
    for start in reversed(positions[:-1]):
        options = [
            prior(s) + score + best_from[e]
            for (s, e), score in bounds.items()
            if s == start and e in best_from
        ]
        if options:
            best_from[start] = max(options)
    return [
        (start, end)
        for (start, end), score in bounds.items()
        if start in best_to
        and end in best_from
        and best_to[start] + prior(start) + score + best_from[end] >= whole_score - BOUND_SLACK
    ]


def merge_candidates(marks, height):
    """Neighbours that may be one digit in two strokes: (index of the left one, the two together)."""
    pairs = []
    for index in range(len(marks) - 1):
        left, right = marks[index], marks[index + 1]
        together = copy(left)
        together.absorb(right)
        low = min(left.height, right.height) < SMALL_PART * height
        close = -overlap(left, right) < (LOW_PART_MERGE_GAP if low else MERGE_GAP) * height
        widest = WIDEST_LOW_MERGE if low else WIDEST_MERGE
        # Two digit-high neighbours on one line are two digits: only a lower part, or one standing
        # clearly higher or lower than its neighbour, may be a stroke of it.
        lower = min(left.height, right.height) < MERGE_HEIGHT * height
        shared = overlap(left, right) >= SHARED_COLUMNS_MERGE * min(left.width, right.width)
        if close and (lower or shared or off_line(left, right)) and together.width <= widest * height:
            pairs.append((index, together))
    return pairs


def decided(ink, runs, marks, height, predict):
    """Neighbours merged where the model reads them better as one digit, wide marks cut where it reads
    them better as several: (the pieces to read, left to right, as (box in `ink`'s pixels, key), the
    Readings that read them). Two batched calls at most: every mark whole and every pair of neighbours
    that may be one digit; then the pieces of the cuts that could still beat reading their mark whole."""
    own = [mark_ink(ink, runs, mark) for mark in marks]
    run_lengths = run_lengths_by_mark(runs, marks)
    columns = [column_extents(mark_ink_) for mark_ink_, _ in own]

    def whole(index):
        return ("piece", index, 0, own[index][0].shape[1])

    def cropped(index, box):
        x, y, width, piece_height = box
        return own[index][0][y : y + piece_height, x : x + width]

    def in_ink(index, box):
        x, y, width, piece_height = box
        origin = own[index][1]
        return (origin[0] + x, origin[1] + y, width, piece_height)

    def shape_parts(index, start, end, box):
        """A piece's score but for the model's part, as (a bonus, a penalty): how likely its shape is one
        digit, and for a piece cut off, how much lower than its mark it stands."""
        _, _, width, piece_height = box
        penalty = 0.0
        if (start, end) != (0, own[index][0].shape[1]):
            # Touching digits of one number stand about as high as each other: a piece cut off much
            # lower than the mark it was cut from is a stroke of one digit.
            penalty = (
                max(0.0, CUT_PIECE_HEIGHT - piece_height / marks[index].height) / CUT_PIECE_SPREAD
            ) ** 2
        return shape_score(width, piece_height, height), penalty

    whole_boxes = [
        piece_box(columns[index], 0, mark_ink_.shape[1]) for index, (mark_ink_, _) in enumerate(own)
    ]
    pairs = [
        (index, together, mark_ink(ink, runs, together))
        for index, together in merge_candidates(marks, height)
    ]
    pairs = pairs[:MAX_CANDIDATES]
    readings = Readings()
    readings.read(
        [(whole(index), cropped(index, box)) for index, box in enumerate(whole_boxes)]
        + [(("pair", index), crop_to_ink(pair_ink)) for index, _, (pair_ink, _) in pairs],
        predict,
    )
    scores = readings.scores

    def whole_score(index):
        return scores[whole(index)] + shape_parts(index, *whole(index)[2:], whole_boxes[index])[0]

    # Cuts: for each mark that may be touching digits, the pieces that could beat reading it whole, all
    # read in one call. A mark among others is tried from a narrower width, beside its uprights only (a
    # digit touching a thin 1 is hardly wider than one digit).
    splits, to_read = {}, []
    budget = MAX_CANDIDATES - len(pairs)
    lone = len(marks) == 1
    split_from = SPLIT_FROM_WIDTH if lone else SPLIT_AMONG_MARKS_FROM_WIDTH
    for index, (mark, (mark_ink_, _)) in enumerate(zip(marks, own, strict=True)):
        if not split_from * height <= mark.width <= WIDEST_DIGIT * limits.MAX_DIGITS * height:
            continue
        mask = MarkMask(mark_ink_, run_lengths[index])
        cuts = candidate_cuts(mask, height, uprights_only=mark.width < ALL_CUTS_FROM_WIDTH * height)
        if not cuts:
            continue
        positions, pieces = segments_of(mark_ink_.shape[1], cuts, height)
        if not lone:
            read_whole = whole_score(index)
        else:
            _, _, width, mark_height = whole_boxes[index]
            read_whole = scores[whole(index)] + shape_score(
                width, mark_height, height, wide_digit=LONE_WIDE_DIGIT
            )
            # A drawing the model calls "not a digit" as a whole (a smiley, a letter) is explained by
            # that as well as by a digit: no digit is cut out of it to read something. Not so a mark
            # among others: in a number, a wide mark refused whole is most often touching digits
            # (of 300 touching numbers, 19 more were read a digit short with this rule there).
            read_whole += max(0.0, readings.refusals[whole(index)] - scores[whole(index)])
        # A drawing of one mark is most often one digit: no cut is favoured there.
        priors = cut_priors(
            mask,
            cuts,
            clean_prior=LONE_MARK_CUT_PRIOR if lone else CLEAN_CUT_PRIOR,
            upright_prior=LONE_MARK_CUT_PRIOR if lone else UPRIGHT_CUT_PRIOR,
        )
        boxes = {piece: box for piece in pieces[1:] if (box := piece_box(columns[index], *piece)) is not None}
        shapes = {piece: shape_parts(index, *piece, box) for piece, box in boxes.items()}
        bounds = {piece: bonus - penalty for piece, (bonus, penalty) in shapes.items()}
        worth = pieces_worth_reading(positions, bounds, priors, read_whole)[: max(budget, 0)]
        budget -= len(worth)
        to_read += [(("piece", index, *piece), cropped(index, boxes[piece])) for piece in worth]
        splits[index] = positions, priors, read_whole, shapes, boxes
    readings.read(to_read, predict)

    def best_reading(index):
        """(score, pieces (start, end)) of the mark read at its best: whole, or cut where that scores
        higher (pieces left unread could not have won)."""
        if index not in splits:
            return whole_score(index), [whole(index)[2:]]
        positions, priors, read_whole, shapes, _ = splits[index]
        piece_scores = {whole(index)[2:]: read_whole}
        for (start, end), (bonus, penalty) in shapes.items():
            if (key := ("piece", index, start, end)) in scores:
                piece_scores[start, end] = scores[key] + bonus - penalty
        return best_split(positions, piece_scores, priors)

    best = [best_reading(index) for index in range(len(marks))]

    # Merges, the most convincing first; a mark joins one neighbour at most. Apart, each mark is read at
    # its best (a stroke beside touching digits is weighed against those digits cut apart).
    gains = []
    for index, together, _ in pairs:
        apart = best[index][0] + best[index + 1][0]
        gain = scores["pair", index] + merged_shape_score(together, height) - apart
        if gain > 0:
            gains.append((gain, index))
    merged_into = {}
    for _, index in sorted(gains, key=lambda item: -item[0]):
        if index not in merged_into and index + 1 not in merged_into:
            merged_into[index] = merged_into[index + 1] = index

    result = []
    pair_inks = {index: pair_ink for index, _, pair_ink in pairs}
    for index in range(len(marks)):
        if index in merged_into:
            if merged_into[index] == index:
                result.append((ink_box(*pair_inks[index]), ("pair", index)))
            continue
        _, split = best[index]
        if len(split) > 1:
            boxes = splits[index][4]
            result += [(in_ink(index, boxes[piece]), ("piece", index, *piece)) for piece in split]
        else:
            result.append((in_ink(index, whole_boxes[index]), whole(index)))
    return result, readings
