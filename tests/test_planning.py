"""Planning-model YAML: extends/overrides, file references, and errors naming file and key path."""

from __future__ import annotations

import pytest

from facility_opt import ModelConfigError
from facility_opt.planning import deep_merge, load_planning_model
from facility_opt.resources import models_dir


def test_default_model_loads():
    m = load_planning_model()
    assert m.name == "nerima" and m.data == "embedded:nerima"
    assert m.catalogue == str((models_dir() / "catalogue.yaml").resolve())


def test_deep_merge_replaces_leaves_and_merges_mappings():
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 2}
    assert deep_merge(base, {"a": {"y": [3]}, "c": 3}) == {"a": {"x": 1, "y": [3]}, "b": 2, "c": 3}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 2}  # not mutated


def test_scenario_extends_and_overrides(tmp_path):
    (tmp_path / "cat.yaml").write_text((models_dir() / "catalogue.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "base.yaml").write_text(
        "name: base\ndata: embedded:nerima\ncatalogue: cat.yaml\nhorizon: {start_year: 2019, years: 30}\n"
        "portfolio: {access_weight: 1.0, policy: {max_closures: 5}}\n"
    )
    sub = tmp_path / "scen"
    sub.mkdir()
    (sub / "s.yaml").write_text(
        "extends: ../base.yaml\nname: s\nhorizon: {years: 20}\nportfolio: {policy: {max_closures: 0}}\n"
    )
    m = load_planning_model(sub / "s.yaml")
    assert m.name == "s" and m.horizon.years == 20 and m.horizon.start_year == 2019
    assert m.portfolio == {"access_weight": 1.0, "policy": {"max_closures": 0}}
    assert m.catalogue == str((tmp_path / "cat.yaml").resolve())  # relative to the file that states it
    assert [p.split("/")[-1] for p in m.source_files] == ["base.yaml", "s.yaml"]


def test_error_names_file_and_key_path(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text(
        f"name: bad\ndata: embedded:nerima\ncatalogue: {models_dir() / 'catalogue.yaml'}\n"
        "horizon: {start_year: 2019, years: -3}\nportfolioo: {}\n"
    )
    with pytest.raises(ModelConfigError) as exc:
        load_planning_model(p)
    msg = str(exc.value)
    assert "bad.yaml: horizon.years: Input should be greater than or equal to 1 (got -3)" in msg
    assert "portfolioo: Extra inputs are not permitted" in msg


def test_missing_reference_and_cycle(tmp_path):
    p = tmp_path / "m.yaml"
    p.write_text("name: m\ndata: embedded:nerima\ncatalogue: nowhere.yaml\nhorizon: {start_year: 2019}\n")
    with pytest.raises(ModelConfigError, match=r"m.yaml: catalogue: file .*nowhere.yaml does not exist"):
        load_planning_model(p)
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(ModelConfigError, match="cycle"):
        load_planning_model(tmp_path / "a.yaml")


def test_a_bad_portfolio_section_names_the_model_file(tmp_path):
    from facility_opt.errors import ModelConfigError
    from facility_opt.pipeline import run_model
    from facility_opt.resources import models_dir

    model = tmp_path / "bad.yaml"
    model.write_text(
        f"extends: {(models_dir() / 'nerima.yaml').resolve()}\nname: bad\n"
        "portfolio:\n  service_overrides:\n    nursery: {bogus: 1}\n",
        encoding="utf-8",
    )
    with pytest.raises(ModelConfigError) as err:
        run_model(model, tmp_path / "out")
    assert str(model) in str(err.value) and "portfolio.service_overrides.nursery.bogus" in str(err.value)
    assert not (tmp_path / "out").exists()
