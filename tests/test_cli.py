from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import set_cell


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cnkz.cli", *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_validate_exit_codes_and_report(repo: Path) -> None:
    ok = run("validate", str(repo), "--no-rebuild", cwd=repo)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"{repo}: valid")
    key = set_cell(repo, "events", 0, "event_type", "banquet")
    bad = run("validate", str(repo), "--no-rebuild", cwd=repo)
    assert bad.returncode == 1
    assert f"1. [vocabulary] events row 2 ({key}) column event_type\n   expected: one of visit, arrival" in bad.stderr
    assert bad.stderr.rstrip().splitlines()[-1].startswith("cnkz: ")


def test_build_error_is_one_line_with_exit_2(repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    # In this process (the real command's exit statuses are covered by the other tests here): main() is what it runs.
    from cnkz.cli import main

    doc = repo / "curation" / "2010-jia-qinglin-astana.yaml"
    doc.write_text(doc.read_text(encoding="utf-8").replace("quote: arrived in Astana on Tuesday afternoon\n", "quote: arrived in Almaty\n"), encoding="utf-8")
    line = doc.read_text(encoding="utf-8").splitlines().index("    quote: arrived in Almaty") + 1
    assert main(["build", "--root", str(repo)]) == 2
    assert capsys.readouterr().err == (
        f"cnkz: error: curation/2010-jia-qinglin-astana.yaml:{line}:5: events[2] (arrival), key quote: quote not found in the source text; "
        'the closest passage, characters 332-349, is "arrived in Astana"; it differs by a typo: the text has "Astana" where the quote has "Almaty"\n'
    )


def test_outside_the_repository_says_what_to_do(tmp_path: Path) -> None:
    result = run("build", cwd=tmp_path)
    assert result.returncode == 2
    assert "not inside the dataset repository" in result.stderr


def test_ci_runs_the_readme_commands_exactly() -> None:
    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [block.strip() for block in readme.split("```sh\n")[1:3]]
    commands = [c.split("\n```")[0] for c in commands]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert len(commands) == 2
    for command in commands:
        assert command in ci, command


def test_every_command_has_a_description_and_examples() -> None:
    from cnkz.cli import parser

    commands = parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert set(commands) == {"new", "build", "validate", "docs", "release", "diff", "fetch", "audit", "figures", "site"}
    for name, sub in commands.items():
        text = sub.format_help()
        assert sub.description and "\n\n" in sub.description, name
        assert f"examples:\n  cnkz {name}" in text, name
        assert "exit status: 0 done (valid), 1 problems found (nothing published), 2 could not run" in text, name


def test_validate_help_names_the_json_format_and_short(capsys) -> None:  # type: ignore[no-untyped-def]
    from cnkz.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["validate", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "--format {text,json}" in out
    assert "--short" in out
    assert "  cnkz validate --format json > report.json" in out


def test_figures_without_matplotlib_give_an_install_command_plain_pip_has(repo: Path) -> None:
    # matplotlib made unimportable in a child process, as in a fresh venv without it
    code = "import sys; sys.modules['matplotlib'] = None; from cnkz.cli import main; sys.exit(main(['figures', '--root', '.']))"
    result = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stderr == "cnkz: error: the figures need matplotlib; install it with: python -m pip install matplotlib\n"


def test_diff_of_a_package_with_itself_says_there_is_no_change(capsys) -> None:  # type: ignore[no-untyped-def]
    from cnkz.cli import main

    from .conftest import ROOT

    assert main(["diff", str(ROOT), str(ROOT)]) == 0
    version = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))["version"]
    assert capsys.readouterr().out == f"{version} -> {version}: no change to the data; the version need not change\n"


def test_output_cut_short_by_the_reader_is_no_traceback(repo: Path) -> None:
    shell = f"{sys.executable} -m cnkz.cli validate --no-rebuild {repo} | head -c 1"
    result = subprocess.run(["sh", "-c", f"{shell}; exit 0"], cwd=repo, capture_output=True, text=True, check=False)
    assert result.stdout == "/"
    assert "Traceback" not in result.stderr, result.stderr


def test_ci_installs_uv_before_the_readme_commands_and_nox_prefers_it() -> None:
    from .conftest import ROOT

    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.index("python -m pip install uv\n") < ci.index("python -m pip install nox && python -m nox -s build validate")
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    assert 'nox.options.default_venv_backend = "uv|virtualenv"' in noxfile
    # Frictionless runs once, inside `cnkz validate --frictionless`, not a second time after it.
    assert 'session.run("cnkz", "validate", "--frictionless", *session.posargs)' in noxfile
    assert '"frictionless", "validate"' not in noxfile
