"""@rules_cc from Debian's bazel-rules-cc, made loadable by Bazel 4.2.3.

Debian ships rules_cc 0.0.4, whose two flag-supplier files load
`use_cpp_toolchain` from @bazel_tools; Bazel 4.2.3 predates it. This rule
copies the folder and replaces that helper with the toolchain type it returns.
"""

_FILES_USING_NEW_HELPER = [
    "cc/private/rules_impl/compiler_flag.bzl",
    "cc/private/rules_impl/cc_flags_supplier.bzl",
]

def _system_rules_cc_impl(rctx):
    result = rctx.execute(["cp", "-r", rctx.attr.path + "/.", "."])
    if result.return_code != 0:
        fail("cannot copy %s (is bazel-rules-cc installed?): %s" % (rctx.attr.path, result.stderr))
    for f in _FILES_USING_NEW_HELPER:
        text = rctx.read(f)
        text = text.replace(', "use_cpp_toolchain")', ")")
        text = text.replace("use_cpp_toolchain()", '["@bazel_tools//tools/cpp:toolchain_type"]')
        rctx.file(f, text)

system_rules_cc = repository_rule(
    implementation = _system_rules_cc_impl,
    attrs = {"path": attr.string(default = "/usr/share/bazel/rules/cc")},
    local = True,
)
