"""The README's reference tables are generated from the code and must not drift."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from bedrock_customize import hcl

ROOT = Path(__file__).resolve().parents[2]


def _gen_docs():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "tools" / "gen_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_tables_match_the_code():
    assert _gen_docs().main(["--check"]) == 0, "run: python tools/gen_docs.py"


def test_a_stale_table_is_caught(tmp_path):
    gen_docs = _gen_docs()
    readme = tmp_path / "README.md"
    fresh = gen_docs.render((ROOT / "README.md").read_text(encoding="utf-8"))
    readme.write_text(fresh.replace("| `name_prefix` |", "| `name_prefix_renamed` |"), encoding="utf-8")
    assert gen_docs.main(["--check", "--readme", str(readme)]) == 1


def test_every_variable_and_output_is_documented():
    gen_docs = _gen_docs()
    inputs = gen_docs.inputs_table()
    outputs = gen_docs.outputs_table()
    variables = [b.labels[0] for b in hcl.blocks(ROOT, "variable")]
    outs = [b.labels[0] for b in hcl.blocks(ROOT, "output")]
    assert variables and outs
    assert all(f"| `{name}` |" in inputs for name in variables)
    assert all(f"| `{name}` |" in outputs for name in outs)
