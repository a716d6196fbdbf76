"""Image-text scoring with an operator's ONNX model, run for real through onnxruntime.

No real CLIP model is available offline, so the tests build a tiny one in the documented layout
(image.onnx, text.onnx, tokenizer.json, clip.json) whose towers are transparent: the image tower
embeds a picture as its mean normalised colour, the text tower sums the embeddings of its colour
words (English and Chinese). The media carry no describing text at all, so any right answer
comes from the pictures.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest
from imsd.engine.media import SAFE_INPUT, MediaResolver
from imsd.engine.planning.imagetext import FrameEmbeddings, ImageTextError, OnnxImageTextScorer, frame_command
from imsd.engine.planning.matching import select_scorer, similarities
from imsd.engine.planning.scene_selector import SceneSelector
from imsd.engine.planning.scoring import Footage, Passage
from imsd.engine.planning.selection import Sentence
from imsd.settings import EngineSettings
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

SIZE = 8
COLOURS = {"red": (1, -1, -1), "green": (-1, 1, -1), "blue": (-1, -1, 1)}
WORDS = {"red": "red", "green": "green", "blue": "blue", "红": "red", "绿": "green", "蓝": "blue"}


def _save(graph: onnx.GraphProto, path: Path) -> None:
    # IR version 8 (opset 17): what onnxruntime releases of the last years all load.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def _image_tower(path: Path) -> None:
    """pixels [N, 3, S, S] -> mean colour [N, 3]."""
    _save(
        helper.make_graph(
            [helper.make_node("ReduceMean", ["image"], ["image_features"], axes=[2, 3], keepdims=0)],
            "image",
            [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", 3, SIZE, SIZE])],
            [helper.make_tensor_value_info("image_features", TensorProto.FLOAT, ["n", 3])],
        ),
        path,
    )


def _text_tower(path: Path, vocab: dict[str, int]) -> None:
    """ids [N, L], attention_mask [N, L] -> sum of the masked token embeddings [N, 3]."""
    table = np.zeros((len(vocab), 3), dtype=np.float32)
    for word, colour in WORDS.items():
        table[vocab[word]] = COLOURS[colour]
    _save(
        helper.make_graph(
            [
                helper.make_node("Gather", ["table", "text"], ["tokens"]),
                helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT),
                helper.make_node("Unsqueeze", ["mask", "last"], ["mask3"]),
                helper.make_node("Mul", ["tokens", "mask3"], ["kept"]),
                helper.make_node("ReduceSum", ["kept", "middle"], ["text_features"], keepdims=0),
            ],
            "text",
            [
                helper.make_tensor_value_info("text", TensorProto.INT64, ["n", "l"]),
                helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["n", "l"]),
            ],
            [helper.make_tensor_value_info("text_features", TensorProto.FLOAT, ["n", 3])],
            [
                numpy_helper.from_array(table, "table"),
                numpy_helper.from_array(np.array([2], dtype=np.int64), "last"),
                numpy_helper.from_array(np.array([1], dtype=np.int64), "middle"),
            ],
        ),
        path,
    )


@pytest.fixture(scope="module")
def colour_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("colour-clip")
    vocab = {"[PAD]": 0, "[UNK]": 1, **{word: i + 2 for i, word in enumerate(WORDS)}}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True, handle_chinese_chars=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.save(str(root / "tokenizer.json"))
    _image_tower(root / "image.onnx")
    _text_tower(root / "text.onnx", vocab)
    clip = {"image_size": SIZE, "context_length": 16, "mean": [0.5] * 3, "std": [0.5] * 3}
    (root / "clip.json").write_text(json.dumps(clip))
    return root


@pytest.fixture(scope="module")
def stripes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s red, 2 s green, 2 s blue, under a name that says nothing about them.

    Grain keeps the analysis from rejecting the flat colours as frozen footage.
    """
    path = tmp_path_factory.mktemp("stripes") / "m1.mp4"
    colour = "color={}:s=64x36:r=10:d=2,noise=alls=40:allf=t+u"
    inputs = [a for c in ("red", "lime", "blue") for a in ("-f", "lavfi", "-i", colour.format(c))]
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", "concat=n=3:v=1:a=0",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path


def scorer_for(model: Path, cache: Path, ffmpeg: str = "ffmpeg") -> OnnxImageTextScorer:
    return OnnxImageTextScorer(model, ffmpeg, cache, frames_per_s=2.0)


SENTENCES = ["A red apple on the table.", "绿色的草地和树林。", "The deep blue sea."]


async def test_sentences_are_scored_against_the_pictures_of_shots(
    colour_model: Path, stripes: Path, tmp_path: Path
) -> None:
    shots = [Passage("", Footage(stripes, start, start + 2.0)) for start in (0.0, 2.0, 4.0)]
    result = await similarities(scorer_for(colour_model, tmp_path), SENTENCES, shots)
    assert result.kind == "image-text" and result.scorer.startswith("onnx-image-text/")
    assert result.best() == [0, 1, 2]
    assert np.all(np.diag(result.matrix) > 0.9)


async def test_frame_embeddings_are_computed_once_per_file_content(
    colour_model: Path, stripes: Path, tmp_path: Path
) -> None:
    shots = [Passage("", Footage(stripes, 4.0, 6.0))]
    first = await scorer_for(colour_model, tmp_path).score(SENTENCES, shots)
    # A later process with no ffmpeg at all is served from the cache.
    again = await scorer_for(colour_model, tmp_path, ffmpeg="/nonexistent/ffmpeg").score(SENTENCES, shots)
    assert np.allclose(first, again)


def test_frame_command_keeps_the_path_out_of_the_filter_graph() -> None:
    hostile = Path("/media/a,b:c;[d]'e%{f}.mp4")
    command = frame_command("ffmpeg", hostile, SAFE_INPUT, still=False, size=224, frames_per_s=1.0)
    assert command[command.index("-i") + 1] == str(hostile)
    graph = command[command.index("-vf") + 1]
    assert graph == "fps=1,scale=224:224:force_original_aspect_ratio=increase:flags=bicubic,crop=224:224,format=rgb24"


def test_shot_embedding_is_the_mean_of_its_frames_or_the_nearest_one() -> None:
    frames = FrameEmbeddings(2.0, np.array([[0, 0], [2, 0], [4, 0], [6, 0]], dtype=np.float32))  # at 0, .5, 1, 1.5 s
    assert frames.shot(0.5, 1.5).tolist() == [3.0, 0.0]
    assert frames.shot(1.1, 1.3).tolist() == [4.0, 0.0]  # no frame inside: the one nearest 1.2 s
    assert np.array_equal(FrameEmbeddings.from_json(frames.to_json()).vectors, frames.vectors)


def test_a_model_directory_missing_a_tower_fails_naming_it(colour_model: Path, tmp_path: Path) -> None:
    partial = tmp_path / "partial"
    partial.mkdir()
    for name in ("image.onnx", "tokenizer.json"):
        (partial / name).write_bytes((colour_model / name).read_bytes())
    with pytest.raises(ImageTextError, match=r"missing text\.onnx"):
        select_scorer(EngineSettings(clip_model_path=partial))


def test_the_text_scorer_is_used_when_no_model_is_configured_or_present(tmp_path: Path) -> None:
    assert select_scorer(EngineSettings()).kind == "text"
    assert select_scorer(EngineSettings(clip_model_path=tmp_path / "absent")).kind == "text"


async def test_smart_mix_selection_matches_sentences_by_picture_with_a_model_configured(
    colour_model: Path, stripes: Path, settings: EngineSettings
) -> None:
    settings = settings.model_copy(
        update={"media_roots": [stripes.parent], "clip_model_path": colour_model, "asr_enabled": False}
    )
    selector = SceneSelector(settings, MediaResolver(settings))
    sentences = [Sentence(str(i), text, 1.5) for i, text in enumerate(SENTENCES, 1)]
    editing = {"ProcessConfig": {"SingleShotDuration": 2}}
    selection = await selector.smart_mix([sentences], [str(stripes)], editing)
    assert selection["scorer"]["kind"] == "image-text"
    matched = selection["textMatchMediaOutputList"][0]["textMatchMediaSentenceOutputList"]
    starts = [m["matchClipList"][0]["startTime"] for m in matched]
    assert [round(s) for s in starts] == [0, 2, 4]


async def test_footage_ffmpeg_cannot_read_fails_the_scoring_saying_so(colour_model: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    with pytest.raises(ImageTextError, match="could not sample frames"):
        await scorer_for(colour_model, tmp_path).score(SENTENCES, [Passage("", Footage(broken, 0.0, 1.0))])
