"""The app shell: console script target, packaged main script, catalog ↔ curriculum."""
import re

from explorer import catalog, cli
from tests.conftest import ROOT, SHARED


def _code(path):
    return [line for line in path.read_text().splitlines() if line and not line.startswith('"""')]


def test_packaged_main_script_matches_the_root_one():
    packaged = ROOT / "explorer" / "entry" / "streamlit_app.py"
    assert _code(packaged) == _code(ROOT / "streamlit_app.py")
    assert cli.main_script().exists()
    assert not (cli.main_script().parent / "pages").exists()  # would start legacy multipage mode


def test_catalog_covers_the_curriculum():
    ids = set(re.findall(r"^\| ([a-z0-9_]+) \|", (SHARED / "CURRICULUM.md").read_text(), re.M)) - {"id"}
    ours = {t.id for t in catalog.all_topics()}
    assert ids == ours
    assert {p.stem for p in catalog.PAGES_DIR.glob("*.py")} == {t.id for t in catalog.live_topics()}
