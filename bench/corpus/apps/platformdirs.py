"""platformdirs: the user's data, config and cache directories (relative to HOME)."""
# dists: platformdirs
import os

import platformdirs

home = os.path.expanduser("~")
d = platformdirs.PlatformDirs("corpus", "pyfreeze", version="1.0")
for p in (d.user_data_dir, d.user_config_dir, d.user_cache_dir, d.user_log_dir):
    print(os.path.relpath(p, home))
print(type(d).__name__)
