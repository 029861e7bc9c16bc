import sys
import time

from core.config import *
from core.data.imdb import load_imdb, pad
from core.models import build_model
from core.trainer import Trainer

d = load_imdb(local_path="../shared/data").with_vocabulary(10000)
L = 200
xtr = pad(d.train_ids, L)
ytr = d.train_labels
xte = pad(d.test_ids, L)
yte = d.test_labels


def run(name, cfg, bs, lr, epochs=4, emb=64):
    m = build_model(cfg, InputSpec(length=L, vocab_size=d.vocab.num_words, embedding_dim=emb), OutputSpec())
    tr = Trainer(m, "binary_crossentropy", ["accuracy"], TrainConfig(epochs=1, batch_size=bs, learning_rate=lr))
    tot = 0
    for e in range(epochs):
        t = time.time()
        tr.fit(xtr, ytr)
        tot += time.time() - t
        ev = tr.evaluate(xte[:5000], yte[:5000])
        print(name, f"epoch {e + 1} train {tot:.0f}s test5k {ev['accuracy']:.4f}", flush=True)


for spec in sys.argv[1:]:
    cell, units, ro, bs, lr, bi = spec.split(",")
    run(spec, ModelConfig(cell=cell, units=int(units), readout=ro, bidirectional=bi == "1"), int(bs), float(lr))
