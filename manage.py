#!/usr/bin/env python
import os
import platform
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    if sys.argv[1:2] in (["train_sentiment"], ["train_accurate"]) and platform.machine().lower() in ("x86_64", "amd64"):
        # OpenBLAS picks its kernels for the CPU it runs on, and AVX-512 kernels round differently
        # from AVX2 ones: the same data trained a slightly different model on another machine.
        # Pinned to the AVX2 kernels (any x86-64 server of the last decade), training gives the
        # committed artifact byte for byte. It must be set before numpy loads OpenBLAS.
        os.environ["OPENBLAS_CORETYPE"] = "Haswell"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
