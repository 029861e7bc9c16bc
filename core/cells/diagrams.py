"""Unrolled diagrams of the five patterns, as Graphviz DOT text.

An RNN is one cell applied again and again, so the picture a student needs is the cell
*unrolled through time*: inputs x_t at the bottom, one row of hidden states h_t per layer
(two rows, → and ←, when bidirectional), outputs y_t on top, arrows h_(t-1) → h_t along
each row. The encoder-decoder squeezes everything into one context vector c that the
decoder reads at every step. Long sequences are drawn as their first steps, "…" and the
last step. The DOT is rendered by `st.graphviz_chart` (no Graphviz install needed).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from core.engine.charts import CELL_COLORS
from core.engine.config import ModelConfig

DEFAULT_MAX_STEPS = 5
INPUT_COLOR = "#eeeeee"
OUTPUT_COLOR = "#fdd9b5"
CONTEXT_COLOR = "#ffe680"


def drawn_steps(length: int, max_steps: int = DEFAULT_MAX_STEPS) -> list[int | None]:
    """The 1-based steps to draw; None marks the "…" standing for the steps left out."""
    length = max(1, int(length))
    max_steps = max(2, int(max_steps))
    if length <= max_steps:
        return list(range(1, length + 1))
    return [*range(1, max_steps), None, length]


def _label(symbol: str, step: int | str | None, layer: int | None = None, arrow: str = "") -> str:
    """An HTML-like label such as →h⁽²⁾₃ (layer superscript only for stacked layers)."""
    arrow_html = {"→": "&rarr;", "←": "&larr;"}.get(arrow, "")
    sup = f"<SUP>({layer})</SUP>" if layer else ""
    sub = f"<SUB>{step}</SUB>" if step is not None else ""
    return f"<{arrow_html}{symbol}{sup}{sub}>"


@dataclass
class _Graph:
    """Collects nodes (by row, for rank=same) and edges, then prints DOT."""

    title: str

    def __post_init__(self) -> None:
        self.rows: dict[int, list[str]] = {}
        self.nodes: list[str] = []
        self.edges: list[str] = []

    def node(self, name: str, row: int, label: str, **attrs: str) -> str:
        attributes = ", ".join(f'{k}="{v}"' for k, v in attrs.items())
        self.nodes.append(f"  {name} [label={label}{', ' + attributes if attributes else ''}];")
        self.rows.setdefault(row, []).append(name)
        return name

    def edge(self, tail: str, head: str, **attrs: str) -> None:
        attributes = ", ".join(f'{k}="{v}"' for k, v in attrs.items())
        self.edges.append(f"  {tail} -> {head}{' [' + attributes + ']' if attributes else ''};")

    def order_row(self, names: list[str]) -> None:
        """Invisible left-to-right edges, so a row keeps its time order whatever arrows it has."""
        for left, right in pairwise(names):
            self.edge(left, right, style="invis", weight="10")

    def dot(self) -> str:
        ranks = [f"  {{rank=same; {'; '.join(names)};}}" for _, names in sorted(self.rows.items())]
        return "\n".join(
            [
                "digraph unrolled {",
                '  rankdir=BT; newrank=true; nodesep=0.25; ranksep=0.4; labelloc="b"; fontsize=12;',
                '  fontname="Helvetica"; node [fontname="Helvetica", fontsize=13]; edge [arrowsize=0.6];',
                f'  label="{self.title}";',
                *self.nodes,
                *ranks,
                *self.edges,
                "}",
            ]
        )


def _cell_style(cell: str) -> dict[str, str]:
    color = CELL_COLORS.get(cell, "#888888")
    return {"shape": "box", "style": "rounded,filled", "fillcolor": color + "40", "color": color, "penwidth": "1.5"}


def _dots(graph: _Graph, name: str, row: int, column: str) -> str:
    return graph.node(name, row, '"…"', shape="plaintext", fontsize="18", group=column)


class _Unroller:
    """Draws the stacked recurrent rows of one network section (a plain RNN, an encoder or a decoder)."""

    def __init__(self, graph: _Graph, config: ModelConfig, prefix: str, symbol: str, bidirectional: bool):
        self.graph, self.config, self.prefix, self.symbol = graph, config, prefix, symbol
        self.directions = ("→", "←") if bidirectional else ("",)
        self.style = _cell_style(config.cell)

    def row_of(self, layer: int, direction_index: int) -> int:
        return 1 + (layer - 1) * len(self.directions) + direction_index

    @property
    def top_row(self) -> int:
        return self.row_of(self.config.layers, len(self.directions) - 1)

    def draw(self, steps: list[int | None], inputs: list[list[str]], columns: list[str]) -> list[list[str]]:
        """Draw every layer; `inputs[c]` feed column c of layer 1. Returns the top layer's nodes per column."""
        stacked = self.config.layers > 1
        below = inputs
        for layer in range(1, self.config.layers + 1):
            current: list[list[str]] = [[] for _ in steps]
            for d, arrow in enumerate(self.directions):
                row = self.row_of(layer, d)
                names = []
                for c, step in enumerate(steps):
                    name = f"{self.prefix}{layer}_{d}_{columns[c]}"
                    if step is None:
                        _dots(self.graph, name, row, columns[c])
                    else:
                        label = _label(self.symbol, step, layer if stacked else None, arrow)
                        self.graph.node(name, row, label, group=columns[c], **self.style)
                        for source in below[c]:
                            self.graph.edge(source, name, weight="4")
                    if current[c]:  # the ← row sits above the → row of the same layer
                        self.graph.edge(current[c][-1], name, style="invis")
                    names.append(name)
                    current[c].append(name)
                self.graph.order_row(names)
                for left, right in pairwise(names):
                    if arrow == "←":
                        self.graph.edge(right, left, constraint="false", color="#555555")
                    else:
                        self.graph.edge(left, right, color="#555555")
            below = [[] if steps[c] is None else current[c] for c in range(len(steps))]
        return below


def _inputs_row(graph: _Graph, steps: list[int | None], columns: list[str], symbol: str = "x") -> list[list[str]]:
    nodes: list[list[str]] = []
    names = []
    for c, step in enumerate(steps):
        name = f"x_{columns[c]}"
        if step is None:
            _dots(graph, name, 0, columns[c])
            nodes.append([])
        else:
            graph.node(
                name, 0, _label(symbol, step), group=columns[c], shape="ellipse", style="filled", fillcolor=INPUT_COLOR
            )
            nodes.append([name])
        names.append(name)
    graph.order_row(names)
    return nodes


def _outputs_row(
    graph: _Graph, steps: list[int | None], columns: list[str], sources: list[list[str]], row: int
) -> None:
    names = []
    for c, step in enumerate(steps):
        name = f"y_{columns[c]}"
        if step is None:
            _dots(graph, name, row, columns[c])
        else:
            graph.node(
                name, row, _label("y", step), group=columns[c], shape="ellipse", style="filled", fillcolor=OUTPUT_COLOR
            )
            for source in sources[c]:
                graph.edge(source, name, weight="4")
        names.append(name)
    graph.order_row(names)


def _title(config: ModelConfig, length: int, output_steps: int, max_steps: int, tokens: bool) -> str:
    parts = []
    if config.pattern != "one_to_one":
        parts.append(config.cell)
        parts.append(f"{config.layers} layer{'s' if config.layers > 1 else ''}")
        if config.bidirectional:
            parts.append("bidirectional")
    reads_sequence = config.pattern in ("many_to_one", "many_to_many", "encoder_decoder") or (
        config.pattern == "one_to_one" and tokens
    )
    if reads_sequence:
        parts.append(f"T = {length} input steps")
    if config.pattern in ("one_to_many", "encoder_decoder"):
        parts.append(f"K = {output_steps} output steps")
    longest = max(
        length if reads_sequence else 0, output_steps if config.pattern in ("one_to_many", "encoder_decoder") else 0
    )
    if longest > max_steps:
        parts.append("… = steps not drawn")
    if tokens:
        parts.append(
            "x = embedding of the input token" if config.pattern == "one_to_many" else "x_t = embedding of token t"
        )
    return " · ".join(parts)


def unrolled_diagram(
    config: ModelConfig,
    length: int,
    output_steps: int = 1,
    max_steps: int = DEFAULT_MAX_STEPS,
    tokens: bool = False,
) -> str:
    """DOT source of `config`'s pattern unrolled through time.

    `length` is T (input steps), `output_steps` K (one-to-many and encoder-decoder),
    `max_steps` the most time steps drawn per sequence before "…" stands in for the middle.
    """
    graph = _Graph(_title(config, length, output_steps, max_steps, tokens))
    pattern = config.pattern
    if pattern == "one_to_one":
        _one_to_one(graph, config, length, max_steps, tokens)
    elif pattern == "one_to_many":
        _one_to_many(graph, config, output_steps, max_steps)
    elif pattern == "many_to_one":
        _many_to_one(graph, config, length, max_steps)
    elif pattern == "many_to_many":
        steps = drawn_steps(length, max_steps)
        columns = [f"t{c}" for c in range(len(steps))]
        rnn = _Unroller(graph, config, "h", "h", config.bidirectional)
        top = rnn.draw(steps, _inputs_row(graph, steps, columns), columns)
        _outputs_row(graph, steps, columns, top, rnn.top_row + 1)
    elif pattern == "encoder_decoder":
        _encoder_decoder(graph, config, length, output_steps, max_steps)
    else:
        raise ValueError(f"Unknown pattern {pattern!r}")
    return graph.dot()


def _one_to_one(graph: _Graph, config: ModelConfig, length: int, max_steps: int, tokens: bool) -> None:
    dense_style = {
        "shape": "box",
        "style": "rounded,filled",
        "fillcolor": CELL_COLORS["Dense"] + "40",
        "color": CELL_COLORS["Dense"],
    }
    if tokens:
        steps = drawn_steps(length, max_steps)
        columns = [f"t{c}" for c in range(len(steps))]
        inputs = _inputs_row(graph, steps, columns)
        graph.node("pool", 1, '"average of all x_t\\n(word order is lost)"', shape="box", style="dashed")
        for column in inputs:
            for source in column:
                graph.edge(source, "pool")
        previous = "pool"
    else:
        previous = graph.node("x", 0, "<x>", shape="ellipse", style="filled", fillcolor=INPUT_COLOR)
    graph.node("dense", 2, f'"dense layer\\n{config.dense_units} units, ReLU"', **dense_style)
    graph.node("y", 3, "<y>", shape="ellipse", style="filled", fillcolor=OUTPUT_COLOR)
    graph.edge(previous, "dense")
    graph.edge("dense", "y")


def _one_to_many(graph: _Graph, config: ModelConfig, output_steps: int, max_steps: int) -> None:
    steps = drawn_steps(output_steps, max_steps)
    columns = [f"t{c}" for c in range(len(steps))]
    graph.node("x", 0, '"x (fed at every step)"', shape="ellipse", style="filled", fillcolor=INPUT_COLOR)
    inputs = [[] if step is None else ["x"] for step in steps]
    rnn = _Unroller(graph, config, "h", "h", config.bidirectional)
    top = rnn.draw(steps, inputs, columns)
    _outputs_row(graph, steps, columns, top, rnn.top_row + 1)


def _many_to_one(graph: _Graph, config: ModelConfig, length: int, max_steps: int) -> None:
    steps = drawn_steps(length, max_steps)
    columns = [f"t{c}" for c in range(len(steps))]
    rnn = _Unroller(graph, config, "h", "h", config.bidirectional)
    top = rnn.draw(steps, _inputs_row(graph, steps, columns), columns)
    out_row = rnn.top_row + 2
    graph.node("y", out_row, "<y>", shape="ellipse", style="filled", fillcolor=OUTPUT_COLOR)
    if config.readout == "last":
        # The forward direction ends at step T; the backward one ends (having read x_T … x_1) at step 1.
        graph.edge(top[-1][0], "y")
        if config.bidirectional:
            graph.edge(top[0][-1], "y")
        return
    graph.node("pool", rnn.top_row + 1, f'"{config.readout} over all steps"', shape="box", style="dashed")
    for column in top:
        for source in column:
            graph.edge(source, "pool")
    graph.edge("pool", "y")


def _encoder_decoder(graph: _Graph, config: ModelConfig, length: int, output_steps: int, max_steps: int) -> None:
    encoder_steps = drawn_steps(length, max_steps)
    decoder_steps = drawn_steps(output_steps, max_steps)
    enc_columns = [f"e{c}" for c in range(len(encoder_steps))]
    dec_columns = [f"d{c}" for c in range(len(decoder_steps))]
    encoder = _Unroller(graph, config, "h", "h", config.bidirectional)
    top = encoder.draw(encoder_steps, _inputs_row(graph, encoder_steps, enc_columns), enc_columns)
    # The decoder is one-directional; its only link to the encoder is the context vector c.
    context_label = '"context c\\n[→h_T ; ←h_1]"' if config.bidirectional else '"context c = h_T"'
    graph.node("context", 0, context_label, shape="box", style="filled,bold", fillcolor=CONTEXT_COLOR)
    graph.edge(enc_columns and f"x_{enc_columns[-1]}", "context", style="invis", weight="10")
    graph.edge(top[-1][0], "context", color="#b8860b", penwidth="2", constraint="false")
    if config.bidirectional:
        graph.edge(top[0][-1], "context", color="#b8860b", penwidth="2", constraint="false")
    decoder_config = ModelConfig(cell=config.cell, units=config.units, layers=config.layers)
    decoder = _Unroller(graph, decoder_config, "s", "s", bidirectional=False)
    inputs = [[] if step is None else ["context"] for step in decoder_steps]
    decoder_top = decoder.draw(decoder_steps, inputs, dec_columns)
    for layer in range(1, config.layers + 1):  # keep the decoder to the right of the encoder
        row = decoder.row_of(layer, 0)
        encoder_layer, direction = divmod(row - 1, len(encoder.directions))
        graph.edge(f"h{encoder_layer + 1}_{direction}_{enc_columns[-1]}", f"s{layer}_0_{dec_columns[0]}", style="invis")
    _outputs_row(graph, decoder_steps, dec_columns, decoder_top, max(encoder.top_row, decoder.top_row) + 1)
