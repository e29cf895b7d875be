"""colorama: ANSI sequences, and stripping them from a non-terminal stream."""
# dists: colorama
import io

from colorama import Back, Fore, Style
from colorama.ansitowin32 import AnsiToWin32

s = Fore.RED + "red" + Back.GREEN + "bg" + Style.RESET_ALL + " plain"
print(repr(s))
buf = io.StringIO()
w = AnsiToWin32(buf, strip=True, convert=False)
w.write(s)
print(repr(buf.getvalue()))
