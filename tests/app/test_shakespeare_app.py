"""AppTest of the Shakespeare page: train a tiny model, watch samples appear, generate text."""

from __future__ import annotations

from core.data import shakespeare
from tests.helpers import app_at_page, assert_no_exception, run_until, texts, training_finished
from ui import data_cache

PAGE = "app_pages/shakespeare.py"
KEY = "shakespeare"
TINY = "Tiny: seconds, for a quick demo"


def code_blocks(at) -> list[str]:
    return [c.value for c in at.code]


def test_page_trains_tiny_model_and_generates_text(with_shared_data):
    at = app_at_page(PAGE)
    assert_no_exception(at)
    assert "Tiny Shakespeare" in [o for r in at.radio if r.key == f"{KEY}:source" for o in r.options]
    assert "local copy" in texts(at)  # the real text, from RNN_PLAYGROUND_DATA

    at.selectbox(key=f"{KEY}:preset").set_value(TINY).run()
    preset = f"{KEY}:1"
    at.select_slider(key=f"{preset}:max_chars").set_value(25_000).run()
    at.select_slider(key=f"{preset}:every").set_value(5).run()
    assert_no_exception(at)
    at.button(key=f"{KEY}:train").click().run()
    run_until(at, training_finished(KEY), timeout=240)
    assert_no_exception(at)

    page = texts(at)
    assert at.success, page
    assert "Live samples" in page and "Bits per character" in page
    earlier = [m.value for m in at.markdown if m.value.startswith("**") and "loss" in m.value and "nats" in m.value]
    assert len(earlier) >= 2 and earlier[-1].startswith("**step 1**")  # kept to scroll back through, newest first
    assert any(b.label == "All samples (.txt)" for b in at.get("download_button"))
    assert len(at.get("vega_lite_chart")) >= 5  # loss, bits, gradients, surprise, top-5, entropy

    at.text_area(key=f"{KEY}:prompt").set_value("First Citizen:\n")
    at.slider(key=f"{KEY}:gen_length").set_value(100)
    at.number_input(key=f"{KEY}:seed").set_value(7)
    generate = next(b for b in at.button if b.label == "Generate")
    generate.click().run()
    assert_no_exception(at)
    written = [c for c in code_blocks(at) if c.startswith("First Citizen:\n")]
    assert written and len(written[-1]) == len("First Citizen:\n") + 100
    assert "characters per second" in texts(at)

    # Same seed, same text: generating again reproduces it.
    next(b for b in at.button if b.label == "Generate").click().run()
    again = [c for c in code_blocks(at) if c.startswith("First Citizen:\n")]
    assert again[-1] == written[-1]


def test_page_explains_invalid_settings_instead_of_crashing(with_shared_data):
    at = app_at_page(PAGE)
    at.selectbox(key=f"{KEY}:preset").set_value(TINY).run()
    preset = f"{KEY}:1"
    at.select_slider(key=f"{preset}:max_chars").set_value(25_000).run()
    at.slider(key=f"{preset}:length").set_value(200).run()
    at.select_slider(key=f"{preset}:batch_size").set_value(512).run()
    at.toggle(key=f"{preset}:stateful").set_value(True).run()
    assert_no_exception(at)
    assert any("too short" in e.value for e in at.error)
    assert at.button(key=f"{KEY}:train").disabled


def test_upload_is_validated_with_clear_messages(with_shared_data):
    at = app_at_page(PAGE)
    at.radio(key=f"{KEY}:source").set_value("upload").run()
    assert_no_exception(at)
    assert any("Upload a UTF-8 text file" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == f"{KEY}:train"]  # nothing to train on yet

    at.file_uploader(key=f"{KEY}:upload").set_value(("song.txt", b"\x89PNG\r\n\x1a\n\x00\x00" * 300, "text/plain"))
    at.run()
    assert_no_exception(at)
    assert any("binary" in e.value for e in at.error)

    text = shakespeare.generate_play(6_000, seed=3).encode("utf-8")
    at.file_uploader(key=f"{KEY}:upload").set_value(("my_play.txt", text, "text/plain"))
    at.run()
    assert_no_exception(at)
    assert not at.error
    assert "your upload: my_play.txt" in texts(at)
    assert not at.button(key=f"{KEY}:train").disabled


def test_characters_only_in_the_validation_part_are_named_as_such(with_shared_data):
    """The vocabulary comes from the training part: a validation-only character is not 'more than 256'."""
    text = shakespeare.generate_play(6_000, seed=3) + "\n§ ¤ §\n"
    at = app_at_page(PAGE)
    at.radio(key=f"{KEY}:source").set_value("upload").run()
    at.file_uploader(key=f"{KEY}:upload").set_value(("odd_end.txt", text.encode("utf-8"), "text/plain"))
    at.run()
    assert_no_exception(at)
    notes = " ".join(i.value for i in at.info)
    assert "3 validation characters never occur in the training text" in notes
    assert "more than 256" not in notes


def test_offline_default_speaks_to_visitors(without_local_data, monkeypatch):
    def fail(*args, **kwargs):
        raise ConnectionError("offline")

    monkeypatch.setattr(shakespeare, "load_download", fail)
    data_cache.retry_downloads()
    try:
        at = app_at_page(PAGE)
        assert_no_exception(at)
        warning = " ".join(w.value for w in at.warning)
        assert "Offline default in use" in warning and "upload your own text" in warning
        assert "RNN_PLAYGROUND_DATA" not in warning  # a deployer's setting, not something a visitor can do
    finally:
        data_cache.retry_downloads()
