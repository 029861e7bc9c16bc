"""Streamlit glue shared by several pages: navigation, cached data, controls, training panel."""
