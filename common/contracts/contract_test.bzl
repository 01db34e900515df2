"""contract_test: one cc_test per contract file, one test case per claim."""

load("@rules_cc//cc:defs.bzl", "cc_test")

def contract_test(name, contract, metrics, measured = False, size = "small", tags = [], **kwargs):
    """Checks every claim of `contract` against the metrics of `metrics`.

    Args:
      name: the test's name.
      contract: label of the YAML contract file.
      metrics: a cc_library defining contracts::RegisterMetrics.
      measured: the claims rest on timings; under a sanitizer (APR_SANITIZER
        set, see .bazelrc) they are then reported, not enforced.
      size: the test size; contracts that measure are "medium" or larger.
      tags: test tags.
      **kwargs: passed to cc_test.
    """
    cc_test(
        name = name,
        args = ["$(location %s)" % contract] + (["--measured"] if measured else []),
        data = [contract],
        size = size,
        tags = tags + ["contract"],
        deps = [
            metrics,
            "//common/contracts:contract_test_main",
        ],
        **kwargs
    )
