"""``dl-explorer``: serve the app (``dl-explorer --port 8501``)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main_script() -> Path:
    """The repository's ``streamlit_app.py`` in a checkout, else the packaged copy."""
    root = Path(__file__).resolve().parent.parent / "streamlit_app.py"
    return root if root.exists() else Path(__file__).resolve().parent / "entry" / "streamlit_app.py"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="dl-explorer", description="Serve the Deep Learning Explorer.")
    ap.add_argument("--port", type=int, default=8501)
    ap.add_argument("--address", default="127.0.0.1")
    args = ap.parse_args(argv)
    from streamlit.web import cli as stcli

    sys.argv = ["streamlit", "run", str(main_script()), "--server.port", str(args.port),
                "--server.address", args.address, "--server.headless", "true",
                "--browser.gatherUsageStats", "false"]
    return stcli.main()


if __name__ == "__main__":
    sys.exit(main())
