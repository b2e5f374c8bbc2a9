"""The planner notebook: the .ipynb and its py:percent twin agree (jupytext), the repository holds it
without outputs, and it runs top to bottom in a kernel of this venv (nbclient) with the outcomes
the text promises."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import jupytext
import nbformat
from jupytext.compare import compare_notebooks
from nbclient import NotebookClient

from facility_opt.loading import load_nerima

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
IPYNB = EXAMPLES / "planner_notebook.ipynb"
PY = EXAMPLES / "planner_notebook.py"


def _cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells]


def test_notebook_and_script_are_in_sync():
    nb, script = jupytext.read(IPYNB), jupytext.read(PY)
    assert _cells(nb) == _cells(script) and len(nb.cells) > 10
    compare_notebooks(script, nb, fmt="py:percent")  # metadata too, as `jupytext --test` does
    assert nb.metadata["jupytext"]["formats"] == script.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    # round trip: the notebook written as a py:percent script reads back as the same notebook
    assert _cells(jupytext.reads(jupytext.writes(nb, fmt="py:percent"), fmt="py:percent")) == _cells(nb)


def test_notebook_is_stored_without_outputs():
    nb = nbformat.read(IPYNB, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)


def test_notebook_runs_in_a_kernel_of_this_venv(tmp_path):
    nb = nbformat.read(IPYNB, as_version=4)
    n_cells = len(nb.cells)
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import json, sys\n"
            "print(json.dumps({'executable': sys.executable, 'zones': len(ward.zones), "
            "'facilities': len(ward.facilities), 'valid': plan.valid, 'violations': len(violations), "
            "'buildings_after': plan.kpis.buildings_after, 'changes': len(changes), 'out': str(result.out_dir)}))"
        )
    )
    env_before = dict(os.environ)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert dict(os.environ) == env_before
    facts = json.loads(nb.cells[-1].outputs[0]["text"])
    assert Path(facts["executable"]).resolve() == Path(sys.executable).resolve()  # this venv's Python
    ward = load_nerima()
    assert (facts["zones"], facts["facilities"]) == (len(ward.zones), len(ward.facilities))
    # the plan the notebook made is the one it wrote, valid and independently checked
    plan = json.loads((tmp_path / "out" / "notebook_run" / "plan.json").read_text(encoding="utf-8"))
    assert facts["valid"] is True and plan["valid"] is True and facts["violations"] == 0
    assert facts["buildings_after"] == plan["kpis"]["buildings_after"] < plan["kpis"]["buildings_before"]
    assert facts["changes"] > 0
    outputs = {i: c.outputs for i, c in enumerate(nb.cells[:n_cells]) if c.cell_type == "code"}
    shown = [o for outs in outputs.values() for o in outs]
    assert not [o for o in shown if o.output_type == "error"]
    images = [i for i, outs in outputs.items() if any("image/png" in o.get("data", {}) for o in outs)]
    assert len(images) >= 2  # the ward map and the renewal cliff render inline
    text = "".join(o.get("text", "") for o in shown)
    assert (
        "independent check: no violations" in text
        and f"buildings {plan['kpis']['buildings_before']} -> {plan['kpis']['buildings_after']}" in text
    )
    assert any("text/html" in o.get("data", {}) and "total" in o["data"]["text/html"] for o in shown)  # summary
