"""The femoral head (alignment.detect.hip) and where the long-leg stage looks for it
(alignment.detect.femoral_head): drawn hips on 1 mm pixels with what real films put around a
head: an acetabular rim arc above it, a bright iliac crest, the obturator foramen.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from skimage.transform import hough_circle, hough_circle_peaks

from alignment.detect import core, femoral_head
from alignment.detect._image import Work, content_box
from alignment.detect.hip import circle_peaks, find_head_coarse, rim_polarity
from alignment.detect.shaft import ShaftAxis, trace_shaft_end

HEAD = np.array([150.5, 150.5])
HEAD_R = 24.0
SHAFT_TOP = np.array([110.0, 230.0])


def _hip(*, rim: bool = True, crest: bool = True, foramen: bool = True) -> np.ndarray:
    """A right hip seen AP on 1 mm pixels (medial toward +x): femoral head, neck and
    shaft, and around them the pelvis' outlines that also draw circles."""
    yy, xx = np.mgrid[0:400, 0:260] + 0.5
    film = np.full(yy.shape, 0.2)
    film[np.hypot(xx - HEAD[0], yy - HEAD[1]) < HEAD_R] = 0.7
    # neck down and laterally to the shaft, shaft down the film
    t = np.clip(((xx - HEAD[0]) * -0.6 + (yy - HEAD[1]) * 0.8) / 1.0, 0, 100)
    neck = np.hypot(xx - (HEAD[0] - 0.6 * t), yy - (HEAD[1] + 0.8 * t)) < 14
    film[neck & (yy > HEAD[1])] = 0.65
    film[(yy > 210) & (np.abs(xx - SHAFT_TOP[0]) < 15)] = 0.65
    if rim:
        # the acetabular roof: a bright arc of bone over the head, wider than it
        ring = np.abs(np.hypot(xx - HEAD[0], yy - HEAD[1] + 18) - 40) < 4
        film[ring & (yy < HEAD[1] - 10)] = 0.75
    if crest:
        # the iliac crest: a bright round outline high above the hip
        film[np.abs(np.hypot(xx - 130, yy - 75) - 30) < 3] = 0.9
    if foramen:
        # the obturator foramen: a dark hole in bright bone, below and medial
        film[(np.abs(xx - 215) < 30) & (np.abs(yy - 215) < 35)] = 0.6
        film[np.hypot(xx - 215, yy - 215) < 20] = 0.15
    return film.astype(np.float32)


def _axis(top: np.ndarray, lean_deg: float) -> ShaftAxis:
    """A femoral shaft axis from `top` down the film, leaning `lean_deg` (its lower
    end toward +x for positive values)."""
    d = np.array([np.sin(np.radians(lean_deg)), np.cos(np.radians(lean_deg))])
    return ShaftAxis(top + 150 * d, d, 0.5, 20, 20, 28.0, 1.0, float(top[1]), float(top[1]) + 300)


def _accumulator(kind: str, rng: np.random.Generator) -> np.ndarray:
    """A Hough space of 1 to 5 radii: of random edges, of random votes, of votes on a
    few levels (ties and plateaus everywhere), or of such votes counted in uint16
    (ties sort in another order than in float64)."""
    shape = (int(rng.integers(1, 6)), int(rng.integers(12, 60)), int(rng.integers(12, 60)))
    if kind == "edges":
        return hough_circle(rng.random(shape[1:]) < 0.05, np.arange(3, 3 + shape[0]))
    votes = rng.random(shape)
    if kind == "votes":
        return votes
    levels = np.round(votes * rng.integers(2, 6))
    return levels / 5 if kind == "levels" else levels.astype(np.uint16)


@pytest.mark.parametrize("kind", ["edges", "votes", "levels", "counts"])
@pytest.mark.parametrize("seed", range(40))
def test_the_circle_peaks_are_skimage_s(kind, seed):
    rng = np.random.default_rng(seed)
    accumulator = _accumulator(kind, rng)
    radii = np.arange(3.0, 3.0 + len(accumulator))
    count = int(rng.integers(1, 40))
    _, *expected = hough_circle_peaks(
        accumulator, radii, total_num_peaks=count, min_xdistance=5, min_ydistance=5
    )
    for got, want in zip(circle_peaks(accumulator, radii, count, apart=5), expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_no_circle_peaks_in_an_empty_accumulator():
    cx, cy, radius = circle_peaks(np.zeros((2, 30, 30)), np.array([4.0, 5.0]), 10, apart=5)
    assert len(cx) == len(cy) == len(radius) == 0


def test_many_tied_circle_peaks_in_uint8_are_skimage_s():
    # 19 x 19 circles per radius on two vote levels: more ties than numpy's sort keeps
    # in the order it is given, so they fall as the accumulator's dtype sorts them
    rng = np.random.default_rng(0)
    accumulator = np.zeros((20, 240, 240), dtype=np.uint8)
    ys, xs = np.mgrid[6:234:12, 6:234:12]
    for r in range(20):
        y, x = ys + rng.integers(-2, 3, ys.shape), xs + rng.integers(-2, 3, xs.shape)
        accumulator[r, y, x] = rng.integers(8, 10, ys.shape)
    radii = np.arange(3.0, 23.0)
    _, *expected = hough_circle_peaks(
        accumulator, radii, total_num_peaks=300, min_xdistance=5, min_ydistance=5
    )
    for got, want in zip(circle_peaks(accumulator, radii, 300, apart=5), expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_a_peak_in_row_0_suppresses_across_the_side_edge_one_way():
    # skimage marks the cells a peak suppresses in its square less row 0, wrapped across
    # the side edges to the mirrored row: a peak in row 0 near the left edge marks a
    # weaker one near the bottom right, which marks nothing back in row 0 (the random
    # accumulators' peaks mark one another both ways, so they miss this)
    accumulator = np.zeros((1, 30, 30))
    accumulator[0, 0, 1], accumulator[0, 28, 28] = 2.0, 1.5
    _, *expected = hough_circle_peaks(
        accumulator, np.array([4.0]), total_num_peaks=5, min_xdistance=5, min_ydistance=5
    )
    assert len(expected[0]) == 1
    for got, want in zip(
        circle_peaks(accumulator, np.array([4.0]), 5, apart=5), expected, strict=True
    ):
        np.testing.assert_array_equal(got, want)


def test_a_head_is_bright_inside_its_rim_and_a_foramen_is_not():
    film = _hip()
    assert rim_polarity(film, 1.0, HEAD, HEAD_R) >= 0.6
    assert rim_polarity(film, 1.0, np.array([215.0, 215.0]), 20.0) == 0.0


@pytest.mark.parametrize("parts", [{}, {"rim": False}, {"crest": False, "foramen": False}])
def test_the_head_wins_over_the_rim_the_crest_and_the_foramen(parts):
    film = _hip(**parts)
    circles = find_head_coarse(film, 1.0, SHAFT_TOP, medial_x=1.0, direction=np.array([-0.1, 1.0]))
    centre, radius, _ = circles[0]
    assert np.hypot(*(centre - HEAD)) <= 3.0
    assert abs(radius - HEAD_R) <= 3.0


@pytest.mark.parametrize(
    ("mirrored", "lead"), [(True, (0.0, 0.0)), (False, (0.5, 0.5)), (True, (0.5, 0.25))]
)
def test_a_mirrored_or_led_reading_finds_the_head_on_the_film(mirrored, lead):
    film = _hip()
    found = find_head_coarse(
        film,
        1.0,
        SHAFT_TOP,
        medial_x=1.0,
        direction=np.array([-0.1, 1.0]),
        mirrored=mirrored,
        lead=lead,
    )
    centre, radius, _ = found[0]
    assert np.hypot(*(centre - HEAD)) <= 3.0 and abs(radius - HEAD_R) <= 3.0


def test_a_coarse_copy_at_another_pixel_is_the_one_work_of_makes():
    film = _hip()
    work = Work.of(film, (0.5, 0.5), coarse_mm=1.0)
    assert work.coarse_at(1.0) is work.coarse
    other = work.coarse_at(1.1)
    assert other is work.coarse_at(1.1)  # made once
    np.testing.assert_array_equal(other, Work.of(film, (0.5, 0.5), coarse_mm=1.1).coarse)


def _readings(monkeypatch, heads):
    """`femoral_head._head_over` with its readings replaced by `heads` (one per reading, in
    :data:`femoral_head.HEAD_READINGS`' order); returns its result and the readings asked."""
    asked = []

    def reading(work, fa, medial_x, centres, end, field, which):
        asked.append(which)
        return heads[len(asked) - 1]

    monkeypatch.setattr(femoral_head, "_head_reading", reading)
    return femoral_head._head_over(None, None, 1.0, {}, 0.0, (0.0, 0.0, 1.0, 1.0)), asked


def test_a_refined_first_reading_is_the_head(monkeypatch):
    refined = (np.array([10.0, 20.0]), 0.8, "hough+circle-fit")
    head, asked = _readings(monkeypatch, [refined])
    assert head is refined and asked == [femoral_head.HEAD_READINGS[0]]


def test_a_faint_head_is_the_median_of_its_readings(monkeypatch):
    # eight coarse readings, one of them a far circle: the median stays with the others
    xs = [10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 90.0]
    heads = [(np.array([x, 50.0 + i]), 0.1 + 0.01 * i, "hough(coarse)") for i, x in enumerate(xs)]
    head, asked = _readings(monkeypatch, heads)
    assert asked == list(femoral_head.HEAD_READINGS)
    np.testing.assert_allclose(head[0], [13.5, 53.5])
    assert head[1:] == (0.1, "hough(coarse)")  # the least confident reading's


def test_a_head_most_readings_miss_is_not_taken(monkeypatch):
    coarse = (np.array([10.0, 20.0]), 0.1, "hough(coarse)")
    n = len(femoral_head.HEAD_READINGS)
    assert _readings(monkeypatch, [coarse] * (n // 2) + [None] * (n - n // 2))[0] is not None
    assert _readings(monkeypatch, [coarse] * (n // 2 - 1) + [None] * (n // 2 + 1))[0] is None


@pytest.mark.parametrize("lean", [-9.0, -4.0, 4.0, 9.0])
def test_the_medial_side_from_the_femoral_lean(lean):
    # the femoral shaft runs down toward the medial side
    assert femoral_head.medial_from_lean(_axis(np.array([100.0, 0.0]), lean)) == np.sign(lean)


def test_a_shaft_near_the_vertical_tells_no_side():
    assert femoral_head.medial_from_lean(_axis(np.array([100.0, 0.0]), 1.0)) is None


def test_the_femur_length_prior_weighs_but_never_drops_a_candidate():
    # a leg of tibia 360 mm: the head lies about 1.2 x 360 mm above the knee, on the
    # mechanical axis, and keeps its whole score; a circle of the pelvis on the axis
    # 50 mm above it keeps little more than half of its own; circles off that stretch
    # of axis keep half theirs (a knee or an ankle misread must not take the head off
    # its femur: the window over the femur's end is what leaves the pelvis out)
    knee = np.array([300.0, 800.0])
    centres = {
        "femoral_knee_center": knee,
        "tibial_knee_center": knee + [0.0, 5.0],
        "ankle_center": knee + [0.0, 365.0],
    }
    fa = _axis(np.array([260.0, 420.0]), 6.0)
    up = femoral_head._mechanical_directions(fa, 1.0)[0]
    head = knee + 432.0 * up
    pelvis = knee + 482.0 * up
    trochanter = knee + 400.0 * up + np.array([-45.0, 0.0])
    circles = [(pelvis, 24.0, 1.0), (trochanter, 24.0, 1.0), (head, 24.0, 0.8)]
    ranked = femoral_head._on_mechanical_axis(circles, centres, fa, 1.0)
    assert [tuple(c) for c, _, _ in ranked] == [tuple(head), tuple(pelvis), tuple(trochanter)]
    assert ranked[0][2] == pytest.approx(0.8, abs=0.01)
    assert ranked[1][2] < 0.6
    assert ranked[2][2] == pytest.approx(femoral_head.AXIS_PRIOR_FLOOR)


def _femur_film(*, seam: float | None, blob: bool) -> np.ndarray:
    """The drawn hip over a femoral shaft running on to y = 700 mm, with a cassette
    seam (a dark line and a brightness step) across the thigh at `seam` mm and, with
    `blob`, a bright round soft-tissue shadow medial of the shaft at mid-thigh."""
    hip = _hip()
    yy, xx = np.mgrid[0:700, 0:260] + 0.5
    film = np.full(yy.shape, 0.2, dtype=np.float32)
    film[: hip.shape[0]] = hip
    film[(yy > 210) & (np.abs(xx - SHAFT_TOP[0]) < 15)] = 0.65
    # the trochanteric region: the proximal femur widens from the shaft's 30 mm at
    # y 260 to 60 mm at y 200 (the greater trochanter lateral, the lesser medial)
    half = 15.0 + 15.0 * np.clip((260.0 - yy) / 60.0, 0.0, 1.0)
    film[(yy > 185) & (yy < 260) & (np.abs(xx - SHAFT_TOP[0]) < half)] = 0.65
    if blob:
        film[np.hypot(xx - 160.0, yy - 420.0) < 22.0] = 0.6
    if seam is not None:
        film[yy > seam] += 0.08
        film[np.abs(yy - seam) < 3.0] = 0.05
    return film


@pytest.mark.parametrize("seam", [None, 300.0, 360.0])
def test_the_shaft_is_traced_up_to_its_flare_across_a_seam(seam):
    # a run read on a real film may stop far below the trochanters; followed up its
    # cortices, the femur ends where the trochanters flare out of it (y 230 here:
    # 1.5 times the shaft's width),
    # across a seam between cassettes
    film = _femur_film(seam=seam, blob=False)
    end = trace_shaft_end(film, 1.0, np.array([110.0, 420.0]), np.array([0.0, 1.0]), 30.0)
    assert 225.0 <= end <= 240.0


def test_no_cortex_above_the_run_leaves_its_top():
    film = np.full((500, 200), 0.3, dtype=np.float32)
    film[300:, 90:120] = 0.7
    top = np.array([105.0, 300.0])
    assert trace_shaft_end(film, 1.0, top, np.array([0.0, 1.0]), 30.0) == 300.0


def _mid_thigh_run(film: np.ndarray) -> tuple[Work, ShaftAxis]:
    """The film's working copy at 1 mm and a femoral run stopping at mid-thigh (y 420)."""
    work = Work.of(film, (1.0, 1.0), coarse_mm=1.0)
    fa = ShaftAxis(
        np.array([110.0, 550.0]), np.array([0.0, 1.0]), 0.5, 20, 20, 30.0, 5.0, 420.0, 690.0
    )
    return work, fa


def _centres(x: float, knee_y: float, ankle_y: float) -> dict[str, np.ndarray]:
    """Knee and ankle centres of a leg read at column `x` (mm)."""
    return {
        "femoral_knee_center": np.array([x, knee_y]),
        "tibial_knee_center": np.array([x, knee_y + 5.0]),
        "ankle_center": np.array([x, ankle_y]),
    }


@pytest.mark.parametrize(
    ("seam", "blob", "centres"),
    [
        # a run stopping at mid-thigh (y 420) and a short leg read from the knee and
        # the ankle let a round shadow level with the run's top, medial of the shaft,
        # be the head (a real stitched film had its head there, 19 cm off)
        pytest.param(None, True, _centres(130.0, 800.0, 1160.0), id="short-run"),
        pytest.param(300.0, True, _centres(130.0, 800.0, 1160.0), id="short-run-seam"),
        # a knee read at a seam and an ankle read in the foot put the expected
        # mechanical axis through the pelvis
        pytest.param(300.0, False, _centres(150.0, 640.0, 1200.0), id="misread-knee"),
    ],
)
def test_the_head_is_where_the_femur_leads(seam, blob, centres):
    # the femur traced up leads to the head, whatever the knee and ankle say
    film = _femur_film(seam=seam, blob=blob)
    work, fa = _mid_thigh_run(film)
    head = femoral_head.find_head(work, fa, 1.0, centres)
    assert head is not None
    assert np.hypot(*(head[0] - HEAD)) <= 4.0


@pytest.mark.parametrize("end_offset", [30.0, 60.0, 100.0])
def test_a_head_above_the_shafts_end_is_plausible(end_offset):
    # the head lies 40-90 mm above the diaphysis' proximal end, 45 mm medial of the
    # axis; the ischium further medial, the greater trochanter lateral, a round
    # outline on the shaft, a circle on the neck below the end and the ilium far
    # above never are
    head = np.array([155.0, 150.0])
    fa = _axis(np.array([110.0, 150.0 + end_offset]), 0.0)
    end = 150.0 + end_offset
    film = (0.0, 0.0, 260.0, 400.0)
    assert femoral_head._head_plausible(head, 24.0, fa, end, 1.0, film)
    for other in ([200.0, 150.0], [85.0, 150.0], [112.0, 150.0]):
        assert not femoral_head._head_plausible(np.array(other), 20.0, fa, end, 1.0, film)
    for level in (end, end - 130.0):
        assert not femoral_head._head_plausible(np.array([155.0, level]), 24.0, fa, end, 1.0, film)


def test_a_trace_ending_near_the_film_s_top_hands_the_head_to_the_paired_cortices():
    # the lone lateral edge runs on up to 50 mm below the exposed field's top (padding
    # above it, a ruler down the film's side): the head expected 55 mm over that end
    # would be cut by the film's edge, so a round shadow the window still holds there
    # is not taken; the head over the paired cortices' end is
    yy, xx = np.mgrid[0:700, 0:260] + 0.5
    film = np.full(yy.shape, 0.2, dtype=np.float32)
    film[np.hypot(xx - HEAD[0], yy - HEAD[1]) < HEAD_R] = 0.7
    film[(yy > 160) & (yy < 235) & (xx > SHAFT_TOP[0] - 15) & (xx < SHAFT_TOP[0] + 40)] = 0.65
    film[(yy > 200) & (np.abs(xx - SHAFT_TOP[0]) < 15)] = 0.65
    film[(yy > 100) & (yy < 260) & (xx < SHAFT_TOP[0] - 15)] = 0.1
    film[np.hypot(xx - 140.0, yy - 80.0) < 18.0] = 0.6
    film[:, 250:] = 0.5
    film[:50] = 0.0
    top, down = np.array([110.0, 420.0]), np.array([0.0, 1.0])
    assert trace_shaft_end(film, 1.0, top, down, 30.0) == pytest.approx(100.0)
    work, fa = _mid_thigh_run(film)
    assert femoral_head._head_over(work, fa, 1.0, {}, 100.0, content_box(film, 1.0)) is not None
    head = femoral_head.find_head(work, fa, 1.0, {})
    assert head is not None
    assert np.hypot(*(head[0] - HEAD)) <= 4.0
    assert head[1] <= femoral_head.COARSE_HEAD_CONFIDENCE


def test_a_circle_grazing_the_content_box_s_edge_is_not_a_head():
    # an export padded with flat black rows above the film: a circle whose rim comes
    # within the edge detector's smoothing of the field's top edge draws its votes
    # from that straight edge (a crop's top circle on the ilium, 6 deg of HKA off)
    film = np.zeros((400, 260), np.float32)
    film[122:, :] = np.linspace(0.2, 0.8, 260, dtype=np.float32)
    field = content_box(film, 1.0)
    assert field == (0.0, 122.0, 260.0, 400.0)
    fa = _axis(np.array([110.0, 210.0]), 0.0)
    head = np.array([155.0, 150.0])
    assert femoral_head._head_plausible(head, 24.0, fa, 210.0, 1.0, field)
    assert not femoral_head._head_plausible(head, 24.0, fa, 210.0, 1.0, (0.0, 124.0, 260.0, 400.0))


def test_without_the_medial_side_a_circle_near_the_shafts_end_is_refused():
    # the greater trochanter, lateral and little above the shaft's end, cannot be told
    # from the head by its side when the side is not known: only a circle well above
    # the end is taken then (a trochanter taken for the head gave the wrong side)
    fa = _axis(np.array([110.0, 165.0]), 0.0)
    film = (0.0, 0.0, 260.0, 400.0)
    trochanter = np.array([75.0, 150.0])
    assert not femoral_head._head_plausible(trochanter, 20.0, fa, 165.0, None, film)
    assert femoral_head._head_plausible(trochanter - [0.0, 40.0], 20.0, fa, 165.0, None, film)
    assert femoral_head._head_plausible(np.array([155.0, 150.0]), 24.0, fa, 165.0, 1.0, film)


def test_a_lone_edge_past_the_trochanters_does_not_carry_the_head_away():
    # the medial cortex turns out of reach into the lesser trochanter while the lateral
    # one runs on up the film as a soft-tissue or film edge: the trace follows it to
    # the film's top, where no circle can be a head; the head is then looked for over
    # the last step where both cortices were seen, and named below the review
    # threshold (its window was set by the paired cortices, not the trace's end)
    film = _femur_film(seam=None, blob=False)
    yy, xx = np.mgrid[0 : film.shape[0], 0 : film.shape[1]] + 0.5
    film[:100] = 0.2  # the ilium cut off by the film's top edge
    film[(yy < 260) & (xx < SHAFT_TOP[0] - 15)] = 0.1
    film[(yy > 185) & (yy < 235) & (xx > SHAFT_TOP[0]) & (xx < SHAFT_TOP[0] + 40)] = 0.65
    top, down = np.array([110.0, 420.0]), np.array([0.0, 1.0])
    assert trace_shaft_end(film, 1.0, top, down, 30.0) < HEAD[1] - HEAD_R
    assert 225.0 <= trace_shaft_end(film, 1.0, top, down, 30.0, paired=True) <= 240.0
    work, fa = _mid_thigh_run(film)
    head = femoral_head.find_head(work, fa, 1.0, {})
    assert head is not None
    assert np.hypot(*(head[0] - HEAD)) <= 4.0
    assert head[1] <= femoral_head.COARSE_HEAD_CONFIDENCE


def test_a_head_is_looked_for_level_with_the_other_leg_s():
    # the shaft hidden over 140 mm (a wrong run, a lead apron): traced up, it ends far
    # below the trochanters and no head is found over it; level with the other leg's
    # head, the head is found
    film = _femur_film(seam=None, blob=False)
    film[260:400] = 0.2
    work, fa = _mid_thigh_run(film)
    unleveled = femoral_head.find_head(work, fa, 1.0, {})
    assert unleveled is None or np.hypot(*(unleveled[0] - HEAD)) > 50.0
    head = femoral_head.find_head(work, fa, 1.0, {}, level=155.0)
    assert head is not None
    assert np.hypot(*(head[0] - HEAD)) <= 4.0


@pytest.mark.parametrize(
    ("left_y", "right_y", "lower"), [(170.0, 175.0, None), (170.0, 330.0, 1), (300.0, 170.0, 0)]
)
def test_of_two_heads_out_of_level_the_lower_is_named(left_y, right_y, lower):
    heads: list[tuple[np.ndarray, float, str] | None] = [
        (np.array([x, y]), 0.9, "hough+circle-fit") for x, y in ((300.0, left_y), (90.0, right_y))
    ]
    # the lower head's leg, and the height the other head sets for its new search
    expected = None if lower is None else (lower, (left_y, right_y)[1 - lower])
    assert core._head_out_of_level(heads) == expected
    heads[0] = None
    assert core._head_out_of_level(heads) is None


@pytest.mark.parametrize(
    ("apart_mm", "one"), [(0.0, True), (30.0, True), (60.0, False), (180.0, False)]
)
def test_two_legs_under_one_femoral_head_are_one_leg(apart_mm, one):
    # a standing pair's heads are 150-200 mm apart; two legs whose heads are found
    # closer than a head's diameter were read from one femur and an edge beside it
    heads: list[tuple[np.ndarray, float, str] | None] = [
        (np.array([x, 170.0]), 0.9, "hough+circle-fit") for x in (200.0, 200.0 + apart_mm)
    ]
    assert core._one_head(heads) is one
    heads[1] = None
    assert core._one_head(heads) is False


@pytest.mark.parametrize("lean", [-8.0, 0.0, 5.0])
@pytest.mark.parametrize("sense", [1.0, -1.0])
def test_a_coarse_circle_smaller_than_the_head_moves_down_its_shaft(lean, sense):
    # a 16 mm circle under the dome of a head expected 0.875 x 28 = 24.5 mm across
    # its radius: its centre moves 8.5 mm down the shaft, whichever sense the axis has
    fa = _axis(SHAFT_TOP, lean)
    fa = dataclasses.replace(fa, direction=sense * fa.direction)
    centre = np.array([150.0, 140.0])
    moved = femoral_head._coarse_head_centre(centre, 16.0, fa)
    down = fa.direction * np.sign(fa.direction[1])
    assert np.allclose(moved - centre, (femoral_head.HEAD_RADIUS_TO_SHAFT * 28.0 - 16.0) * down)
    assert moved[1] > centre[1]
    # a circle as large as the head or larger (the acetabulum's, concentric) stays
    assert np.array_equal(femoral_head._coarse_head_centre(centre, 24.5, fa), centre)
    assert np.array_equal(femoral_head._coarse_head_centre(centre, 30.0, fa), centre)
