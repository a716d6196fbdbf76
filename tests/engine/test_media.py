"""Media references: roots, symlinks, OSS mapping, the registry, downloads, output paths."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from imsd.engine.media import MediaResolver, Prober, RedisMediaRegistry, host_allowed, is_public_address
from imsd.engine.render import output_target
from imsd.errors import ImsError
from imsd.settings import EngineSettings
from redis.asyncio import Redis

OSS = "https://my-bucket.oss-cn-shanghai.aliyuncs.com"


async def refused(resolver: MediaResolver, ref: str, **kw: bool) -> ImsError:
    with pytest.raises(ImsError) as err:
        await resolver.resolve(ref, "Timeline.VideoTracks[0].VideoTrackClips[0].MediaURL", **kw)
    return err.value


async def test_a_path_inside_a_media_root_resolves_and_is_probed(resolver: MediaResolver, media_dir: Path) -> None:
    info = await resolver.resolve(str(media_dir / "red.mp4"), "f")
    assert (info.width, info.height, info.has_audio) == (320, 240, True)
    assert abs((info.duration or 0) - 2.0) < 0.1


async def test_a_file_url_resolves(resolver: MediaResolver, media_dir: Path) -> None:
    info = await resolver.resolve(f"file://{media_dir / 'yellow.png'}", "f")
    assert info.is_image and info.duration is None


async def test_a_relative_path_is_looked_up_in_the_media_roots(resolver: MediaResolver) -> None:
    assert (await resolver.resolve("tone.wav", "f")).has_audio


async def test_a_path_outside_the_roots_is_refused_naming_it(resolver: MediaResolver) -> None:
    err = await refused(resolver, "/etc/hostname")
    assert err.code == "InvalidParameter"
    assert "/etc/hostname" in err.message and "MediaURL" in err.message


async def test_dot_dot_cannot_leave_a_root(resolver: MediaResolver, media_dir: Path) -> None:
    assert (await refused(resolver, f"{media_dir}/../../etc/hostname")).code == "InvalidParameter"


async def test_a_symlink_pointing_outside_the_roots_is_refused(
    resolver: MediaResolver, media_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.mp4"
    shutil.copy(media_dir / "red.mp4", outside)
    link = media_dir / "escape.mp4"
    link.symlink_to(outside)
    try:
        assert (await refused(resolver, str(link))).code == "InvalidParameter"
    finally:
        link.unlink()


async def test_missing_media_is_not_found_naming_the_reference(resolver: MediaResolver, media_dir: Path) -> None:
    err = await refused(resolver, str(media_dir / "nope.mp4"))
    assert err.code == "InvalidMaterial.NotFound"
    assert "nope.mp4" in err.message


async def test_an_oss_url_maps_onto_the_storage_root(
    resolver: MediaResolver, settings: EngineSettings, media_dir: Path
) -> None:
    target = settings.storage_root / "my-bucket" / "in" / "a.mp4"
    target.parent.mkdir(parents=True)
    shutil.copy(media_dir / "red.mp4", target)
    info = await resolver.resolve(f"{OSS}/in/a.mp4", "f")
    assert info.path == target.resolve()


async def test_a_missing_oss_object_is_not_found(resolver: MediaResolver) -> None:
    assert (await refused(resolver, f"{OSS}/in/none.mp4")).code == "InvalidMaterial.NotFound"


async def test_an_oss_key_cannot_climb_out_of_its_bucket(resolver: MediaResolver) -> None:
    assert (await refused(resolver, f"{OSS}/%2e%2e/other/x.mp4")).code == "InvalidParameter"


async def test_an_unknown_media_id_is_not_found(resolver: MediaResolver) -> None:
    err = await refused(resolver, "mid-0002", media_id=True)
    assert err.code == "InvalidMaterial.NotFound" and "mid-0002" in err.message


async def test_a_media_id_is_never_read_as_a_path(resolver: MediaResolver, media_dir: Path) -> None:
    err = await refused(resolver, str(media_dir / "red.mp4"), media_id=True)
    assert err.code == "InvalidMaterial.NotFound"


async def test_the_redis_registry_resolves_media_ids(redis: Redis, settings: EngineSettings, media_dir: Path) -> None:
    prober = Prober()
    registry = RedisMediaRegistry(redis, prober, "imsd")
    media_id = await registry.add(media_dir / "blue.mp4")
    assert await redis.exists(f"imsd:media:{media_id}")
    resolver = MediaResolver(settings, registry, prober)
    info = await resolver.resolve(media_id, "f", media_id=True)
    assert info.path == (media_dir / "blue.mp4").resolve() and info.has_video


def test_an_output_oss_url_is_written_under_the_storage_root(resolver: MediaResolver, settings: EngineSettings) -> None:
    path = resolver.output_path(f"{OSS}/out/x.mp4")
    assert path == (settings.storage_root / "my-bucket/out/x.mp4").resolve()


def test_an_output_path_outside_the_storage_root_is_refused(resolver: MediaResolver, media_dir: Path) -> None:
    with pytest.raises(ImsError) as err:
        resolver.output_path(str(media_dir / "overwrite.mp4"))
    assert err.value.message.startswith("OutputMediaConfig.MediaURL:")


def test_an_output_url_that_is_not_oss_is_refused(resolver: MediaResolver) -> None:
    with pytest.raises(ImsError):
        resolver.output_path("https://example.com/out.mp4")


@pytest.mark.parametrize("name", ["x-%d.png", "list.m3u8", "notes.txt", "clip.webm", "noext"])
def test_an_output_of_a_container_the_engine_does_not_write_is_refused_before_any_work(
    resolver: MediaResolver, name: str
) -> None:
    """ffmpeg picks the muxer by the name: x-%d.png would write numbered images, .m3u8 segments."""
    with pytest.raises(ImsError) as err:
        output_target(resolver, f"{OSS}/out/{name}")
    assert err.value.code == "InvalidParameter"
    assert err.value.message.startswith("OutputMediaConfig.MediaURL: the output must be a file of one of the types")


@pytest.mark.parametrize("name", ["out.mp4", "out.MOV", "voice.mp3", "voice.m4a", "voice.wav"])
def test_an_output_of_a_written_container_is_accepted(resolver: MediaResolver, name: str) -> None:
    assert output_target(resolver, f"{OSS}/out/{name}").name == name


@pytest.mark.parametrize(
    ("ref", "problem"),
    [
        (f"{OSS}/out/a\x00b.mp4", "contains a NUL character"),
        (f"{OSS}/out/{'a' * 300}.mp4", "has a file or folder name longer than 255 bytes"),
        (f"{OSS}/{'a/' * 2100}x.mp4", "is 4252 characters long; at most 2048"),
    ],
)
def test_an_output_name_no_file_can_have_is_refused_naming_the_field(
    resolver: MediaResolver, ref: str, problem: str
) -> None:
    with pytest.raises(ImsError) as err:
        resolver.output_path(ref)
    assert err.value.message == f"OutputMediaConfig.MediaURL: {problem}"


@pytest.mark.parametrize("ref", ["/media/a\x00b.mp4", f"{OSS}/in/{'b' * 5000}.mp4"])
async def test_an_input_name_no_file_can_have_is_refused_naming_the_field(resolver: MediaResolver, ref: str) -> None:
    error = await refused(resolver, ref)
    assert error.code == "InvalidParameter"
    assert error.message.startswith("Timeline.VideoTracks[0].VideoTrackClips[0].MediaURL: ")
    assert "/tmp" not in error.message and len(error.message) < 200


@pytest.fixture
def lan_settings(settings: EngineSettings) -> EngineSettings:
    """The test server listens on loopback: allowed here as a media server on an internal network."""
    return settings.model_copy(update={"download_private_addresses": True})


@pytest.fixture
async def server(media_dir: Path) -> AsyncIterator[tuple[str, list[str]]]:
    hits: list[str] = []

    async def serve(request: web.Request) -> web.StreamResponse:
        hits.append(request.path)
        if request.path == "/big.bin":
            return web.Response(body=b"x" * 4096)
        if request.path.startswith("/to-"):  # /to-HOST-PORT-NAME: a redirect to another host
            _, host, port, name = request.path.split("-", 3)
            raise web.HTTPFound(f"http://{host}:{port}/{name}")
        path = media_dir / request.path.lstrip("/")
        return web.FileResponse(path) if path.is_file() else web.Response(status=404)

    app = web.Application()
    app.router.add_get("/{name}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", hits
    await runner.cleanup()


async def test_http_media_is_downloaded_once_into_the_content_addressed_cache(
    lan_settings: EngineSettings, server: tuple[str, list[str]]
) -> None:
    base, hits = server
    resolver = MediaResolver(lan_settings)
    first = await resolver.resolve(f"{base}/red.mp4", "f")
    second = await resolver.resolve(f"{base}/red.mp4", "f")
    assert first.path == second.path and first.has_video
    assert first.path.parent == (lan_settings.cache_dir / "objects").resolve()
    assert len(first.path.stem) == 64  # sha256 of the content
    assert hits == ["/red.mp4"]


async def test_a_download_over_the_size_limit_is_refused(
    lan_settings: EngineSettings, server: tuple[str, list[str]]
) -> None:
    small = MediaResolver(lan_settings.model_copy(update={"download_max_bytes": 1000}))
    with pytest.raises(ImsError) as err:
        await small.local_file(f"{server[0]}/big.bin", "f")
    assert err.value.code == "InvalidMaterial.TooLarge"
    assert not list((lan_settings.cache_dir / "objects").iterdir())


async def test_a_missing_url_is_not_found(lan_settings: EngineSettings, server: tuple[str, list[str]]) -> None:
    err = await refused(MediaResolver(lan_settings), f"{server[0]}/none.mp4")
    assert err.code == "InvalidMaterial.NotFound"


def allowing(settings: EngineSettings, *hosts: str) -> MediaResolver:
    update = {"download_hosts": list(hosts), "download_private_addresses": True}
    return MediaResolver(settings.model_copy(update=update))


async def test_a_host_on_the_download_allowlist_is_fetched(
    settings: EngineSettings, server: tuple[str, list[str]]
) -> None:
    info = await allowing(settings, "example.com", "127.0.0.1").resolve(f"{server[0]}/red.mp4", "f")
    assert info.has_video


async def test_a_host_off_the_download_allowlist_is_refused_naming_the_field_and_host(
    settings: EngineSettings, server: tuple[str, list[str]]
) -> None:
    base, hits = server
    with pytest.raises(ImsError) as err:
        await allowing(settings, "*.example.com").resolve(f"{base}/red.mp4", "Timeline.X.MediaURL")
    assert err.value.code == "InvalidParameter"
    assert "Timeline.X.MediaURL" in err.value.message
    assert "'127.0.0.1'" in err.value.message and "download_hosts" in err.value.message
    assert hits == []  # refused before any request


async def test_a_redirect_to_a_host_off_the_allowlist_is_refused(
    settings: EngineSettings, server: tuple[str, list[str]]
) -> None:
    base, hits = server
    port = base.rsplit(":", 1)[1]
    with pytest.raises(ImsError) as err:
        await allowing(settings, "127.0.0.1").local_file(f"{base}/to-localhost-{port}-red.mp4", "f")
    assert err.value.code == "InvalidParameter"
    assert "'localhost'" in err.value.message and "redirected from" in err.value.message
    assert hits == [f"/to-localhost-{port}-red.mp4"]  # the target was never asked


async def test_a_redirect_within_the_allowlist_is_followed(
    settings: EngineSettings, server: tuple[str, list[str]]
) -> None:
    base, hits = server
    port = base.rsplit(":", 1)[1]
    path = await allowing(settings, "127.0.0.1", "localhost").local_file(f"{base}/to-localhost-{port}-red.mp4", "f")
    assert path.is_file()
    assert hits == [f"/to-localhost-{port}-red.mp4", "/red.mp4"]


@pytest.mark.parametrize(
    ("host", "allowed", "expected"),
    [
        ("cdn.example.com", ["*.example.com"], True),
        ("a.b.example.com", ["*.example.com"], True),
        ("example.com", ["*.example.com"], False),
        ("badexample.com", ["*.example.com"], False),
        ("Example.COM.", ["example.com"], True),
        ("other.com", ["example.com"], False),
        ("::1", ["[::1]"], True),
        ("anything.net", [], True),
    ],
)
def test_download_host_matching(host: str, allowed: list[str], expected: bool) -> None:
    assert host_allowed(host, allowed) is expected


async def test_a_url_naming_a_loopback_address_is_refused_by_default(
    resolver: MediaResolver, server: tuple[str, list[str]]
) -> None:
    base, hits = server
    err = await refused(resolver, f"{base}/red.mp4")
    assert err.code == "InvalidParameter" and "'127.0.0.1' is not a public address" in err.message
    assert hits == []


async def test_a_host_name_resolving_to_loopback_is_refused_by_default(
    resolver: MediaResolver, server: tuple[str, list[str]]
) -> None:
    base, hits = server
    err = await refused(resolver, base.replace("127.0.0.1", "localhost") + "/red.mp4")
    assert err.code == "InvalidParameter" and "resolves to no public address" in err.message
    assert hits == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud instance metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
    ],
)
def test_public_address_classification(address: str, public: bool) -> None:
    assert is_public_address(address) is public
