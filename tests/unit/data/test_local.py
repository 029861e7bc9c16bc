"""What a visitor sees of a local copy's path: never the server's folder layout."""

from core.data.local import DataSource


def test_local_source_is_described_relative_to_the_data_folder(monkeypatch, tmp_path):
    folder = tmp_path / "srv" / "data"
    (folder / "imdb").mkdir(parents=True)
    monkeypatch.setenv("RNN_PLAYGROUND_DATA", str(folder))
    text = DataSource("local", str(folder / "imdb")).describe()
    assert text == "local copy: imdb (in the server's data folder)"  # a reader's words, not the setting's name
    assert str(tmp_path) not in text


def test_a_path_outside_the_data_folder_shows_only_its_name(monkeypatch, tmp_path):
    monkeypatch.setenv("RNN_PLAYGROUND_DATA", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    text = DataSource("local", str(tmp_path / "elsewhere" / "prices.csv")).describe()
    assert text == "local copy: prices.csv"


def test_downloads_keep_their_address():
    assert DataSource("download", "https://example.org/x.txt").describe() == "downloaded: https://example.org/x.txt"
