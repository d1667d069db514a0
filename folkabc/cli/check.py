"""``folkabc check``: count the bars of every tune in an ABC file or a folk-rnn token file."""

from __future__ import annotations

from ._common import Switches, example_epilog, print_json, read_input, require_text

__all__ = ["ORDER", "SWITCHES", "add_parser", "run", "format_report"]

ORDER = 30

#: The command's arguments, said once: :func:`add_parser` gives them to argparse, and
#: :func:`folkabc.cli.quick_args` reads a plain ``folkabc check [--json] … FILE`` by them without it.
SWITCHES = Switches("file", "FILE", "ABC or folk-rnn token file, or - for stdin", {
    "--json": "print a JSON list of tunes",
    "--strict": "also fail a tune for a pickup that its last bar does not complete",
    "--errors-only": "leave accepted pickups and clean tunes out of the text report",
})


def add_parser(subparsers) -> None:
    """Register ``folkabc check`` on an argparse subparsers object.

    Examples
    --------
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> add_parser(sub)
    >>> sub.choices["check"].parse_args(["--json", "x.abc"]).json
    True
    """
    import argparse

    p = subparsers.add_parser(
        "check",
        help="count the bars of every tune (pickups, repeats, endings)",
        description="Check that every bar holds what its meter says (pickups, repeats and endings\n"
                    "as played). Reads ABC (any number of X: tunes) or a folk-rnn token file (blocks\n"
                    "of meter, mode and body lines).\n"
                    "Exit 0 when every bar counts, 1 when a bar is miscounted, 2 when the input\n"
                    "cannot be read. A pickup that the tune's last bar does not complete is reported\n"
                    "(unmatched-pickup) but fails the tune only with --strict.",
        epilog=example_epilog("folkabc check tunes.abc",
                              "folkabc check --json generated.txt",
                              "echo 'M:4/4 K:Cmaj G | c 8 | c 7 :|' | folkabc check -"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    SWITCHES.add_to(p)
    p.set_defaults(func=run)


def format_report(results, *, errors_only: bool = False) -> str:
    """The text report: one line per tune, one indented line per finding, a total line.

    Parameters
    ----------
    results : list of CheckResult
    errors_only : bool
        Leave out clean tunes and information findings (accepted pickups).

    Examples
    --------
    >>> from folkabc.validate import check
    >>> print(format_report(check("M:2/4 K:Cmaj c 4 | c 3 |".split())))
    tune 1: 1 problem (M:2/4, A, 2 bars)
      bar 2 (part A) is short: 3 units of 1/8 instead of 4
    1 tune: 0 ok, 1 with miscounted bars, 0 unreadable
    """
    out = []
    for r in results:
        if errors_only and r.ok:
            continue
        out.append(r.summary())
        for f in r.findings:
            if errors_only and f not in r.errors:
                continue
            where = f"line {f.line}, column {f.column}: " if f.line is not None else ""
            out.append(f"  {where}{f.message}")
    bad = sum(1 for r in results if not r.ok and not r.error)
    unread = sum(1 for r in results if r.error)
    loose = sum(1 for r in results if r.ok and not r.ok_strict)
    note = f" ({loose} ok only because an unmatched pickup is allowed; --strict fails them)" if loose else ""
    out.append(f"{len(results)} tune{'s' if len(results) != 1 else ''}: "
               f"{len(results) - bad - unread} ok, {bad} with miscounted bars, {unread} unreadable{note}")
    return "\n".join(out)


def run(args) -> int:
    """Run ``folkabc check``; returns 0 when clean, 1 on findings (errors raise, exit 2).

    Examples
    --------
    >>> import argparse, contextlib, io, tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
    ...     _ = f.write("M:2/4\\nK:Cmaj\\nc 4 | c 4 |\\n")
    >>> out = io.StringIO()
    >>> with contextlib.redirect_stdout(out):
    ...     code = run(argparse.Namespace(file=f.name, json=False, errors_only=False, strict=False))
    >>> os.unlink(f.name)
    >>> code, out.getvalue().splitlines()[0]
    (0, 'tune 1: ok (M:2/4, A, 2 bars)')
    """
    from ..errors import FolkabcError
    from ..validate import check

    text = read_input(args.file)
    require_text(text, args.file)
    results = check(text, strict=getattr(args, "strict", False))
    if results and all(r.error for r in results):
        raise FolkabcError(f"no tune could be read: {results[0].error}", path=args.file)
    if args.json:
        print_json([r.to_dict() for r in results])
    else:
        print(format_report(results, errors_only=args.errors_only))
    return 0 if all(r.ok for r in results) else 1
