"""``python -m analysis publish``: run the county notebooks and publish offline HTML."""

from __future__ import annotations

import argparse
import sys

from analysis.config import DEFAULT_PROCESSED

#: exit status when another run is publishing into the same folder
EXIT_LOCKED = 3


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _timeout(text: str) -> float | None:
    value = float(text)
    return None if value <= 0 else value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``publish`` sub-command."""
    p = subparsers.add_parser(
        "publish",
        help="run the parameterised notebooks for every county and publish offline HTML reports",
        description="Execute notebooks/*.ipynb for each county (parallel, warm kernels), write "
        "reports/<year>/<county>/*.html with their downloads (no network needed to open them) and "
        "reports/<year>/index.html with every county's verdict. Exit status 1 if any run failed, "
        f"{EXIT_LOCKED} if another publish run is using the --out folder (see --wait). Progress: a bar "
        "when stderr is a terminal, otherwise one line per county finished.",
    )
    p.add_argument("--counties", default="all", help="'all' (default) or NAME,NAME,...")
    p.add_argument("--year", type=int, help="statistics year (default: the latest in core_schools)")
    p.add_argument("--notebooks", help="NAME,NAME,... (default: all in --notebooks-dir)")
    p.add_argument("--jobs", type=_positive_int, help="parallel workers, one warm kernel each (default: one per core)")
    p.add_argument("--force", action="store_true", help="run even where inputs did not change")
    p.add_argument("--processed", default=str(DEFAULT_PROCESSED), help="processed tables folder")
    p.add_argument("--out", default="reports", help="reports folder (default: reports)")
    p.add_argument("--standards", default="national", help="standards name or YAML path (default: national)")
    p.add_argument("--scheduler", help="Dask scheduler address tcp://host:port: run on its workers")
    p.add_argument("--notebooks-dir", default="notebooks", help="folder of the notebooks (default: notebooks)")
    p.add_argument("--kernel", help="Jupyter kernel name (default: $EDU_KERNEL or python3)")
    p.add_argument("--timeout", type=_timeout, default=600.0,
                   help="seconds one cell may run, 0 for no limit (default: 600)")
    p.add_argument("--source", help="data-source line of the reports (default: from the data)")
    p.add_argument("--scope", default="county",
                   help="county (default: every county notebook per county), city or province "
                   "(notebooks/city_report.ipynb once per city or province), or a list: county,city")
    p.add_argument("--regions", default="all", help="with --scope city|province: 'all' (default) or NAME,NAME,...")
    p.add_argument("--groups", help="county-groups file, YAML or CSV (default: analysis/data/county_groups.yaml)")
    p.add_argument("--no-downloads", action="store_true",
                   help="no .xlsx of the tables, PNG/SVG charts or Word documents beside each report")
    p.add_argument("--keep-notebooks", action="store_true",
                   help="also keep each executed notebook (.ipynb) beside its report page")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress (neither the bar on a terminal nor the line per county in a log)")
    p.add_argument("--wait", action="store_true",
                   help="when another publish run is using the --out folder, wait for it to finish "
                   f"(default: stop at once, exit status {EXIT_LOCKED})")
    p.add_argument("--pdf", action="store_true",
                   help="also print every report page to an A4 PDF beside its HTML (headless Chromium; "
                   "skipped with a message where it is not installed)")
    p.set_defaults(func=run_publish)


def run_publish(args: argparse.Namespace) -> int:
    """Run the ``publish`` command; returns the exit status."""
    # deferred: keeps the command line's start-up light
    from analysis.publish.lock import PublishLock, PublishLocked

    lock = PublishLock(args.out, wait=args.wait)
    try:  # before any kernel starts: a second run into the same folder stops at once
        lock.acquire()
    except PublishLocked as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    # deferred: keeps the command line's start-up light
    from analysis.publish._worker import skip_slow_optional_imports

    skip_slow_optional_imports()  # this process is ours: start faster
    # deferred: keeps the command line's start-up light
    from analysis.publish import prelaunch

    try:
        kernel_name = args.kernel or prelaunch.default_kernel_name()
        if not args.scheduler:  # the local workers' kernels start while the rest is imported
            prelaunch.launch(kernel_name, args.jobs or prelaunch.default_jobs())
        try:
            return _publish(args, kernel_name)
        finally:
            prelaunch.discard_all()  # kernels no worker needed (fewer jobs than workers, or none)
    finally:
        lock.release()


def _publish(args: argparse.Namespace, kernel_name: str) -> int:
    # deferred: keeps the command line's start-up light
    from analysis.publish.kernel import WorkerOptions

    # deferred: keeps the command line's start-up light
    from analysis.publish.runner import publish

    options = WorkerOptions(kernel_name=kernel_name, cell_timeout=args.timeout, downloads=not args.no_downloads)
    notebooks = [n.strip() for n in args.notebooks.split(",") if n.strip()] if args.notebooks else None
    result = publish(
        args.processed,
        args.out,
        counties=args.counties,
        year=args.year,
        notebooks=notebooks,
        notebooks_dir=args.notebooks_dir,
        jobs=args.jobs,
        force=args.force,
        standards=args.standards,
        scheduler=args.scheduler,
        options=options,
        source=args.source,
        progress=False if args.no_progress else None,
        scope=args.scope,
        regions=args.regions,
        groups_file=args.groups,
        keep_notebooks=args.keep_notebooks,
    )
    if args.pdf:
        # deferred: keeps the command line's start-up light
        from analysis.publish.pdf import report_pages, write_pdfs

        pdfs = write_pdfs(report_pages(result.out_dir / str(result.year)), force=args.force)
        print(pdfs.summary())
        if pdfs.failed:
            return result.exit_code or 1
    return result.exit_code
