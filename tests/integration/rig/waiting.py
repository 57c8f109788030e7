# wait_until(): the one poll loop of the integration tests, the rig and the benchmarks. It calls a
# predicate until it returns something true (and returns that) or the timeout passes (then raises
# WaitTimeout, both an AssertionError for pytest and a TimeoutError for the rig's callers).
import time


class WaitTimeout(AssertionError, TimeoutError):
    """A wait_until() that ran out of time."""


def wait_until(predicate, timeout, what, interval=0.05):
    """Call predicate() every `interval` seconds until it returns a true value, and return it.
    Raise WaitTimeout naming `what` after `timeout` seconds; exceptions of predicate propagate."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
