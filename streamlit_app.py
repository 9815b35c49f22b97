"""Streamlit main script: `streamlit run streamlit_app.py` (what `make run` serves)."""
from explorer.app import main

main()
