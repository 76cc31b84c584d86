"""Who a search process is — local, chief or worker (keras-tuner's distributed mode) —
how a worker waits for its chief, and how the chief serves a level's oracle."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kerasnoise.search.oracle import level_done
from kerasnoise.search.plan import LRSearch

__all__ = [
    "Role",
    "LOCAL",
    "ChiefUnreachableError",
    "wait_for_chief",
    "serve_oracle",
    "parse_port",
]


class ChiefUnreachableError(RuntimeError):
    """A worker found no chief oracle to talk to within its time limit."""


@dataclasses.dataclass(frozen=True)
class Role:
    """Who this process is: ``local`` (oracle and trials here), ``chief`` or ``worker``."""

    kind: str = "local"
    tuner_id: str = "tuner0"
    ip: str = "127.0.0.1"
    port: int = 8000

    @classmethod
    def from_env(cls, environ: dict | None = None) -> Role:
        """keras-tuner's variables: ``KERASTUNER_TUNER_ID`` (``chief`` or a worker's id),
        ``KERASTUNER_ORACLE_IP``, ``KERASTUNER_ORACLE_PORT``; ``local`` when unset."""
        env = os.environ if environ is None else environ
        if "KERASTUNER_ORACLE_IP" not in env:
            return cls()
        missing = [k for k in ("KERASTUNER_ORACLE_PORT", "KERASTUNER_TUNER_ID") if k not in env]
        if missing:
            raise ValueError(f"KERASTUNER_ORACLE_IP is set but {', '.join(missing)} is not")
        tuner_id = env["KERASTUNER_TUNER_ID"]
        kind = "chief" if tuner_id == "chief" else "worker"
        return cls(
            kind, tuner_id, env["KERASTUNER_ORACLE_IP"], parse_port(env["KERASTUNER_ORACLE_PORT"])
        )

    def level_port(self, index: int) -> int:
        return self.port + index

    @contextlib.contextmanager
    def environment(self, index: int) -> Iterator[None]:
        """keras-tuner's variables for level ``index`` while the block runs."""
        names = ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT")
        saved = {k: os.environ.get(k) for k in names}
        for k in names:
            os.environ.pop(k, None)
        if self.kind != "local":
            os.environ.update(
                KERASTUNER_TUNER_ID=self.tuner_id,
                KERASTUNER_ORACLE_IP=self.ip,
                KERASTUNER_ORACLE_PORT=str(self.level_port(index)),
            )
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def parse_port(value: Any) -> int:
    """An oracle port: an integer in 1..65535, or ``ValueError``."""
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = -1
    if not 0 < port < 65536:
        raise ValueError(f"oracle port must be an integer in 1..65535, got {value!r}")
    return port


def _reachable(ip: str, port: int, timeout: float) -> bool:
    import grpc

    channel = grpc.insecure_channel(f"{ip}:{port}")
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
        return True
    except grpc.FutureTimeoutError:
        return False
    finally:
        channel.close()


def wait_for_chief(
    role: Role, search: LRSearch, index: int, folders: list[Path], timeout: float
) -> bool:
    """Until level ``index``'s oracle answers (True) or the chief has ended it (False).

    A level ended over another learning-rate space is not ended: the chief searches it
    again (:func:`kerasnoise.search.search_level`).  While the chief still serves the
    previous level (its port answers), the wait goes on; otherwise
    :class:`ChiefUnreachableError` after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        if level_done(search, folders[index]):
            return False
        if _reachable(role.ip, role.level_port(index), timeout=min(2.0, timeout)):
            return True
        busy = index > 0 and not level_done(search, folders[index - 1])
        if busy and _reachable(role.ip, role.level_port(index - 1), timeout=1.0):
            deadline = time.monotonic() + timeout
        if time.monotonic() > deadline:
            raise ChiefUnreachableError(
                f"no chief oracle at {role.ip}:{role.level_port(index)} after {timeout:g} s: "
                "start the chief (--chief) with the same --out, IP and port, or raise "
                "--chief-timeout"
            )


def serve_oracle(oracle, poll_s: float) -> None:
    """Serve ``oracle`` to the workers until its search has stopped and all have left.

    keras-tuner's ``oracle_chief.start_server`` with its servicer, except that the
    chief looks every ``poll_s`` seconds whether the last worker has left, where
    keras-tuner sleeps 20 s at a time once the oracle has stopped (one such wait per
    level), and that the server is stopped when the level ends, freeing its port.
    The address is keras-tuner's ``KERASTUNER_ORACLE_IP`` and ``KERASTUNER_ORACLE_PORT``.
    """
    from concurrent import futures

    import grpc
    from keras_tuner.src import protos
    from keras_tuner.src.distribute import oracle_chief

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    servicer = oracle_chief.OracleServicer(oracle)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    address = f"{os.environ['KERASTUNER_ORACLE_IP']}:{os.environ['KERASTUNER_ORACLE_PORT']}"
    server.add_insecure_port(address)
    server.start()
    try:
        while not (servicer.stop_triggered and oracle_chief.exit_chief(oracle)):
            time.sleep(poll_s)
    finally:
        server.stop(grace=None)


#: This process does everything itself: the oracle and the trials.
LOCAL = Role()
