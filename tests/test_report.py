"""The report (HTML and Markdown) and the ``plot``/``report`` commands: what a reader finds in
it (the run's own numbers, provenance, assumptions and limits), that it is self-contained, that
its spec reproduces the run, and the CLI's exit codes, messages and file handling."""

from __future__ import annotations

import base64
import html
import re
from types import SimpleNamespace

import pytest

pytest.importorskip("matplotlib")

from click.testing import CliRunner  # noqa: E402

import crashcompat as cc  # noqa: E402
from crashcompat._version import __version__  # noqa: E402
from crashcompat.cli import main  # noqa: E402
from crashcompat.physics.collide import LIMITS  # noqa: E402
from crashcompat.report import build_report, spec_to_toml  # noqa: E402
from crashcompat.runs.grid import GridSpec, load_spec  # noqa: E402
from crashcompat.runs.spec import PRESETS, spec_from_toml  # noqa: E402

SPEC = {"subjects": ["kei/honda-n-box", "kei/suzuki-alto"],
        "partners": ["us-truck/ford-f-150", "us-suv/chevrolet-tahoe"],
        "configurations": ["frontal", "side"], "closing_speed_kph": "30:60:30",
        "angle_deg": [0], "overlap": [1], "measures": "dv,risk,pulse"}
ARGS = ["--subjects", "kei/honda-n-box,kei/suzuki-alto",
        "--partners", "us-truck/ford-f-150,us-suv/chevrolet-tahoe",
        "--configurations", "frontal,side", "--closing-speed", "30:60:30", "--angle", "0",
        "--overlap", "1"]


@pytest.fixture(scope="module")
def run():
    return cc.run_grid(SPEC)


@pytest.fixture(scope="module")
def report(run):
    return build_report(run, validation=None)


@pytest.fixture(scope="module")
def page(report):
    return report.to_html()


def invoke(args, **kw):
    return CliRunner().invoke(main, args, catch_exceptions=False, **kw)


# -- content ------------------------------------------------------------------------------------

def test_report_holds_the_figures_and_says_what_is_left_out(report, run):
    kinds = [f.kind for f in report.figures]
    assert kinds == ["dv", "dv", "risk-ratio", "crush"]  # one dv figure per configuration
    assert report.figures[1].data["configuration"] == "side"
    assert report.headline is None
    if not callable(getattr(run, "headline", None)):
        assert "needs GridRun.headline()" in report.notes["headline"]
    else:  # the run was made without an exposure
        assert "not available for this run" in report.notes["headline"]
        assert "exposure" in report.notes["headline"]
    assert "validation" not in report.notes  # left out on request (validation=None)


def test_html_is_one_self_contained_page(page, report):
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media print" in page and "@media (max-width: 40rem)" in page
    # nothing that loads from elsewhere: no script, no stylesheet link, no font, no URL
    for needle in ("<script", "<link", "@import", "@font-face", "url(", "http://",
                   "https://", "<iframe", "<object"):
        assert needle not in page, needle
    srcs = re.findall(r'<img src="([^"]+)"', page)
    assert len(srcs) == len(report.figures)
    for src in srcs:
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    assert len(re.findall(r"<figcaption>", page)) == len(report.figures)
    assert all(re.search(r'alt="Figure \d+: [^"]+"', page) for _ in srcs)


def test_html_provenance_is_the_runs_and_its_spec_reproduces_the_run(page, run):
    meta = run.metadata()
    assert meta["catalog_sha256"] in page
    assert f"crashcompat {__version__}" in page
    spec_text = html.unescape(re.search(r"<pre>(.*?)</pre>", page, re.S).group(1))
    assert spec_from_toml(spec_text, "report") == run.spec
    assert f"{run.n_cases:,}" in page


def test_html_lists_assumptions_with_sources_and_the_limits(page, run):
    meta = run.metadata()
    text = html.unescape(page)
    for name, info in meta["risk_curves"].items():
        assert f"Risk curve {name}" in text and info["source"] in text
    assert meta["models"]["restitution_model"] in text
    assert meta["pulse"] in text
    assert LIMITS in text


def test_markdown_variant_has_the_same_sections_and_a_runnable_spec(report, run):
    md = report.to_markdown()
    for heading in ("## Headline", "## Figures", "## Validation",
                    "## Assumptions and their sources", "## Limits", "## Provenance"):
        assert heading in md
    assert "data:image" not in md
    assert "**Figure 3. Risk relative to the reference cars, by partner.**" in md
    spec_text = re.search(r"```toml\n(.*?)```", md, re.S).group(1)
    assert spec_from_toml(spec_text, "report.md") == run.spec
    assert f"- catalog SHA-256: `{run.metadata()['catalog_sha256']}`" in md
    assert "| topic | assumption or model, with its source |" in md
    embedded = report.to_markdown(embed_figures=True)
    assert embedded.count("](data:image/png;base64,") == len(report.figures)


def test_report_with_a_headline_shows_its_table_figure_and_assumptions(run):
    from test_figures import fake_headline

    h = fake_headline()
    rep = build_report(run, headline=h, validation=None)
    assert rep.figures[0].kind == "headline"
    page = html.unescape(rep.to_html())
    # kei (class), MAIS3+: p 1 % (0.8-1.3 %), ratio 2.1 (1.8-2.5), Evans 2.52, share 20 %
    assert "<td>kei (class)</td><td>MAIS3+</td><td class=\"num\">1 % (0.8-1.3 %)</td>" \
           "<td class=\"num\">2.1 (1.8-2.5)</td><td class=\"num\">2.52</td>" \
           "<td class=\"num\">20 % (10-30 %)</td>" in page
    assert "exposure weights from a test table (test input)" in page
    assert "test limit sentence" in page
    assert "64 Monte Carlo samples, seed 7" in page


def test_report_of_a_run_with_samples_and_exposure_has_its_headline():
    from test_figures import _mc_run

    from crashcompat.report import tables as T

    run = _mc_run(configurations=["frontal", "side"], closing_speed_kph="30:60:30")
    rep = build_report(run, validation=None)
    assert rep.headline is not None and rep.figures[0].kind == "headline"
    page = html.unescape(rep.to_html())
    cls = next(r for r in rep.headline.rows if r["vehicle"] == "kei (class)"
               and r["outcome"] == "fatal")
    # the class's ratio and its band as printed, e.g. "2.31 (2.25-2.4)"
    assert f"{cls['ratio']:.3g} ({cls['ratio_p05']:.3g}-{cls['ratio_p95']:.3g})" in page
    assert T.with_band(cls["ratio"], cls["ratio_p05"], cls["ratio_p95"]) in page
    for sentence in rep.headline.assumptions:
        assert sentence in page
    assert "Monte Carlo samples</dt><dd>16" in rep.to_html()
    assert "crashcompat report spec.toml --samples 16 --seed 1 --exposure us -o report.html" \
        in page
    assert "exposure</dt><dd>us" in rep.to_html()


def test_report_with_a_validation_result_shows_its_tables(run):
    v = SimpleNamespace(cases=[dict(id="case-1", type="frontal", vehicle="kei/x",
                                    source="a test source", measured_dv_kph=40.0,
                                    predicted_dv_kph=44.0, error_pct=10.0)],
                        summary={"frontal": dict(n=1, bias_pct=10.0, spread_pct=0.0)})
    rep = build_report(run, headline=None, validation=v, kinds=["validation"])
    assert [f.kind for f in rep.figures] == ["validation"]
    page = rep.to_html()
    assert "<td>case-1</td><td>frontal</td><td class=\"num\">40</td>" \
           "<td class=\"num\">44</td><td class=\"num\">+10.0 %</td></tr>" in page
    assert "<li><b>case-1</b>: kei/x. source: a test source.</li>" in page
    assert "<td>frontal</td><td class=\"num\">1</td><td class=\"num\">+10.0 %</td>" in page


def test_report_without_pulse_leaves_the_crush_figure_out_with_a_note():
    run = cc.run_grid({**SPEC, "measures": "dv,risk"})
    rep = build_report(run, headline=None, validation=None)
    assert "crush" not in [f.kind for f in rep.figures]
    assert "--measures dv,risk,pulse" in rep.notes["figure crush"]
    assert "A figure is left out: the crush figure needs the pulse measures" in rep.to_html()


@pytest.mark.parametrize("spec", [
    GridSpec(**PRESETS["kei-vs-us"]),
    GridSpec(**{**PRESETS["kei-vs-us"], "name": "custom \"quoted\"", "closing_speed_kph": None,
                "subject_speed_kph": (10.0, 20.5), "partner_speed_kph": (0.0,),
                "restitution": ("model", "0.2"), "allow_implausible": True,
                "risk_curves": ("malliaris-one-fatal",
                                {"name": "mine", "a0": -5.0, "a1_per_mph": 0.1,
                                 "source": "a test curve"})}),
])
def test_spec_to_toml_round_trips(spec, tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text(spec_to_toml(spec), encoding="utf-8")
    assert load_spec(path).to_dict() == cc.run_grid(spec).spec.to_dict()


def test_report_write_is_atomic_and_refuses_to_overwrite(report, tmp_path, monkeypatch):
    path = tmp_path / "r.html"
    report.write(path)
    first = path.read_bytes()
    with pytest.raises(cc.CrashCompatError, match="exists; pass --overwrite"):
        report.write(path)
    assert path.read_bytes() == first

    def boom(self, **kw):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(type(report), "to_markdown", boom)
    with pytest.raises(RuntimeError):
        report.write(tmp_path / "r.md")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]  # no partial left
    with pytest.raises(cc.CrashCompatError, match=r"report format .* one of \.html"):
        report.write(tmp_path / "r.txt")


# -- CLI ----------------------------------------------------------------------------------------

def test_cli_plot_writes_a_png_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "dv.png"
    r = invoke(["plot", "dv", *ARGS, "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"\x89PNG")
    assert f"wrote {out}" in r.stderr
    r = invoke(["plot", "dv", *ARGS, "-o", str(out)])
    assert r.exit_code == 1
    assert r.stderr == f"Error: {out} exists; pass --overwrite to replace it\n"
    r = invoke(["plot", "crush", *ARGS, "-o", str(out), "--overwrite", "-q"])
    assert r.exit_code == 0, r.output
    assert r.stderr == ""


@pytest.mark.parametrize("args, message", [
    (["plot", "dv", "-o", "x.jpg"], "cannot tell the figure format from the extension '.jpg'"),
    (["plot", "dv", *ARGS, "--configuration", "rear", "-o", "{tmp}/x.png"],
     "configuration 'rear' is not in this run"),
    (["plot", "dv", "--closing-speed", "10:1:1", "-o", "{tmp}/x.png"],
     "--closing-speed: the range '10:1:1' is empty"),
    (["plot", "risk-ratio", *ARGS, "--at-speed", "45", "-o", "{tmp}/x.png"],
     "closing speed 45 km/h is not on this run's axis"),
    (["plot", "dv", "-o", "/nonexistent-dir/x.png"], "the directory /nonexistent-dir does not"),
    (["report", "-o", "r.txt"], "cannot tell the report format from the extension '.txt'"),
])
def test_cli_expected_errors_are_one_sentence(args, message, tmp_path):
    r = invoke([a.replace("{tmp}", str(tmp_path)) for a in args])
    assert r.exit_code == 1, r.output
    assert message in r.stderr
    err = [line for line in r.stderr.splitlines() if line.startswith("Error: ")]
    assert len(err) == 1 and "Traceback" not in r.output
    assert list(tmp_path.iterdir()) == []


def test_cli_plot_kinds_that_need_missing_parts_say_so(tmp_path):
    from crashcompat.runs.grid import GridRun

    if not callable(getattr(GridRun, "headline", None)):
        r = invoke(["plot", "headline", *ARGS, "-o", str(tmp_path / "h.png")])
        assert r.exit_code == 1
        assert "needs GridRun.headline()" in r.stderr
    r = invoke(["plot", "nonsense", "-o", str(tmp_path / "h.png")])
    assert r.exit_code == 2


def test_cli_report_html_markdown_and_stdout(tmp_path):
    out = tmp_path / "report.html"
    r = invoke(["report", *ARGS, "-o", str(out)])
    assert r.exit_code == 0, r.output
    page = out.read_text(encoding="utf-8")
    from crashcompat.runs.grid import GridRun

    # 2 delta-v, risk-ratio, crush; and the headline's where this crashcompat has one (the
    # command asks for the US exposure)
    from test_figures import _validation_available

    n_figures = (4 + int(callable(getattr(GridRun, "headline", None)))
                 + int(_validation_available()))
    assert page.startswith("<!DOCTYPE html>") and page.count("<img ") == n_figures
    assert "adding the pulse measures" in r.stderr
    r = invoke(["report", *ARGS, "-o", str(out)])
    assert r.exit_code == 1 and "exists; pass --overwrite" in r.stderr
    assert out.read_text(encoding="utf-8") == page
    md = tmp_path / "report.md"
    r = invoke(["report", *ARGS, "-o", str(md)])
    assert r.exit_code == 0
    assert md.read_text(encoding="utf-8").startswith("# Crash compatibility: kei against")
    r = invoke(["report", *ARGS, "-o", "-", "-q"])
    assert r.exit_code == 0
    assert r.stdout.startswith("# Crash compatibility: kei against us-truck and us-suv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.md"]


def test_a_grid_of_many_partners_gets_one_readable_heat_map_per_configuration():
    from crashcompat.report.html import WIDE_FIGURE_IN

    run = cc.run_grid({**SPEC, "partners": ["us-truck", "us-suv"], "closing_speed_kph": [50],
                       "measures": "dv,risk"})
    assert len(run.partner_ids) > 12
    rep = build_report(run, headline=None, validation=None, kinds=["risk-ratio"])
    assert [f.data["configurations"] for f in rep.figures] == [["frontal"], ["side"]]
    page = rep.to_html()
    wide = [f for f in rep.figures if f.figure.get_figwidth() > WIDE_FIGURE_IN]
    assert page.count('class="wide"') == len(wide) and page.count('<div class="scroll">') == \
        len(wide)


def test_report_shows_the_validation_suites_cases(run):
    from test_figures import _validation_available

    if not _validation_available():
        pytest.skip("crashcompat.validation not there yet")
    rep = build_report(run, headline=None, validation="auto", kinds=["validation"])
    v = rep.validation
    assert [f.kind for f in rep.figures] == ["validation"]
    page = html.unescape(rep.to_html())
    for c in v.cases:
        assert f"<b>{c['id']}</b>" in page
        assert f"<td class=\"num\">{c['measured_dv_kph']:.3g}</td>" in page
    for t, s in v.summary.items():
        assert f"<td>{t}</td><td class=\"num\">{s['n']}</td>" in page


def test_cli_report_bands_default_to_the_grids_samples_and_exposure_none_drops_the_headline():
    from crashcompat.cli import grid as grid_cli
    from crashcompat.runs.grid import GridRun

    if not callable(getattr(GridRun, "headline", None)):
        pytest.skip("GridRun.headline() not there yet")
    r = invoke(["report", *ARGS, "-o", "-", "-q"])
    assert r.exit_code == 0, r.output
    assert f"{grid_cli.DEFAULT_SAMPLES} Monte Carlo samples, seed 0." in r.stdout
    assert "| kei (class) | MAIS3+ |" in r.stdout
    r = invoke(["report", *ARGS, "--exposure", "none", "-o", "-", "-q"])
    assert r.exit_code == 0, r.output
    assert "> No exposure-weighted headline in this report" in r.stdout
    assert "no exposure model" in r.stdout
