"""Run the fake IMS as its own process: `python -m tests.fakeims --port P ...`.

Prints `READY <port>` once listening, so a parent process can start it on port 0 and read the
port back; stops cleanly on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from .server import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, FakeIms, Faults


def _access_key(text: str) -> tuple[str, str]:
    key_id, sep, secret = text.partition(":")
    if not sep or not key_id or not secret:
        raise argparse.ArgumentTypeError("expected ID:SECRET")
    return key_id, secret


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.fakeims", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--access-key",
        type=_access_key,
        action="append",
        metavar="ID:SECRET",
        help=f"accepted AccessKey (repeatable; default {DEFAULT_ACCESS_KEY_ID}:{DEFAULT_ACCESS_KEY_SECRET})",
    )
    parser.add_argument("--callback-key", help="auth key that signs callbacks (X-ICE-SIGNATURE)")
    parser.add_argument("--job-seconds", type=float, default=1.5, help="time to a terminal state")
    parser.add_argument("--qps", type=int, default=30, help="accepted calls per action per second")
    parser.add_argument("--seed", type=int, help="seed of the fault dice, for repeatable runs")
    defaults = Faults()
    parser.add_argument("--error-5xx", type=float, default=defaults.error_5xx)
    parser.add_argument("--timeout-before", type=float, default=defaults.timeout_before)
    parser.add_argument("--timeout-after", type=float, default=defaults.timeout_after)
    parser.add_argument("--reset", type=float, default=defaults.reset)
    parser.add_argument("--lost-callback", type=float, default=defaults.lost_callback)
    parser.add_argument("--hold-seconds", type=float, default=defaults.hold_s)
    parser.add_argument("--fault-action", action="append", help="limit faults to this action (repeatable)")
    return parser


def _faults(args: argparse.Namespace) -> Faults:
    faults = Faults()
    faults.update(
        {
            "error_5xx": args.error_5xx,
            "timeout_before": args.timeout_before,
            "timeout_after": args.timeout_after,
            "reset": args.reset,
            "lost_callback": args.lost_callback,
            "hold_s": args.hold_seconds,
            "actions": args.fault_action,
        }
    )
    return faults


async def _serve(args: argparse.Namespace, faults: Faults) -> None:
    fake = FakeIms(
        access_keys=dict(args.access_key) if args.access_key else None,
        callback_key=args.callback_key,
        job_seconds=args.job_seconds,
        qps=args.qps,
        faults=faults,
        seed=args.seed,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await fake.start(args.host, args.port)
    print(f"READY {fake.port}", flush=True)
    try:
        await stop.wait()
    finally:
        await fake.stop()


def main() -> None:
    parser = _parser()
    args = parser.parse_args()
    try:
        faults = _faults(args)
    except ValueError as exc:
        parser.error(str(exc))
    asyncio.run(_serve(args, faults))


if __name__ == "__main__":
    main()
