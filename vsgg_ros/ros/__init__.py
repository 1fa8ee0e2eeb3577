"""ROS 2 integration: the perception and ZeroMQ bridge nodes, and their ROS-free logic.

Only the ``*_node.py`` modules import rclpy; everything else here (parameters, QoS, conversions,
the engine host, sinks, stamp joins) runs and is tested without ROS. Interface: docs/ros.md.
"""
