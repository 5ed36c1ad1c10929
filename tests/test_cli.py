from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import set_cell


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it, in a process of its own: its exit status, standard output and error."""
    return subprocess.run([sys.executable, "-m", "cnkz.cli", *args], cwd=cwd, capture_output=True, text=True, check=False)


def run_main(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """What `run` gives, from main() in this process (a new process imports pandas, Ibis and DuckDB again, about a second)
    for the tests of what the command says; the tests that use `run` hold the process's own exit statuses."""
    import contextlib
    import io
    import os

    from cnkz.cli import main

    out, err, before = io.StringIO(), io.StringIO(), Path.cwd()
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit:  # argparse's usage errors
                code = int(exit.code or 0)
    finally:
        os.chdir(before)
    return subprocess.CompletedProcess(["cnkz", *args], code, out.getvalue(), err.getvalue())


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
    arrival = "Jia, chairman of the Chinese People's Political Consultative Conference (CPPCC) National Committee, arrived in Astana on Tuesday afternoon"
    text = doc.read_text(encoding="utf-8")
    assert f"    quote: {arrival}\n" in text
    doc.write_text(text.replace(f"    quote: {arrival}\n", f"    quote: {arrival.replace('Astana', 'Almaty')}\n", 1), encoding="utf-8")
    line = doc.read_text(encoding="utf-8").splitlines().index(f"    quote: {arrival.replace('Astana', 'Almaty')}") + 1
    start = (repo / "seeds" / "003_acb2540b52211385.txt").read_text(encoding="utf-8").index(arrival)
    assert main(["build", "--root", str(repo)]) == 2
    assert capsys.readouterr().err == (
        f"cnkz: error: curation/2010-jia-qinglin-astana.yaml:{line}:5: events[2] (arrival), key quote: quote not found in the source text; "
        f'the closest passage, characters {start}-{start + len(arrival)}, is "{arrival}"; '
        'it differs by a typo: the text has "Astana" where the quote has "Almaty"\n'
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


def commands() -> dict[str, argparse.ArgumentParser]:
    from cnkz.cli import parser

    return parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr,return-value]


def test_every_command_has_a_description_and_examples() -> None:
    assert set(commands()) == {"new", "build", "validate", "docs", "release", "diff", "fetch", "audit", "figures", "site"}
    for name, sub in commands().items():
        text = sub.format_help()
        assert sub.description and "\n\n" in sub.description, name
        assert f"examples:\n  cnkz {name}" in text, name


# 1 only where something is validated or audited: build and release (ValidationFailed), validate and audit (they return 1).
CAN_FIND_PROBLEMS = {"build", "validate", "release", "audit"}


def test_each_command_lists_only_the_exit_statuses_it_returns() -> None:
    assert commands()["validate"].format_help().endswith(
        "exit status:\n  0  valid\n  1  problems found\n  2  could not run (no package there, unreadable input, usage)\n")
    assert commands()["diff"].format_help().endswith(
        "exit status:\n  0  compared, whether or not anything changed (the output says which version bump it needs)\n"
        "  2  could not run (a missing or unreadable package, usage)\n")
    assert commands()["build"].format_help().endswith(
        "exit status:\n  0  built, validated and published\n  1  validation found problems (nothing published)\n"
        "  2  could not run (a curation error or a TODO left, bad input, usage)\n")
    for name, sub in commands().items():
        statuses = sub.format_help().split("\nexit status:\n")[1]
        codes = {int(line.split()[0]) for line in statuses.splitlines() if line.startswith("  ") and line.split()[0].isdigit()}
        assert codes == ({0, 1, 2} if name in CAN_FIND_PROBLEMS else {0, 2}), name
        assert "1 problems" not in sub.format_help(), name
    # What can end a command with 1: ValidationFailed is raised by build and release only (release runs build).
    from .conftest import ROOT

    raising = {path.stem for path in (ROOT / "src" / "cnkz").rglob("*.py")
               if re.search(r"^\s*raise ValidationFailed\(", path.read_text(encoding="utf-8"), re.M)}
    assert raising == {"build", "release"}


def test_version_is_the_installed_package_s(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = run("--version", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"cnkz {version('cnkz')}\n", "")


def test_plurals_are_right_for_one() -> None:
    from cnkz.cli import plural

    assert (plural(1, "file"), plural(2, "file"), plural(0, "problem"), plural(1, "problem")) == ("1 file", "2 files", "0 problems", "1 problem")


def unpacked_release(tmp_path: Path) -> Path:
    """What a downloader has after unpacking a release: the package, no pyproject.toml, no curation/."""
    from .conftest import copy_repo

    release = copy_repo(tmp_path / "china-kazakhstan-engagements", ("datapackage.json", "resources", "seeds"))
    (release / "docs").mkdir()
    return release


def test_validate_without_an_argument_finds_an_unpacked_release_as_load_does(tmp_path: Path) -> None:
    release = unpacked_release(tmp_path)
    code = "import sys; from cnkz.load import find_package; print(find_package()); from cnkz.cli import main; sys.exit(main(['validate', '--quiet']))"
    result = subprocess.run([sys.executable, "-c", code], cwd=release / "docs", capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    found, verdict, layers, _ = result.stdout.splitlines()
    assert found == str(release)
    assert verdict.startswith(f"{release}: valid")
    assert layers.startswith("5 layers checked (rebuild, coverage audit and documents skipped)")
    # The repository's commands still need the repository.
    assert "not inside the dataset repository" in run("build", cwd=release / "docs").stderr


def test_validate_with_no_package_found_says_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib

    from cnkz.cli import main

    load = importlib.import_module("cnkz.load")  # the module; cnkz.load is also the function

    def nowhere(start: Path | None = None) -> Path:
        raise load.LoadError("no datapackage.json")

    monkeypatch.setattr(load, "find_package", nowhere)
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 2
    assert capsys.readouterr().err == (
        f"cnkz: error: no datapackage.json of this dataset in {tmp_path} or any folder above it; run from a package folder or the "
        "repository, or pass a package folder (holding datapackage.json), its datapackage.json or a .zip\n")


def test_validate_takes_the_package_as_its_datapackage_json_or_with_root(tmp_path: Path) -> None:
    release = unpacked_release(tmp_path)
    for args in ([str(release / "datapackage.json")], ["--root", str(release)], [str(release), "--root", str(release)]):
        result = run_main("validate", "--quiet", *args, cwd=tmp_path)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stdout.startswith(f"{release}: valid"), args
    both = run_main("validate", str(release), "--root", str(tmp_path), cwd=tmp_path)
    assert (both.returncode, both.stderr) == (
        2, f"cnkz: error: two packages given, {release} and --root {tmp_path}; pass one (DIRECTORY and --root mean the same)\n")


def test_a_folder_that_is_not_a_package_could_not_be_validated_like_a_missing_path(tmp_path: Path) -> None:
    (tmp_path / "notes.json").write_text("{}", encoding="utf-8")
    expected = {
        "empty": f"{tmp_path} holds no datapackage.json, so it is not a package; pass a package folder (holding datapackage.json), "
                 "its datapackage.json or a .zip",
        "missing": f"{tmp_path / 'nowhere'} is not a folder or a release archive; pass a package folder (holding datapackage.json) or a .zip",
        "other file": f"{tmp_path / 'notes.json'} is neither a datapackage.json nor a release archive (.zip); pass a package folder "
                      "(holding datapackage.json), its datapackage.json or a .zip",
    }
    for what, path in {"empty": tmp_path, "missing": tmp_path / "nowhere", "other file": tmp_path / "notes.json"}.items():
        result = run_main("validate", str(path), cwd=tmp_path)
        assert (result.returncode, result.stdout, result.stderr) == (2, "", f"cnkz: error: {expected[what]}\n"), what


def test_build_says_which_validation_layers_it_ran(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cnkz.cli import BUILD_LAYERS, REPOSITORY_LAYERS, main
    from cnkz.report import LAYERS, REBUILD_LAYERS

    # The names are those of the layers `cnkz validate` reports: the package layers build runs, the repository checks it leaves.
    assert ", ".join(layer.split(" (")[0] for layer in LAYERS) == BUILD_LAYERS
    assert REPOSITORY_LAYERS == "fresh rebuild, coverage audit, generated documents" and len(REBUILD_LAYERS) == 3
    assert main(["build", "--root", str(repo)]) == 0
    out = capsys.readouterr().out
    assert re.fullmatch(
        rf"built \d+ files in {re.escape(str(repo))} \(\d+\.\d\d s\); validation passed \(package layers: descriptor, files, rows, "
        r"CSV against Parquet, provenance; run `cnkz validate` for the repository checks: fresh rebuild, coverage audit, "
        r"generated documents\)\n", out), out


def test_release_help_says_what_it_writes_in_releases() -> None:
    text = commands()["release"].format_help()
    assert "publishes it in releases/: the archive, the wheel of cnkz (cnkz-<version>-py3-none-any.whl" in " ".join(text.split())
    assert "releases/index.json, which records each version's archive and wheel with their sha256 and the date" in " ".join(text.split())


def test_the_readme_names_every_command() -> None:
    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in commands():
        assert f"`cnkz {name}" in readme, name
    assert ("`cnkz audit` lists the words of each pledge statement that its quote does not account for "
            "(exit status 1 when it lists any).") in readme


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
    assert result.stderr == (
        "cnkz: error: the figures are drawn with the matplotlib and Pillow pinned in pyproject.toml's docs group, so that they come out "
        "byte for byte the same everywhere, but matplotlib is not installed; install them with: "
        "python -m pip install matplotlib==3.11.2 pillow==13.0.0\n"
    )


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
