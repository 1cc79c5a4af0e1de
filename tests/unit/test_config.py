from __future__ import annotations

from pathlib import Path

import pytest

from mycoder_lsp.config import Settings, apply_layer, load_settings


@pytest.fixture(autouse=True)
def private_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg"


def test_defaults_are_the_missions():
    s = Settings()
    assert s.brains.organizer.model == "llama3.2:1b-instruct-q4_K_M"
    assert (s.brains.organizer.max_tokens, s.brains.coding.max_tokens, s.brains.reasoning.max_tokens) == (64, 2048, 512)
    assert (s.brains.organizer.temperature, s.brains.coding.temperature, s.brains.reasoning.temperature) == (0.0, 0.4, 0.1)
    assert s.constitution.forbidden_sources == ["eval", "exec"]
    assert s.constitution.max_token_limits == {"coding": 2048, "reasoning": 512, "organizer": 64}
    assert s.validation.style.max_line_length == 79
    assert s.validation.lint.max_line_length == 100
    assert s.validation.max_file_size == 1_000_000


def test_precedence_user_project_init_workspace(tmp_path, private_xdg):
    (private_xdg / "mycoder").mkdir(parents=True)
    (private_xdg / "mycoder" / "config.toml").write_text(
        '[brains.coding]\nmodel = "user-model"\ntimeout = 10\n[validation.style]\nmax_line_length = 88\n'
    )
    root = tmp_path / "proj"
    (root / ".mycoder").mkdir(parents=True)
    (root / ".mycoder" / "config.toml").write_text('[brains.coding]\nmodel = "project-model"\n')
    settings, problems = load_settings(
        root,
        initialization_options={"brains": {"coding": {"timeout": 20}}, "validation": {"debounceMs": 100}},
        workspace_configuration={"mycoder": {"validation": {"debounce_ms": 50}}},
    )
    assert problems == []
    assert settings.brains.coding.model == "project-model"  # project beats user
    assert settings.brains.coding.timeout == 20.0  # init options beat user
    assert settings.validation.style.max_line_length == 88  # user beats defaults
    assert settings.validation.debounce_ms == 50  # workspace/configuration beats init options


def test_pyproject_tool_section_is_the_project_layer(tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname="x"\n[tool.mycoder.constitution]\nforbidden_sources = ["eval", "exec", "compile"]\n')
    settings, problems = load_settings(root)
    assert problems == []
    assert settings.constitution.forbidden_sources == ["eval", "exec", "compile"]


def test_bad_values_are_reported_and_defaults_kept():
    s = Settings()
    problems = apply_layer(
        s,
        {"brains": {"coding": {"max_tokens": "lots", "temperature": -1}, "verify": "sometimes"},
         "validation": {"style": 3, "nonsense": True}, "log_level": "debug"},
        "test",
    )
    keys = sorted(p.key for p in problems)
    assert keys == ["brains.coding.max_tokens", "brains.coding.temperature", "brains.verify",
                    "validation.nonsense", "validation.style"]
    assert s.brains.coding.max_tokens == 2048
    assert s.brains.verify == "large"
    assert s.log_level == "debug"  # the good key in the same layer still applies
    assert "must be a whole number" in str(next(p for p in problems if p.key == "brains.coding.max_tokens"))


def test_unreadable_toml_is_a_problem_not_a_crash(tmp_path):
    root = tmp_path / "proj"
    (root / ".mycoder").mkdir(parents=True)
    (root / ".mycoder" / "config.toml").write_text("this is = = not toml")
    settings, problems = load_settings(root)
    assert len(problems) == 1 and "cannot be read" in problems[0].reason
    assert settings == Settings()


def test_non_mapping_layer(tmp_path):
    s = Settings()
    problems = apply_layer(s, ["not", "a", "table"], "initializationOptions")  # type: ignore[arg-type]
    assert problems and problems[0].key == "(root)"
