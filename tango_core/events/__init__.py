"""ZeroMQ event consumer: subscribe_event and friends, the event data classes.

Importing this package does not import zmq; the consumer (``consumer.py``) is loaded on the first
subscription.  Layout: ``frames`` (sans-IO decoding of the ZMQ messages), ``data`` (EventData &
co.), ``settings`` (tunables), ``consumer`` (threads, sockets, handshake), ``api`` (the functions
DeviceProxy/AttributeProxy delegate to).
"""

from .data import AttrConfEventData, DataReadyEventData, DevIntrChangeEventData, EventData
from .settings import EventConfig, configure

__all__ = ["EventData", "AttrConfEventData", "DataReadyEventData", "DevIntrChangeEventData",
           "EventConfig", "configure"]
