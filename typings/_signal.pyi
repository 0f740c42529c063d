# Types for `_signal`, the C module under `signal` (typeshed has none: it is private). The terminal
# supervisor imports it directly because `signal` imports enum, too slow for a program run before every
# command. Here signals are plain ints, as the C module gives them; POSIX only, as m2bridge is.
from collections.abc import Callable, Iterable
from types import FrameType

_Handler = Callable[[int, FrameType | None], object] | int | None

SIG_DFL: int
SIG_IGN: int
SIG_BLOCK: int
SIG_UNBLOCK: int
SIG_SETMASK: int
NSIG: int

SIGABRT: int
SIGALRM: int
SIGBUS: int
SIGCHLD: int
SIGCONT: int
SIGFPE: int
SIGHUP: int
SIGILL: int
SIGINT: int
SIGIO: int
SIGKILL: int
SIGPIPE: int
SIGPROF: int
SIGQUIT: int
SIGSEGV: int
SIGSTOP: int
SIGSYS: int
SIGTERM: int
SIGTRAP: int
SIGTSTP: int
SIGTTIN: int
SIGTTOU: int
SIGURG: int
SIGUSR1: int
SIGUSR2: int
SIGVTALRM: int
SIGWINCH: int
SIGXCPU: int
SIGXFSZ: int

def signal(signalnum: int, handler: _Handler, /) -> _Handler: ...
def getsignal(signalnum: int, /) -> _Handler: ...
def default_int_handler(signalnum: int, frame: FrameType | None, /) -> None: ...
def pthread_sigmask(how: int, mask: Iterable[int], /) -> set[int]: ...
def pthread_kill(thread_id: int, signalnum: int, /) -> None: ...
def set_wakeup_fd(fd: int, /, *, warn_on_full_buffer: bool = True) -> int: ...
def pidfd_send_signal(pidfd: int, sig: int, siginfo: None = None, flags: int = 0, /) -> None: ...
def raise_signal(signalnum: int, /) -> None: ...
def alarm(seconds: int, /) -> int: ...
def pause() -> None: ...
def sigpending() -> set[int]: ...
def sigwait(sigset: Iterable[int], /) -> int: ...
def siginterrupt(signalnum: int, flag: bool, /) -> None: ...
def strsignal(signalnum: int, /) -> str | None: ...
def valid_signals() -> set[int]: ...
