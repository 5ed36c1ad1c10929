"""Sessions that build, test and validate the dataset. CI calls them by name."""

from __future__ import annotations

import nox

nox.needs_version = ">=2024.4.15"
# uv when it is installed (.ci/run installs it next to nox), else virtualenv and pip.
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests", "validate"]

PYPROJECT = nox.project.load_toml("pyproject.toml")


def install(session: nox.Session, *groups: str) -> None:
    session.install("-e", ".")
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))
    # uv installs no bytecode, and PYTHONDONTWRITEBYTECODE (set on some machines) stops Python writing any: then every process
    # a session starts (each `cnkz` the tests run) compiles pandas, Ibis and cnkz from source again, about 1.5 s each.
    session.run("python", "-c", "import compileall, sysconfig; compileall.compile_dir(sysconfig.get_paths()['purelib'], quiet=2, workers=0); "
                "compileall.compile_dir('src', quiet=2)", silent=True)


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite, on every core (pass pytest options after --; they replace `-n auto`)."""
    install(session, "test")
    session.run("pytest", *(session.posargs or ["-n", "auto"]))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff on everything, mypy on the library."""
    install(session, "lint")
    session.run("ruff", "check", "src", "tests", "scripts", "noxfile.py")
    session.run("mypy", "src/cnkz")


@nox.session
def build(session: nox.Session) -> None:
    """Curate, write resources/ and datapackage.json, regenerate the docs and the figures."""
    install(session, "docs")
    session.run("cnkz", "build")
    session.run("cnkz", "docs")
    session.run("cnkz", "figures")


@nox.session
def validate(session: nox.Session) -> None:
    """Validate the package as published in the repository: every layer of ours, and Frictionless's own once."""
    install(session)
    session.run("cnkz", "validate", "--frictionless", *session.posargs)


@nox.session(default=False)
def site(session: nox.Session) -> None:
    """The static site in site/: home, tables, provenance pages and documents; open site/index.html."""
    install(session)
    session.run("cnkz", "site", *session.posargs)


@nox.session(default=False)
def release(session: nox.Session) -> None:
    """Build, validate and write the release archive and the wheel for the version in pyproject.toml."""
    install(session, "release")
    session.run("cnkz", "release", *session.posargs)


@nox.session(python=False, default=False)
def r(session: nox.Session) -> None:
    """The R loader's own test and the R example, with the system's Rscript (needs r-cran-readr, r-cran-jsonlite)."""
    session.run("Rscript", "--vanilla", "tests/test_load.R", ".", external=True)
    session.run("Rscript", "--vanilla", "examples/trade_pledges.R", external=True)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmark the whole `cnkz validate` on synthetic packages against a bare pyarrow read and frictionless (options after --)."""
    install(session)
    session.run("python", "scripts/bench.py", *session.posargs)


@nox.session(default=False)
def spark(session: nox.Session) -> None:
    """The rules on a local Spark (local[2]; Java from Debian's default-jre-headless): each kind of semantic fault gives the
    problems DuckDB gives (pytest options after --)."""
    install(session, "test", "spark")
    session.run("pytest", "tests/test_spark.py", "-n", "0", *session.posargs, env={"CNKZ_SPARK": "1"})
