"""What every fake API shares: a real uvicorn server on 127.0.0.1 in a thread, started and stopped."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from tests.fakes.minimax.server import ServerThread


class LocalFake:
    """Subclasses give `_build_app()`; the rest (lifecycle, host) is here."""

    _server: ServerThread | None = None
    _port: int = 0

    def _build_app(self) -> Any:
        raise NotImplementedError

    def start(self) -> Self:
        # Imported here: the package that holds the thread also imports the fakes built on this class.
        from tests.fakes.minimax.server import ServerThread

        if self._server is None:
            self._server = ServerThread(self._build_app())
            self._port = self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def fail_on_violations(self, what: str) -> None:
        """End a test that made this fake record violations, listing them (the fixtures' teardown)."""
        violations: list[str] = getattr(self, "violations", [])
        if violations:
            import pytest

            report = "\n".join(f"  - {v}" for v in violations)
            print(f"{what} violations:\n{report}")
            pytest.fail(f"{what} recorded {len(violations)} violation(s):\n{report}", pytrace=False)

    @property
    def host(self) -> str:
        if not self._port:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://127.0.0.1:{self._port}"
