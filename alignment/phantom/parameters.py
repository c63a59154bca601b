"""Parameters of a synthetic limb and of the film it is imaged on.

Two frozen dataclasses drive everything in :mod:`alignment.phantom`:

- :class:`LimbParameters`: the anatomy and alignment of one leg (the angles of the
  measurement spec, lengths, implant) and its pose (rotation, knee flexion).
- :class:`FilmParameters`: the acquisition (view, detector size and spacing,
  source-to-image and object-to-detector distances, cassettes, noise, bit depth ...).

Derive variants with :func:`dataclasses.replace`; every field is checked when the
object is made, so an impossible limb or film never reaches the renderer.

Examples
--------
>>> limb = LimbParameters(mldfa_deg=88.0, mpta_deg=85.0, jlca_deg=1.0)
>>> round(limb.hka_deg, 6)  # 180 + mpta - mldfa - jlca
176.0
>>> post = LimbParameters.postop(fta_deg=175.0, ffc_deg=91.0, ftc_deg=89.5)
>>> round(post.hka_deg, 6), round(post.ama_deg, 6)
(180.5, 4.5)
>>> FilmParameters.long_leg().shape
(6000, 2000)
>>> FilmParameters.long_leg().downscaled(4).spacing_mm
(0.8, 0.8)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Literal

from alignment.errors import PhantomError
from alignment.vocabulary import Side, View, normalise_side, normalise_view

__all__ = ["FilmParameters", "LimbParameters"]

Photometric = Literal["MONOCHROME1", "MONOCHROME2"]

# (field, low, high): inclusive bounds of plausible values.
_LIMB_BOUNDS: tuple[tuple[str, float, float], ...] = (
    ("mldfa_deg", 70.0, 110.0),
    ("mpta_deg", 70.0, 110.0),
    ("jlca_deg", -15.0, 15.0),
    ("ama_deg", 0.0, 15.0),
    ("femur_length_mm", 250.0, 600.0),
    ("tibia_length_mm", 200.0, 500.0),
    ("tibial_slope_deg", -20.0, 30.0),
    ("femoral_component_flexion_deg", -20.0, 20.0),
    ("rotation_deg", -60.0, 60.0),
    ("knee_flexion_deg", -10.0, 60.0),
    ("stance_mm", 0.0, 600.0),
)


@dataclass(frozen=True)
class LimbParameters:
    """Anatomy, alignment and pose of one synthetic leg.

    The coronal angles follow the measurement spec (``docs/measures.md``); only three of
    ``hka, mldfa, mpta, jlca`` are free, since ``hka - 180 = mpta - mldfa - jlca``, so
    the limb is given by ``mldfa, mpta, jlca`` and :attr:`hka_deg` is derived (see
    :meth:`from_hka` and :meth:`postop` for other ways in). The tibial anatomical axis
    is parallel to the tibial mechanical axis, so ``fta = 360 - hka - ama``.

    Parameters
    ----------
    mldfa_deg : float, optional
        Mechanical lateral distal femoral angle, degrees (post-op: of the femoral
        component's condylar line, ``ffc = 180 - mldfa``).
    mpta_deg : float, optional
        Medial proximal tibial angle, degrees (post-op: of the tibial tray,
        ``ftc = mpta``).
    jlca_deg : float, optional
        Joint line convergence angle, degrees, + when the joint lines open laterally.
    ama_deg : float, optional
        Femoral anatomical-mechanical angle, degrees; the shaft axis is in valgus to
        the mechanical axis.
    femur_length_mm, tibia_length_mm : float, optional
        Mechanical lengths (femoral head centre to femoral knee centre, tibial knee
        centre to ankle centre), mm in the patient. Bone widths scale with the femur.
    tibial_slope_deg : float, optional
        Posterior slope of the plateau (post-op: of the tray) to the perpendicular of
        the tibial shaft as a true lateral film shows it (beam along the femoral
        condylar axis), degrees: ``ltc = 90 - slope``.
    implant : bool, optional
        True for a total knee arthroplasty: metal femoral component, tibial tray with
        keel and a radiolucent insert replace the joint surfaces.
    femoral_component_flexion_deg : float, optional
        Flexion of the femoral component in the sagittal plane, degrees:
        ``lfc = 90 - flexion`` (post-op only; ignored without `implant`).
    rotation_deg : float, optional
        Pose: rotation of the whole limb about its hip-ankle axis, degrees, + internal
        (the patella turns medially). 0 gives a true AP.
    knee_flexion_deg : float, optional
        Pose: flexion of the knee (tibia rotated about the femoral condylar axis),
        degrees.
    stance_mm : float, optional
        Pose: distance of the ankle centre from the body's midline on an AP film, mm;
        the limb is turned in the coronal plane about the hip to put it there.

    Raises
    ------
    PhantomError
        If a value is not a finite number within its plausible range (the message
        gives the range).
    """

    mldfa_deg: float = 87.0
    mpta_deg: float = 87.0
    jlca_deg: float = 0.0
    ama_deg: float = 6.0
    femur_length_mm: float = 440.0
    tibia_length_mm: float = 370.0
    tibial_slope_deg: float = 5.0
    implant: bool = False
    femoral_component_flexion_deg: float = 0.0
    rotation_deg: float = 0.0
    knee_flexion_deg: float = 0.0
    stance_mm: float = 80.0

    def __post_init__(self) -> None:
        for name, low, high in _LIMB_BOUNDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise PhantomError(f"{name} must be a number, got {value!r}")
            if not (math.isfinite(value) and low <= value <= high):
                raise PhantomError(f"{name} is {value!r}; expected a number in [{low}, {high}]")
            object.__setattr__(self, name, float(value))
        if not isinstance(self.implant, bool):
            raise PhantomError(f"implant must be True or False, got {self.implant!r}")
        if not 150.0 <= self.hka_deg <= 210.0:
            raise PhantomError(
                f"the limb's HKA would be {self.hka_deg:.2f} deg; expected [150, 210] "
                "(hka = 180 + mpta - mldfa - jlca)"
            )

    @property
    def hka_deg(self) -> float:
        """Hip-knee-ankle angle, degrees: ``180 + mpta - mldfa - jlca``."""
        return 180.0 + self.mpta_deg - self.mldfa_deg - self.jlca_deg

    @property
    def fta_deg(self) -> float:
        """Femorotibial anatomical angle, degrees: ``360 - hka - ama``."""
        return 360.0 - self.hka_deg - self.ama_deg

    @property
    def ffc_deg(self) -> float:
        """Frontal femoral component angle, degrees: ``180 - mldfa``."""
        return 180.0 - self.mldfa_deg

    @property
    def ftc_deg(self) -> float:
        """Frontal tibial component angle, degrees: ``mpta``."""
        return self.mpta_deg

    @property
    def lfc_deg(self) -> float:
        """Lateral femoral component angle, degrees: ``90 - flexion``."""
        return 90.0 - self.femoral_component_flexion_deg

    @property
    def ltc_deg(self) -> float:
        """Lateral tibial component angle, degrees: ``90 - slope``."""
        return 90.0 - self.tibial_slope_deg

    @classmethod
    def from_hka(
        cls, hka_deg: float, *, mldfa_deg: float = 87.0, jlca_deg: float = 0.0, **kwargs: object
    ) -> LimbParameters:
        """Return a limb with the given HKA; MPTA is what the identity leaves.

        ``mpta = hka - 180 + mldfa + jlca``. Other keywords are fields of the class.

        Examples
        --------
        >>> LimbParameters.from_hka(174.0).mpta_deg
        81.0
        """
        mpta = hka_deg - 180.0 + mldfa_deg + jlca_deg
        return cls(mldfa_deg=mldfa_deg, mpta_deg=mpta, jlca_deg=jlca_deg, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def postop(
        cls,
        *,
        fta_deg: float = 174.0,
        ffc_deg: float = 90.0,
        ftc_deg: float = 90.0,
        lfc_deg: float = 90.0,
        ltc_deg: float = 87.0,
        jlca_deg: float = 0.0,
        **kwargs: object,
    ) -> LimbParameters:
        """Return a total knee arthroplasty with the given component angles.

        The insert is of even thickness (``jlca = 0`` unless given), so
        ``hka = ffc + ftc - jlca``, and the femoral anatomical-mechanical angle is
        what the FTA leaves: ``ama = 360 - hka - fta``.

        Parameters
        ----------
        fta_deg, ffc_deg, ftc_deg, lfc_deg, ltc_deg : float
            Target measures of the spec, degrees.
        jlca_deg : float, optional
            Convergence of the component joint lines, degrees.
        **kwargs
            Other fields (lengths, pose).

        Raises
        ------
        PhantomError
            If the angles imply an implausible limb (for example ``ama`` outside
            [0, 15] degrees).
        """
        hka = ffc_deg + ftc_deg - jlca_deg
        return cls(
            mldfa_deg=180.0 - ffc_deg,
            mpta_deg=ftc_deg,
            jlca_deg=jlca_deg,
            ama_deg=360.0 - hka - fta_deg,
            tibial_slope_deg=90.0 - ltc_deg,
            femoral_component_flexion_deg=90.0 - lfc_deg,
            implant=True,
            **kwargs,  # type: ignore[arg-type]
        )

    def expected_measures(self, view: View) -> dict[str, float]:
        """Return what the measurement engine should give on this limb, unrotated.

        Parameters
        ----------
        view : {'AP', 'LAT'}

        Returns
        -------
        dict of str to float
            Measure name to value (degrees, or mm for lengths in the patient). LAT
            ``lfc`` only for an implant (a native knee has no component line).

        Examples
        --------
        >>> sorted(LimbParameters().expected_measures("LAT"))
        ['ltc', 'posterior_slope']
        """
        if normalise_view(view) == "LAT":
            out = {"ltc": self.ltc_deg, "posterior_slope": self.tibial_slope_deg}
            if self.implant:
                out["lfc"] = self.lfc_deg
                out["femoral_component_flexion"] = self.femoral_component_flexion_deg
            return out
        aldfa = self.mldfa_deg - self.ama_deg
        return {
            "hka": self.hka_deg,
            "fta": self.fta_deg,
            "mldfa": self.mldfa_deg,
            "mpta": self.mpta_deg,
            "aldfa": aldfa,
            "jlca": self.jlca_deg,
            "ama": self.ama_deg,
            "ffc": self.ffc_deg,
            "ftc": self.ftc_deg,
            "ffc_anatomical": 180.0 - aldfa,
            "ftc_anatomical": self.mpta_deg,
            "ahka": self.mpta_deg - self.mldfa_deg,
            "jlo": self.mpta_deg + self.mldfa_deg,
            "femur_length_mm": self.femur_length_mm,
            "tibia_length_mm": self.tibia_length_mm,
        }


@dataclass(frozen=True)
class FilmParameters:
    """How a synthetic radiograph is acquired: geometry, detector and processing.

    Use :meth:`long_leg` or :meth:`lateral_knee` for realistic defaults and
    :meth:`downscaled` for small, fast films (tests, sample data).

    Parameters
    ----------
    view : {'AP', 'LAT'}, optional
        Coronal long-leg film, or sagittal knee film.
    sides : tuple of {'left', 'right'}, optional
        The legs whose landmarks are written. AP: both for a bilateral film, one for a
        single-leg film centred on that leg (the other leg may show at the edge).
        LAT: exactly one, the knee imaged.
    shape : (int, int), optional
        ``(rows, columns)`` of the detector.
    spacing_mm : (float, float), optional
        ``(row_mm, col_mm)``: Imager Pixel Spacing, at the detector.
    sid_mm : float, optional
        Source-to-image (detector) distance, mm.
    oid_mm : float, optional
        Object-to-detector distance of the plane of the landmarks (coronal plane of
        the limbs on AP, sagittal mid-plane of the knee on LAT), mm. The
        radiographic magnification factor is ``sid / (sid - oid)``.
    cassettes : int, optional
        Number of stitched cassettes, stacked along the rows (1 = one detector).
    cassette_overlap_mm : float, optional
        Overlap of neighbouring cassettes, mm; the seam shows there.
    photons : float, optional
        Mean X-ray quanta per pixel behind no object (sets the quantum noise);
        :meth:`downscaled` scales it with the pixel area.
    scatter_fraction : float, optional
        Scatter-to-primary ratio of the blurred scatter added, in [0, 1].
    scatter_sigma_mm : float, optional
        Width (standard deviation) of the scatter blur, mm.
    bits_stored : int, optional
        Bits of the stored values, 8 to 16 (12 to 16 for clinical realism).
    photometric : {'MONOCHROME2', 'MONOCHROME1'}, optional
        MONOCHROME2: bone is bright in the stored values; MONOCHROME1: inverted.
    calibrated : bool, optional
        If True the DICOM file carries a Pixel Spacing calibrated to the landmark
        plane (Imager Pixel Spacing divided by the magnification), as a modality that
        calibrates on the sphere does.
    calibration_sphere : bool, optional
        Put a 25 mm steel sphere at the depth of the landmark plane.
    marker : bool, optional
        Burn in a lead side marker (``R`` or ``L``).
    collimation_mm : float, optional
        Width of the unexposed (collimated) border, mm.
    edge_enhancement : float, optional
        Gain of the unsharp mask of the presentation processing (0 = none).

    Raises
    ------
    PhantomError
        For a value out of range, an unknown side, view or photometric
        interpretation, or a LAT film without exactly one side.
    """

    view: View = "AP"
    sides: tuple[Side, ...] = ("right", "left")
    shape: tuple[int, int] = (6000, 2000)
    spacing_mm: tuple[float, float] = (0.2, 0.2)
    sid_mm: float = 2500.0
    oid_mm: float = 110.0
    cassettes: int = 3
    cassette_overlap_mm: float = 30.0
    photons: float = 20000.0
    scatter_fraction: float = 0.3
    scatter_sigma_mm: float = 30.0
    bits_stored: int = 12
    photometric: Photometric = "MONOCHROME2"
    calibrated: bool = False
    calibration_sphere: bool = True
    marker: bool = True
    collimation_mm: float = 0.0
    edge_enhancement: float = 0.8

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        try:
            set_(self, "view", normalise_view(self.view))
            sides = tuple(normalise_side(s) for s in self.sides)
        except ValueError as exc:
            raise PhantomError(str(exc)) from None
        if not sides or len(set(sides)) != len(sides):
            raise PhantomError(f"sides must name one or two different legs, got {self.sides!r}")
        if self.view == "LAT" and len(sides) != 1:
            raise PhantomError(f"a LAT film images one knee; got sides {self.sides!r}")
        set_(self, "sides", sides)
        shape = tuple(self.shape)
        if len(shape) != 2 or not all(isinstance(n, int) and 16 <= n <= 20000 for n in shape):
            raise PhantomError(f"shape must be (rows, columns), 16 to 20000 each; got {shape!r}")
        set_(self, "shape", shape)
        spacing = tuple(float(v) for v in self.spacing_mm)
        if len(spacing) != 2 or not all(math.isfinite(v) and 0.01 <= v <= 10 for v in spacing):
            raise PhantomError(f"spacing_mm must be two numbers in [0.01, 10]; got {spacing!r}")
        set_(self, "spacing_mm", spacing)
        numbers = (
            ("sid_mm", 300.0, 5000.0),
            ("oid_mm", 0.0, 1000.0),
            ("cassette_overlap_mm", 0.0, 200.0),
            ("photons", 10.0, 1e9),
            ("scatter_fraction", 0.0, 1.0),
            ("scatter_sigma_mm", 0.1, 500.0),
            ("collimation_mm", 0.0, 200.0),
            ("edge_enhancement", 0.0, 5.0),
        )
        for name, low, high in numbers:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise PhantomError(f"{name} must be a number, got {value!r}")
            if not (math.isfinite(value) and low <= value <= high):
                raise PhantomError(f"{name} is {value!r}; expected a number in [{low}, {high}]")
            set_(self, name, float(value))
        if self.oid_mm >= 0.8 * self.sid_mm:
            raise PhantomError(
                f"oid_mm ({self.oid_mm:g}) must be well below sid_mm ({self.sid_mm:g})"
            )
        for name, low, high in (("cassettes", 1, 6), ("bits_stored", 8, 16)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise PhantomError(f"{name} is {value!r}; expected an integer in [{low}, {high}]")
        if self.photometric not in ("MONOCHROME1", "MONOCHROME2"):
            raise PhantomError(
                f"photometric is {self.photometric!r}; expected 'MONOCHROME1' or 'MONOCHROME2'"
            )
        for name in ("calibrated", "calibration_sphere", "marker"):
            if not isinstance(getattr(self, name), bool):
                raise PhantomError(f"{name} must be True or False, got {getattr(self, name)!r}")

    @property
    def magnification(self) -> float:
        """Radiographic magnification of the landmark plane: ``sid / (sid - oid)``."""
        return self.sid_mm / (self.sid_mm - self.oid_mm)

    @property
    def size_mm(self) -> tuple[float, float]:
        """``(height_mm, width_mm)`` of the detector."""
        return (self.shape[0] * self.spacing_mm[0], self.shape[1] * self.spacing_mm[1])

    @classmethod
    def long_leg(
        cls, *, sides: tuple[Side, ...] = ("right", "left"), **kwargs: object
    ) -> FilmParameters:
        """Return a standing AP long-leg film: 400 x 1200 mm at 0.2 mm, 3 cassettes.

        A single-leg film (one side) is 240 mm wide. Keywords override any field.
        """
        sides = tuple(sides)
        shape = (6000, 2000) if len(sides) > 1 else (6000, 1200)
        options: dict[str, object] = {"view": "AP", "sides": sides, "shape": shape}
        options.update(kwargs)
        return cls(**options)  # type: ignore[arg-type]

    @classmethod
    def lateral_knee(cls, side: Side, **kwargs: object) -> FilmParameters:
        """Return a lateral knee film: 240 x 320 mm at 0.2 mm, one detector, collimated.

        Keywords override any field.
        """
        options: dict[str, object] = {
            "view": "LAT",
            "sides": (side,),
            "shape": (1600, 1200),
            "sid_mm": 1100.0,
            "oid_mm": 60.0,
            "cassettes": 1,
            "photons": 30000.0,
            "scatter_sigma_mm": 20.0,
            "collimation_mm": 12.0,
        }
        options.update(kwargs)
        return cls(**options)  # type: ignore[arg-type]

    def downscaled(self, factor: float) -> FilmParameters:
        """Return the same film with pixels `factor` times larger (fewer rows and columns).

        The field of view stays (up to rounding of the pixel count); the quanta per
        pixel grow with the pixel area, so the noise per area is unchanged.

        Raises
        ------
        PhantomError
            If `factor` is not a positive number.
        """
        if isinstance(factor, bool) or not isinstance(factor, int | float) or not factor > 0:
            raise PhantomError(f"factor must be a positive number, got {factor!r}")
        rows, cols = self.shape
        return replace(
            self,
            shape=(max(16, round(rows / factor)), max(16, round(cols / factor))),
            spacing_mm=(self.spacing_mm[0] * factor, self.spacing_mm[1] * factor),
            photons=min(1e9, self.photons * factor * factor),
        )

    def __repr__(self) -> str:  # shorter than the dataclass default: only non-defaults
        default = FilmParameters()
        changed = [
            f"{f.name}={getattr(self, f.name)!r}"
            for f in fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        ]
        return f"FilmParameters({', '.join(changed)})"
