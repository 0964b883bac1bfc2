"""Figures compared by their data, not their pixels: every figure's ``crashcompat_data`` is
checked against the run's own numbers taken another way (the per-case table through
``to_xarray()``, computed by the chunk kernel, against the figures' summary-kernel path), plus
the labels a reader sees (units on the axes, the footer) and the files written. Also
requirement 5 of issue 12: the labelled data plots itself with units."""

from __future__ import annotations

import json
import sys
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import crashcompat as cc  # noqa: E402
from crashcompat._version import __version__  # noqa: E402
from crashcompat.errors import MissingExtraError  # noqa: E402
from crashcompat.report import figures as F  # noqa: E402
from crashcompat.report.data import NotAvailableError  # noqa: E402

KEI = ["kei/honda-n-box", "kei/suzuki-alto"]
TRUCKS = ["us-truck/ford-f-150", "us-truck/ram-1500"]
SUV = ["us-suv/chevrolet-tahoe"]
REFS = ["us-car/toyota-corolla", "us-car/toyota-camry"]
SPEC = {"subjects": KEI, "partners": TRUCKS + SUV, "references": REFS,
        "configurations": ["frontal", "side"], "closing_speed_kph": "20:60:20",
        "angle_deg": [0], "overlap": [1], "measures": "dv,risk,pulse"}
# The per-case table and the summary are reduced by different kernels (chunk vs summary) from
# the same formulas; with one case per group they agree to float rounding.
RTOL = 1e-9


@pytest.fixture(scope="module")
def run():
    return cc.run_grid(SPEC)


@pytest.fixture(scope="module")
def ds(run):
    return run.to_xarray().squeeze(["angle_deg", "overlap", "impact_position", "restitution",
                                    "friction", "load_kg"], drop=True)


class _WithBands:
    """A run whose summary rows carry Monte Carlo percentiles, as a run made with samples has
    them (CONTRACT item 1): X_p05 = X - 1 and X_p95 = X + 2 km/h for the delta-v columns, so the
    figure's band must be exactly those offsets."""

    def __init__(self, run):
        self._run = run

    def __getattr__(self, name):
        return getattr(self._run, name)

    def summary(self):
        rows = []
        for r in self._run.summary().rows:
            r = dict(r)
            for c in ("subject_occupant_dv_kph", "reference_occupant_dv_kph"):
                r[c + "_p05"] = None if r[c] is None else r[c] - 1.0
                r[c + "_p95"] = None if r[c] is None else r[c] + 2.0
            rows.append(r)
        return SimpleNamespace(rows=rows, status_counts=self._run.summary().status_counts)


def _label(text: str) -> str:
    """An axis label as read: xarray wraps long labels onto two lines."""
    return " ".join(text.split())


def _texts(fig):
    return [t.get_text() for t in fig.texts]


def _visible_axes(fig):
    return [a for a in fig.axes if a.get_visible()]


def _series(fig, partner_class, role, label=None):
    for s in fig.crashcompat_data["series"]:
        if s["partner_class"] == partner_class and s["role"] == role and \
                (label is None or s["label"] == label):
            return s
    raise AssertionError(f"no series {partner_class} {role} {label}")


# -- dv -----------------------------------------------------------------------------------------

def test_dv_figure_data_is_the_mean_over_the_class_vehicles_and_partners(run, ds):
    fig = F.dv_by_partner_class(run, configuration="frontal")
    d = fig.crashcompat_data
    np.testing.assert_array_equal(d["closing_speed_kph"], [20.0, 40.0, 60.0])
    assert d["band"] == "spread"
    dv = ds.subject_occupant_dv_kph.sel(configuration="frontal")
    kei_trucks = dv.sel(subject=KEI, partner=TRUCKS)
    s = _series(fig, "us-truck", "subject")
    assert s["vehicles"] == KEI and s["partners"] == TRUCKS
    np.testing.assert_allclose(s["dv_kph"], kei_trucks.mean(["subject", "partner"]), rtol=RTOL)
    # without samples the band is the spread across the 2 kei x 2 trucks
    np.testing.assert_allclose(s["band_low_kph"], kei_trucks.min(["subject", "partner"]),
                               rtol=RTOL)
    np.testing.assert_allclose(s["band_high_kph"], kei_trucks.max(["subject", "partner"]),
                               rtol=RTOL)
    # a reference car: the same crashes with the Corolla in the kei's place
    r = _series(fig, "us-suv", "reference", "Toyota Corolla")
    np.testing.assert_allclose(r["dv_kph"], dv.sel(subject=REFS[0], partner=SUV[0]),
                               rtol=RTOL)
    # physics: against the same trucks the lighter kei occupant's delta-v is the larger one
    assert np.all(s["dv_kph"] > _series(fig, "us-truck", "reference", "Toyota Corolla")["dv_kph"])


def test_dv_figure_labels_units_footer_and_legend_say_what_the_band_is(run):
    fig = F.dv_by_partner_class(run)
    axes = _visible_axes(fig)
    assert len(axes) == 2  # us-truck, us-suv
    assert [a.get_title() for a in axes] == ["against us-truck (2 vehicles)",
                                             "against us-suv (1 vehicle)"]
    assert all(a.get_xlabel() == "closing speed (km/h)" for a in axes)
    assert axes[0].get_ylabel() == "occupant delta-v, driver seat (km/h)"
    legend = [_label(t.get_text()) for t in axes[0].get_legend().get_texts()]
    assert "shaded: range across vehicles x partners (no Monte Carlo samples)" in legend
    foot = fig.crashcompat_footer
    assert f"crashcompat {__version__}" in foot
    assert run.metadata()["catalog_sha256"][:12] in foot
    assert "malliaris-one-mais3" in foot and "preset 'kei-vs-us' with changes" in foot
    assert any(foot.replace(" ", "") == t.replace("\n", "").replace(" ", "")
               for t in _texts(fig))


def test_dv_figure_uses_the_monte_carlo_percentiles_when_the_summary_has_them(run):
    plain = F.dv_by_partner_class(run).crashcompat_data
    fig = F.dv_by_partner_class(_WithBands(run))
    d = fig.crashcompat_data
    assert d["band"] == "monte-carlo"
    for s, p in zip(d["series"], plain["series"]):
        np.testing.assert_allclose(s["dv_kph"], p["dv_kph"], rtol=0)
        np.testing.assert_allclose(s["band_low_kph"], p["dv_kph"] - 1.0, rtol=1e-12)
        np.testing.assert_allclose(s["band_high_kph"], p["dv_kph"] + 2.0, rtol=1e-12)
    legend = [_label(t.get_text()) for t in _visible_axes(fig)[0].get_legend().get_texts()]
    assert "shaded: 5-95 % of the Monte Carlo draws, mean over vehicles" in legend


def test_dv_figure_refuses_what_it_cannot_draw(run):
    with pytest.raises(NotAvailableError, match="configuration 'rear' is not in this run"):
        F.dv_by_partner_class(run, configuration="rear")
    explicit = cc.run_grid({**SPEC, "closing_speed_kph": None, "subject_speed_kph": [30],
                            "partner_speed_kph": [30], "measures": "dv"})
    with pytest.raises(NotAvailableError, match="explicit subject and partner speeds"):
        F.dv_by_partner_class(explicit)


# -- risk ratio -------------------------------------------------------------------------------

def test_risk_ratio_heatmap_is_mean_subject_risk_over_mean_reference_risk(run, ds):
    fig = F.risk_ratio_heatmap(run)
    d = fig.crashcompat_data
    assert d["curve"] == "malliaris-one-mais3" and d["configurations"] == ["frontal", "side"]
    assert d["subjects"] == KEI and d["partners"] == TRUCKS + SUV
    risk = ds.subject_risk_malliaris_one_mais3
    mine = risk.sel(subject=KEI).mean("closing_speed_kph")
    theirs = risk.sel(subject=REFS).mean(["closing_speed_kph", "subject"])
    expected = (mine / theirs).transpose("configuration", "subject", "partner")
    np.testing.assert_allclose(d["ratio"], expected, rtol=RTOL)
    np.testing.assert_allclose(d["subject_risk"], mine.transpose("configuration", "subject",
                                                                 "partner"), rtol=RTOL)
    # physics: the kei occupant is worse off than the reference cars' against every partner
    assert np.all(d["ratio"] > 1.0)
    assert [a.get_title() for a in _visible_axes(fig)[:2]] == ["frontal", "side"]
    assert any("risk relative to the reference cars" in _label(a.get_ylabel()) for a in fig.axes)
    assert "risk curve malliaris-one-mais3" in fig.crashcompat_footer


def test_risk_ratio_at_one_speed_and_other_curve(run, ds):
    d = F.risk_ratio_heatmap(run, curve="malliaris-one-fatal",
                             closing_speed_kph=40).crashcompat_data
    risk = ds.subject_risk_malliaris_one_fatal.sel(closing_speed_kph=40.0)
    expected = risk.sel(subject=KEI) / risk.sel(subject=REFS).mean("subject")
    np.testing.assert_allclose(d["ratio"], expected.transpose("configuration", "subject",
                                                              "partner"), rtol=RTOL)
    np.testing.assert_array_equal(d["speeds_kph"], [40.0])
    with pytest.raises(NotAvailableError, match="closing speed 45 km/h is not on this run"):
        F.risk_ratio_heatmap(run, closing_speed_kph=45)
    with pytest.raises(NotAvailableError, match="risk curve 'joksch-fatal' is not in this run"):
        F.risk_ratio_heatmap(run, curve="joksch-fatal")


# -- crush --------------------------------------------------------------------------------------

def test_crush_demand_is_the_mean_maximum_crush_against_the_struck_face(run, ds):
    d = F.crush_demand(run).crashcompat_data
    cat = run.catalog
    for k in range(len(d["vehicle"])):
        conf, vid, v = d["configuration"][k], d["vehicle"][k], d["closing_speed_kph"][k]
        face = {"frontal": "front", "side": "side"}[conf]
        assert d["face"][k] == face
        assert d["crush_space_m"][k] == getattr(cat[vid], f"crush_space_{face}_m")
        crush = ds.subject_max_crush_m.sel(subject=vid, configuration=conf,
                                           closing_speed_kph=v).mean("partner")
        np.testing.assert_allclose(d["crush_demand_m"][k], float(crush), rtol=RTOL)
        assert d["role"][k] == ("subject" if vid in KEI else "reference")
    assert len(d["vehicle"]) == 2 * (len(KEI) + len(REFS)) * 3
    # physics: more closing speed, more crush, for every vehicle and configuration
    for conf in ("frontal", "side"):
        for vid in KEI + REFS:
            m = (d["configuration"] == conf) & (d["vehicle"] == vid)
            order = np.argsort(d["closing_speed_kph"][m])
            assert np.all(np.diff(d["crush_demand_m"][m][order]) > 0)


def test_crush_figure_labels_and_needs_the_pulse(run):
    fig = F.crush_demand(run)
    axes = [a for a in _visible_axes(fig) if a.get_xlabel().startswith("crush space")]
    assert [a.get_xlabel() for a in axes] == ["crush space, front (m)", "crush space, side (m)"]
    assert all(a.get_ylabel() == "crush demand: mean maximum dynamic crush (m)" for a in axes)
    assert any(a.get_ylabel() == "closing speed (km/h)" for a in fig.axes)  # the colour bar
    no_pulse = cc.run_grid({**SPEC, "measures": "dv,risk"})
    with pytest.raises(NotAvailableError, match=r"--measures dv,risk,pulse"):
        F.crush_demand(no_pulse)


# -- validation and headline ------------------------------------------------------------------

def _validation_available():
    try:
        from crashcompat.validation import run_validation
    except ImportError:
        return False
    return callable(run_validation)


@pytest.mark.skipif(_validation_available(), reason="the validation suite is installed")
def test_validation_figure_says_the_suite_is_missing():
    with pytest.raises(NotAvailableError, match=r"validation suite \(crashcompat.validation\)"):
        F.validation_scatter()


@pytest.mark.skipif(not _validation_available(), reason="crashcompat.validation not there yet")
def test_validation_figure_draws_the_suites_cases():
    from crashcompat.validation import run_validation

    v = run_validation()
    d = F.validation_scatter(validation=v).crashcompat_data
    np.testing.assert_allclose(d["measured_dv_kph"], [c["measured_dv_kph"] for c in v.cases])
    np.testing.assert_allclose(d["predicted_dv_kph"], [c["predicted_dv_kph"] for c in v.cases])


def test_validation_figure_data_and_labels_from_a_given_result():
    # a result in the CONTRACT item 3 shape; the numbers are arbitrary test inputs
    v = SimpleNamespace(cases=[
        dict(id="a", type="frontal", vehicle="x", source="s", measured_dv_kph=40.0,
             predicted_dv_kph=44.0, error_pct=10.0),
        dict(id="b", type="side", vehicle="y", source="s", measured_dv_kph=20.0,
             predicted_dv_kph=19.0, error_pct=-5.0)],
        summary={"frontal": dict(n=1, bias_pct=10.0, spread_pct=0.0),
                 "side": dict(n=1, bias_pct=-5.0, spread_pct=0.0)})
    fig = F.validation_scatter(validation=v)
    d = fig.crashcompat_data
    np.testing.assert_array_equal(d["measured_dv_kph"], [40.0, 20.0])
    np.testing.assert_array_equal(d["predicted_dv_kph"], [44.0, 19.0])
    assert list(d["type"]) == ["frontal", "side"]
    ax = fig.axes[0]
    assert _label(ax.get_xlabel()) == "measured delta-v (km/h)"
    assert _label(ax.get_ylabel()) == "predicted delta-v (km/h)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "frontal: n=1, bias +10 %, spread 0 %" in legend
    assert f"crashcompat {__version__}" in fig.crashcompat_footer


def _headline_rows():
    """A headline in the CONTRACT item 2 shape (numbers are arbitrary test inputs)."""
    rows = []
    for outcome, curve in (("MAIS3+", "malliaris-one-mais3"), ("fatal", "malliaris-one-fatal")):
        for vehicle, role, ratio in (("kei/honda-n-box", "kei", 1.9), ("kei (class)",
                                     "kei-class", 2.1), ("kei/suzuki-alto", "kei", 2.4),
                                     ("us-car/toyota-corolla", "reference", None)):
            rows.append(dict(vehicle=vehicle, role=role, outcome=outcome, curve=curve, p=0.01,
                             p_p05=0.008, p_p95=0.013, ratio=ratio,
                             ratio_p05=None if ratio is None else ratio - 0.3,
                             ratio_p95=None if ratio is None else ratio + 0.4,
                             evans_ratio=None if ratio is None else ratio * 1.2,
                             crush_exhausted_share=0.2, crush_exhausted_share_p05=0.1,
                             crush_exhausted_share_p95=0.3))
    return rows


def fake_headline():
    return SimpleNamespace(rows=_headline_rows(), by_partner_class=[],
                           assumptions=["exposure weights from a test table (test input)"],
                           limits="test limit sentence", exposure_name="us", samples=64, seed=7,
                           curves={"malliaris-one-mais3": "test source"})


def test_headline_figure_draws_ratios_and_bands_class_first(run):
    fig = F.headline_ratios(run, headline=fake_headline())
    d = fig.crashcompat_data
    assert list(d["vehicle"][:3]) == ["kei (class)", "kei/suzuki-alto", "kei/honda-n-box"]
    assert "us-car/toyota-corolla" not in set(d["vehicle"])  # references are the 1 line
    np.testing.assert_allclose(d["ratio"][:3], [2.1, 2.4, 1.9])
    np.testing.assert_allclose(d["ratio_p95"] - d["ratio"], 0.4, rtol=1e-12)
    np.testing.assert_allclose(d["evans_ratio"][:3], [2.52, 2.88, 2.28], rtol=1e-12)
    axes = _visible_axes(fig)
    assert [a.get_title() for a in axes] == ["MAIS3+ (malliaris-one-mais3)",
                                             "fatal (malliaris-one-fatal)"]
    assert "relative to the reference cars (ratio, 1 = same)" in axes[0].get_xlabel()
    assert "exposure us, 64 samples, seed 7" in fig.crashcompat_footer


def test_headline_figure_says_when_there_is_no_headline(run):
    if callable(getattr(run, "headline", None)):  # a run made without an exposure
        with pytest.raises(NotAvailableError, match=r"not available for this run: .*exposure"):
            F.headline_ratios(run)
    else:
        with pytest.raises(NotAvailableError, match=r"needs GridRun.headline\(\)"):
            F.headline_ratios(run)


def _mc_run(**spec):
    """A small run with Monte Carlo samples and the US exposure, or a skip before they land."""
    import inspect

    from crashcompat.runs.grid import GridRun, run_grid

    params = inspect.signature(run_grid).parameters
    if not callable(getattr(GridRun, "headline", None)) or "exposure" not in params:
        pytest.skip("GridRun.headline() and run_grid(samples=, exposure=) not there yet")
    return run_grid({**SPEC, **spec}, samples=16, seed=1, exposure="us")


@pytest.fixture(scope="module")
def mc_run():
    return _mc_run()


def test_headline_figure_from_a_run_with_samples_and_exposure(mc_run):
    h = mc_run.headline()
    fig = F.headline_ratios(mc_run)
    d = fig.crashcompat_data
    drawn = [r for r in h.rows if r["role"] != "reference" and r["ratio"] is not None]
    assert len(d["vehicle"]) == len(drawn)
    for r in drawn:
        k = [i for i in range(len(d["vehicle"]))
             if d["vehicle"][i] == r["vehicle"] and d["outcome"][i] == r["outcome"]]
        assert len(k) == 1, r["vehicle"]
        for key in ("ratio", "ratio_p05", "ratio_p95", "p", "p_p05", "p_p95", "evans_ratio"):
            want = np.nan if r.get(key) is None else r[key]
            np.testing.assert_allclose(d[key][k[0]], want, rtol=0, err_msg=key)
    assert set(d["outcome"]) == {"MAIS3+", "fatal"}
    assert "exposure us, 16 samples, seed 1" in fig.crashcompat_footer


def test_dv_figure_of_a_monte_carlo_run_draws_its_percentiles(mc_run):
    d = F.dv_by_partner_class(mc_run).crashcompat_data
    assert d["band"] == "monte-carlo"
    rows = [r for r in mc_run.summary().rows if r["configuration"] == "frontal"
            and r["partner"] in SUV and r["reference"] == REFS[0]]
    s = _series(F.dv_by_partner_class(mc_run), "us-suv", "subject")
    for k, v in enumerate(d["closing_speed_kph"]):
        here = [r for r in rows if r["closing_speed_kph"] == v]
        assert len(here) == len(KEI)
        np.testing.assert_allclose(s["band_low_kph"][k],
                                   np.mean([r["subject_occupant_dv_kph_p05"] for r in here]),
                                   rtol=1e-12)
        np.testing.assert_allclose(s["band_high_kph"][k],
                                   np.mean([r["subject_occupant_dv_kph_p95"] for r in here]),
                                   rtol=1e-12)
    assert np.all(s["band_high_kph"] > s["band_low_kph"])


# -- files --------------------------------------------------------------------------------------

@pytest.mark.parametrize("ext, magic", [(".png", b"\x89PNG\r\n\x1a\n"), (".svg", b"<?xml"),
                                        (".pdf", b"%PDF")])
def test_save_figure_writes_atomically_and_refuses_to_overwrite(run, tmp_path, ext, magic):
    fig = F.dv_by_partner_class(run)
    path = tmp_path / f"dv{ext}"
    F.save_figure(fig, path)
    data = path.read_bytes()
    assert data.startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no partial left
    with pytest.raises(cc.CrashCompatError, match="exists; pass --overwrite"):
        F.save_figure(fig, path)
    assert path.read_bytes() == data
    F.save_figure(fig, path, overwrite=True)
    if ext == ".png":
        from matplotlib.image import imread

        img = imread(path)
        w, h = fig.get_size_inches() * 150
        assert img.shape[:2] == (round(h), round(w))
    if ext == ".svg":
        assert fig.crashcompat_footer.encode() in data  # in the file's metadata


def test_save_figure_refuses_an_unknown_extension(run, tmp_path):
    with pytest.raises(cc.CrashCompatError, match=r"one of \.png, \.svg, \.pdf"):
        F.save_figure(F.dv_by_partner_class(run), tmp_path / "dv.jpg")
    assert list(tmp_path.iterdir()) == []


def test_missing_matplotlib_names_the_extra(run, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'crashcompat\[plot\]'") as exc:
        F.dv_by_partner_class(run)
    assert isinstance(exc.value, ImportError)


# -- requirement 5: labelled data plots itself ------------------------------------------------

def test_xarray_dataset_labels_itself_when_plotted(run):
    full = run.to_xarray()
    for name, var in full.data_vars.items():
        assert "long_name" in var.attrs, name
        assert "units" in var.attrs or "flag_values" in var.attrs, name
    for name in ("closing_speed_kph", "angle_deg", "overlap", "restitution", "friction",
                 "load_kg", "impact_position", "subject_mass_kg", "partner_mass_kg"):
        assert full[name].dtype.kind == "f", name
        assert {"units", "long_name"} <= set(full[name].attrs), name
    assert list(full.subject_class.values) == ["kei", "kei", "us-car", "us-car"]
    assert list(full.partner_class.values) == ["us-truck", "us-truck", "us-suv"]
    assert full.subject_mass_kg.attrs["units"] == "kg"
    np.testing.assert_allclose(full.subject_mass_kg.sel(subject=KEI[0]),
                               run.catalog[KEI[0]].mass_kg)
    assert bool(full.restitution_is_model.values[0])
    # what a reader does: pick a slice and plot it; xarray labels the axes from the attributes
    da = full.subject_occupant_dv_kph.sel(partner=TRUCKS[0], configuration="frontal",
                                          subject=KEI).squeeze(drop=True)
    Figure = F._figure_class()
    ax = Figure().subplots()
    lines = da.plot.line(x="closing_speed_kph", hue="subject", ax=ax)
    assert len(lines) == 2
    assert _label(ax.get_xlabel()) == "closing speed [km/h]"
    assert _label(ax.get_ylabel()) == "subject occupant delta-v [km/h]"
    ax2 = Figure().subplots()
    full.partner_occupant_dv_kph.sel(subject=KEI[0], partner=SUV[0], configuration="side"
                                     ).squeeze(drop=True).plot(ax=ax2)
    assert _label(ax2.get_ylabel()) == "partner occupant delta-v [km/h]"


def _zarr_dataset(run, tmp_path):
    xr = pytest.importorskip("xarray")
    pytest.importorskip("zarr")
    path = tmp_path / "grid.zarr"
    run.write(path)
    return xr.open_zarr(path)


def test_zarr_output_carries_units_long_names_and_numeric_speed_axes(run, tmp_path):
    z = _zarr_dataset(run, tmp_path)
    for name, var in z.data_vars.items():
        assert "long_name" in var.attrs, name
        assert "units" in var.attrs or "flag_values" in var.attrs, name
    assert z.closing_speed_kph.dtype.kind == "f"
    assert z.closing_speed_kph.attrs == {"units": "km/h", "long_name": "closing speed"}
    assert json.loads(json.dumps(dict(z.attrs)["crashcompat"]))["n_cases"] == run.n_cases
    Figure = F._figure_class()
    ax = Figure().subplots()
    z.subject_occupant_dv_kph.sel(subject=KEI[0], partner=TRUCKS[0], configuration="frontal"
                                  ).squeeze(drop=True).plot(ax=ax)
    assert _label(ax.get_xlabel()) == "closing speed [km/h]"
    assert _label(ax.get_ylabel()) == "subject occupant delta-v [km/h]"


def test_zarr_output_has_the_same_coordinates_as_to_xarray(run, tmp_path):
    z = _zarr_dataset(run, tmp_path)
    assert z.restitution.dtype.kind == "f" and "restitution_is_model" in z.coords
    assert z.impact_position.dtype.kind == "f"
    for name in ("subject_class", "subject_mass_kg", "subject_role", "partner_class",
                 "partner_mass_kg"):
        assert name in z.coords, name
