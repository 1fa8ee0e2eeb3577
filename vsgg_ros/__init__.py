"""vsgg_ros: streaming video scene graph generation for ROS 2 robots and any ZeroMQ client."""

__version__ = "0.1.0"
