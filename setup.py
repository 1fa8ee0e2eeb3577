"""setuptools shim for what pyproject.toml cannot say.

- Packages: ``vsgg_ros`` and the training package, which lives in ``training/`` but installs as
  ``vsgg_training`` (no generic top-level ``training`` module in site-packages).
- `msg/*.msg` is the single source of the message contract. ROS builds read it through CMakeLists.txt;
  pip installs carry a copy as `vsgg_ros/msg_defs/` so that bag and CDR code works without ROS.
"""

import shutil
from pathlib import Path

from setuptools import find_namespace_packages, find_packages, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithMsgDefs(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "vsgg_ros" / "msg_defs"
        target.mkdir(parents=True, exist_ok=True)
        for msg in sorted((ROOT / "msg").glob("*.msg")):
            shutil.copy2(msg, target / msg.name)


# Namespace discovery so data folders (vsgg_ros/vocab/data, …) ship as package data.
PACKAGES = [
    *find_namespace_packages(include=["vsgg_ros", "vsgg_ros.*"], exclude=["*__pycache__*"]),
    "vsgg_training",
    *(f"vsgg_training.{name}" for name in find_packages("training")),
]

setup(
    packages=PACKAGES,
    package_dir={"vsgg_training": "training"},
    cmdclass={"build_py": BuildWithMsgDefs},
)
