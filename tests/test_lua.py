"""Lua scripts bound by name: one declaration makes both the Lua preamble and the call's lists."""

from __future__ import annotations

import pytest
from imsd.lua import Function, Script, literal
from redis.asyncio import Redis

PAIRS = Script(
    "return {record, active, due, request_id, #changes, changes[1]}",
    keys=("record", "active"),
    args=("due", "request_id", "*changes"),
)


def test_the_preamble_binds_each_name_to_its_position() -> None:
    assert PAIRS.source.splitlines()[:4] == [
        "local record, active = KEYS[1], KEYS[2]",
        "local due, request_id = ARGV[1], ARGV[2]",
        "local changes = {}",
        "for i = 3, #ARGV do changes[i - 2] = ARGV[i] end",
    ]


def test_a_call_lists_the_values_in_the_declared_order_with_the_tail_last() -> None:
    call = PAIRS.call(request_id="r-1", changes=["polls", 1], active="a", due=5, record="k")
    assert (call.keys, call.args) == (["k", "a"], [5, "r-1", "polls", 1])


def test_a_call_missing_a_name_or_giving_an_unknown_one_is_refused() -> None:
    with pytest.raises(TypeError, match="missing due; unknown dew"):
        PAIRS.call(record="k", active="a", dew=5, request_id="r-1", changes=[])


def test_a_tail_takes_a_sequence_not_a_string() -> None:
    with pytest.raises(TypeError, match="changes"):
        PAIRS.call(record="k", active="a", due=5, request_id="r-1", changes="polls")


def test_a_name_lua_reserves_cannot_be_bound() -> None:
    with pytest.raises(ValueError, match="'pairs'"):
        Script("return 1", args=("pairs",))


def test_only_the_last_name_may_be_a_tail() -> None:
    with pytest.raises(ValueError, match="'\\*fields'"):
        Script("return 1", args=("*fields", "due"))


def test_a_name_bound_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="named twice: job"):
        Script("return 1", keys=("job",), args=("job",))


def test_a_script_declares_what_its_functions_read() -> None:
    touch = Function("touch", "redis.call('SET', record, due)", keys=("record",), args=("due",))
    with pytest.raises(ValueError, match="touch reads what the script does not declare: due"):
        Script("touch()", keys=("record",), functions=(touch,))


async def test_a_script_reads_its_values_by_name_in_redis(redis: Redis) -> None:
    reply = await PAIRS.register(redis)(record="k", active="a", due=5, request_id="r-1", changes=["polls", 1])
    assert reply == ["k", "a", "5", "r-1", 2, "polls"]


async def test_a_tail_longer_than_lua_s_stack_is_read_whole(redis: Redis) -> None:
    """{unpack(ARGV, n)} fails past ~8000 items ("too many results to unpack")."""
    count = Script("return #items", args=("*items",)).register(redis)
    assert await count(items=list(range(20_000))) == 20_000


async def test_a_function_reads_the_including_script_s_values(redis: Redis) -> None:
    touch = Function("touch", "  redis.call('SET', record, due)", keys=("record",), args=("due",))
    script = Script("touch()\nreturn redis.call('GET', record)", keys=("record",), args=("due",), functions=(touch,))
    assert await script.register(redis)(record="k", due="7") == "7"


async def test_many_runs_each_in_order_and_reloads_a_script_redis_forgot(redis: Redis) -> None:
    echo = Script("return value", args=("value",)).register(redis)
    assert await echo.many([{"value": "a"}]) == ["a"]
    await redis.script_flush()
    assert await echo.many([{"value": "b"}, {"value": "c"}]) == ["b", "c"]


async def test_a_literal_reads_back_in_lua_as_the_same_text(redis: Redis) -> None:
    text = "it's a \\ \"quote\"\n\x00 1 ü 0"
    assert await Script(f"return {literal(text)}").register(redis)() == text
