"""FIM prompt formats: the family from the model's name, the exact prompt per family."""

from __future__ import annotations

import pytest

from mycoder_lsp.completion.templates import TEMPLATES, family_of, strip_special, template_for


@pytest.mark.parametrize("model, family", [
    ("qwen2.5-coder:1.5b", "qwen"),
    ("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "qwen"),
    ("Qwen/Qwen2.5-Coder-7B", "qwen"),
    ("codellama:7b-code", "codellama"),
    ("starcoder2:3b", "starcoder"),
    ("deepseek-coder:1.3b-base", "deepseek"),
    ("codegemma:2b", "codegemma"),
    ("llama3.2:1b-instruct-q4_K_M", None),
])
def test_family_from_the_model_name(model: str, family: str | None) -> None:
    assert family_of(model) == family


def test_the_setting_overrides_the_name() -> None:
    assert template_for("my-own-finetune", "starcoder") is TEMPLATES["starcoder"]
    assert template_for("codellama:7b", "auto") is TEMPLATES["codellama"]
    assert template_for("llama3.2:1b") is None


@pytest.mark.parametrize("family, prompt", [
    ("qwen", "<|fim_prefix|>def f(<|fim_suffix|>)\n<|fim_middle|>"),
    ("codellama", "<PRE> def f( <SUF>)\n <MID>"),
    ("starcoder", "<fim_prefix>def f(<fim_suffix>)\n<fim_middle>"),
    ("deepseek", "<｜fim▁begin｜>def f(<｜fim▁hole｜>)\n<｜fim▁end｜>"),
    ("codegemma", "<|fim_prefix|>def f(<|fim_suffix|>)\n<|fim_middle|>"),
])
def test_each_family_prompt(family: str, prompt: str) -> None:
    assert TEMPLATES[family].render("def f(", ")\n") == prompt


def test_qwen_repository_level_prompt_puts_other_files_first() -> None:
    prompt = TEMPLATES["qwen"].render("x = helper(", ")\n", path="app/main.py",
                                      extra=[("app/util.py", "def helper(a):\n    return a\n")], repo="proj")
    assert prompt == ("<|repo_name|>proj\n<|file_sep|>app/util.py\ndef helper(a):\n    return a\n"
                      "<|file_sep|>app/main.py\n<|fim_prefix|>x = helper(<|fim_suffix|>)\n<|fim_middle|>")


def test_starcoder_repository_level_prompt() -> None:
    prompt = TEMPLATES["starcoder"].render("a", "b", path="m.py", extra=[("u.py", "X = 1")], repo="r")
    assert prompt == "<repo_name>r\n<file_sep>u.py\nX = 1\n<file_sep>m.py\n<fim_prefix>a<fim_suffix>b<fim_middle>"


def test_a_family_without_file_tokens_gets_other_files_as_comments() -> None:
    prompt = TEMPLATES["codellama"].render("a", "b", path="m.py", extra=[("u.py", "def helper(a):\n    pass")])
    assert prompt == "<PRE> # u.py\n# def helper(a):\n#     pass\na <SUF>b <MID>"
    js = TEMPLATES["deepseek"].render("a", "b", extra=[("u.ts", "export const X = 1")], comment="//")
    assert js.startswith("<｜fim▁begin｜>// u.ts\n// export const X = 1\na")


def test_special_tokens_end_the_answer() -> None:
    assert strip_special("x = 1<|endoftext|>junk", TEMPLATES["qwen"]) == "x = 1"
    assert strip_special("y<|file_sep|>other.py", TEMPLATES["qwen"]) == "y"
    assert strip_special("z <EOT>", None) == "z "
