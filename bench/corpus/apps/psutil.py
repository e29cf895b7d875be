"""psutil: this process, the machine's CPUs, memory, disks and network interfaces."""
# dists: psutil
import os

import psutil

p = psutil.Process()
print("pid matches:", p.pid == os.getpid(), "running:", p.is_running())
print("threads >= 1:", p.num_threads() >= 1, "rss > 1 MB:", p.memory_info().rss > 1 << 20)
print("cpus:", psutil.cpu_count() >= 1, "logical >= physical:",
      psutil.cpu_count() >= (psutil.cpu_count(logical=False) or 1))
print("memory:", psutil.virtual_memory().total > 0, "disk:", psutil.disk_usage("/").total > 0)
print("lo:", "lo" in psutil.net_if_addrs(), "boot:", psutil.boot_time() > 0)
print("pids:", os.getpid() in psutil.pids(), "parent:", p.parent() is not None)
