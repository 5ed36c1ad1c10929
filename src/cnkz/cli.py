"""The `cnkz` command: a thin layer that turns library errors into messages and exit codes."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .errors import CnkzError, ValidationFailed


def find_root(start: Path | None = None) -> Path:
    """The repository root: the nearest folder upwards holding pyproject.toml and curation/."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "curation").is_dir():
            return folder
    raise CnkzError("not inside the dataset repository (no pyproject.toml with curation/ above here); run from the repository or pass a directory")


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build

    root = Path(args.root).resolve() if args.root else find_root()
    started = time.perf_counter()
    files = build(root)
    print(f"built {len(files)} files in {root} ({time.perf_counter() - started:.2f} s); validation passed")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .validate import validate

    directory = Path(args.directory).resolve() if args.directory else find_root()
    started = time.perf_counter()
    problems = validate(directory, rebuild=not args.no_rebuild)
    elapsed = time.perf_counter() - started
    if problems:
        raise ValidationFailed(problems)
    print(f"{directory}: valid ({elapsed:.2f} s)")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from .docs import write_docs

    root = Path(args.root).resolve() if args.root else find_root()
    for path in write_docs(root):
        print(f"wrote {path.relative_to(root)}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cnkz", description="Build and validate the China–Kazakhstan engagements dataset.")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="curate, write resources/ and datapackage.json, validate, then publish")
    b.add_argument("--root", help="repository root (default: found from the current directory)")
    b.set_defaults(func=cmd_build)
    v = sub.add_parser("validate", help="run every validation layer on a package directory")
    v.add_argument("directory", nargs="?", help="package directory (default: the repository root)")
    v.add_argument("--no-rebuild", action="store_true", help="skip the fresh-build comparison and the coverage audit")
    v.set_defaults(func=cmd_validate)
    d = sub.add_parser("docs", help="regenerate the codebook and the generated parts of CURATION.md")
    d.add_argument("--root", help="repository root")
    d.set_defaults(func=cmd_docs)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ValidationFailed as exc:
        print(exc.report(), file=sys.stderr)
        print(f"cnkz: {exc}; nothing was published" if args.command == "build" else f"cnkz: {exc}", file=sys.stderr)
        return 1
    except CnkzError as exc:
        print(f"cnkz: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
