"""A repository over a folder Debian's packages installed, keyed on the lock.

new_local_repository would wrap /usr with no idea of which package versions
are there. This rule reads tools/debian.lock, so a changed lock (a deliberate
move to other versions, see tools/update-debian-lock) re-creates the
repository and rebuilds what uses it; tools/bazel has checked that the
installed packages match the lock before Bazel starts.
"""

def _debian_repository_impl(rctx):
    locked = [
        line
        for line in rctx.read(rctx.attr.lock).splitlines()
        if line and not line.startswith("#")
    ]
    root = rctx.path(rctx.attr.path)
    if not root.exists:
        fail("%s does not exist: run ./tools/bazel, which installs the locked packages" % rctx.attr.path)
    for child in root.readdir():
        rctx.symlink(child, child.basename)
    header = "".join(["# locked: %s\n" % line for line in locked])
    rctx.file("BUILD.bazel", header + rctx.read(rctx.attr.build_file))
    rctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % rctx.name)

debian_repository = repository_rule(
    implementation = _debian_repository_impl,
    attrs = {
        "path": attr.string(mandatory = True),
        "build_file": attr.label(mandatory = True, allow_single_file = True),
        "lock": attr.label(default = "//tools:debian.lock", allow_single_file = True),
    },
)
