"""The direction of imports is the architecture (../shared/DESIGN.md): checked by parsing."""
import ast
from pathlib import Path

from tests.conftest import ROOT

PKG = ROOT / "explorer"
RULES = {  # layer → modules it must never import
    "engines": ("streamlit", "explorer.viz", "explorer.ui", "explorer.pages", "plotly"),
    "viz": ("streamlit", "torch", "explorer.engines", "explorer.ui", "explorer.pages"),
    "ui": ("explorer.pages",),
    "pages": ("explorer.pages",),
}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def violations(pkg: Path = PKG) -> list[str]:
    bad = []
    for layer, banned in RULES.items():
        for path in sorted((pkg / layer).rglob("*.py")):
            for mod in imports(path):
                if any(mod == b or mod.startswith(b + ".") for b in banned):
                    bad.append(f"{path.relative_to(pkg.parent)} imports {mod}")
    return bad


def test_layers_import_only_downwards():
    assert violations() == []


def test_the_checker_sees_a_violation(tmp_path):
    fake = tmp_path / "explorer" / "viz"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text("import torch\nfrom streamlit import write\n")
    assert len(violations(tmp_path / "explorer")) == 2


def test_app_shell_imports_nothing_heavy():
    for name in ("app.py", "catalog.py", "cli.py"):
        mods = imports(PKG / name)
        assert not any(m.split(".")[0] in ("torch", "sklearn", "plotly", "numpy") for m in mods), name
