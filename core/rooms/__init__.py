"""Rooms and the class board: a teacher's room where every student's finished run lands, kept in a database.

`settings` (the deployer's bounds and the database URL), `schema` (tables and forward migrations),
`store` (`RoomStore`: rooms, runs, moderation, in small transactions), `records` (a finished run,
without its model, as the row the board reads), `charts` (the board's Altair charts). Never imports
Streamlit; the glue is ui/rooms.py and the page app_pages/board.py.
"""

from core.engine.lazy import lazy_submodules

__getattr__ = lazy_submodules(__name__)  # SQLAlchemy and Altair load on first use (Home stays light)
