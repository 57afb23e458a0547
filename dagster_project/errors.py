"""Errors a person can act on, and the exit codes the command line gives for them.

``str()`` of a :class:`PccwError` is one line that names what and where (a file, a tenant, a
period) and what to do; the command line prints it without a traceback and exits with the
error's ``exit_code``.

The ``EXIT_*`` constants are the only exit codes; what each means for each command is the
table at the top of ``cli.py``, which ``pccw --help`` prints and the README repeats.
"""
from __future__ import annotations

EXIT_OK = 0            # done
EXIT_FAILED = 1        # the work failed: a run failed, a pack was blocked, a return was rejected
EXIT_USAGE = 2         # bad configuration, arguments or paths: nothing was done
EXIT_ATTENTION = 3     # done, but something needs attention (files quarantined, a stale source)
EXIT_NOT_READY = 4     # nothing to read yet: the tenant has no warehouse (run `pccw run` first)
EXIT_BUSY = 5          # another run holds the tenant's warehouse and did not finish in the time allowed


class PccwError(Exception):
    """A failure explained in one line; ``exit_code`` says how the command line ends."""

    exit_code = EXIT_FAILED


class UsageError(PccwError):
    """Wrong arguments or paths: a folder that is not a pack, a period that has not ended."""

    exit_code = EXIT_USAGE


class NoWarehouse(PccwError):
    """The tenant has never been run, so there is nothing to read."""

    exit_code = EXIT_NOT_READY

    def __init__(self, tenant: str):
        self.tenant = tenant
        super().__init__(f"no warehouse for {tenant} yet: nothing has been loaded; "
                         f"run `pccw run --tenant {tenant}` first")


class Busy(PccwError):
    """Another run holds the tenant's warehouse."""

    exit_code = EXIT_BUSY
