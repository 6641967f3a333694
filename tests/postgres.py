"""A throwaway PostgreSQL cluster for tests: its own data dir, socket dir and port; gone afterwards.

DESIGN §6: storage paths are tested against a real PostgreSQL server (Debian's binaries under
``/usr/lib/postgresql/*/bin``), never a fake. Without them the tests skip on a developer machine and
fail under CI (``CI`` set), where ``make system-deps`` should have installed them.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port

__all__ = ["PostgresCluster", "find_postgres_bin", "postgres_cluster", "require_postgres_bin"]

SUPERUSER = "postgres"
OS_USER = "postgres"  # initdb and postgres refuse to run as root
STARTS = 3  # attempts: another process may take the free port between picking and binding it


def find_postgres_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that holds initdb, pg_ctl and postgres."""
    found = [
        Path(path)
        for path in glob.glob("/usr/lib/postgresql/*/bin")
        if all((Path(path) / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres", "createdb"))
    ]

    def version(path: Path) -> tuple[int, ...]:
        parts = path.parent.name.split(".")
        return tuple(int(part) for part in parts if part.isdigit())

    return max(found, key=version, default=None)


def require_postgres_bin() -> Path:
    """The server binaries, or skip (developer machine) / fail (CI) with how to install them."""
    bin_dir = find_postgres_bin()
    if bin_dir is not None:
        return bin_dir
    message = "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; run `make system-deps`"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _as_db_user() -> list[str]:
    """The command prefix that drops root to the ``postgres`` OS user (nothing when not root)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser"):
        return ["runuser", "-u", OS_USER, "--"]
    return ["setpriv", f"--reuid={OS_USER}", f"--regid={OS_USER}", "--init-groups", "--"]


def _clean_env() -> dict[str, str]:
    # libpq tools honour PGHOST, PGPORT, PGDATA...; nothing from the caller's shell may redirect them.
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")} | {"LC_ALL": "C"}


@dataclass
class PostgresCluster:
    """One running cluster. ``url`` is the asyncpg URL of its database."""

    bin_dir: Path
    root: Path
    port: int
    database: str

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{self.database}"

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run one of the cluster's binaries as the database OS user; raise with its output on failure."""
        done = subprocess.run(
            [*_as_db_user(), str(self.bin_dir / tool), *args],
            cwd=self.root,  # the postgres user cannot enter the caller's directory
            env=_clean_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}):\n{done.stdout}{done.stderr}{self.log()}")
        return done

    def log(self) -> str:
        try:
            return f"\n--- {self.log_file} ---\n{self.log_file.read_text(errors='replace')}"
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop at once (no checkpoint: the data is thrown away) and remove every file."""
        try:
            if (self.data_dir / "postmaster.pid").exists():
                try:
                    self.run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "immediate", "-w", "-t", "30")
                except (RuntimeError, subprocess.TimeoutExpired):
                    self._kill()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            with suppress(ValueError):
                atexit.unregister(self.stop)

    def _kill(self) -> None:
        with suppress(OSError, ValueError, IndexError):
            pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGQUIT)  # the postmaster's immediate shutdown


def _start(bin_dir: Path, database: str) -> PostgresCluster:
    # Not under pytest's tmp dir: that is 0700 root, and the postgres user must reach the socket dir.
    # A short path also keeps the unix socket under the 107-byte limit.
    root = Path(tempfile.mkdtemp(prefix="storewire-pg-"))
    cluster = PostgresCluster(bin_dir, root, free_port(), database)
    atexit.register(cluster.stop)  # a safety net should a test session end without the fixture teardown
    try:
        cluster.socket_dir.mkdir()
        if os.geteuid() == 0:
            for path in (root, cluster.socket_dir):
                shutil.chown(path, OS_USER, OS_USER)
        cluster.run(
            "initdb",
            "-D",
            str(cluster.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",  # local and host 127.0.0.1/::1 alike
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(cluster.port),
            "unix_socket_directories": str(cluster.socket_dir),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
            "shared_buffers": "32MB",
            "logging_collector": "off",
        }
        options = " ".join(f"-c {key}={value}" for key, value in settings.items())
        cluster.run(
            "pg_ctl", "start", "-D", str(cluster.data_dir), "-l", str(cluster.log_file), "-w", "-t", "30",
            "-o", options,
        )  # fmt: skip
        cluster.run(
            "createdb", "-h", str(cluster.socket_dir), "-p", str(cluster.port), "-U", SUPERUSER, database
        )
    except BaseException:
        cluster.stop()
        raise
    return cluster


def start_postgres(database: str = "storewire") -> PostgresCluster:
    """initdb, start and create ``database``: a few seconds. The caller must ``stop()`` it."""
    bin_dir = require_postgres_bin()
    for attempt in range(1, STARTS + 1):
        try:
            return _start(bin_dir, database)
        except RuntimeError as exc:
            # Retry only a lost race for the port; anything else is a real failure.
            if attempt == STARTS or "could not bind" not in str(exc):
                raise
    raise AssertionError("unreachable")


@contextmanager
def postgres_cluster(database: str = "storewire") -> Iterator[PostgresCluster]:
    """A cluster for the duration of the block, stopped and removed however the block ends."""
    cluster = start_postgres(database)
    try:
        yield cluster
    finally:
        cluster.stop()


def cluster_and_server_fixtures(label: str) -> tuple[Any, Any]:
    """Module-scoped ``postgres`` (a throwaway cluster) and ``server`` (the real server on it, which
    overrides the SQLite one; the ``api`` fixture follows it). ``postgres, server = ...`` in a module."""
    import pytest

    from tests.conftest import start_server
    from tests.support import ServerProcess

    @pytest.fixture(scope="module")
    def postgres() -> Iterator[PostgresCluster]:
        cluster = start_postgres()
        try:
            yield cluster
        finally:
            cluster.stop()

    @pytest.fixture(scope="module")
    def server(
        postgres: PostgresCluster, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[ServerProcess]:
        proc = start_server(tmp_path_factory.mktemp(label), STOREWIRE_DATABASE_URL=postgres.url)
        try:
            yield proc
        finally:
            proc.stop()

    return postgres, server
