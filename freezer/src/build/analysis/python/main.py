# The analysis of one request: the closure, compiled through the code cache, answered as
# a manifest, or as the tagged error that stopped it.

from .closure import Analysis
from .code_cache import CodeCache
from .entry import check_entry_function
from .manifest import manifest
from .observe import Observations, Unobserved
from .protocol import Failure, read_request, write_answer


def analyse(request):
    cache = request["cache"]
    if cache and cache["deps"]:
        observations = Observations()
        observations.install()
        observations.startup()
    else:
        observations = Unobserved()
    analysis = Analysis(request, observations)
    if cache:
        analysis.code_cache = CodeCache(
            cache, analysis.optimize, analysis.app_dir, analysis.search_path
        )
    analysis.run(request)
    answer = manifest(analysis)
    check_entry_function(analysis, request["entry"])
    return answer


def main():
    try:
        answer, blobs = analyse(read_request())
    except Failure as failure:
        write_answer({"failed": failure.tagged})
        return
    write_answer({"manifest": answer}, blobs)


main()
