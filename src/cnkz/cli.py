"""The `cnkz` command: a thin layer that turns library errors into messages and exit codes."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .errors import CnkzError, ValidationFailed
from .validation.settings import ENGINES, MEMORY_LIMIT

if TYPE_CHECKING:
    from .limits import Limits


def find_root(start: Path | None = None) -> Path:
    """The repository root: the nearest folder upwards holding pyproject.toml and curation/."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "curation").is_dir():
            return folder
    raise CnkzError("not inside the dataset repository (no pyproject.toml with curation/ above here); run from the repository or pass a directory")


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 problem', '2 problems': a count with its noun in the right number."""
    return f"{count} {word if count == 1 else many or word + 's'}"


# What `cnkz build` validates before it publishes (the package layers), and what only `cnkz validate` adds in the repository.
BUILD_LAYERS = "descriptor, files, rows, CSV against Parquet, provenance"
REPOSITORY_LAYERS = "fresh rebuild, coverage audit, generated documents"


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build

    root = Path(args.root).resolve() if args.root else find_root()
    started = time.perf_counter()
    files = build(root)
    print(f"built {plural(len(files), 'file')} in {root} ({time.perf_counter() - started:.2f} s); validation passed "
          f"(package layers: {BUILD_LAYERS}; run `cnkz validate` for the repository checks: {REPOSITORY_LAYERS})")
    return 0


def package_to_validate(args: argparse.Namespace) -> Path:
    """The folder or archive `cnkz validate` checks: the one given (a folder, its datapackage.json, a .zip), else the package
    cnkz.load() would read, the nearest folder upwards holding this dataset's datapackage.json (an unpacked release too)."""
    import zipfile

    from .load import DESCRIPTOR, LoadError, find_package

    given = [Path(value).resolve() for value in (args.directory, args.root) if value]
    if len(set(given)) > 1:
        raise CnkzError(f"two packages given, {given[0]} and --root {given[1]}; pass one (DIRECTORY and --root mean the same)")
    if not given:
        try:
            return find_package()
        except LoadError:
            raise CnkzError(f"no {DESCRIPTOR} of this dataset in {Path.cwd()} or any folder above it; run from a package folder "
                            "or the repository, or pass a package folder (holding datapackage.json), its datapackage.json or a .zip") from None
    path = given[0]
    if path.is_dir():
        if not (path / DESCRIPTOR).exists() and not (path / DESCRIPTOR).is_symlink():
            raise CnkzError(f"{path} holds no {DESCRIPTOR}, so it is not a package; pass a package folder (holding datapackage.json), "
                            "its datapackage.json or a .zip")
        return path
    if path.is_file() and path.name == DESCRIPTOR:
        return path.parent
    if path.is_file() and zipfile.is_zipfile(path):
        return path
    if path.is_file():
        raise CnkzError(f"{path} is neither a {DESCRIPTOR} nor a release archive (.zip); pass a package folder (holding datapackage.json), "
                        "its datapackage.json or a .zip")
    raise CnkzError(f"{path} is not a folder or a release archive; pass a package folder (holding datapackage.json) or a .zip")


def _positive(text: str) -> int:
    """A whole number of at least 1, for argparse (its error names the option and the value)."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return number


def cmd_validate(args: argparse.Namespace) -> int:
    import json

    from .build import repository_layers
    from .report import render_success, render_text, to_json
    from .validate import LAYERS, WITH_FRICTIONLESS, validate

    directory = package_to_validate(args)
    rebuild = not args.no_rebuild
    started = time.perf_counter()
    layers = WITH_FRICTIONLESS if args.frictionless else LAYERS
    from .progress import Progress

    chosen = layers if args.no_rebuild or not directory.is_dir() else repository_layers(directory, layers)
    from .validation.settings import Settings

    engine = Settings(args.engine, args.memory_limit, Path(args.spill) if args.spill else None, args.threads)
    problems = validate(directory, chosen, progress=Progress.for_terminal(args.quiet), engine=engine)
    elapsed = time.perf_counter() - started
    if args.format == "json":
        print(json.dumps(to_json(problems, directory, rebuild and (directory / "curation").is_dir(), elapsed, args.frictionless),
                         indent=2, ensure_ascii=False))
        return 1 if problems else 0
    if problems:
        print(render_text(problems, short=args.short), file=sys.stderr)
        print(f"cnkz: {directory} is not valid: {len(set(problems))} problem(s) (exit status 1)", file=sys.stderr)
        return 1
    print(render_success(directory, rebuild and (directory / "curation").is_dir(), elapsed, args.frictionless))
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from .scaffold import scaffold

    root = Path(args.root).resolve() if args.root else find_root()
    result = scaffold(root, Path(args.text), source_id=args.id)
    print(f"wrote {result.path.relative_to(root)}: {result.todo} values to fill (marked TODO), "
          f"{result.candidates} numbers and names to curate or exclude (listed as comments)")
    print("next: edit it, then run `cnkz build` and `cnkz validate`; `cnkz build` lists what is still missing")
    return 0


def _write_generated(args: argparse.Namespace, write: Callable[[Path], list[Path]]) -> int:
    root = Path(args.root).resolve() if args.root else find_root()
    for path in write(root):
        print(f"wrote {path.relative_to(root)}")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from .docs import write_docs

    return _write_generated(args, write_docs)


def cmd_release(args: argparse.Namespace) -> int:
    from .diff import render_text
    from .release import release

    root = Path(args.root).resolve() if args.root else find_root()
    result = release(root, Path(args.dist).resolve() if args.dist else None)
    if result.recovered:
        print(f"releases/: {result.recovered}")
    state = "already published, identical bytes" if result.already_published else "published"
    print(f"{result.path} ({state})\nsha256 {result.sha256}")
    if result.diff is not None:
        print(render_text(result.diff))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from .diff import diff, load_snapshot, render_text

    change = diff(load_snapshot(Path(args.old)), load_snapshot(Path(args.new)))
    if args.json:
        change.write_json(sys.stdout)  # a batch of rows at a time: a Python object per changed cell would not fit memory
        print()
    else:
        print(render_text(change, limit=args.limit))
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from .fetch import fetch
    from .progress import Progress

    result = fetch(args.url, sha256=args.sha256, cache_dir=args.cache_dir, offline=args.offline, progress=Progress.for_terminal(args.quiet))
    state = "from the cache" if result.from_cache else "downloaded and verified"
    print(f"{result.path}\nversion {result.version} ({state}); load it with cnkz.load({str(result.path)!r})")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from .audit import unsupported_statements

    found = unsupported_statements(Path(args.root) if args.root else find_root())
    for pledge_id, words in found:
        print(f"{pledge_id}: {', '.join(words)}")
    print(f"{len(found)} statement(s) with words their quote does not account for" if found else "every statement is accounted for by its quote")
    return 1 if found else 0


def cmd_figures(args: argparse.Namespace) -> int:
    from .figures import write_figures

    return _write_generated(args, write_figures)


def cmd_site(args: argparse.Namespace) -> int:
    from .site import write_site

    root = Path(args.root).resolve() if args.root else find_root()
    written = write_site(root, Path(args.out).resolve() if args.out else None)
    out = Path(args.out).resolve() if args.out else root / "site"
    print(f"wrote {plural(len(written), 'file')} to {out}; open {out / 'index.html'} (works offline, from file://)")
    return 0


# The exit statuses each command can return, in its own words: 1 only where something is validated or audited
# (build and release raise ValidationFailed, validate and audit return 1); 2 for every CnkzError and usage error.
EXITS: dict[str, tuple[tuple[int, str], ...]] = {
    "new": ((0, "the curation file was written"),
            (2, "could not run (not a .txt in seeds/, already curated, the curation file exists, usage)")),
    "build": ((0, "built, validated and published"), (1, "validation found problems (nothing published)"),
              (2, "could not run (a curation error or a TODO left, bad input, usage)")),
    "validate": ((0, "valid"), (1, "problems found"), (2, "could not run (no package there, unreadable input, usage)")),
    "docs": ((0, "the generated documents are up to date (those written are listed)"), (2, "could not run (bad input, usage)")),
    "release": ((0, "published, or already published with identical bytes"), (1, "validation found problems (nothing published)"),
                (2, "refused or could not run (a version not above the latest, a bump smaller than the change, no\n"
                    "     CHANGELOG.md entry, different bytes for a published version, bad input, usage)")),
    "diff": ((0, "compared, whether or not anything changed (the output says which version bump it needs)"),
             (2, "could not run (a missing or unreadable package, usage)")),
    "fetch": ((0, "downloaded and verified, or served from the cache"),
              (2, "nothing was cached (the server could not be reached or answered with an error, the download\n"
                  "     does not have the published sha256, usage)")),
    "audit": ((0, "every statement is accounted for by its quote"),
              (1, "statements with words their quote does not account for are listed"),
              (2, "could not run (a curation error, usage)")),
    "figures": ((0, "the figures were drawn"), (2, "could not run (matplotlib missing, bad input, usage)")),
    "site": ((0, "the site was written"), (2, "could not run (the package is not valid, bad input, usage)")),
}
EXIT_CODES = ("exit status:\n  0  done\n  1  problems found (validate, audit; build and release then publish nothing)\n"
              "  2  could not run (bad input, missing file, usage)\n`cnkz COMMAND --help` lists the statuses that command returns.")


def exit_statuses(name: str) -> str:
    """The epilog's list of what `cnkz NAME` exits with."""
    return "exit status:\n" + "\n".join(f"  {code}  {words}" for code, words in EXITS[name])


def _command(sub: Any, name: str, summary: str, description: str, examples: str) -> argparse.ArgumentParser:
    return cast(argparse.ArgumentParser, sub.add_parser(
        name, help=summary, description=f"{summary[0].upper()}{summary[1:]}.\n\n{description}",
        epilog=f"examples:\n{examples}\n\n{exit_statuses(name)}", formatter_class=argparse.RawDescriptionHelpFormatter,
    ))


def _version() -> str:
    """cnkz's version as installed (the package metadata), which is what runs."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"cnkz {version('cnkz')}"
    except PackageNotFoundError:
        return "cnkz (version unknown: not installed as a package; python -m pip install . in the repository)"
def _add_limits(command: argparse.ArgumentParser) -> None:
    """--max-* options that raise the caps on untrusted input (see SECURITY.md)."""
    from .limits import FIELDS, Limits

    defaults = Limits()
    for name in FIELDS:
        kind = type(getattr(defaults, name))
        command.add_argument(defaults.option(name), type=kind, metavar="N", dest=f"max_{name}",
                             help=f"cap: {name.replace('_', ' ')} (default {getattr(defaults, name)}, or ${defaults.env(name)})")


def _limits(args: argparse.Namespace) -> Limits | None:
    import dataclasses

    from .limits import FIELDS, from_env

    changes = {name: getattr(args, f"max_{name}") for name in FIELDS if getattr(args, f"max_{name}", None) is not None}
    for name, value in changes.items():
        if value <= 0:
            raise CnkzError(f"--max-{name.replace('_', '-')} must be positive, not {value}")
    return dataclasses.replace(from_env(), **changes) if changes else None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cnkz", description="Build and validate the China–Kazakhstan engagements dataset.",
        epilog=f"`cnkz COMMAND --help` describes a command, with examples.\n\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=_version(), help="print cnkz's installed version and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    n = _command(
        sub, "new", "start the curation file of a new source text",
        "Writes curation/<source_id>.yaml for a text in seeds/: the source block filled from the text\n"
        "(checksum, title, dates, body bounds, each marked REVIEW), one template record per section with\n"
        "TODO where a reading is needed (`cnkz build` lists those left), and, as comments, every number\n"
        "and name the coverage audit will ask about, each with its sentence.\n"
        "An existing curation file is never overwritten.",
        "  cnkz new seeds/005_0123456789abcdef.txt\n  cnkz new seeds/005_0123456789abcdef.txt --id 2026-li-qiang-astana",
    )
    n.add_argument("text", help="the source text, a .txt file in seeds/")
    n.add_argument("--id", help="source id and file name (default: the year and the title's first words)")
    n.add_argument("--root", help="repository root (default: found from the current directory)")
    n.set_defaults(func=cmd_new)
    b = _command(
        sub, "build", "curate, write resources/ and datapackage.json, validate, then publish",
        "Reads seeds/ and curation/*.yaml and writes every table as CSV and Parquet with the descriptor,\n"
        "in a temporary folder; the published files are replaced only when the package layers of validation\n"
        f"pass ({BUILD_LAYERS}).\n"
        f"The repository checks ({REPOSITORY_LAYERS}) are `cnkz validate`'s:\n"
        "the documents are regenerated from the published tables, by `cnkz docs` after a build.\n"
        "resources/ is generated: edit curation/*.yaml, never the tables.",
        "  cnkz build\n  cnkz build --root ~/src/cnkz",
    )
    b.add_argument("--root", help="repository root (default: found from the current directory)")
    b.set_defaults(func=cmd_build)
    v = _command(
        sub, "validate", "run every validation layer on a package folder or release archive",
        "Checks the descriptor, the files' sizes and hashes, every row's types and rules, CSV against\n"
        "Parquet and each quote in its text (--frictionless: also Frictionless's own validation); in the\n"
        "repository also a fresh rebuild, the coverage audit and the generated documents. A report lists each cause first, with\n"
        "what follows from it under it; --format json gives the same as data (docs/validation-report.md).",
        "  cnkz validate\n  cnkz validate ~/Downloads/china-kazakhstan-engagements-1.0.0 --short\n"
        "  cnkz validate --root ~/Downloads/china-kazakhstan-engagements-1.0.0/datapackage.json\n"
        "  cnkz validate --format json > report.json",
    )
    where = ("package folder, its datapackage.json or a release .zip (default: as cnkz.load() finds it, the nearest folder "
             "upwards holding this dataset's datapackage.json: the repository or an unpacked release)")
    v.add_argument("directory", nargs="?", help=where)
    v.add_argument("--root", help="the same as DIRECTORY, as the other commands take it")
    v.add_argument("--no-rebuild", action="store_true", help="skip the fresh-build comparison, the coverage audit and the documents")
    v.add_argument("--format", choices=("text", "json"), default="text", help="text for people (default), json for programs (on stdout)")
    v.add_argument("--short", action="store_true", help="shorten values longer than 80 characters and count consequences instead of listing them")
    v.add_argument("--frictionless", action="store_true", help="also run Frictionless's own validation (slow on large tables: row by row)")
    v.add_argument("--quiet", action="store_true", help="no progress on the terminal")
    v.add_argument("--engine", choices=ENGINES, default="duckdb",
                   help="where the cross-field and cross-table rules run: embedded DuckDB (default) or Spark (needs pyspark and Java)")
    v.add_argument("--memory-limit", default=MEMORY_LIMIT, metavar="SIZE",
                   help=f"DuckDB's memory limit, past which it spills to disk (default {MEMORY_LIMIT}; CNKZ_MEMORY_LIMIT sets the default)")
    v.add_argument("--spill", metavar="FOLDER", help="where DuckDB spills past its memory limit (default: a private temporary folder)")
    v.add_argument("--threads", type=_positive, metavar="N", help="DuckDB's threads (default: one per core; one for a package of under 16 MB of CSV)")
    v.set_defaults(func=cmd_validate)
    d = _command(
        sub, "docs", "regenerate the codebook and the generated parts of CURATION.md",
        "Writes docs/codebook.md and the generated sections of CURATION.md from the table definitions\n"
        "and the published tables; `cnkz validate` reports them when they are out of date.",
        "  cnkz docs",
    )
    d.add_argument("--root", help="repository root (default: found from the current directory)")
    d.set_defaults(func=cmd_docs)
    r = _command(
        sub, "release", "build, validate and publish the version in pyproject.toml in releases/; refuse what breaks versioning",
        "Packs the version in pyproject.toml as a reproducible archive, <name>-<version>.zip, in dist/ and\n"
        "publishes it in releases/: the archive, the wheel of cnkz (cnkz-<version>-py3-none-any.whl, also\n"
        "written to dist/) and releases/index.json, which records each version's archive and wheel with\n"
        "their sha256 and the date. A version already published writes nothing new to releases/ once its\n"
        "rebuilt archive has the same bytes. Refuses a version whose bump is smaller than the data change\n"
        "needs, a version without a CHANGELOG.md entry, and different bytes for a version already published.",
        "  cnkz release\n  cnkz release --dist /tmp/dist",
    )
    r.add_argument("--root", help="repository root (default: found from the current directory)")
    r.add_argument("--dist", help="output folder (default: dist/ in the repository)")
    r.set_defaults(func=cmd_release)
    df = _command(
        sub, "diff", "rows and schema changed between two releases or package folders",
        "Compares rows by primary key and the schemas, and says which version bump the change needs:\n"
        "MAJOR (something removed or retyped), MINOR (something added), PATCH (values corrected).",
        "  cnkz diff releases/china-kazakhstan-engagements-1.0.0.zip .\n  cnkz diff old-folder new-folder --json",
    )
    df.add_argument("old", help="release archive or package folder")
    df.add_argument("new", help="release archive or package folder")
    df.add_argument("--json", action="store_true", help="machine-readable output")
    df.add_argument("--limit", type=int, default=50, help="rows listed per kind of change (text output; the rest are counted)")
    df.set_defaults(func=cmd_diff)
    fe = _command(
        sub, "fetch", "download a release .zip or datapackage.json URL, verify its sha256, cache it by version",
        "The sha256 to check against comes from the releases' index.json next to an archive, or from\n"
        "--sha256 (as printed on the release page). Later calls are served from the cache, also offline.",
        "  cnkz fetch https://example.org/releases/china-kazakhstan-engagements-1.0.0.zip\n"
        "  cnkz fetch --offline https://example.org/releases/china-kazakhstan-engagements-1.0.0.zip",
    )
    fe.add_argument("url", help="URL of a release archive (.zip) or of a published datapackage.json")
    fe.add_argument("--sha256", help="the sha256 published for the archive or descriptor (default: from the releases' index.json next to an archive)")
    fe.add_argument("--cache-dir", help="cache folder (default: $CNKZ_CACHE or ~/.cache/cnkz)")
    fe.add_argument("--offline", action="store_true", help="use only the cache; never touch the network")
    fe.add_argument("--quiet", action="store_true", help="no progress bar on the terminal")
    fe.set_defaults(func=cmd_fetch)
    au = _command(
        sub, "audit", "list pledge statement words that the pledge's quote does not account for",
        "For each pledge, the words of its normalised statement that its quote does not support; widen\n"
        "the quote or reword the statement. Exits with 1 when any are listed.",
        "  cnkz audit",
    )
    au.add_argument("--root", help="repository root (default: found from the current directory)")
    au.set_defaults(func=cmd_audit)
    fg = _command(
        sub, "figures", "draw docs/figures/{timeline,targets}.{png,svg} from the published tables",
        "Needs matplotlib (python -m pip install matplotlib).",
        "  cnkz figures",
    )
    fg.add_argument("--root", help="repository root (default: found from the current directory)")
    fg.set_defaults(func=cmd_figures)
    st = _command(
        sub, "site", "write the static site (home, a page per table, a provenance page per source text) to site/",
        "Builds the pages from the published package; they work offline, opened from file://.",
        "  cnkz site\n  cnkz site --out /tmp/site",
    )
    st.add_argument("--root", help="repository root (default: found from the current directory)")
    st.add_argument("--out", help="output folder (default: site/ in the repository)")
    st.set_defaults(func=cmd_site)
    for command in (b, v, r, df, fe):
        _add_limits(command)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from .limits import using

    try:
        with using(_limits(args)):
            return int(args.func(args))
    except BrokenPipeError:
        # The reader went away (`cnkz validate | head -1`): not an error of ours, and no traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ValidationFailed as exc:
        from .report import render_text  # groups causes and consequences (report.py; errors.py stays below it)

        print(render_text(exc.problems), file=sys.stderr)
        print(f"cnkz: {exc}; nothing was published (exit status 1)", file=sys.stderr)
        return 1
    except CnkzError as exc:
        if getattr(args, "format", None) == "json":
            import json

            from .report import JSON_FORMAT

            print(json.dumps({"format": JSON_FORMAT, "valid": None, "error": str(exc), "problems": []}, indent=2, ensure_ascii=False))
        print(f"cnkz: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
