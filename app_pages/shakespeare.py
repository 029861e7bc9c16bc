"""Shakespeare: a character-level RNN that you watch learn to write.

Widgets -> ShakespeareRun (config) -> core.shakespeare.char_rnn (windows, model, trainer, live samples)
-> charts. Training is many-to-many (every step predicts the next character; many-to-one is
there for comparison); generation is one-to-many, one character at a time with the
recurrent state carried over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from core.data.local import DATA_ENV_VAR
from core.data.shakespeare import MIN_TEXT_CHARS, TextCorpus, UploadError
from core.engine import limits
from core.shakespeare import char_rnn
from core.shakespeare import charts as char_charts
from core.shakespeare.char_rnn import CharRun, GenerationSettings, SampleSettings, TextSettings
from ui import controls, data_cache, shakespeare_data
from ui.training_panel import current_job, training_panel

KEY = "shakespeare"
CHART_CHROME = 90  # pixels for a chart's title, axis labels and axis title
LIVE_HISTORY = 60  # earlier samples redrawn every second while training
SOURCES = {"shakespeare": "Tiny Shakespeare", "upload": "Your own text (upload)"}
CHAR_CHOICES = (25_000, 50_000, 100_000, 250_000, 500_000, 0)
STATEFUL_SENTENCE = (
    "Stateful: the hidden state at the end of one window becomes the start of the next window of the "
    "same passage, so the model can use context longer than a window (gradients still stop at window edges)."
)


@dataclass(frozen=True)
class DataChoice:
    source: str = "shakespeare"
    local_path: str = ""
    upload_name: str = ""
    upload_digest: str = ""

    @property
    def cache_key(self) -> str:
        return f"upload:{self.upload_digest}" if self.source == "upload" else f"shakespeare:{self.local_path}"


@dataclass(frozen=True)
class ShakespeareRun:
    data: DataChoice
    run: CharRun


# ----------------------------------------------------------------------------- controls


def _chars_label(n: int) -> str:
    return "all" if n == 0 else f"{n:,}"


def data_controls(key: str, preset: CharRun) -> tuple[DataChoice, bytes | None, int, int]:
    source = st.radio("Text", list(SOURCES), format_func=SOURCES.get, key=f"{KEY}:source", horizontal=True)
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
    max_chars = st.select_slider(
        "Characters to use",
        CHAR_CHOICES,
        preset.text.max_chars if preset.text.max_chars in CHAR_CHOICES else 0,
        format_func=_chars_label,
        key=f"{key}:max_chars",
        help="The first N characters of the text; the last 10 % of them validate. Fewer = faster epochs.",
    )
    length = st.slider(
        "Sequence length (characters per window)",
        char_rnn.MIN_SEQUENCE_LENGTH,
        200,
        preset.text.sequence_length,
        key=f"{key}:length",
        help="How many characters the network unrolls over per training example (backpropagation through time).",
    )
    return DataChoice(source, local_path.strip(), name, digest), upload, int(max_chars), int(length)


def sidebar() -> tuple[ShakespeareRun, bytes | None]:
    st.sidebar.header("Shakespeare settings")
    preset_name = st.sidebar.selectbox(
        "Preset", list(char_rnn.PRESETS), key=f"{KEY}:preset", help="Each preset remembers its own settings."
    )
    preset = char_rnn.PRESETS[preset_name]
    key = f"{KEY}:{list(char_rnn.PRESETS).index(preset_name)}"
    with st.sidebar.expander("Data", expanded=False):
        data, upload, max_chars, length = data_controls(key, preset)
    with st.sidebar.expander("Model", expanded=True):
        variant = st.radio(
            "Training pattern",
            list(char_rnn.VARIANT_LABELS),
            index=list(char_rnn.VARIANT_LABELS).index(preset.variant),
            format_func=lambda v: char_rnn.VARIANT_LABELS[v].split(":")[0],
            key=f"{key}:variant",
            help="Many-to-many learns from every character of a window; many-to-one only from the character "
            "after it - same reading work, far fewer answers to learn from.",
        )
        model = controls.model_controls(key, preset.model, allow_bidirectional=False, container=st)
        embedding_dim = st.select_slider(
            "Embedding size", [8, 16, 32, 64, 128, 256], preset.text.embedding_dim, key=f"{key}:emb"
        )
    with st.sidebar.expander("Training", expanded=True):
        train = controls.training_controls(key, preset.train, container=st, max_epochs=20)
        stateful = st.toggle(
            "Stateful (carry the state across windows)",
            preset.text.stateful,
            key=f"{key}:stateful",
            disabled=variant != "many_to_many",
        )
        st.caption(STATEFUL_SENTENCE)
        every = st.select_slider(
            "New live sample every … steps", [5, 10, 25, 50, 100, 250], preset.sampling.every_steps, key=f"{key}:every"
        )
        sample_temperature = st.slider(
            "Live sample temperature", 0.1, 2.0, preset.sampling.temperature, 0.1, key=f"{key}:sample_t"
        )
    run = CharRun(
        TextSettings(
            sequence_length=length,
            embedding_dim=int(embedding_dim),
            max_chars=max_chars,
            stateful=bool(stateful and variant == "many_to_many"),
        ),
        replace(model, pattern=variant),
        replace(train, seed=preset.train.seed),
        SampleSettings(int(every), preset.sampling.length, float(sample_temperature)),
    )
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


def show_source(corpus: TextCorpus, data: char_rnn.EncodedText) -> None:
    if corpus.source.is_synthetic:
        st.warning(
            f"**Offline default in use - generated text, not Shakespeare.** {corpus.source.notice} "
            f"Set ${DATA_ENV_VAR} or give a local copy in the sidebar to use the real text."
        )
        data_cache.retry_button(KEY)
    else:
        st.caption(
            f"Data: {corpus.source.describe()} · using {data.characters:,} characters "
            f"({len(data.train):,} train / {len(data.validation):,} validation) · "
            f"{data.vocab.size} distinct characters."
        )
    if data.vocab.unknown_id is not None:
        st.info(
            f"This text has more than {char_rnn.MAX_VOCABULARY_CHARS} distinct characters; the rarest share one "
            f"symbol ({char_rnn.UNKNOWN_CHAR})."
        )
    with st.expander("What the network sees: characters, windows, targets"):
        st.markdown(
            "Every character gets an id (the **vocabulary**, below). The text is cut into windows; the target "
            "of each position is simply the *next* character, so the target row is the input row shifted by one."
        )
        st.code(" ".join(char_rnn.visible(c).split(" ")[0] for c in data.vocab.chars), language=None, wrap_lines=True)
        x, y = char_rnn.sequence_windows(data.train[:200], 24)
        if len(x):
            table = pd.DataFrame(
                {
                    "input (x)": [char_rnn.visible(c).split(" ")[0] for c in data.vocab.decode(x[0])],
                    "target (y)": [char_rnn.visible(c).split(" ")[0] for c in data.vocab.decode(y[0])],
                }
            ).T
            st.dataframe(table, width="stretch")


def run_problems(choice: ShakespeareRun, data: char_rnn.EncodedText) -> list[str]:
    return choice.run.problems() or char_rnn.window_problems(data, choice.run)


# ----------------------------------------------------------------------------- training


def make_work(choice: ShakespeareRun, corpus: TextCorpus, data: char_rnn.EncodedText):
    prompt = char_rnn.sample_prompt(corpus.text)

    def work(progress, stop):
        progress.set_phase("Loading TensorFlow, cutting the text into windows, building the model")
        from core.shakespeare.training import train_char_rnn  # TensorFlow loads here, not when the page opens

        output = train_char_rnn(
            data,
            choice.run,
            callbacks=[progress],
            stop=stop,
            on_samples=lambda samples: progress.put_extra("samples", samples),
            prompt=prompt,
        )
        progress.set_phase("Measuring surprise on validation text")
        passage = data.validation[:480]
        output["surprise"] = (data.vocab.decode(passage), char_rnn.surprise_bits(output["step_model"], passage))
        output["choice"] = choice
        output["prompt"] = prompt
        return output

    return work


def live_samples(job) -> None:
    """Under the live charts: the newest sample, and every earlier one to scroll back through."""
    samples: tuple[char_rnn.TrainingSample, ...] = job.progress.extra("samples", ())
    st.markdown("#### Live samples")
    if not samples:
        st.caption("The first sample appears after the first training step.")
        return
    latest = samples[-1]
    st.caption(
        f"Generated after **{latest.label}** (training loss {latest.loss:.2f} nats = "
        f"{latest.loss / char_rnn.LN2:.2f} bits per character). Every sample starts from the same prompt with "
        "the same random seed, so what changes is only what the network has learned: first random letters, "
        "then spaces and short words, then speaker names, line breaks and punctuation."
    )
    st.code(latest.text, language=None, wrap_lines=True)
    earlier = samples[:-1]
    if not earlier:
        return
    shown = earlier if not job.running else earlier[-LIVE_HISTORY:]  # keep the 1-second redraw light
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


def show_chart(chart) -> None:
    """Draw at the chart's own height plus room for title and axes: Streamlit's default ('content')
    squeezes a Vega chart with a fixed height, and the squeezed chart loses the top of its title."""
    height = chart.height if isinstance(chart.height, int) else 280
    st.altair_chart(chart, width="stretch", height=height + CHART_CHROME)


def record_run(job) -> list[dict]:
    """Keep a summary of every finished run in this session, for the comparison chart."""
    runs: list[dict] = st.session_state.setdefault(f"{KEY}:runs", [])
    output = job.output
    if any(r["id"] == id(job) for r in runs) or not output["result"].batches:
        return runs
    run: CharRun = output["run"]
    label = (
        f"#{len(runs) + 1} {run.model.cell} {run.model.units}×{run.model.layers}, "
        f"{'m2m' if run.variant == 'many_to_many' else 'm2o'}, L={run.text.sequence_length}"
        + (", stateful" if run.text.stateful else "")
    )
    curve = output["result"].batch_frame()[["step", "loss", "elapsed_s"]]
    runs.append(
        {
            "id": id(job),
            "label": label,
            "cell": run.model.cell,
            "curve": curve,
            "val_bits": output["val_bits"],
            "seconds": output["result"].seconds,
            "steps": output["result"].steps,
        }
    )
    return runs


def show_results(job) -> None:
    output = job.output
    st.subheader("How well does it predict?")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        "Validation loss (nats/char)",
        f"{output['val_loss']:.3f}",
        help="Mean cross-entropy of the next character on text the model never trained on.",
    )
    c2.metric(
        "Bits per character",
        f"{output['val_bits']:.2f}",
        help="The same loss in bits: how many yes/no questions the model needs, on average, per character.",
    )
    c3.metric(
        "Knowing only letter frequencies",
        f"{output['unigram_bits']:.2f} bits",
        help="A model that ignores context and always predicts the overall character frequencies.",
    )
    c4.metric("Next character right", f"{output['val_accuracy']:.1%}", help="Top guess equals the true character.")
    st.caption(
        f"Perplexity {math.exp(output['val_loss']):.1f}: on average the model hesitates as much as if it chose "
        f"uniformly among that many characters (out of {output['vocab'].size}). Everything below the "
        "letter-frequency line is what the recurrent state has learned about context."
    )
    if output["run"].text.stateful:
        st.caption(
            "Stateful run: validation reads every window from a zero state (a stateless copy of the weights), "
            "so these figures slightly undersell what the model does with a carried state."
        )
    text, bits = output["surprise"]
    show_chart(char_charts.surprise_chart(char_charts.surprise_table(text, bits)))
    st.caption(
        "Validation text, each character shaded by the bits the model needed for it (hover for values). "
        "Look for the pattern: the first letter of a word or a speaker's name is expensive, the rest of a "
        "word is almost free, and a line break after a name ending in ':' costs next to nothing."
    )
    runs = record_run(job)
    if len(runs) > 1:
        st.subheader("Compare your runs")
        show_chart(char_charts.run_comparison_chart(char_charts.run_comparison_frame(runs)))
        st.caption(
            "Training bits per character against wall-clock seconds, one line per run you trained in this "
            "session. A line that drops faster learns more per second: compare many-to-many with many-to-one "
            "(one answer per window instead of one per character), stateful against stateless, small against big."
        )
        table = pd.DataFrame(
            [
                {
                    "run": r["label"],
                    "validation bits/char": r["val_bits"],
                    "steps": r["steps"],
                    "seconds": r["seconds"],
                }
                for r in runs
            ]
        )
        st.dataframe(
            table, hide_index=True, column_config={"validation bits/char": st.column_config.NumberColumn(format="%.3f")}
        )


def generation_section(output: dict) -> None:
    st.subheader("Write with the trained model (one-to-many)")
    st.caption(
        "The network reads your prompt, then writes one character at a time: each sampled character is fed "
        "back in as the next input while the hidden state carries everything before it. One step per "
        "character - the prompt is never re-read."
    )
    if output["run"].variant == "many_to_one":
        st.info(
            f"This many-to-one model only ever answered after exactly {output['run'].text.sequence_length} "
            "characters read from a zero state. Here it keeps reading and answering at every step with its "
            "state carried over - beyond what it was trained for, which shows in the text."
        )
    vocab: char_rnn.CharVocabulary = output["vocab"]
    with st.form(f"{KEY}:generate"):
        prompt = st.text_area(
            "Prompt", output["prompt"], height=80, key=f"{KEY}:prompt", max_chars=limits.MAX_PROMPT_CHARS
        )
        c1, c2, c3 = st.columns(3)
        length = c1.slider("Characters to write", 20, 1000, 300, 20, key=f"{KEY}:gen_length")
        temperature = c2.slider(
            "Temperature",
            char_rnn.MIN_TEMPERATURE,
            char_rnn.MAX_TEMPERATURE,
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
            [0, 1, 2, 3, 5, 10, 20],
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
            st.session_state[f"{KEY}:generated"] = char_rnn.generate(output["step_model"], vocab, prompt, settings)
        except ValueError as err:
            st.warning(str(err))
    generated: char_rnn.Generated | None = st.session_state.get(f"{KEY}:generated")
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
    next_char_view(output, prompt if prompt and vocab.encode(prompt).size else output["prompt"], temperature)


def next_char_view(output: dict, prompt: str, temperature: float) -> None:
    vocab = output["vocab"]
    temperatures = sorted({0.5, 1.0, 2.0, round(float(temperature), 2)})
    table = char_rnn.next_char_table(output["step_model"], vocab, prompt, temperatures)
    logits, _ = output["step_model"].read(vocab.encode(prompt))
    curve = char_rnn.entropy_by_temperature(logits, [round(0.1 * i, 1) for i in range(1, 21)])
    left, right = st.columns(2)
    shown = prompt[-30:].replace("\n", "⏎")
    with left:
        show_chart(char_charts.next_char_chart(table, f"Top-5 next characters after “…{shown}”"))
        st.caption(
            "The model's five most likely next characters after the prompt, at several temperatures. The ranking "
            "never changes - temperature only sharpens (T < 1, bars pile onto the favourite) or flattens "
            "(T > 1, probability leaks to unlikely characters) the distribution."
        )
    with right:
        show_chart(char_charts.entropy_chart(curve, float(temperature), vocab.size))
        st.caption(
            "Entropy in bits of the whole next-character distribution as T goes from 0.1 to 2. Near 0 the "
            "model is sure (greedy-like); the dotted ceiling is pure guessing among every character. The red "
            "line is the temperature you chose."
        )


# ----------------------------------------------------------------------------- page


def main() -> None:
    st.title("Shakespeare: a character-level RNN learns to write")
    st.markdown(
        "The network reads text **one character at a time** and, at every step, predicts the next one: "
        "a **many-to-many** RNN (input x_t = a character, output = probabilities of character t+1). "
        "Its loss is measured in **bits per character** - guessing uniformly among ~65 characters costs 6 bits, "
        "good models of Shakespeare get below 2. Watch the samples under the charts: from random letters to "
        "words, names and verse. Then let it write (**one-to-many**) with temperature and top-k."
    )
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
    can_train = controls.show_problems(run_problems(choice, data))
    job = training_panel(
        KEY,
        start=lambda: make_work(choice, corpus, data),
        config=choice,
        metric=char_rnn.BITS_METRIC,
        metric_label="bits per character",
        clip_norm=choice.run.train.clip_norm,
        can_train=can_train,
        live_extra=live_samples,
    )
    if job is not None and job.state == "done":
        show_results(job)
        generation_section(job.output)
    elif job is None:
        st.caption(
            "Tip: the default preset trains for about a minute; **Tiny** takes seconds. "
            "Samples appear under the charts while it trains."
        )


main()
