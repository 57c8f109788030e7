"""What /proc says about a process, for tests and benchmarks: resident memory, CPU time (of the
process or one of its threads) and open file descriptors."""
import os
import re


def rss_kib(pid):
    """Resident set size in KiB."""
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1))


def cpu_seconds(pid, thread=None):
    """User + system CPU time of a process (all its threads), or of one thread."""
    path = f"/proc/{pid}/stat" if thread is None else f"/proc/{pid}/task/{thread}/stat"
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))
