"""setuptools shim: copies the ROS 2 message definitions into the wheel.

`msg/*.msg` is the single source of the message contract. ROS builds read it through CMakeLists.txt;
pip installs carry a copy as `vsgg_ros/msg_defs/` so that bag and CDR code works without ROS.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithMsgDefs(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "vsgg_ros" / "msg_defs"
        target.mkdir(parents=True, exist_ok=True)
        for msg in sorted((ROOT / "msg").glob("*.msg")):
            shutil.copy2(msg, target / msg.name)


setup(cmdclass={"build_py": BuildWithMsgDefs})
