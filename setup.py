"""Build hook for the optional compiled heap core (issue 17); everything else is in pyproject.toml.

``smh_boot.heap._core`` is a CPython C extension built with the machine's C compiler.  It is
optional: without a compiler (or when the build fails for any other reason) setuptools skips it
with a warning and the install carries the pure-Python core only, which is the reference and
behaves identically, just slower.  ``smh-boot --version`` says which core is active.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "smh_boot.heap._core",
            sources=["smh_boot/heap/_core.c"],
            optional=True,
            extra_compile_args=["-O2", "-std=gnu11", "-fno-strict-aliasing"],
        )
    ]
)
