"""One owner per formula: a grid run and a loop of collide() give the same numbers.

Both paths call the same compiled helpers (crashcompat.kernels.formulas, kernels.case), so every
output column agrees to rounding; 1e-12 relative covers the only difference, km/h written as
``x * 3.6`` in the grid and ``x / (1000/3600)`` in collide() (one ulp). Cases are drawn at
random from a grid that varies every axis, references and loads included.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from crashcompat import GeometryError, collide, load_catalog
from crashcompat.kernels import status as st
from crashcompat.kernels.grid import CASE_COLUMNS
from crashcompat.runs.grid import run_grid
from crashcompat.units import KPH

SPEC = {
    "subjects": ["kei/honda-n-box", "kei/suzuki-carry"],
    "references": ["us-car/toyota-corolla"],
    "partners": ["us-truck/ford-f-150", "us-suv/toyota-rav4"],
    "configurations": ["frontal", "side", "rear", "side-struck-by-subject"],
    "subject_speed_kph": [0, 30], "partner_speed_kph": [20, 55],
    "angle_deg": [-20, 0, 25], "overlap": [1.0, 0.4], "impact_position": ["driver-seat", "0.4"],
    "restitution": ["model", "0.2"], "friction": [0.3, 0.9], "load_kg": [0, 150],
    "measures": ["dv", "risk"],
    "risk_curves": ["malliaris-one-mais3", "malliaris-one-fatal", "joksch-fatal",
                    {"name": "user-test", "a0": -6.0, "a1_per_mph": 0.15, "source": "test"}],
}


def _close(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b)) or a == b


@pytest.fixture(scope="module")
def grid_frame():
    run = run_grid(SPEC)
    df = run.to_pandas()
    assert len(df) == run.n_cases >= 9000
    return run, df


def test_grid_and_collide_agree_on_every_column(grid_frame):
    run, df = grid_frame
    cat = load_catalog()
    rng = np.random.default_rng(2026)
    rows = rng.choice(len(df), 2000, replace=False)
    result_cols = [c for c in run.result_columns if c != "status"]
    assert any("_risk_" in c for c in result_cols) and set(CASE_COLUMNS) <= set(result_cols)
    n_contact = 0
    for i in rows:
        row = df.iloc[int(i)]
        pos = str(row["impact_position"])
        e = str(row["restitution"])
        kw = dict(subject_speed_kph=float(row["subject_speed_kph"]),
                  partner_speed_kph=float(row["partner_speed_kph"]),
                  angle_deg=float(row["angle_deg"]), overlap=float(row["overlap"]),
                  impact_position_m=None if pos == "driver-seat" else float(pos),
                  restitution="model" if e == "model" else float(e),
                  friction=float(row["friction"]), load_kg=float(row["load_kg"]),
                  risk_curves=SPEC["risk_curves"])
        try:
            r = collide(cat[str(row["subject"])], cat[str(row["partner"])],
                        str(row["configuration"]), **kw)
        except GeometryError as exc:
            assert "not closing" in str(exc), exc
            assert row["status"] == st.NO_CONTACT
            assert all(math.isnan(row[c]) for c in result_cols if c != "normal_closing_speed_kph")
            continue
        n_contact += 1
        assert row["status"] == r.status
        s, p = r.subject, r.partner
        want = {
            "subject_dv_kph": s.dv_kph, "subject_occupant_dv_kph": s.occupant_dv_kph,
            "subject_dv_long_kph": s.dv_x_mps / KPH, "subject_dv_lat_kph": s.dv_y_mps / KPH,
            "subject_yaw_rate_change_rad_s": s.yaw_rate_change_rad_s,
            "subject_pdof_deg": s.pdof_deg, "subject_energy_j": s.energy_absorbed_j,
            "subject_ees_kph": s.ees_kph,
            "partner_dv_kph": p.dv_kph, "partner_occupant_dv_kph": p.occupant_dv_kph,
            "partner_dv_long_kph": p.dv_x_mps / KPH, "partner_dv_lat_kph": p.dv_y_mps / KPH,
            "partner_yaw_rate_change_rad_s": p.yaw_rate_change_rad_s,
            "partner_pdof_deg": p.pdof_deg, "partner_energy_j": p.energy_absorbed_j,
            "partner_ees_kph": p.ees_kph,
            "energy_loss_j": r.energy_loss_j, "restitution_used": r.restitution,
            "normal_closing_speed_kph": r.closing_speed_mps / KPH,
        }
        for name in r.risk_curves:
            key = name.replace("-", "_")
            want[f"subject_risk_{key}"] = s.risk[name]
            want[f"partner_risk_{key}"] = p.risk[name]
        assert set(want) == set(result_cols)
        for col, w in want.items():
            assert _close(float(row[col]), float(w)), (col, float(row[col]), w, dict(row))
    assert n_contact > 1000  # most sampled cases are impacts, so the comparison has weight


def test_status_table_drives_codes_names_and_counts(grid_frame):
    from crashcompat.errors import STATUS_NAMES, STATUS_SENTENCES, Status, has_result

    codes = [s.code for s in st.TABLE]
    assert codes == list(range(st.N_CODES))
    for s in st.TABLE:
        assert getattr(Status, s.constant) == s.code
        assert STATUS_NAMES[s.code] == s.label and STATUS_SENTENCES[s.code] == s.sentence
        assert bool(has_result(s.code)) == s.has_result == bool(st.RESULT_MASK[s.code])
    run, df = grid_frame
    summ = run.summary()
    # one count per code of the table, in table order, equal to a count of the cases
    assert list(summ.status_counts) == [s.label for s in st.TABLE]
    counts = np.bincount(df["status"].to_numpy(), minlength=st.N_CODES)
    assert [summ.status_counts[s.label] for s in st.TABLE] == counts.tolist()
    assert run.metadata()["status_codes"] == {str(s.code): s.label for s in st.TABLE}


@pytest.mark.parametrize("side", ["left", "right", "as-catalog"])
def test_drive_side_setting_is_the_same_in_grids_and_collide(side):
    """The subjects and references of a grid are built for the same seat side as collide()'s
    subject, and the metadata names it (issue 10: same-seat comparisons)."""
    spec = {"subjects": ["kei/honda-n-box"], "references": ["us-car/toyota-corolla"],
            "partners": ["us-truck/ford-f-150"], "configurations": ["frontal", "side"],
            "closing_speed_kph": [40, 80], "overlap": [1.0, 0.4], "drive_side": side,
            "measures": ["dv"]}
    run = run_grid(spec)
    cat = load_catalog()
    # compare through the kernel's own per-case path: same speeds as the grid's convention
    for i in range(run.n_cases):
        case = run.case(i)
        vs, vp = (case["closing_speed_kph"] / 2, case["closing_speed_kph"] / 2) \
            if case["configuration"] == "frontal" else (0.0, case["closing_speed_kph"])
        pos = case["impact_position"]
        r = collide(cat[case["subject"]], cat[case["partner"]], case["configuration"],
                    subject_speed_kph=vs, partner_speed_kph=vp, overlap=case["overlap"],
                    angle_deg=case["angle_deg"], friction=case["friction"],
                    load_kg=case["load_kg"],
                    impact_position_m=None if pos == "driver-seat" else float(pos),
                    restitution="model" if case["restitution"] == "model"
                    else float(case["restitution"]), drive_side=side, measures=("dv",))
        # case() rounds nothing, but goes through the grid's own km/h conversion
        assert case["subject_occupant_dv_kph"] == pytest.approx(r.subject.occupant_dv_kph,
                                                                rel=1e-12), (side, case)
    kei_side = {"left": "left", "right": "right", "as-catalog": "right"}[side]
    assert collide("kei/honda-n-box", "us-truck/ford-f-150", drive_side=side).drive_side == kei_side
    assert side in run.metadata()["drive_side"] or side == "as-catalog"
