"""Shakespeare: a character-level RNN that you watch learn to write.

Widgets -> ShakespeareRun (core.shakespeare.config) -> core.shakespeare.training (windows, model,
trainer, live samples) -> CharOutcome -> charts. Training is many-to-many (every step predicts the
next character; many-to-one is there for comparison); generation is one-to-many, one character at
a time with the recurrent state carried over (core.shakespeare.char_rnn, NumPy).
"""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import streamlit as st

from core import shakespeare as shakespeare_lab
from core.data.shakespeare import MIN_TEXT_CHARS, TextCorpus, UploadError
from core.engine import limits
from core.engine.training_job import WorkSpec
from core.shakespeare import charts as char_charts
from core.shakespeare import config as char_config
from core.shakespeare.config import (
    CharOutcome,
    CharRun,
    DataChoice,
    GenerationSettings,
    RunSummary,
    SampleSettings,
    ShakespeareRun,
    TextSettings,
)
from ui import controls, data_cache, experiments, links, presenter, shakespeare_data
from ui.charts import draw_chart
from ui.code_panel import code_panel
from ui.training_panel import current_job, training_panel

KEY = "shakespeare"

# ----------------------------------------------------------------------------- controls


def data_controls(key: str, preset: CharRun) -> tuple[DataChoice, bytes | None, int, int]:
    sources = char_config.SOURCES
    source = st.radio("Text", list(sources), format_func=sources.get, key=f"{KEY}:source", horizontal=True)
    upload = None
    name = digest = ""
    if source == "upload":
        file = st.file_uploader(
            "UTF-8 text file",
            type=["txt", "md"],
            key=f"{KEY}:upload",
            help=f"Plain UTF-8 text, {MIN_TEXT_CHARS:,} characters to {limits.MAX_UPLOAD_BYTES / 1e6:.0f} MB. "
            "100 kB or more gives the model enough to learn from.",
        )
        if file is not None:
            upload, name = file.getvalue(), file.name
            digest = shakespeare_data.upload_digest(upload)
    local_path = controls.local_path_input(
        "Local copy of shakespeare.txt (file or folder)",
        key=f"{KEY}:local",
        help="Skips the download.",
        disabled=source == "upload",
    )
    choices = char_config.CHAR_CHOICES
    max_chars = st.select_slider(
        "Characters to use",
        choices,
        preset.text.max_chars if preset.text.max_chars in choices else 0,
        format_func=char_config.chars_label,
        key=f"{key}:max_chars",
        help="The first N characters of the text; the last 10 % of them validate. Fewer = faster epochs.",
    )
    length = st.slider(
        "Sequence length (characters per window)",
        char_config.MIN_SEQUENCE_LENGTH,
        char_config.MAX_PAGE_SEQUENCE_LENGTH,
        preset.text.sequence_length,
        key=f"{key}:length",
        help="How many characters the network unrolls over per training example (backpropagation through time).",
    )
    return DataChoice(source, local_path.strip(), name, digest), upload, int(max_chars), int(length)


def sidebar() -> tuple[ShakespeareRun, bytes | None]:
    st.sidebar.header("Shakespeare settings")
    presets = char_config.PRESETS
    preset_name = st.sidebar.selectbox(
        "Preset", list(presets), key=f"{KEY}:preset", help="Each preset remembers its own settings."
    )
    preset = presets[preset_name]
    key = f"{KEY}:{list(presets).index(preset_name)}"
    with st.sidebar.expander("Data", expanded=False):
        data, upload, max_chars, length = data_controls(key, preset)
    with st.sidebar.expander("Model", expanded=True):
        variants = char_config.VARIANT_LABELS
        variant = st.radio(
            "Training pattern",
            list(variants),
            index=list(variants).index(preset.variant),
            format_func=lambda v: variants[v].split(":")[0],
            key=f"{key}:variant",
            help=char_config.VARIANT_HELP,
        )
        model = controls.model_controls(key, preset.model, allow_bidirectional=False, container=st)
        embedding_dim = st.select_slider(
            "Embedding size", char_config.EMBEDDING_CHOICES, preset.text.embedding_dim, key=f"{key}:emb"
        )
    with st.sidebar.expander("Training", expanded=True):
        train = controls.training_controls(key, preset.train, container=st, max_epochs=char_config.MAX_EPOCHS)
        stateful = st.toggle(
            "Stateful (carry the state across windows)",
            preset.text.stateful,
            key=f"{key}:stateful",
            disabled=variant != "many_to_many",
        )
        st.caption(char_config.STATEFUL_SENTENCE)
        every = st.select_slider(
            "New live sample every … steps",
            char_config.SAMPLE_EVERY_CHOICES,
            preset.sampling.every_steps,
            key=f"{key}:every",
        )
        sample_temperature = st.slider(
            "Live sample temperature", 0.1, 2.0, preset.sampling.temperature, 0.1, key=f"{key}:sample_t"
        )
    text = TextSettings(length, int(embedding_dim), max_chars, stateful=bool(stateful and variant == "many_to_many"))
    sampling = SampleSettings(int(every), preset.sampling.length, float(sample_temperature))
    run = CharRun(text, replace(model, pattern=variant), replace(train, seed=preset.train.seed), sampling)
    return ShakespeareRun(data, run), upload


# ----------------------------------------------------------------------------- data


def load_corpus(choice: DataChoice, upload: bytes | None) -> TextCorpus | None:
    """The chosen text, or None after explaining (upload missing or refused) on the page."""
    if choice.source == "upload":
        if upload is None:
            st.info("Upload a UTF-8 text file in the sidebar (Data) to train on your own text.")
            return None
        try:
            return shakespeare_data.uploaded_corpus(choice.upload_digest, choice.upload_name, upload)
        except UploadError as err:
            st.error(str(err))
            return None
    return shakespeare_data.shakespeare_corpus(choice.local_path)


def show_source(corpus: TextCorpus, data: shakespeare_lab.char_rnn.EncodedText) -> None:
    char_rnn = shakespeare_lab.char_rnn
    if corpus.source.is_synthetic:
        st.warning(
            f"**Offline default in use - generated text, not Shakespeare.** {corpus.source.notice} "
            "To train on the real text, retry the download below, or upload your own text in the sidebar (Data)."
        )
        data_cache.retry_button(KEY)
    else:
        st.caption(
            f"Data: {corpus.source.describe()} · using {data.characters:,} characters "
            f"({len(data.train):,} train / {len(data.validation):,} validation) · "
            f"{data.vocab.size} distinct characters."
        )
    if data.train_unknown:
        st.info(
            f"The training text has more than {char_rnn.MAX_VOCABULARY_CHARS} distinct characters; the rarest "
            f"share one symbol ({char_rnn.UNKNOWN_CHAR})."
        )
    if data.validation_unknown:
        st.info(char_config.validation_unknown_note(data.validation_unknown, char_rnn.UNKNOWN_CHAR))
    with st.expander("What the network sees: characters, windows, targets"):
        st.markdown(char_config.WINDOWS_EXPLAINED)
        shown = lambda chars: [char_rnn.visible(c).split(" ")[0] for c in chars]  # noqa: E731
        st.code(" ".join(shown(data.vocab.chars)), language=None, wrap_lines=True)
        x, y = char_rnn.sequence_windows(data.train[:200], 24)
        if len(x):
            table = pd.DataFrame(
                {"input (x)": shown(data.vocab.decode(x[0])), "target (y)": shown(data.vocab.decode(y[0]))}
            ).T
            st.dataframe(table, width="stretch")


# ----------------------------------------------------------------------------- training


def make_work(choice: ShakespeareRun, corpus: TextCorpus, data: shakespeare_lab.char_rnn.EncodedText) -> WorkSpec:
    """The run request; TensorFlow loads in the worker process that trains it, never in this page."""
    return shakespeare_lab.jobs.spec(data, choice.run, shakespeare_lab.char_rnn.sample_prompt(corpus.text))


def live_samples(job) -> None:
    """Under the live charts: the newest sample, and every earlier one to scroll back through."""
    samples: tuple[char_config.TrainingSample, ...] = job.progress.extra("samples", ())
    st.markdown("#### Live samples")
    if not samples:
        st.caption("The first sample appears after the first training step.")
        return
    latest = samples[-1]
    st.caption(
        f"Generated after **{latest.label}** (training loss {latest.loss:.2f} nats = "
        f"{latest.loss / shakespeare_lab.char_rnn.LN2:.2f} bits per character). {char_config.LIVE_SAMPLE_CAPTION}"
    )
    st.code(latest.text, language=None, wrap_lines=True)
    earlier = samples[:-1]
    if not earlier:
        return
    shown = earlier if not job.running else earlier[-char_config.LIVE_HISTORY :]  # keep the 1-second redraw light
    with st.container(height=320, key=f"{KEY}:history"):
        if len(shown) < len(earlier):
            st.caption(f"The latest {len(shown)} of {len(earlier)} earlier samples; all of them once training ends.")
        for sample in reversed(shown):
            st.markdown(f"**{sample.label}** · {sample.elapsed:.0f} s · loss {sample.loss:.2f} nats")
            st.code(sample.text, language=None, wrap_lines=True)
    if not job.running:
        st.download_button(
            "All samples (.txt)",
            data="\n\n".join(f"=== {s.label} · {s.elapsed:.0f} s · loss {s.loss:.3f} nats\n{s.text}" for s in samples),
            file_name="shakespeare_samples.txt",
            mime="text/plain",
            on_click="ignore",
            key=f"{KEY}:dl_samples",
        )


# ----------------------------------------------------------------------------- results


def record_run(job) -> list[RunSummary]:
    """Keep a summary of every finished run in this session, for the comparison chart."""
    runs: list[RunSummary] = st.session_state.setdefault(f"{KEY}:runs", [])
    outcome: CharOutcome = job.output
    if any(r.id == id(job) for r in runs) or not outcome.result.batches:
        return runs
    runs.append(RunSummary.of(outcome, len(runs) + 1, id(job)))
    return runs


def show_results(job) -> None:
    outcome: CharOutcome = job.output
    st.subheader("How well does it predict?")
    c1, c2, c3, c4 = st.columns(4)
    helps = char_config.METRIC_HELP
    c1.metric("Validation loss (nats/char)", f"{outcome.val_loss:.3f}", help=helps["loss"])
    c2.metric("Bits per character", f"{outcome.val_bits:.2f}", help=helps["bits"])
    c3.metric("Knowing only letter frequencies", f"{outcome.unigram_bits:.2f} bits", help=helps["unigram"])
    c4.metric("Next character right", f"{outcome.val_accuracy:.1%}", help=helps["accuracy"])
    st.caption(
        f"Perplexity {math.exp(outcome.val_loss):.1f}: on average the model hesitates as much as if it chose "
        f"uniformly among that many characters (out of {outcome.vocab.size}). Everything below the "
        "letter-frequency line is what the recurrent state has learned about context."
    )
    if outcome.run.text.stateful:
        st.caption(char_config.STATEFUL_VALIDATION)
    surprise = outcome.surprise
    with presenter.stage():  # presenter mode: under the title
        draw_chart(char_charts.surprise_chart(char_charts.surprise_table(surprise.text, surprise.bits)))
        st.caption(char_config.SURPRISE_HELP)
    runs = record_run(job)
    if len(runs) > 1:
        st.subheader("Compare your runs")
        draw_chart(char_charts.run_comparison_chart(char_charts.run_comparison_frame(runs)))
        st.caption(char_config.COMPARE_HELP)
        st.dataframe(
            char_config.comparison_table(runs),
            hide_index=True,
            column_config={"validation bits/char": st.column_config.NumberColumn(format="%.3f")},
        )


def generation_section(outcome: CharOutcome) -> None:
    char_rnn = shakespeare_lab.char_rnn
    st.subheader("Write with the trained model (one-to-many)")
    st.caption(char_config.GENERATE_HELP)
    if outcome.run.variant == "many_to_one":
        st.info(char_config.many_to_one_note(outcome.run.text.sequence_length))
    vocab = outcome.vocab
    with st.form(f"{KEY}:generate"):
        prompt = st.text_area(
            "Prompt", outcome.prompt, height=80, key=f"{KEY}:prompt", max_chars=limits.MAX_PROMPT_CHARS
        )
        c1, c2, c3 = st.columns(3)
        length = c1.slider("Characters to write", 20, 1000, 300, 20, key=f"{KEY}:gen_length")
        temperature = c2.slider(
            "Temperature",
            char_config.MIN_TEMPERATURE,
            char_config.MAX_TEMPERATURE,
            0.8,
            0.1,
            key=f"{KEY}:temperature",
            help="Divide the logits by T before the softmax: below 1 safer and repetitive, above 1 wilder.",
        )
        seed = c3.number_input("Random seed", 0, 1_000_000, 0, key=f"{KEY}:seed", help="Same seed, same text.")
        c4, c5 = st.columns(2)
        mode = c4.radio(
            "Decoding",
            ["sampling", "greedy"],
            horizontal=True,
            key=f"{KEY}:mode",
            help="greedy: always the most likely character (tends to loop). sampling: draw from the distribution.",
        )
        top_k = c5.select_slider(
            "Top-k (sampling only)",
            char_config.TOP_K_CHOICES,
            0,
            format_func=lambda k: "off" if k == 0 else str(k),
            key=f"{KEY}:top_k",
            help="Only the k most likely characters may be drawn; cuts off the long tail of unlikely ones.",
        )
        submitted = st.form_submit_button("Generate", type="primary")
    if len(prompt) > limits.MAX_PROMPT_CHARS:  # the browser enforces max_chars; a crafted request need not
        st.warning(f"The prompt is limited to {limits.MAX_PROMPT_CHARS:,} characters; only its end is used.")
        prompt = prompt[-limits.MAX_PROMPT_CHARS :]
    settings = GenerationSettings(int(length), float(temperature), mode == "greedy", int(top_k), int(seed))
    if submitted:
        try:
            st.session_state[f"{KEY}:generated"] = char_rnn.generate(outcome.step_model, vocab, prompt, settings)
        except ValueError as err:
            st.warning(str(err))
    generated = st.session_state.get(f"{KEY}:generated")
    if generated is not None:
        if generated.skipped:
            st.warning(
                "Left out of the prompt - the model has never seen these characters: "
                + " ".join(repr(c) for c in generated.skipped)
            )
        st.code(generated.prompt + generated.text, language=None, wrap_lines=True)
        st.caption(
            f"{len(generated.text):,} characters in {generated.seconds * 1000:.0f} ms "
            f"({len(generated.text) / max(generated.seconds, 1e-9):,.0f} characters per second, one step each)."
        )
    next_char_view(outcome, prompt if prompt and vocab.encode(prompt).size else outcome.prompt, temperature)


def next_char_view(outcome: CharOutcome, prompt: str, temperature: float) -> None:
    char_rnn, vocab = shakespeare_lab.char_rnn, outcome.vocab
    temperatures = sorted({0.5, 1.0, 2.0, round(float(temperature), 2)})
    table = char_rnn.next_char_table(outcome.step_model, vocab, prompt, temperatures)
    logits, _ = outcome.step_model.read(vocab.encode(prompt))
    curve = char_rnn.entropy_by_temperature(logits, [round(0.1 * i, 1) for i in range(1, 21)])
    left, right = st.columns(2)
    shown = prompt[-30:].replace("\n", "⏎")
    with left:
        draw_chart(char_charts.next_char_chart(table, f"Top-5 next characters after “…{shown}”"))
        st.caption(char_config.TOP5_HELP)
    with right:
        draw_chart(char_charts.entropy_chart(curve, float(temperature), vocab.size))
        st.caption(char_config.ENTROPY_HELP)


# ----------------------------------------------------------------------------- page


def main() -> None:
    presenter.title("Shakespeare: a character-level RNN learns to write")
    experiments.section(KEY)
    st.markdown(char_config.INTRO)
    choice, upload = sidebar()
    corpus = load_corpus(choice.data, upload)
    job = current_job(KEY)
    if corpus is None:
        if job is not None and job.state == "done":
            st.info("Showing the model trained earlier.")
            generation_section(job.output)
        return
    data = shakespeare_data.encoded(choice.data.cache_key, corpus, choice.run.text.max_chars)
    show_source(corpus, data)
    problems = choice.run.problems() or shakespeare_lab.char_rnn.window_problems(data, choice.run)
    job = training_panel(
        KEY,
        start=lambda: make_work(choice, corpus, data),
        config=choice,
        metric=char_config.BITS_METRIC,
        metric_label="bits per character",
        clip_norm=choice.run.train.clip_norm,
        can_train=controls.show_problems(problems),
        live_extra=live_samples,
    )
    code_panel(KEY, choice)
    if job is not None and job.state == "done":
        show_results(job)
        generation_section(job.output)
    elif job is None:
        st.caption(char_config.TIP)


links.restore(KEY)
main()
links.publish(KEY)
