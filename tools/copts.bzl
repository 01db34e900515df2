"""Compiler flags shared by every package of the repository."""

# -Werror keeps the build quiet: a warning in the project's own code fails it.
# System headers (abseil, gtest, the compiler's intrinsics) come in through
# -isystem and are not checked.
APR_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-sign-compare",
    "-Wno-unused-parameter",
]

# Flags for a translation unit that holds one instruction set's kernels. The
# rest of the build stays portable; these files are only entered after a
# run-time CPU check.
# Each also includes common/simd/std_instances.h first; its library
# (//common/simd:std_instances) must be among the target's deps.
AVX2_COPTS = ["-mavx2", "-mfma", "-mf16c", "-include", "common/simd/std_instances.h"]

AVX512_COPTS = AVX2_COPTS + [
    "-mavx512f",
    "-mavx512bw",
    "-mavx512vl",
    "-mavx512dq",
    "-mavx512vnni",
]

AVX512BF16_COPTS = AVX512_COPTS + ["-mavx512bf16"]

AMX_COPTS = AVX512_COPTS + ["-mamx-tile", "-mamx-int8"]

AMX_BF16_COPTS = AVX512BF16_COPTS + ["-mamx-tile", "-mamx-bf16"]

AVXVNNI_COPTS = AVX2_COPTS + ["-mavxvnni"]
