"""contract_test: one cc_test per metric source, one test case per claim."""

load("@rules_cc//cc:defs.bzl", "cc_test")

def contract_test(name, metrics, contract = None, contracts = [], measured = False, size = "small", tags = [], **kwargs):
    """Checks every claim of `contract` (or `contracts`) against `metrics`.

    Args:
      name: the test's name.
      metrics: a cc_library defining contracts::RegisterMetrics.
      contract: label of the YAML contract file.
      contracts: labels of several contract files over the same metrics,
        checked in one process (a metric source that runs something long
        runs it once).
      measured: the claims rest on timings; under a sanitizer (APR_SANITIZER
        set, see .bazelrc) they are then reported, not enforced.
      size: the test size; contracts that measure are "medium" or larger.
      tags: test tags.
      **kwargs: passed to cc_test.
    """
    files = ([contract] if contract else []) + contracts
    if not files:
        fail("contract_test %s: give contract or contracts" % name)
    cc_test(
        name = name,
        args = ["$(location %s)" % f for f in files] + (["--measured"] if measured else []),
        data = files,
        size = size,
        tags = tags + ["contract"],
        deps = [
            metrics,
            "//common/contracts:contract_test_main",
        ],
        **kwargs
    )
